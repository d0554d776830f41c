//! The page: a header with headline cards, a table of contents, then one `<section id=...>` per
//! part (see [`crate::SECTIONS`]), plain CSS inline, no script.

use std::fmt::Write as _;

use ml4t_engine::results::analysis::{Analysis, MonthlyTable};
use ml4t_engine::types::NS_PER_SEC;

use crate::format::{esc, money, num, pct, span_ns, when};
use crate::research::{FoldTable, OverfittingPanel, Research, SweepHeatmap};
use crate::svg::{self, BLUE, Fmt, GREEN, GREY, Line, PURPLE, Point, RED, Size, XAxis};
use crate::{Provenance, ReportInput, TextSection};

const CSS: &str = r#"
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#e3e7ee; --bg:#ffffff; --card:#f6f8fb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
main { max-width:1100px; margin:0 auto; padding:24px 28px 64px; }
h1 { font-size:26px; margin:0 0 4px; } h2 { font-size:19px; margin:36px 0 10px; padding-bottom:4px; border-bottom:2px solid var(--line); }
h3 { font-size:15px; margin:18px 0 6px; color:var(--muted); }
.sub { color:var(--muted); margin:0 0 14px; }
nav { display:flex; flex-wrap:wrap; gap:6px 14px; margin:12px 0 4px; font-size:13px; }
nav a { color:#2f6fdb; text-decoration:none; } nav a:hover { text-decoration:underline; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(128px,1fr)); gap:10px; margin:14px 0; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:9px 12px; }
.card b { display:block; font-size:20px; font-variant-numeric:tabular-nums; } .card span { color:var(--muted); font-size:12px; }
.pos { color:#23804a; } .neg { color:#c23b3b; }
table { border-collapse:collapse; width:100%; margin:6px 0 12px; font-variant-numeric:tabular-nums; font-size:13px; }
th, td { padding:4px 8px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
th { background:var(--card); font-weight:600; } td.l, th.l { text-align:left; }
table.kv td:first-child { text-align:left; color:var(--muted); } table.kv { width:auto; min-width:420px; } table.kv td:last-child { white-space:normal; }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:18px; } .grid2 > div { min-width:0; }
.chart { width:100%; height:auto; display:block; }
.chart .grid { stroke:#eef1f5; stroke-width:1; } .chart .zero { stroke:#9aa3ae; stroke-width:1; }
.chart .tick { fill:#6b7684; font-size:11px; } .chart .axis { fill:#4a5462; font-size:11px; } .chart .value { fill:#37404c; font-size:11px; }
.chart .line { fill:none; stroke-width:1.6; stroke-linejoin:round; } .chart .overlay { stroke-width:2; }
.legend { display:flex; gap:16px; font-size:12px; color:var(--muted); margin:2px 0 2px 64px; }
.legend i { display:inline-block; width:14px; height:3px; margin-right:6px; vertical-align:middle; }
.heat td { text-align:center; min-width:52px; } table.sweep { width:auto; } .sweep td.l { text-align:right; } .heat td.total { font-weight:700; border-left:2px solid var(--line); }
.scroll { max-height:640px; overflow:auto; border:1px solid var(--line); }
.scroll table { margin:0; } .scroll th { position:sticky; top:0; }
.note { color:var(--muted); font-size:12px; }
ul.rules { margin:4px 0 10px; padding-left:20px; } ul.rules li { margin:2px 0; }
code { background:var(--card); padding:1px 4px; border-radius:3px; font-size:12px; }
footer { margin-top:40px; color:var(--muted); font-size:12px; }
@media (max-width: 800px) { .grid2 { grid-template-columns:1fr; } }
@media print {
  body { font-size:11px; } main { max-width:none; padding:0; } nav { display:none; }
  h2 { break-after:avoid; } .chart, table, .cards, .grid2 > div { break-inside:avoid; }
  .scroll { max-height:none; overflow:visible; border:none; } .scroll th { position:static; }
}
"#;

fn secs(ts_ns: i64) -> f64 {
    ts_ns as f64 / NS_PER_SEC as f64
}

fn signed_class(x: Option<f64>) -> &'static str {
    match x {
        Some(v) if v > 0.0 => "pos",
        Some(v) if v < 0.0 => "neg",
        _ => "",
    }
}

fn card(out: &mut String, label: &str, value: &str, class: &str) {
    let _ = write!(
        out,
        "<div class=\"card\"><b class=\"{class}\">{}</b><span>{}</span></div>",
        esc(value),
        esc(label)
    );
}

fn kv_table(out: &mut String, rows: &[(String, String)]) {
    out.push_str("<table class=\"kv\">\n");
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
    }
    out.push_str("</table>\n");
}

fn table(out: &mut String, headers: &[&str], left_cols: usize, rows: impl IntoIterator<Item = Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for (i, h) in headers.iter().enumerate() {
        let _ = write!(
            out,
            "<th{}>{}</th>",
            if i < left_cols { " class=\"l\"" } else { "" },
            esc(h)
        );
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let _ = write!(
                out,
                "<td{}>{}</td>",
                if i < left_cols { " class=\"l\"" } else { "" },
                esc(c)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

pub fn page(input: &ReportInput<'_>) -> String {
    let r = input.result;
    let m = &input.metrics;
    let a = &input.analysis;
    let mut out = String::with_capacity(256 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&input.title)
    );
    let span = match (r.equity.first_ts(), r.equity.last().map(|p| p.ts)) {
        (Some(a), Some(b)) => format!("{} to {}", when(a), when(b)),
        _ => "no bars".to_owned(),
    };
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", esc(&input.title));
    if !input.subtitle.is_empty() {
        let _ = writeln!(out, "<p class=\"sub\">{}</p>", esc(&input.subtitle));
    }
    let _ = writeln!(
        out,
        "<p class=\"sub\">{} &middot; {} assets &middot; {} bars &middot; initial cash {} &middot; final equity {}</p>\n</header>",
        esc(&span),
        r.assets.len(),
        r.bars,
        esc(&money(r.initial_cash)),
        esc(&money(m.final_equity))
    );
    nav(&mut out, input.research.is_some());
    summary(&mut out, input);
    strategy(&mut out, &input.strategy);
    data(&mut out, input.provenance.as_ref());
    equity(&mut out, input);
    drawdowns(&mut out, a);
    returns(&mut out, a);
    rolling(&mut out, a);
    benchmark(&mut out, input);
    trades(&mut out, input);
    trade_list(&mut out, input);
    if let Some(research) = &input.research {
        research_section(&mut out, research);
    }
    all_metrics(&mut out, input);
    let _ = writeln!(
        out,
        "<footer>Made by <code>ml4t report</code> (ml4t-report {}). One self-contained file: no scripts, no network.</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

fn nav(out: &mut String, research: bool) {
    let names = [
        ("summary", "Summary"),
        ("strategy", "Strategy"),
        ("data", "Data"),
        ("equity", "Equity"),
        ("drawdowns", "Drawdowns"),
        ("returns", "Returns"),
        ("rolling", "Rolling risk"),
        ("benchmark", "Benchmark"),
        ("trades", "Trades"),
        ("trade-list", "Trade list"),
        ("research", "Research"),
        ("metrics", "All metrics"),
    ];
    out.push_str("<nav>");
    for (id, label) in names.iter().filter(|(id, _)| research || *id != "research") {
        let _ = write!(out, "<a href=\"#{id}\">{label}</a>");
    }
    out.push_str("</nav>\n");
}

fn summary(out: &mut String, input: &ReportInput<'_>) {
    let m = &input.metrics;
    let a = &input.analysis;
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">");
    card(
        out,
        "Total return",
        &pct(Some(m.total_return)),
        signed_class(Some(m.total_return)),
    );
    card(out, "CAGR", &pct(Some(m.cagr)), signed_class(Some(m.cagr)));
    card(out, "Sharpe", &num(Some(m.sharpe)), "");
    card(out, "Sortino", &num(Some(m.sortino)), "");
    card(out, "Max drawdown", &pct(Some(m.max_drawdown)), "neg");
    card(out, "Volatility (ann.)", &pct(Some(m.annual_volatility)), "");
    card(out, "Trades", &m.n_trades.to_string(), "");
    card(out, "Win rate", &pct(Some(m.win_rate)), "");
    card(out, "Profit factor", &num(m.profit_factor), "");
    card(out, "Exposure", &pct(Some(m.exposure_time)), "");
    if let Some(b) = &a.benchmark {
        card(
            out,
            "Benchmark return",
            &pct(b.stats.total_return),
            signed_class(b.stats.total_return),
        );
        card(out, "Alpha (ann.)", &pct(b.alpha), signed_class(b.alpha));
        card(out, "Beta", &num(b.beta), "");
    }
    out.push_str("</div>\n</section>\n");
}

fn strategy(out: &mut String, sections: &[TextSection]) {
    out.push_str("<section id=\"strategy\">\n<h2>Strategy</h2>\n");
    if sections.is_empty() {
        out.push_str("<p class=\"note\">No description was given.</p>\n");
    }
    for s in sections {
        let _ = writeln!(out, "<h3>{}</h3>\n<ul class=\"rules\">", esc(&s.title));
        for line in &s.lines {
            let _ = writeln!(out, "<li>{}</li>", esc(line));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn data(out: &mut String, p: Option<&Provenance>) {
    out.push_str("<section id=\"data\">\n<h2>Data</h2>\n");
    let Some(p) = p else {
        out.push_str("<p class=\"note\">No provenance was given.</p>\n</section>\n");
        return;
    };
    let list = |v: &[String]| if v.is_empty() { "-".to_owned() } else { v.join(", ") };
    kv_table(
        out,
        &[
            ("Source".into(), p.source.clone()),
            ("Content hash (FNV-1a 64)".into(), p.combined_hash.clone()),
            ("First bar".into(), p.first.clone()),
            ("Last bar".into(), p.last.clone()),
            ("Rows / timestamps".into(), format!("{} / {}", p.rows, p.timestamps)),
            (format!("Assets ({})", p.assets.len()), list(&p.assets)),
            ("Signal columns".into(), list(&p.signals)),
            ("Signals the strategy reads".into(), list(&p.signals_used)),
        ],
    );
    if p.files.len() > 1 || p.files.first().is_some_and(|f| f.path != p.source) {
        table(
            out,
            &["File", "Bytes", "FNV-1a 64"],
            1,
            p.files
                .iter()
                .map(|f| vec![f.path.clone(), f.bytes.to_string(), f.fnv1a64.clone()]),
        );
    } else if let Some(f) = p.files.first() {
        let _ = writeln!(out, "<p class=\"note\">{} bytes.</p>", f.bytes);
    }
    out.push_str("</section>\n");
}

fn equity(out: &mut String, input: &ReportInput<'_>) {
    let a = &input.analysis;
    let r = input.result;
    let xs: Vec<f64> = r.equity.ts().iter().map(|&t| secs(t)).collect();
    let ys = r.equity.equity();
    let mut lines = vec![Line {
        label: "strategy",
        color: BLUE,
        xs: &xs,
        ys: &ys,
        fill: false,
    }];
    let bench_xs: Vec<f64>;
    let mut legend = vec![("strategy", BLUE)];
    if let Some(b) = &a.benchmark {
        bench_xs = b.ts.iter().map(|&t| secs(t)).collect();
        lines.insert(
            0,
            Line {
                label: &b.label,
                color: GREY,
                xs: &bench_xs,
                ys: &b.equity,
                fill: false,
            },
        );
        legend.push((&b.label, GREY));
    }
    out.push_str("<section id=\"equity\">\n<h2>Equity</h2>\n");
    out.push_str(&svg::legend(&legend));
    out.push_str(&svg::line_chart(
        "equity",
        "Equity of the strategy and its benchmark over time",
        &lines,
        XAxis::Time,
        Fmt::Compact,
        Size::full(320.0),
        false,
    ));
    out.push_str("</section>\n");
}

fn drawdowns(out: &mut String, a: &Analysis) {
    let u = &a.risk.underwater;
    let xs: Vec<f64> = u.ts.iter().map(|&t| secs(t)).collect();
    out.push_str(
        "<section id=\"drawdowns\">\n<h2>Drawdowns</h2>\n<h3>Underwater: equity below its running peak</h3>\n",
    );
    out.push_str(&svg::line_chart(
        "underwater",
        "Drawdown below the running peak over time",
        &[Line {
            label: "drawdown",
            color: RED,
            xs: &xs,
            ys: &u.drawdown,
            fill: true,
        }],
        XAxis::Time,
        Fmt::Percent,
        Size::full(200.0),
        true,
    ));
    let _ = writeln!(out, "<h3>Worst {} drawdowns</h3>", a.risk.worst_drawdowns.len());
    if a.risk.worst_drawdowns.is_empty() {
        out.push_str("<p class=\"note\">Equity never fell below a previous peak.</p>\n");
    }
    table(
        out,
        &[
            "#",
            "Start (peak)",
            "Trough",
            "Recovery",
            "Depth",
            "Length (bars)",
            "Length (time)",
        ],
        4,
        a.risk.worst_drawdowns.iter().enumerate().map(|(i, d)| {
            vec![
                (i + 1).to_string(),
                when(d.start_ts),
                when(d.trough_ts),
                d.recovery_ts.map_or("not recovered".to_owned(), when),
                pct(Some(d.depth)),
                d.length_bars.to_string(),
                span_ns(d.length_ns),
            ]
        }),
    );
    out.push_str("</section>\n");
}

/// Cell colour of a return: green or red, stronger with size relative to `scale`.
fn heat(r: f64, scale: f64) -> String {
    let a = 0.1 + 0.6 * (r.abs() / scale).min(1.0);
    if r >= 0.0 {
        format!("rgba(46,157,85,{a:.2})")
    } else {
        format!("rgba(214,69,69,{a:.2})")
    }
}

/// A fraction as a percentage with one decimal, without a sign on what rounds to zero.
fn pct1(v: f64) -> String {
    let p = v * 100.0;
    if p.abs() < 0.05 {
        "0.0".to_owned()
    } else {
        format!("{p:.1}")
    }
}

fn monthly_heatmap(out: &mut String, t: &MonthlyTable) {
    let scale = t.months().iter().map(|m| m.2.abs()).fold(0.005, f64::max);
    let year_scale = t.yearly().iter().map(|y| y.1.abs()).fold(0.005, f64::max);
    out.push_str("<table class=\"heat\" data-chart=\"monthly\"><thead><tr><th class=\"l\">Year</th>");
    for m in [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ] {
        let _ = write!(out, "<th>{m}</th>");
    }
    out.push_str("<th>Year</th></tr></thead><tbody>\n");
    for y in &t.years {
        let _ = write!(out, "<tr><td class=\"l\">{}</td>", y.year);
        for r in &y.months {
            match r {
                Some(v) => {
                    let _ = write!(out, "<td style=\"background:{}\">{}</td>", heat(*v, scale), pct1(*v));
                }
                None => out.push_str("<td></td>"),
            }
        }
        match y.total {
            Some(v) => {
                let _ = write!(
                    out,
                    "<td class=\"total\" style=\"background:{}\">{}</td>",
                    heat(v, year_scale),
                    pct1(v)
                );
            }
            None => out.push_str("<td class=\"total\"></td>"),
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n<p class=\"note\">Returns in percent by calendar month (UTC); the last column compounds the year.</p>\n");
}

fn returns(out: &mut String, a: &Analysis) {
    let d = &a.returns.distribution;
    out.push_str("<section id=\"returns\">\n<h2>Returns</h2>\n<h3>Monthly returns</h3>\n");
    monthly_heatmap(out, &a.returns.monthly);
    out.push_str("<h3>Yearly returns</h3>\n");
    let labels: Vec<String> = a.returns.yearly.iter().map(|y| y.0.to_string()).collect();
    let values: Vec<f64> = a.returns.yearly.iter().map(|y| y.1).collect();
    out.push_str(&svg::bar_chart(
        "yearly",
        "Return of each calendar year",
        &labels,
        &values,
        Fmt::Percent,
        Size::full(220.0),
    ));
    out.push_str("<h3>Distribution of period returns</h3>\n<div class=\"grid2\"><div>\n");
    out.push_str(&svg::legend(&[("period returns", BLUE), ("normal fit", svg::ORANGE)]));
    out.push_str(&svg::histogram_chart(
        "distribution",
        "Histogram of period returns with a normal fit",
        &d.histogram,
        Fmt::Percent,
        BLUE,
        "return per period",
        Size::half(260.0),
    ));
    out.push_str("</div><div>\n");
    kv_table(
        out,
        &[
            ("Periods".into(), d.histogram.n.to_string()),
            ("Mean".into(), pct(d.histogram.normal.map(|f| f.mean))),
            ("Standard deviation".into(), pct(d.histogram.normal.map(|f| f.std))),
            ("Skewness".into(), num(d.skewness)),
            ("Excess kurtosis".into(), num(d.kurtosis)),
            (format!("VaR ({:.0} %, historical)", d.confidence * 100.0), pct(d.var)),
            (format!("CVaR ({:.0} %, historical)", d.confidence * 100.0), pct(d.cvar)),
            ("Best period".into(), pct(d.best)),
            ("Worst period".into(), pct(d.worst)),
            ("Positive periods".into(), pct(d.positive_fraction)),
        ],
    );
    out.push_str("</div></div>\n</section>\n");
}

fn rolling(out: &mut String, a: &Analysis) {
    let r = &a.risk.rolling;
    let xs: Vec<f64> = r.ts.iter().map(|&t| secs(t)).collect();
    let nan = |v: &Vec<Option<f64>>| v.iter().map(|x| x.unwrap_or(f64::NAN)).collect::<Vec<f64>>();
    let (sharpe, vol) = (nan(&r.sharpe), nan(&r.volatility));
    let _ = writeln!(
        out,
        "<section id=\"rolling\">\n<h2>Rolling risk</h2>\n<p class=\"note\">Over a window of {} periods, annualised with {:.1} periods per year. Gaps: windows without variation.</p>\n<h3>Rolling Sharpe ratio</h3>",
        r.window, a.periods_per_year
    );
    out.push_str(&svg::line_chart(
        "rolling-sharpe",
        "Rolling Sharpe ratio over time",
        &[Line {
            label: "rolling Sharpe",
            color: BLUE,
            xs: &xs,
            ys: &sharpe,
            fill: false,
        }],
        XAxis::Time,
        Fmt::Compact,
        Size::full(200.0),
        true,
    ));
    out.push_str("<h3>Rolling volatility (annualised)</h3>\n");
    out.push_str(&svg::line_chart(
        "rolling-vol",
        "Rolling annualised volatility over time",
        &[Line {
            label: "rolling volatility",
            color: PURPLE,
            xs: &xs,
            ys: &vol,
            fill: false,
        }],
        XAxis::Time,
        Fmt::Percent,
        Size::full(200.0),
        false,
    ));
    out.push_str("</section>\n");
}

fn benchmark(out: &mut String, input: &ReportInput<'_>) {
    let m = &input.metrics;
    out.push_str("<section id=\"benchmark\">\n<h2>Against the benchmark</h2>\n");
    let Some(b) = &input.analysis.benchmark else {
        out.push_str("<p class=\"note\">No benchmark.</p>\n</section>\n");
        return;
    };
    let _ = writeln!(
        out,
        "<p class=\"note\">Benchmark: {}; {} paired periods.</p>",
        esc(&b.label),
        b.n_periods
    );
    out.push_str("<div class=\"grid2\"><div>\n");
    table(
        out,
        &["", "Strategy", "Benchmark"],
        1,
        [
            vec![
                "Total return".into(),
                pct(Some(m.total_return)),
                pct(b.stats.total_return),
            ],
            vec!["CAGR".into(), pct(Some(m.cagr)), pct(b.stats.cagr)],
            vec![
                "Volatility (ann.)".into(),
                pct(Some(m.annual_volatility)),
                pct(b.stats.annual_volatility),
            ],
            vec!["Sharpe".into(), num(Some(m.sharpe)), num(b.stats.sharpe)],
            vec![
                "Max drawdown".into(),
                pct(Some(m.max_drawdown)),
                pct(Some(b.stats.max_drawdown)),
            ],
        ],
    );
    out.push_str("</div><div>\n");
    kv_table(
        out,
        &[
            ("Alpha (annualised)".into(), pct(b.alpha)),
            ("Beta".into(), num(b.beta)),
            ("Correlation".into(), num(b.correlation)),
            ("Tracking error (ann.)".into(), pct(b.tracking_error)),
            ("Information ratio".into(), num(b.information_ratio)),
            ("Up capture".into(), num(b.up_capture)),
            ("Down capture".into(), num(b.down_capture)),
        ],
    );
    out.push_str("</div></div>\n</section>\n");
}

fn trades(out: &mut String, input: &ReportInput<'_>) {
    let t = &input.analysis.trades;
    out.push_str("<section id=\"trades\">\n<h2>Trades</h2>\n<div class=\"grid2\"><div>\n<h3>Net PnL per trade</h3>\n");
    out.push_str(&svg::histogram_chart(
        "pnl",
        "Histogram of net PnL per trade",
        &t.pnl,
        Fmt::Compact,
        GREEN,
        "net PnL",
        Size::half(240.0),
    ));
    out.push_str("</div><div>\n<h3>Holding time</h3>\n");
    // A normal curve says nothing about counts of whole bars: bins only.
    let holding = ml4t_engine::results::analysis::Histogram {
        normal: None,
        normal_counts: Vec::new(),
        ..t.holding_bars.clone()
    };
    out.push_str(&svg::histogram_chart(
        "holding",
        "Histogram of holding times in bars",
        &holding,
        Fmt::Compact,
        PURPLE,
        "bars held",
        Size::half(240.0),
    ));
    out.push_str("</div></div>\n");
    let color = |pnl: f64| if pnl > 0.0 { GREEN } else { RED };
    let mae: Vec<Point<'_>> = t
        .excursions
        .iter()
        .map(|x| Point {
            x: x.mae,
            y: x.return_net.unwrap_or(0.0),
            color: color(x.pnl_net),
        })
        .collect();
    let mfe: Vec<Point<'_>> = t
        .excursions
        .iter()
        .map(|x| Point {
            x: x.mfe,
            y: x.return_net.unwrap_or(0.0),
            color: color(x.pnl_net),
        })
        .collect();
    out.push_str("<h3>Excursions against the outcome</h3>\n");
    out.push_str(&svg::legend(&[("winning trade", GREEN), ("losing trade", RED)]));
    out.push_str("<div class=\"grid2\"><div>\n");
    out.push_str(&svg::scatter(
        "mae",
        "Maximum adverse excursion against each trade's return",
        &mae,
        Fmt::Percent,
        Fmt::Percent,
        ("MAE (worst price against the position)", "trade return"),
        Size::half(300.0),
    ));
    out.push_str("</div><div>\n");
    out.push_str(&svg::scatter(
        "mfe",
        "Maximum favourable excursion against each trade's return",
        &mfe,
        Fmt::Percent,
        Fmt::Percent,
        ("MFE (best price for the position)", "trade return"),
        Size::half(300.0),
    ));
    out.push_str("</div></div>\n<p class=\"note\">Excursions from the bars' highs and lows while the trade was open, as a fraction of the entry price.</p>\n");
    let _ = writeln!(
        out,
        "<div class=\"cards\"><div class=\"card\"><b>{}</b><span>Longest winning streak</span></div><div class=\"card\"><b>{}</b><span>Longest losing streak</span></div></div>",
        t.streaks.longest_win, t.streaks.longest_loss
    );
    out.push_str("<h3>Contribution by asset</h3>\n");
    table(
        out,
        &["Asset", "Net PnL", "Trades", "Win rate", "Avg return", "Commission"],
        1,
        t.per_asset.iter().map(|c| {
            vec![
                c.asset.clone(),
                money(c.pnl_net),
                c.n_trades.to_string(),
                pct(Some(c.win_rate)),
                pct(c.avg_return),
                money(c.commission),
            ]
        }),
    );
    out.push_str("</section>\n");
}

fn trade_list(out: &mut String, input: &ReportInput<'_>) {
    let r = input.result;
    let ex = &input.analysis.trades.excursions;
    let n = r.trades.len();
    let cap = input.max_trade_rows.max(2);
    let _ = writeln!(out, "<section id=\"trade-list\">\n<h2>Trade list</h2>");
    let shown: Vec<usize> = if n <= cap {
        (0..n).collect()
    } else {
        let _ = writeln!(
            out,
            "<p class=\"note\">{n} trades: the first and last {} are listed; <code>ml4t run --out DIR</code> writes them all.</p>",
            cap / 2
        );
        (0..cap / 2).chain(n - cap / 2..n).collect()
    };
    if n == 0 {
        out.push_str("<p class=\"note\">No closed trades.</p>\n");
    }
    out.push_str("<div class=\"scroll\">\n");
    table(
        out,
        &[
            "#",
            "Asset",
            "Side",
            "Qty",
            "Entry",
            "Entry price",
            "Exit",
            "Exit price",
            "Bars",
            "Net PnL",
            "Return",
            "MAE",
            "MFE",
        ],
        3,
        shown.into_iter().filter_map(|i| {
            let t = r.trades.get(i)?;
            let x = ex.get(i);
            Some(vec![
                (i + 1).to_string(),
                r.asset_name(t.asset).to_owned(),
                if t.side == ml4t_engine::types::Side::Buy {
                    "long".into()
                } else {
                    "short".into()
                },
                format!("{}", t.qty),
                when(t.entry_ts),
                format!("{:.4}", t.entry_price),
                when(t.exit_ts),
                format!("{:.4}", t.exit_price),
                t.holding_bars().to_string(),
                money(t.pnl_net),
                pct(x.and_then(|x| x.return_net)),
                pct(x.map(|x| x.mae)),
                pct(x.map(|x| x.mfe)),
            ])
        }),
    );
    out.push_str("</div>\n");
    if !r.open_positions.is_empty() {
        out.push_str("<h3>Open at the end (not counted as trades)</h3>\n");
        table(
            out,
            &["Asset", "Qty", "Entry", "Entry price", "Last price", "Unrealised PnL"],
            1,
            r.open_positions.iter().map(|p| {
                vec![
                    r.asset_name(p.asset).to_owned(),
                    format!("{}", p.qty),
                    when(p.entry_ts),
                    format!("{:.4}", p.entry_price),
                    format!("{:.4}", p.last_price),
                    money(p.unrealized_pnl),
                ]
            }),
        );
    }
    out.push_str("</section>\n");
}

fn sweep_heatmap(out: &mut String, h: &SweepHeatmap) {
    let _ = writeln!(out, "<h3>{}</h3>", esc(&h.title));
    let vals: Vec<f64> = h
        .cells
        .iter()
        .flatten()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let (lo, hi) = vals
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let fmt = |v: f64| {
        if h.percent {
            format!("{:.1}%", v * 100.0)
        } else {
            format!("{v:.2}")
        }
    };
    let _ = write!(
        out,
        "<table class=\"heat sweep\" data-chart=\"sweep\"><thead><tr><th class=\"l\">{} \\ {}</th>",
        esc(&h.y_label),
        esc(&h.x_label)
    );
    for x in &h.x_values {
        let _ = write!(out, "<th>{}</th>", esc(x));
    }
    out.push_str("</tr></thead><tbody>\n");
    for (ri, row) in h.cells.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td>",
            esc(h.y_values.get(ri).map_or("", String::as_str))
        );
        for (ci, cell) in row.iter().enumerate() {
            let selected = h.selected == Some((ri, ci));
            let border = if selected { "outline:2px solid #1d2330;" } else { "" };
            match cell.filter(|v| v.is_finite()) {
                Some(v) => {
                    // Position in the grid's range, coloured from red (worst) to green (best).
                    let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                    let color = heat(t - 0.5, 0.5);
                    let _ = write!(out, "<td style=\"background:{color};{border}\">{}</td>", esc(&fmt(v)));
                }
                None => {
                    let _ = write!(out, "<td style=\"{border}\">-</td>");
                }
            }
        }
        out.push_str("</tr>\n");
    }
    let _ = writeln!(
        out,
        "</tbody></table>\n<p class=\"note\">{}; the outlined cell is this report's run.</p>",
        esc(&h.metric_label)
    );
}

fn folds(out: &mut String, f: &FoldTable) {
    let _ = writeln!(
        out,
        "<h3>{}</h3>",
        esc(if f.title.is_empty() {
            "Walk-forward folds"
        } else {
            &f.title
        })
    );
    let headers: Vec<&str> = f.columns.iter().map(String::as_str).collect();
    out.push_str("<div data-chart=\"folds\">\n");
    table(out, &headers, 1, f.rows.iter().cloned());
    out.push_str("</div>\n");
}

fn overfitting(out: &mut String, o: &OverfittingPanel) {
    out.push_str("<h3>Overfitting</h3>\n<div class=\"grid2\"><div>\n");
    let mut rows = vec![
        ("Probabilistic Sharpe ratio (PSR)".to_owned(), pct(o.psr)),
        ("Deflated Sharpe ratio (DSR)".to_owned(), pct(o.dsr)),
        ("Probability of backtest overfitting (PBO)".to_owned(), pct(o.pbo)),
        (
            "Trials".to_owned(),
            o.n_trials.map_or("-".to_owned(), |n| format!("{n:.0}")),
        ),
        (
            "Minimum track record (returns)".to_owned(),
            o.min_trl.map_or("-".to_owned(), |n| format!("{n:.0}")),
        ),
    ];
    rows.extend(o.extra.iter().cloned());
    kv_table(out, &rows);
    out.push_str("</div><div>\n");
    let h = ml4t_engine::results::analysis::Histogram::new(&o.logits, 20);
    out.push_str(&svg::histogram_chart(
        "logits",
        "Histogram of CSCV logits",
        &h,
        Fmt::Compact,
        PURPLE,
        "logit (below 0: the in-sample winner lost out of sample)",
        Size::half(240.0),
    ));
    out.push_str("</div></div>\n");
}

fn research_section(out: &mut String, r: &Research) {
    out.push_str("<section id=\"research\">\n<h2>Research: sweep, walk-forward, overfitting</h2>\n");
    for h in &r.heatmaps {
        sweep_heatmap(out, h);
    }
    if let Some(f) = &r.folds {
        folds(out, f);
    }
    if let Some(o) = &r.overfitting {
        overfitting(out, o);
    }
    out.push_str("</section>\n");
}

fn all_metrics(out: &mut String, input: &ReportInput<'_>) {
    let a = &input.analysis;
    let d = &a.returns.distribution;
    out.push_str("<section id=\"metrics\">\n<h2>All metrics</h2>\n<div class=\"grid2\"><div>\n");
    let rows: Vec<(String, String)> = input
        .metrics
        .rows()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    kv_table(out, &rows);
    out.push_str("</div><div>\n");
    let mut more = vec![
        ("Skewness".to_owned(), num(d.skewness)),
        ("Excess kurtosis".to_owned(), num(d.kurtosis)),
        (format!("VaR {:.0} %", d.confidence * 100.0), pct(d.var)),
        (format!("CVaR {:.0} %", d.confidence * 100.0), pct(d.cvar)),
        (
            "Longest winning streak".to_owned(),
            a.trades.streaks.longest_win.to_string(),
        ),
        (
            "Longest losing streak".to_owned(),
            a.trades.streaks.longest_loss.to_string(),
        ),
        ("Rolling window (periods)".to_owned(), a.rolling_window.to_string()),
        ("Rejected orders".to_owned(), input.result.rejections.len().to_string()),
        (
            "Open positions at the end".to_owned(),
            input.result.open_positions.len().to_string(),
        ),
    ];
    if let Some(b) = &a.benchmark {
        more.extend([
            ("Benchmark".to_owned(), b.label.clone()),
            ("Alpha (ann.)".to_owned(), pct(b.alpha)),
            ("Beta".to_owned(), num(b.beta)),
            ("Correlation".to_owned(), num(b.correlation)),
            ("Tracking error".to_owned(), pct(b.tracking_error)),
            ("Information ratio".to_owned(), num(b.information_ratio)),
            ("Up capture".to_owned(), num(b.up_capture)),
            ("Down capture".to_owned(), num(b.down_capture)),
        ]);
    }
    kv_table(out, &more);
    out.push_str("</div></div>\n</section>\n");
}
