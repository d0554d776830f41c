//! A live paper-trading session: the current strategy and broker settings on a WebSocket feed,
//! run by [`run_paper`] on a worker thread.
//!
//! The worker never waits for the UI. Its callbacks turn engine and feed events into small owned
//! messages: fills and connection events go through an unbounded channel (none may be lost),
//! account updates through a bounded one that drops updates while it is full (each update carries
//! running totals, so a dropped one costs only a plot point). `tick()` drains both into the
//! [`LiveSession`], which the Live tab draws.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::time::Instant;

use super::Workbench;
use crate::log::Log;
use crate::ui::live_ui::{LiveFill, LiveState, LiveSummary, LiveView};
use crate::ui::plots::time_axis::ts_to_x;
use crate::worker::Task;
use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::strategy::Strategy;
use ml4t_engine::types::TimestampNs;
use ml4t_live::paper::PaperEventFn;
use ml4t_live::{FeedEvent, LiveFeedConfig, PaperConfig, PaperEvent, run_paper};

/// Fills kept for the list in the Live tab.
pub const RECENT_FILLS: usize = 50;
/// Feed events kept for the Live tab.
pub const RECENT_EVENTS: usize = 100;
/// Account updates buffered for the UI; while full, new ones are dropped.
const POINTS_CHANNEL: usize = 1024;
/// Feed events buffered between the feed and the relay thread (the feed drops events when full).
const FEED_EVENTS_CHANNEL: usize = 256;

/// The account after one timestamp, with running totals.
#[derive(Debug, Clone, Copy)]
struct Point {
    timestamps: usize,
    bars: usize,
    ts: TimestampNs,
    equity: f64,
    cash: f64,
    positions: usize,
    trades: usize,
}

/// What must reach the UI.
enum Msg {
    Fill(LiveFill),
    Feed(FeedEvent),
}

/// What a session runs.
pub struct LiveSpec {
    pub url: String,
    pub journal: Option<PathBuf>,
    pub exit_at_end: bool,
    pub assets: Vec<String>,
    pub signals: Vec<String>,
    pub strategy: Box<dyn Strategy + Send>,
    pub broker: BrokerConfig,
    /// Identifies the strategy in the journal.
    pub strategy_id: String,
}

/// A live paper-trading session: what it has shown so far, and the worker running it.
pub struct LiveSession {
    pub view: LiveView,
    stop: Arc<AtomicBool>,
    task: Option<Task<LiveSummary>>,
    msgs: Option<Receiver<Msg>>,
    points: Option<Receiver<Point>>,
    connected_once: bool,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl LiveSession {
    fn empty(url: String) -> Self {
        LiveSession {
            view: LiveView {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                url,
                state: LiveState::Connecting,
                started: Instant::now(),
                timestamps: 0,
                bars: 0,
                fills: 0,
                trades: 0,
                positions: 0,
                cash: None,
                equity: None,
                last_ts: None,
                equity_xs: Vec::new(),
                equity_ys: Vec::new(),
                recent_fills: VecDeque::new(),
                reconnects: 0,
                rejected: 0,
                events: VecDeque::new(),
                summary: None,
            },
            stop: Arc::new(AtomicBool::new(false)),
            task: None,
            msgs: None,
            points: None,
            connected_once: false,
        }
    }

    /// A session that could not start.
    pub fn failed(url: String, error: String) -> Self {
        let mut s = Self::empty(url);
        s.view.state = LiveState::Error(error);
        s
    }

    /// Starts `spec` on a worker thread; `wake` is called whenever there is news.
    pub fn start(spec: LiveSpec, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let mut session = Self::empty(spec.url.clone());
        let (msg_tx, msg_rx) = channel();
        let (point_tx, point_rx) = sync_channel(POINTS_CHANNEL);
        let stop = session.stop.clone();
        let job_wake = wake.clone();
        let job = move |_: &crate::worker::JobHandle| run(spec, stop, msg_tx, point_tx, job_wake);
        match Task::spawn("ml4t-live", wake, job) {
            Ok(t) => {
                session.task = Some(t);
                session.msgs = Some(msg_rx);
                session.points = Some(point_rx);
            }
            Err(e) => session.view.state = LiveState::Error(e),
        }
        session
    }

    pub fn is_running(&self) -> bool {
        self.view.state.is_running()
    }

    /// Asks the feed to stop; the run then finishes with what it has.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if self.is_running() {
            self.view.state = LiveState::Stopping;
        }
    }

    /// Drains the worker's news into the session; notes connection events in `log`.
    pub fn poll(&mut self, log: &mut Log) {
        self.drain(log);
        let Some(result) = self.task.as_mut().and_then(Task::poll) else {
            return;
        };
        self.task = None;
        // The job has finished: everything it sent is in the channels now.
        self.drain(log);
        self.msgs = None;
        self.points = None;
        match result {
            Ok(summary) => {
                self.view.timestamps = summary.timestamps;
                self.view.bars = summary.bars;
                self.view.trades = summary.trades;
                self.view.equity = Some(summary.final_equity);
                let stopped = self.stop.load(Ordering::Relaxed);
                log.info(format!(
                    "live run {}: {} trades, final equity {:.2}, {} timestamps, {} bars in {:.1} s",
                    if stopped { "stopped" } else { "ended" },
                    summary.trades,
                    summary.final_equity,
                    summary.timestamps,
                    summary.bars,
                    summary.elapsed.as_secs_f64()
                ));
                self.view.state = LiveState::Ended { stopped };
                self.view.summary = Some(summary);
            }
            Err(e) => {
                log.error(format!("live run on {}: {e}", self.view.url));
                self.view.state = LiveState::Error(e);
            }
        }
    }

    fn drain(&mut self, log: &mut Log) {
        while let Some(msg) = self.msgs.as_ref().and_then(|rx| rx.try_recv().ok()) {
            match msg {
                Msg::Fill(f) => {
                    self.view.fills += 1;
                    if self.view.recent_fills.len() == RECENT_FILLS {
                        self.view.recent_fills.pop_front();
                    }
                    self.view.recent_fills.push_back(f);
                }
                Msg::Feed(ev) => self.feed_event(ev, log),
            }
        }
        while let Some(p) = self.points.as_ref().and_then(|rx| rx.try_recv().ok()) {
            self.view.timestamps = p.timestamps;
            self.view.bars = p.bars;
            self.view.trades = p.trades;
            self.view.positions = p.positions;
            self.view.cash = Some(p.cash);
            self.view.equity = Some(p.equity);
            self.view.last_ts = Some(p.ts);
            self.view.equity_xs.push(ts_to_x(p.ts.0));
            self.view.equity_ys.push(p.equity);
        }
    }

    fn feed_event(&mut self, ev: FeedEvent, log: &mut Log) {
        let text = ev.to_string();
        let stopping = self.view.state == LiveState::Stopping;
        match ev {
            FeedEvent::Connected { .. } => {
                if self.connected_once {
                    self.view.reconnects += 1;
                }
                self.connected_once = true;
                if !stopping {
                    self.view.state = LiveState::Connected;
                }
                log.info(format!("live: {text}"));
            }
            FeedEvent::Retrying {
                attempt, max, error, ..
            } => {
                if !stopping {
                    self.view.state = LiveState::Reconnecting { attempt, max, error };
                }
                log.warn(format!("live: {text}"));
            }
            FeedEvent::Waiting { .. } => {
                if !stopping {
                    self.view.state = LiveState::Waiting;
                }
                log.info(format!("live: {text}"));
            }
            FeedEvent::GaveUp { error } => {
                self.view.state = LiveState::Error(error);
                log.warn(format!("live: {text}"));
            }
            FeedEvent::Rejected { .. } => {
                self.view.rejected += 1;
                log.warn(format!("live: {text}"));
            }
            FeedEvent::Disconnected { .. } | FeedEvent::Dropped { .. } => log.warn(format!("live: {text}")),
            FeedEvent::EndOfStream { .. } | FeedEvent::IgnoredSignal { .. } => log.info(format!("live: {text}")),
        }
        if self.view.events.len() == RECENT_EVENTS {
            self.view.events.pop_front();
        }
        self.view.events.push_back(text);
    }
}

impl Drop for LiveSession {
    /// Stops the feed and waits for the worker (it ends within the feed's poll interval), so the
    /// journal is complete when the session is gone. Dropped only when not running or at exit.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(task) = self.task.take() {
            task.cancel_and_join();
        }
    }
}

/// The worker: runs the paper loop, forwarding events.
fn run(
    spec: LiveSpec,
    stop: Arc<AtomicBool>,
    msgs: Sender<Msg>,
    points: SyncSender<Point>,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Result<LiveSummary, String> {
    let started = Instant::now();
    let LiveSpec {
        url,
        journal,
        exit_at_end,
        assets,
        signals,
        mut strategy,
        broker,
        strategy_id,
    } = spec;
    let (feed_tx, feed_rx) = sync_channel(FEED_EVENTS_CHANNEL);
    let mut feed = LiveFeedConfig::new(url, assets, signals);
    feed.exit_at_end = exit_at_end;
    feed.stop = stop;
    feed.events = Some(feed_tx);
    let config = PaperConfig {
        feed,
        broker,
        journal,
        strategy_id,
    };
    std::thread::scope(|scope| {
        // The feed's event channel is bounded and never blocks the feed; the relay moves its
        // events to the unbounded channel and wakes the UI. It ends when the run drops the feed.
        let relay_msgs = msgs.clone();
        let relay_wake = wake.clone();
        std::thread::Builder::new()
            .name("ml4t-live-events".into())
            .spawn_scoped(scope, move || {
                for ev in feed_rx {
                    if relay_msgs.send(Msg::Feed(ev)).is_err() {
                        break;
                    }
                    relay_wake();
                }
            })
            .map_err(|e| format!("could not start a thread: {e}"))?;
        let mut bars_total = 0usize;
        let on_event: PaperEventFn = Box::new(move |ev: &PaperEvent<'_>| {
            match *ev {
                PaperEvent::Fill { fill, asset, replayed } => {
                    let _ = msgs.send(Msg::Fill(LiveFill {
                        ts: fill.ts,
                        asset: asset.to_owned(),
                        side: fill.side,
                        qty: fill.qty,
                        price: fill.price,
                        commission: fill.commission,
                        position_after: fill.position_after,
                        replayed,
                    }));
                }
                PaperEvent::Timestamp {
                    index,
                    ts,
                    bars,
                    equity,
                    cash,
                    positions,
                    trades,
                    ..
                } => {
                    bars_total += bars;
                    // Full: the UI is behind; the next update carries the totals.
                    let _ = points.try_send(Point {
                        timestamps: index + 1,
                        bars: bars_total,
                        ts,
                        equity,
                        cash,
                        positions,
                        trades,
                    });
                }
            }
            wake();
        });
        let run = run_paper(config, strategy.as_mut(), Some(on_event)).map_err(|e| e.to_string())?;
        let r = &run.result;
        Ok(LiveSummary {
            trades: r.trades.len(),
            fills: r.fills.len(),
            final_equity: r.final_equity(),
            initial_cash: broker.initial_cash,
            timestamps: r.timestamps,
            bars: r.bars,
            rejections: r.rejections.len(),
            replayed_timestamps: run.replayed_timestamps,
            elapsed: started.elapsed(),
        })
    })
}

impl Workbench {
    /// Starts a live session of the current strategy on the Live tab's URL.
    pub(super) fn start_live(&mut self) {
        if self.live.as_ref().is_some_and(LiveSession::is_running) {
            self.log.warn("a live session is already running: stop it first");
            return;
        }
        // Drop the finished session (if any) before starting another.
        self.live = None;
        let url = self.persisted.live_url.trim().to_owned();
        let session = match self.live_spec(url.clone()) {
            Ok(spec) => {
                self.log
                    .info(format!("live: paper trading '{}' on {url}", self.preset.name));
                LiveSession::start(spec, self.wake.clone())
            }
            Err(e) => {
                self.log.error(format!("live: {e}"));
                LiveSession::failed(url, e)
            }
        };
        self.live = Some(session);
    }

    fn live_spec(&self, url: String) -> Result<LiveSpec, String> {
        if url.is_empty() {
            return Err("no feed URL: type one such as ws://127.0.0.1:9001".into());
        }
        let Some(data) = &self.data else {
            return Err(
                "no data loaded: the live feed takes its asset and signal names from the loaded data; \
                 open a data file with the same columns first (Data tab)"
                    .into(),
            );
        };
        if let Some(problem) = &self.invalid {
            return Err(format!("the strategy cannot run: {problem}"));
        }
        let assets = data.bars.assets().to_vec();
        let signals = data.bars.signal_names().to_vec();
        let strategy = ml4t_preset::run::build_live_strategy(
            &self.preset_for_run().strategy,
            &signals,
            assets.len(),
            &self.preset_origin(),
        )
        .map_err(|e| format!("preparing the strategy: {e}"))?;
        let strategy_id =
            serde_json::to_string(&self.preset.strategy).map_err(|e| format!("describing the strategy: {e}"))?;
        let journal = self.persisted.live_journal.trim();
        Ok(LiveSpec {
            url,
            journal: (!journal.is_empty()).then(|| PathBuf::from(journal)),
            exit_at_end: self.persisted.live_exit_at_end,
            assets,
            signals,
            strategy,
            broker: self.preset.broker,
            strategy_id,
        })
    }

    pub(super) fn stop_live(&mut self) {
        if let Some(s) = &mut self.live
            && s.is_running()
        {
            s.stop();
            self.log.info("live: stopping");
        }
    }
}
