//! A preset's run as an HTML tearsheet: the strategy in words, the data's provenance, the
//! analysis, rendered by `ml4t-report`. Shared by `ml4t report` and the workbench's export.

use std::path::{Path, PathBuf};

use ml4t_engine::execution::{BrokerConfig, CashRule, FillTiming, IntrabarPriority};
use ml4t_engine::market::Bars;
use ml4t_engine::results::RunResult;
use ml4t_engine::results::analysis::{Analysis, AnalysisOptions};
use ml4t_engine::strategy::rules::{Rule, Sizer};
use ml4t_preset::{Preset, StrategySpec};
use ml4t_report::{Provenance, ReportInput, Research, TextSection};

/// What a tearsheet is made from.
#[derive(Debug, Clone, Copy)]
pub struct Tearsheet<'a> {
    pub preset: &'a Preset,
    /// Where the preset came from (scripts are read relative to it).
    pub preset_file: &'a Path,
    /// The data file or folder as given, and the files the loader read from it.
    pub data_source: &'a Path,
    pub data_files: &'a [PathBuf],
    pub bars: &'a Bars,
    pub result: &'a RunResult,
    pub research: Option<&'a Research>,
}

impl Tearsheet<'_> {
    /// The report's HTML. Errors name the data file that could not be read for its hash, or the
    /// analysis option at fault.
    pub fn render(&self, opts: &AnalysisOptions) -> Result<String, ml4t_report::ReportError> {
        let p = self.preset;
        let analysis = Analysis::compute(self.result, self.bars, opts)?;
        let metrics = self.result.metrics(&opts.metrics);
        let title = if p.name.is_empty() {
            self.preset_file
                .file_stem()
                .map_or("Backtest".to_owned(), |s| s.to_string_lossy().into_owned())
        } else {
            p.name.clone()
        };
        let mut input = ReportInput::new(title, self.result, metrics, analysis);
        input.subtitle = p.description.clone();
        input.strategy = strategy_sections(p, self.preset_file);
        let used = signals_used(p, self.preset_file, self.bars);
        input.provenance = Some(Provenance::from_files(
            self.data_source,
            self.data_files,
            self.bars,
            used,
        )?);
        input.research = self.research.cloned();
        Ok(ml4t_report::render(&input))
    }
}

/// The strategy in words: rules (or script), sizer, broker, fill timing, metric settings.
pub fn strategy_sections(p: &Preset, preset_file: &Path) -> Vec<TextSection> {
    let mut out = Vec::new();
    let rules = |rs: &[Rule]| -> Vec<String> {
        if rs.is_empty() {
            vec!["(none)".to_owned()]
        } else {
            rs.iter().map(Rule::describe).collect()
        }
    };
    match &p.strategy {
        StrategySpec::Rules(s) => {
            out.push(TextSection::new(
                "Entry: all of these hold (for a flat asset)",
                rules(&s.entry),
            ));
            out.push(TextSection::new(
                "Exit: all of these hold (for a held asset)",
                rules(&s.exit),
            ));
            out.push(TextSection::new("Sizer", [sizer(&s.sizer)]));
        }
        StrategySpec::Script(src) => {
            out.push(TextSection::new("Script", script_lines(src, preset_file)));
        }
        StrategySpec::Hybrid { filter, script } => {
            out.push(TextSection::new(
                "Filter: the script runs on bars where all of these hold",
                rules(filter),
            ));
            out.push(TextSection::new("Script", script_lines(script, preset_file)));
        }
    }
    out.push(TextSection::new("Broker", broker(&p.broker)));
    out.push(TextSection::new("Fill timing", fill_timing(&p.broker)));
    let m = &p.metrics;
    out.push(TextSection::new(
        "Metrics",
        [
            match m.periods_per_year {
                Some(ppy) => format!("{ppy} periods per year (given)"),
                None => "periods per year inferred from the timestamps".to_owned(),
            },
            format!("risk-free rate {}% a year", m.risk_free_rate * 100.0),
        ],
    ));
    out
}

fn script_lines(src: &ml4t_preset::ScriptSource, preset_file: &Path) -> Vec<String> {
    let text = match &src.source {
        Some(t) => Some(t.clone()),
        None => std::fs::read_to_string(src.resolved_path(preset_file)).ok(),
    };
    let mut lines = vec![format!("source: {}", src.describe())];
    if let Some(t) = text {
        lines.extend(t.lines().map(|l| l.replace('\t', "    ")));
    }
    lines
}

fn sizer(s: &Sizer) -> String {
    match s {
        Sizer::PercentOfCash(p) => format!("{}% of cash per entry", p * 100.0),
        Sizer::PercentOfEquity(p) => format!("{}% of equity per entry", p * 100.0),
        Sizer::FixedQuantity(q) => format!("{q} units per entry"),
        Sizer::FixedNotional(n) => format!("{n} of notional per entry"),
        Sizer::VolatilityTarget(c, t) => format!("volatility target {t} using column {c}"),
        Sizer::ConfidenceScaled(c, scale, max) => {
            format!("cash x clamp({c} x {scale}, 0, {max}) per entry")
        }
    }
}

fn broker(b: &BrokerConfig) -> Vec<String> {
    let c = &b.commission;
    let mut commission = format!("commission {}% of notional", c.percent * 100.0);
    if c.per_share > 0.0 {
        commission.push_str(&format!(" + {} per share", c.per_share));
    }
    if c.per_order > 0.0 {
        commission.push_str(&format!(" + {} per order", c.per_order));
    }
    if c.minimum > 0.0 {
        commission.push_str(&format!(" (minimum {})", c.minimum));
    }
    let mut out = vec![
        format!("initial cash {}", b.initial_cash),
        commission,
        format!("slippage {} bps against the order", b.slippage_bps),
        match b.cash_rule {
            CashRule::Cap => "a buy the cash cannot pay for is cut to what it can".to_owned(),
            CashRule::Reject => "a buy the cash cannot pay for is rejected".to_owned(),
        },
        if b.allow_short {
            "short selling allowed".to_owned()
        } else {
            "long only (a cash account)".to_owned()
        },
    ];
    if let Some(f) = b.max_volume_fraction {
        out.push(format!("fills capped at {}% of the bar's volume", f * 100.0));
    }
    out
}

fn fill_timing(b: &BrokerConfig) -> Vec<String> {
    vec![
        match b.fill_timing {
            FillTiming::NextOpen => "market orders fill at the next bar's open (no look-ahead)".to_owned(),
            FillTiming::SameClose => {
                "market orders fill at the same bar's close (optimistic: the decision saw that price)".to_owned()
            }
        },
        "stops and limits fill inside the bar when its range reaches them".to_owned(),
        match b.intrabar_priority {
            IntrabarPriority::StopFirst => "when a bar touches both a stop and a limit, the stop fills (pessimistic)",
            IntrabarPriority::LimitFirst => "when a bar touches both a stop and a limit, the limit fills",
        }
        .to_owned(),
    ]
}

/// Signal columns the strategy reads: its rules' and sizer's columns, and for scripts the
/// data's signal names that appear in the script text.
pub fn signals_used(p: &Preset, preset_file: &Path, bars: &Bars) -> Vec<String> {
    let mut cols = Vec::new();
    let mut script = None;
    match &p.strategy {
        StrategySpec::Rules(s) => {
            s.entry.iter().chain(&s.exit).for_each(|r| r.columns(&mut cols));
            match &s.sizer {
                Sizer::VolatilityTarget(c, _) | Sizer::ConfidenceScaled(c, _, _) => cols.push(c.clone()),
                _ => {}
            }
        }
        StrategySpec::Script(src) => script = Some(src),
        StrategySpec::Hybrid { filter, script: src } => {
            filter.iter().for_each(|r| r.columns(&mut cols));
            script = Some(src);
        }
    }
    if let Some(src) = script {
        let text = match &src.source {
            Some(t) => t.clone(),
            None => std::fs::read_to_string(src.resolved_path(preset_file)).unwrap_or_default(),
        };
        cols.extend(
            bars.signal_names()
                .iter()
                .filter(|s| text.contains(s.as_str()))
                .cloned(),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    cols.retain(|c| seen.insert(c.clone()));
    cols
}
