//! Rendering without the CLI: a run of ten years of minute bars stays under 5 MB with every
//! chart thinned to the pixel, the research section draws what it is given, and nothing in the
//! file points outside it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ml4t_engine::execution::{BrokerConfig, Trade};
use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::results::analysis::{Analysis, AnalysisOptions};
use ml4t_engine::results::metrics::MetricsOptions;
use ml4t_engine::results::{EquityCurve, RunResult};
use ml4t_engine::types::{AssetId, NS_PER_SEC, Side, TimestampNs};
use ml4t_report::{FoldTable, OverfittingPanel, ReportInput, Research, SweepHeatmap, TextSection};

/// A deterministic pseudo-random walk: `n` minute bars of one asset (weekday sessions of 390
/// minutes), an equity curve that holds the asset in blocks of 50 bars, one trade per block.
fn minute_run(n: usize) -> (Bars, RunResult) {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut cols = BarColumns::with_capacity(n, 0);
    let mut curve = EquityCurve::with_capacity(n);
    let mut trades = Vec::new();
    let (mut px, mut cash) = (100.0f64, 1_000_000.0f64);
    let start = 1_262_600_000 * NS_PER_SEC; // early January 2010
    let (mut entry, mut qty, mut entry_bar, mut entry_ts) = (0.0, 0.0, 0, 0);
    for i in 0..n {
        let day = i / 390;
        let week = day / 5;
        let ts = start + ((week * 7 + day % 5) as i64 * 86_400 + 14 * 3600 + (i % 390) as i64 * 60) * NS_PER_SEC;
        let open = px;
        px *= 1.0 + 0.001 * rnd();
        cols.push(
            ts,
            AssetId(0),
            open,
            open.max(px) * 1.0005,
            open.min(px) * 0.9995,
            px,
            1e4,
            &[],
        );
        if i % 50 == 0 {
            entry = open;
            qty = (cash * 0.5 / open).floor();
            cash -= qty * open;
            entry_bar = i;
            entry_ts = ts;
        }
        if i % 50 == 49 {
            cash += qty * px;
            trades.push(Trade {
                asset: AssetId(0),
                side: Side::Buy,
                qty,
                entry_ts: TimestampNs(entry_ts),
                entry_price: entry,
                entry_bar,
                exit_ts: TimestampNs(ts),
                exit_price: px,
                exit_bar: i,
                entry_commission: 0.0,
                exit_commission: 0.0,
                pnl_net: qty * (px - entry),
            });
            qty = 0.0;
        }
        curve.push(TimestampNs(ts), cash + qty * px, cash, qty * px);
    }
    let bars = Bars::new(vec!["X".into()], vec![], cols).unwrap();
    let result = RunResult {
        config: BrokerConfig::default(),
        assets: vec!["X".into()],
        initial_cash: 1_000_000.0,
        equity: curve,
        trades,
        fills: vec![],
        open_positions: vec![],
        open_orders: vec![],
        rejections: vec![],
        timestamps: n,
        bars: n,
        notes: Default::default(),
    };
    (bars, result)
}

/// Keeps a rendered page in `$ML4T_REPORT_KEEP_DIR`, to look at.
fn keep(html: &str, name: &str) {
    if let Ok(dir) = std::env::var("ML4T_REPORT_KEEP_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), html).unwrap();
    }
}

fn research() -> Research {
    Research {
        heatmaps: vec![SweepHeatmap {
            title: "Sharpe by entry threshold and stop".into(),
            x_label: "stop".into(),
            y_label: "threshold".into(),
            x_values: vec!["2%".into(), "5%".into()],
            y_values: vec!["0.6".into(), "0.7".into(), "0.8".into()],
            cells: vec![
                vec![Some(0.4), Some(0.9)],
                vec![Some(1.2), None],
                vec![Some(-0.3), Some(0.1)],
            ],
            metric_label: "Sharpe (annualised)".into(),
            percent: false,
            selected: Some((1, 0)),
        }],
        folds: Some(FoldTable {
            title: "Walk-forward".into(),
            columns: vec!["Fold".into(), "Test".into(), "OOS Sharpe".into()],
            rows: vec![
                vec!["1".into(), "2015".into(), "0.8".into()],
                vec!["2".into(), "2016".into(), "-0.2".into()],
            ],
        }),
        overfitting: Some(OverfittingPanel {
            psr: Some(0.91),
            dsr: Some(0.42),
            pbo: Some(0.18),
            n_trials: Some(6.0),
            min_trl: Some(530.0),
            logits: vec![-1.2, -0.3, 0.4, 0.9, 1.5, 2.2, 0.1],
            extra: vec![("Degradation slope".into(), "-0.41".into())],
        }),
    }
}

#[test]
fn render_ten_years_of_minute_bars_under_5_mb() {
    // 10 years x 252 days x 390 minutes.
    let n = 10 * 252 * 390;
    let (bars, result) = minute_run(n);
    let opts = AnalysisOptions::with_metrics(MetricsOptions::default());
    let analysis = Analysis::compute(&result, &bars, &opts).unwrap();
    assert_eq!(analysis.trades.excursions.len(), n / 50);
    let mut input = ReportInput::new("Minute bars", &result, result.metrics(&opts.metrics), analysis);
    input.strategy = vec![TextSection::new("Rules", ["hold 50 bars"])];
    let html = ml4t_report::render(&input);
    keep(&html, "minute.html");
    assert!(html.len() < 5 * 1024 * 1024, "{} bytes", html.len());
    // Every line is thinned: no path has more than ~2 points per pixel column.
    for path in html.split("<path class=\"line\" d=\"").skip(1) {
        let d = path.split('"').next().unwrap();
        let points = d.matches(['M', 'L']).count();
        assert!(points <= 2 * 960, "{points} points in one line");
    }
    // The trade list is cut to the first and last 5000 of 19656 trades, and says so.
    assert!(html.contains("19656 trades: the first and last 5000 are listed"));
    for chart in ml4t_report::CHARTS {
        assert!(html.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
    }
    assert!(!html.contains("research"), "no research section unless given");
}

#[test]
fn render_research_section_and_no_urls() {
    let (bars, result) = minute_run(2000);
    let opts = AnalysisOptions::with_metrics(MetricsOptions::default());
    let analysis = Analysis::compute(&result, &bars, &opts).unwrap();
    let mut input = ReportInput::new("<Small> & \"quoted\"", &result, result.metrics(&opts.metrics), analysis);
    input.research = Some(research());
    let html = ml4t_report::render(&input);
    keep(&html, "research.html");
    assert!(html.contains("<section id=\"research\">"));
    for chart in ["sweep", "folds", "logits"] {
        assert!(html.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
    }
    assert!(html.contains("outline:2px"), "the selected cell is outlined");
    assert!(
        html.contains("&lt;Small&gt; &amp; &quot;quoted&quot;"),
        "titles are escaped"
    );
    assert!(html.contains("18.00%") && html.contains("Degradation slope"));
    let lower = html.to_ascii_lowercase();
    for needle in ["http:", "https:", "url(", "src=", "<script", "<link"] {
        assert!(!lower.contains(needle), "{needle}");
    }
}
