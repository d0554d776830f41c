//! The Live tab: paper trade the current strategy on a WebSocket feed (feed URL, optional
//! journal, Start and Stop), with the connection state, counts, live equity and the newest fills.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use eframe::egui;
use ml4t_engine::types::{Side, TimestampNs};

use super::command::Command;
use super::plots::{EQUITY, TimeAxes, YFormat, fmt_money, series::sub_key, time_plot_ui};

/// Fills listed, newest first.
const FILLS_SHOWN: usize = 20;
const PLOT_HEIGHT: f32 = 150.0;
const SCROLL_BAR_ROOM: f32 = 12.0;

/// What the Live tab reads and edits.
pub struct LivePanel<'a> {
    /// The current or last session.
    pub session: Option<&'a LiveView>,
    /// Feed URL, journal folder (empty: none), end at the end of the stream.
    pub url: &'a mut String,
    pub journal: &'a mut String,
    pub exit_at_end: &'a mut bool,
    pub has_data: bool,
    pub commands: &'a mut Vec<Command>,
}

/// Draws the Live tab; Start and Stop come back as commands.
pub fn live_ui(ui: &mut egui::Ui, app: &mut LivePanel<'_>) {
    ui.label(
        "Paper trading: the current strategy and broker settings on live bars. Fills are simulated; \
         no order leaves this program.",
    );
    ui.add_space(4.0);
    let running = app.session.is_some_and(LiveView::is_running);
    settings_ui(ui, app, running);
    ui.horizontal(|ui| {
        let start = ui
            .add_enabled(!running, egui::Button::new("Start"))
            .on_hover_text("Connect to the feed and paper trade the current strategy")
            .on_disabled_hover_text("A session is running: stop it first");
        if start.clicked() {
            app.commands.push(Command::StartLive);
        }
        let stopping = app.session.is_some_and(|s| s.state == LiveState::Stopping);
        let stop = ui
            .add_enabled(running && !stopping, egui::Button::new("Stop"))
            .on_hover_text("Close the connection; the run ends with what it has");
        if stop.clicked() {
            app.commands.push(Command::StopLive);
        }
    });
    if !app.has_data {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "No data loaded: the feed's asset and signal names come from the loaded data.",
        );
    }
    ui.separator();
    match app.session {
        Some(session) => session_ui(ui, session),
        None => {
            ui.label("Not connected.");
        }
    }
    ui.separator();
    ui.label("No feed? Stream a data file in a terminal, then press Start:");
    ui.code("ml4t replay --data <file> --port 9001 --rate 50");
}

fn settings_ui(ui: &mut egui::Ui, app: &mut LivePanel<'_>, running: bool) {
    egui::Grid::new("live-settings").num_columns(2).show(ui, |ui| {
        let label = ui.label("Feed URL");
        ui.add_enabled(
            !running,
            egui::TextEdit::singleline(&mut *app.url)
                .hint_text("ws://HOST:PORT")
                .desired_width(260.0),
        )
        .labelled_by(label.id)
        .on_hover_text("A WebSocket server speaking the live protocol (ml4t replay serves one)");
        ui.end_row();
        let label = ui.label("Journal folder");
        ui.add_enabled(
            !running,
            egui::TextEdit::singleline(&mut *app.journal)
                .hint_text("optional")
                .desired_width(260.0),
        )
        .labelled_by(label.id)
        .on_hover_text(
            "Every timestamp is written there; starting again with the same folder resumes after the last one",
        );
        ui.end_row();
    });
    ui.add_enabled(
        !running,
        egui::Checkbox::new(&mut *app.exit_at_end, "End at the end of the stream"),
    )
    .on_hover_text("Otherwise wait for more data until Stop");
}

fn session_ui(ui: &mut egui::Ui, s: &LiveView) {
    ui.horizontal(|ui| {
        ui.label("State:");
        let color = match &s.state {
            LiveState::Connected => super::plots::GOOD,
            LiveState::Reconnecting { .. } | LiveState::Stopping | LiveState::Connecting => ui.visuals().warn_fg_color,
            LiveState::Error(_) => ui.visuals().error_fg_color,
            LiveState::Waiting | LiveState::Ended { .. } => ui.visuals().text_color(),
        };
        ui.colored_label(color, egui::RichText::new(s.state.label()).strong());
        if s.is_running() {
            ui.spinner();
        }
    });
    match &s.state {
        LiveState::Error(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        LiveState::Reconnecting { error, .. } => {
            ui.weak(error);
        }
        _ => {}
    }
    if s.is_running() {
        ui.weak(format!("{} ({:.0} s)", s.url, s.started.elapsed().as_secs_f64()));
        // The clock above ticks on while no bar arrives (backoff, a quiet feed).
        ui.ctx().request_repaint_after(std::time::Duration::from_secs(1));
    } else {
        ui.weak(&s.url);
    }
    if let Some(sum) = &s.summary {
        ui.label(
            egui::RichText::new(format!(
                "Result: {} trades, final equity {} ({:+.2} %)",
                sum.trades,
                fmt_money(sum.final_equity),
                sum.total_return_pct()
            ))
            .strong(),
        );
        let mut detail = format!(
            "{} fills, {} timestamps, {} bars in {:.1} s",
            sum.fills,
            sum.timestamps,
            sum.bars,
            sum.elapsed.as_secs_f64()
        );
        if sum.rejections > 0 {
            detail += &format!(", {} orders rejected", sum.rejections);
        }
        if sum.replayed_timestamps > 0 {
            detail += &format!(", {} timestamps replayed from the journal", sum.replayed_timestamps);
        }
        ui.weak(detail);
    }
    egui::Grid::new("live-counts")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            let none = || "-".to_owned();
            let cells = [
                ("Bars", s.bars.to_string()),
                ("Timestamps", s.timestamps.to_string()),
                ("Fills", s.fills.to_string()),
                ("Trades", s.trades.to_string()),
                ("Equity", s.equity.map_or_else(none, fmt_money)),
                ("Cash", s.cash.map_or_else(none, fmt_money)),
                ("Positions", s.positions.to_string()),
                ("Reconnects", s.reconnects.to_string()),
            ];
            for (i, (name, value)) in cells.iter().enumerate() {
                ui.weak(*name);
                ui.monospace(value);
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
            ui.weak("Last bar");
            ui.monospace(s.last_ts.map_or_else(none, |t| t.to_iso()));
            ui.weak("Rejected");
            ui.monospace(s.rejected.to_string());
            ui.end_row();
        });
    ui.scope(|ui| equity_plot_ui(ui, s));
    fills_ui(ui, s);
    if !s.events.is_empty() {
        egui::CollapsingHeader::new(format!("Feed events ({})", s.events.len()))
            .id_salt("live-events")
            .show(ui, |ui| {
                for e in s.events.iter().rev() {
                    ui.weak(e);
                }
            });
    }
}

fn equity_plot_ui(ui: &mut egui::Ui, s: &LiveView) {
    if s.equity_xs.is_empty() {
        return;
    }
    let axes = TimeAxes {
        link: ui.make_persistent_id("live_time_link"),
        full_x: None,
        zoom_x: None,
        reset: false,
    };
    let key = sub_key((s.id, s.equity_xs.len()));
    let (xs, ys) = (&s.equity_xs, &s.equity_ys);
    // Room for the panel's scroll bar, which floats over the right edge.
    ui.set_max_width(ui.available_width() - SCROLL_BAR_ROOM);
    time_plot_ui(
        ui,
        "live_equity_plot",
        &axes,
        key,
        PLOT_HEIGHT,
        YFormat::Money,
        &[("equity", EQUITY)],
        move |pui, view| {
            let points = view.thin("equity", xs, ys);
            let y = view.y_range(&points);
            pui.line(egui_plot::Line::new("equity", points).color(EQUITY).width(1.5));
            y
        },
    );
}

fn fills_ui(ui: &mut egui::Ui, s: &LiveView) {
    ui.strong(format!(
        "Fills (newest first, {} of {})",
        s.recent_fills.len().min(FILLS_SHOWN),
        s.fills
    ));
    if s.recent_fills.is_empty() {
        ui.weak("No fills yet.");
        return;
    }
    egui::Grid::new("live-fills")
        .num_columns(5)
        .striped(true)
        .show(ui, |ui| {
            for h in ["Time", "Side", "Qty", "Asset", "Price"] {
                ui.weak(h);
            }
            ui.end_row();
            for f in s.recent_fills.iter().rev().take(FILLS_SHOWN) {
                ui.monospace(f.ts.to_iso());
                let side = f.side.to_string();
                let color = match f.side {
                    ml4t_engine::types::Side::Buy => super::plots::GOOD,
                    ml4t_engine::types::Side::Sell => super::plots::BAD,
                };
                ui.colored_label(color, if f.replayed { format!("{side} (journal)") } else { side });
                ui.monospace(super::plots::fmt_value(f.qty));
                ui.label(&f.asset);
                ui.monospace(super::plots::fmt_value(f.price));
                ui.end_row();
            }
        });
}

/// Where a session stands.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveState {
    /// Waiting for the first connection.
    Connecting,
    /// Receiving bars.
    Connected,
    /// The connection was lost or refused; attempt `attempt` of at most `max` comes next.
    Reconnecting { attempt: u32, max: u32, error: String },
    /// The server ended the stream; polling for more data until stopped.
    Waiting,
    /// Stop was pressed; the run is finishing.
    Stopping,
    /// The run finished: at the end of the stream, or stopped.
    Ended { stopped: bool },
    /// The run could not start or failed.
    Error(String),
}

impl LiveState {
    /// Whether the run is still going (Stop applies).
    pub fn is_running(&self) -> bool {
        !matches!(self, LiveState::Ended { .. } | LiveState::Error(_))
    }

    /// The state in a few words.
    pub fn label(&self) -> String {
        match self {
            LiveState::Connecting => "connecting".into(),
            LiveState::Connected => "connected".into(),
            LiveState::Reconnecting { attempt, max, .. } => format!("reconnecting (attempt {attempt} of {max})"),
            LiveState::Waiting => "end of stream: waiting for more data".into(),
            LiveState::Stopping => "stopping".into(),
            LiveState::Ended { stopped: false } => "ended (end of stream)".into(),
            LiveState::Ended { stopped: true } => "stopped".into(),
            LiveState::Error(_) => "error".into(),
        }
    }
}

/// One execution, owned (the engine's event borrows its data).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveFill {
    pub ts: TimestampNs,
    pub asset: String,
    pub side: Side,
    pub qty: f64,
    pub price: f64,
    pub commission: f64,
    pub position_after: f64,
    /// Re-executed from the journal at a restart.
    pub replayed: bool,
}

/// The finished run, as the Live tab sums it up.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSummary {
    /// Closed trades.
    pub trades: usize,
    pub fills: usize,
    pub final_equity: f64,
    pub initial_cash: f64,
    pub timestamps: usize,
    pub bars: usize,
    pub rejections: usize,
    /// Timestamps replayed from the journal before going live.
    pub replayed_timestamps: usize,
    pub elapsed: Duration,
}

impl LiveSummary {
    pub fn total_return_pct(&self) -> f64 {
        (self.final_equity / self.initial_cash - 1.0) * 100.0
    }
}

/// What a live session has shown so far: its state, running totals, the equity plot, the newest
/// fills and feed events. The app updates it from the session's worker; the Live tab draws it.
#[derive(Debug, Clone)]
pub struct LiveView {
    /// Distinguishes sessions (plot caches).
    pub id: u64,
    pub url: String,
    pub state: LiveState,
    pub started: Instant,
    pub timestamps: usize,
    pub bars: usize,
    pub fills: usize,
    /// Closed trades.
    pub trades: usize,
    pub positions: usize,
    pub cash: Option<f64>,
    pub equity: Option<f64>,
    pub last_ts: Option<TimestampNs>,
    /// Equity after each timestamp received (x: seconds since the epoch), for the plot.
    pub equity_xs: Vec<f64>,
    pub equity_ys: Vec<f64>,
    /// The newest fills, oldest first.
    pub recent_fills: VecDeque<LiveFill>,
    /// Connections after the first one.
    pub reconnects: usize,
    pub rejected: usize,
    /// The newest feed events, oldest first.
    pub events: VecDeque<String>,
    pub summary: Option<LiveSummary>,
}

impl LiveView {
    /// Whether the run is still going (Stop applies).
    pub fn is_running(&self) -> bool {
        self.state.is_running()
    }
}
