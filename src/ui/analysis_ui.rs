//! The Analysis view of the last run: returns (monthly heatmap with yearly totals, yearly bars,
//! the distribution of period returns with its normal fit, skewness, kurtosis, VaR, CVaR), risk
//! over time (rolling Sharpe and volatility, underwater, the worst drawdowns: a click zooms every
//! linked plot to one), trades (PnL and holding-time histograms, MAE/MFE against the outcome,
//! streaks, per-asset contribution) and the benchmark comparison.
//!
//! Every figure is computed by the engine (`results::analysis`); this file only draws it. The
//! analysis is computed once per run and settings, and only while this view is shown.

use std::sync::Arc;

use eframe::egui;
use egui::{Color32, Grid, RichText, ScrollArea, Ui};
use egui_plot::{Bar, BarChart, Line, Plot, Points};

use super::RunView;
use super::plots::series::{memo, run_key, sub_key};
use super::plots::time_axis::ts_to_x;
use super::plots::{BAD, EQUITY, GOOD, MUTED, TimeAxes, YFormat, fmt_money, time_plot_ui};
use super::results_ui::{ResultsAction, ResultsState};
use ml4t_engine::results::analysis::{Analysis, AnalysisOptions, BenchmarkSpec, Histogram};

/// Height of the histogram and scatter plots.
const SMALL_PLOT: f32 = 180.0;

/// The analysis settings the view offers; persisted with the results state.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AnalysisSettings {
    pub benchmark: BenchmarkSpec,
    /// Rolling window in periods (`None`: about six months of the run's periods).
    pub rolling_window: Option<usize>,
}

impl AnalysisSettings {
    fn options(&self, run: &RunView) -> AnalysisOptions {
        AnalysisOptions {
            metrics: run.metrics_options,
            rolling_window: self.rolling_window,
            benchmark: self.benchmark.clone(),
            ..AnalysisOptions::default()
        }
    }
}

/// What the view asks for (applied after drawing).
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisAction {
    Settings(AnalysisSettings),
    /// Zoom every linked plot to this x range (seconds), e.g. a clicked drawdown.
    Zoom(f64, f64),
}

/// Draws the view; `axes` links its time plots with the Backtest view's.
pub fn analysis_ui(
    ui: &mut Ui,
    run: &RunView,
    state: &ResultsState,
    axes: &TimeAxes,
    actions: &mut Vec<ResultsAction>,
) {
    let opts = state.analysis.options(run);
    let key = run_key(run);
    let computed = memo(
        ui.ctx(),
        ui.make_persistent_id("analysis_memo"),
        (key, opts.clone()),
        || Analysis::compute(&run.result, &run.bars, &opts).map_err(|e| e.to_string()),
    );
    settings_ui(ui, run, &state.analysis, actions);
    let a = match computed.as_ref() {
        Ok(a) => a,
        Err(e) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("The analysis could not be computed: {e}"),
            );
            return;
        }
    };
    ScrollArea::vertical()
        .id_salt("analysis_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.heading("Returns");
            returns_ui(ui, a);
            ui.separator();
            ui.heading("Risk over time");
            risk_ui(ui, a, axes, key, actions);
            ui.separator();
            ui.heading("Trades");
            trades_ui(ui, run, a);
            ui.separator();
            ui.heading("Against the benchmark");
            benchmark_ui(ui, a);
        });
}

fn settings_ui(ui: &mut Ui, run: &RunView, s: &AnalysisSettings, actions: &mut Vec<ResultsAction>) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Benchmark");
        let label = |b: &BenchmarkSpec| match b {
            BenchmarkSpec::EqualWeight => "equal-weight buy & hold".to_owned(),
            BenchmarkSpec::Asset(a) => format!("buy & hold {a}"),
            BenchmarkSpec::Column(c) => format!("column {c} (level)"),
            BenchmarkSpec::ColumnReturns(c) => format!("column {c} (returns)"),
            BenchmarkSpec::None => "none".to_owned(),
        };
        let mut choices = vec![BenchmarkSpec::EqualWeight];
        choices.extend(run.bars.assets().iter().map(|a| BenchmarkSpec::Asset(a.clone())));
        for c in run.bars.signal_names() {
            choices.push(BenchmarkSpec::Column(c.clone()));
            choices.push(BenchmarkSpec::ColumnReturns(c.clone()));
        }
        choices.push(BenchmarkSpec::None);
        egui::ComboBox::new("analysis_benchmark", "")
            .selected_text(label(&s.benchmark))
            .show_ui(ui, |ui| {
                for c in choices {
                    if ui.selectable_label(c == s.benchmark, label(&c)).clicked() && c != s.benchmark {
                        actions.push(ResultsAction::Analysis(AnalysisAction::Settings(AnalysisSettings {
                            benchmark: c,
                            ..s.clone()
                        })));
                    }
                }
            });
        ui.separator();
        let mut auto = s.rolling_window.is_none();
        if ui
            .checkbox(&mut auto, "rolling window: about six months")
            .on_hover_text("The window of the rolling Sharpe and volatility, in bars")
            .changed()
        {
            let rolling_window = if auto { None } else { Some(126) };
            actions.push(ResultsAction::Analysis(AnalysisAction::Settings(AnalysisSettings {
                rolling_window,
                ..s.clone()
            })));
        }
        if let Some(w) = s.rolling_window {
            let mut w = w;
            let r = ui.add(egui::DragValue::new(&mut w).range(2..=1_000_000).suffix(" bars"));
            if r.changed() {
                actions.push(ResultsAction::Analysis(AnalysisAction::Settings(AnalysisSettings {
                    rolling_window: Some(w),
                    ..s.clone()
                })));
            }
        }
    });
}

/// A percentage with sign, or a dash.
fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:+.2}%", v * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2}"))
}

/// Green for gains, red for losses, brighter with size (full colour at ±`scale`).
fn heat(v: f64, scale: f64) -> Color32 {
    let t = (v.abs() / scale.max(1e-12)).min(1.0) as f32;
    let base = if v >= 0.0 { GOOD } else { BAD };
    base.gamma_multiply(0.15 + 0.7 * t)
}

fn returns_ui(ui: &mut Ui, a: &Analysis) {
    let r = &a.returns;
    let months: Vec<f64> = r
        .monthly
        .years
        .iter()
        .flat_map(|y| y.months.iter().flatten().copied())
        .collect();
    let scale = months.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    ui.strong("Monthly returns");
    ScrollArea::horizontal().id_salt("monthly_h").show(ui, |ui| {
        Grid::new("monthly_heatmap").spacing([2.0, 2.0]).show(ui, |ui| {
            ui.label("");
            for m in [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Year",
            ] {
                ui.label(RichText::new(m).small().strong());
            }
            ui.end_row();
            for y in &r.monthly.years {
                ui.label(RichText::new(y.year.to_string()).small().strong());
                for v in y.months.iter().copied().chain([y.total]) {
                    cell_ui(ui, v, scale);
                }
                ui.end_row();
            }
        });
    });
    ui.add_space(6.0);
    ui.columns(2, |cols| {
        cols[0].strong("Yearly returns");
        let bars: Vec<Bar> = r
            .yearly
            .iter()
            .map(|&(y, v)| {
                Bar::new(f64::from(y), v * 100.0)
                    .width(0.7)
                    .fill(if v >= 0.0 { GOOD } else { BAD })
            })
            .collect();
        Plot::new("yearly_returns")
            .height(SMALL_PLOT)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .y_axis_formatter(|m, _| format!("{}%", m.value))
            .show(&mut cols[0], |p| p.bar_chart(BarChart::new("yearly return %", bars)));
        let d = &r.distribution;
        cols[1].strong("Distribution of period returns");
        histogram_ui(&mut cols[1], "return_hist", &d.histogram, 100.0, "%", true);
        cols[1].label(format!(
            "skewness {}   excess kurtosis {}   VaR {:.0}% {}   CVaR {}",
            num(d.skewness),
            num(d.kurtosis),
            d.confidence * 100.0,
            pct(d.var),
            pct(d.cvar)
        ));
    });
}

fn cell_ui(ui: &mut Ui, v: Option<f64>, scale: f64) {
    let (text, fill) = match v {
        // Rounded first, so a tiny loss does not show as "-0.0".
        Some(v) => {
            let p = (v * 1000.0).round() / 10.0;
            (if p == 0.0 { "0.0".into() } else { format!("{p:+.1}") }, heat(v, scale))
        }
        None => (String::new(), Color32::TRANSPARENT),
    };
    egui::Frame::new().fill(fill).inner_margin(2.0).show(ui, |ui| {
        ui.set_min_width(40.0);
        ui.label(RichText::new(text).small().monospace());
    });
}

/// A histogram (with its normal fit where one means something); x values scaled by `x_scale`
/// and labelled with `unit`.
fn histogram_ui(ui: &mut Ui, id: &str, h: &Histogram, x_scale: f64, unit: &'static str, with_normal: bool) {
    let bars: Vec<Bar> = h
        .bins
        .iter()
        .map(|b| {
            let mid = 0.5 * (b.lo + b.hi) * x_scale;
            Bar::new(mid, b.count as f64)
                .width(((b.hi - b.lo) * x_scale).abs().max(1e-12))
                .fill(EQUITY.gamma_multiply(0.6))
        })
        .collect();
    let normal: Vec<[f64; 2]> = h
        .bins
        .iter()
        .zip(&h.normal_counts)
        .map(|(b, &c)| [0.5 * (b.lo + b.hi) * x_scale, c])
        .collect();
    Plot::new(id)
        .height(SMALL_PLOT)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .x_axis_formatter(move |m, _| format!("{}{unit}", m.value))
        .show(ui, |p| {
            p.bar_chart(BarChart::new("count", bars));
            if with_normal && h.normal.is_some() && !normal.is_empty() {
                p.line(Line::new("normal fit", normal).color(MUTED).width(1.5));
            }
        });
}

fn risk_ui(ui: &mut Ui, a: &Analysis, axes: &TimeAxes, key: u64, actions: &mut Vec<ResultsAction>) {
    let risk = &a.risk;
    let rolling = &risk.rolling;
    let xs: Arc<Vec<f64>> = Arc::new(rolling.ts.iter().map(|&t| ts_to_x(t)).collect());
    let values =
        |v: &[Option<f64>], scale: f64| -> Vec<f64> { v.iter().map(|x| x.map_or(f64::NAN, |x| x * scale)).collect() };
    let sharpe = values(&rolling.sharpe, 1.0);
    let vol = values(&rolling.volatility, 100.0);
    let k = sub_key((key, rolling.window, 1u8));
    ui.strong(format!("Rolling Sharpe and volatility ({} bars)", rolling.window));
    time_plot_ui(
        ui,
        "rolling_sharpe",
        axes,
        k,
        SMALL_PLOT,
        YFormat::Value,
        &[("rolling Sharpe", EQUITY)],
        {
            let xs = xs.clone();
            move |pui, view| {
                let line = view.thin("sharpe", &xs, &sharpe);
                let y = view.y_range(&line);
                pui.line(Line::new("rolling Sharpe", line).color(EQUITY).width(1.2));
                y
            }
        },
    );
    time_plot_ui(
        ui,
        "rolling_vol",
        axes,
        sub_key((k, 2u8)),
        SMALL_PLOT,
        YFormat::Pct,
        &[("rolling volatility (annualised)", MUTED)],
        {
            let xs = xs.clone();
            move |pui, view| {
                let line = view.thin("vol", &xs, &vol);
                let y = view.y_range(&line);
                pui.line(Line::new("rolling volatility", line).color(MUTED).width(1.2));
                y
            }
        },
    );
    let uw = &risk.underwater;
    let uw_xs: Vec<f64> = uw.ts.iter().map(|&t| ts_to_x(t)).collect();
    let uw_ys: Vec<f64> = uw.drawdown.iter().map(|d| d * 100.0).collect();
    ui.strong("Underwater");
    time_plot_ui(
        ui,
        "underwater",
        axes,
        sub_key((key, 3u8)),
        SMALL_PLOT,
        YFormat::Pct,
        &[("drawdown", BAD)],
        move |pui, view| {
            let line = view.thin("underwater", &uw_xs, &uw_ys);
            let y = view.y_range(&line).map(|(lo, _)| (lo.min(-1.0), 0.5));
            pui.line(Line::new("drawdown", line).color(BAD).fill(0.0).fill_alpha(0.35));
            y
        },
    );
    ui.strong("Worst drawdowns (click one to zoom every plot to it)");
    Grid::new("worst_drawdowns")
        .striped(true)
        .num_columns(6)
        .show(ui, |ui| {
            for h in ["#", "depth", "start", "trough", "recovery", "length (bars)"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for (i, d) in risk.worst_drawdowns.iter().enumerate() {
                let row = format!("drawdown {}", i + 1);
                let end = d
                    .recovery_ts
                    .map_or_else(|| uw.ts.last().copied().unwrap_or(d.trough_ts.0), |t| t.0);
                let clicked = ui
                    .add(egui::Button::selectable(false, format!("{}", i + 1)))
                    .on_hover_text("Zoom every plot to this drawdown")
                    .accessible_name(row)
                    .clicked();
                ui.label(format!("{:.2}%", d.depth * 100.0));
                ui.label(d.start_ts.to_iso());
                ui.label(d.trough_ts.to_iso());
                ui.label(d.recovery_ts.map_or("not recovered".into(), |t| t.to_iso()));
                ui.label(d.length_bars.to_string());
                ui.end_row();
                if clicked {
                    let (a, b) = (ts_to_x(d.start_ts.0), ts_to_x(end));
                    let pad = 0.05 * (b - a).max(86_400.0);
                    actions.push(ResultsAction::Analysis(AnalysisAction::Zoom(a - pad, b + pad)));
                }
            }
        });
    if risk.worst_drawdowns.is_empty() {
        ui.weak("No drawdown: equity never fell below a previous peak.");
    }
}

fn trades_ui(ui: &mut Ui, run: &RunView, a: &Analysis) {
    let t = &a.trades;
    if run.result.trades.is_empty() {
        ui.weak("No closed trades.");
        return;
    }
    ui.columns(2, |cols| {
        cols[0].strong("Net PnL per trade");
        histogram_ui(&mut cols[0], "pnl_hist", &t.pnl, 1.0, "", true);
        cols[1].strong("Holding time (bars)");
        // Holding times are counts of bars, not a sample of a normal variable: no fit.
        histogram_ui(&mut cols[1], "holding_hist", &t.holding_bars, 1.0, "", false);
    });
    ui.columns(2, |cols| {
        for (col, (title, id, adverse)) in cols.iter_mut().zip([
            ("MAE vs net return (%)", "mae_scatter", true),
            ("MFE vs net return (%)", "mfe_scatter", false),
        ]) {
            col.strong(title);
            let (mut wins, mut losses) = (Vec::new(), Vec::new());
            for e in &t.excursions {
                let x = if adverse { e.mae } else { e.mfe } * 100.0;
                let y = e.return_net.unwrap_or(0.0) * 100.0;
                if e.pnl_net > 0.0 { &mut wins } else { &mut losses }.push([x, y]);
            }
            // Fixed, like the histograms: the mouse wheel scrolls the view, not the plot.
            Plot::new(id)
                .height(SMALL_PLOT)
                .allow_drag(false)
                .allow_zoom(false)
                .allow_scroll(false)
                .x_axis_formatter(|m, _| format!("{}%", m.value))
                .y_axis_formatter(|m, _| format!("{}%", m.value))
                .show(col, |p| {
                    p.points(Points::new("winners", wins).color(GOOD).radius(2.0));
                    p.points(Points::new("losers", losses).color(BAD).radius(2.0));
                });
        }
    });
    ui.label(format!(
        "Longest winning streak {} trades, longest losing streak {} trades.",
        t.streaks.longest_win, t.streaks.longest_loss
    ));
    ui.strong("Per asset");
    Grid::new("per_asset").striped(true).num_columns(5).show(ui, |ui| {
        for h in ["asset", "net PnL", "trades", "win rate", "avg return"] {
            ui.label(RichText::new(h).strong());
        }
        ui.end_row();
        for c in &t.per_asset {
            ui.label(&c.asset);
            ui.label(RichText::new(fmt_money(c.pnl_net)).color(if c.pnl_net >= 0.0 { GOOD } else { BAD }));
            ui.label(c.n_trades.to_string());
            ui.label(format!("{:.1}%", c.win_rate * 100.0));
            ui.label(pct(c.avg_return));
            ui.end_row();
        }
    });
}

fn benchmark_ui(ui: &mut Ui, a: &Analysis) {
    let Some(b) = &a.benchmark else {
        ui.weak("No benchmark chosen.");
        return;
    };
    ui.label(format!("{} over {} periods", b.label, b.n_periods));
    Grid::new("benchmark_stats")
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            let rows = [
                ("benchmark total return", pct(b.stats.total_return)),
                ("benchmark CAGR", pct(b.stats.cagr)),
                ("benchmark Sharpe", num(b.stats.sharpe)),
                ("alpha (annualised)", pct(b.alpha)),
                ("beta", num(b.beta)),
                ("correlation", num(b.correlation)),
                ("tracking error (annualised)", pct(b.tracking_error)),
                ("information ratio", num(b.information_ratio)),
                ("up capture", num(b.up_capture)),
                ("down capture", num(b.down_capture)),
            ];
            for (name, value) in rows {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            }
        });
}
