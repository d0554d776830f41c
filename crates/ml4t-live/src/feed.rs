//! [`LiveFeed`]: the engine's [`DataFeed`] over a WebSocket client that runs on its own thread.
//!
//! The connection thread reads the protocol of [`super::protocol`], assembles each timestamp's
//! bars, and hands complete timestamps to the engine through a bounded channel (so a slow
//! strategy slows the reading down instead of growing memory). It pings the server after a quiet
//! `heartbeat`, reconnects after `read_timeout` without any message or on a broken connection,
//! with exponential backoff and a bounded number of attempts, and on every (re)connection asks the
//! server to resume after the last complete timestamp: a partial timestamp is dropped and sent
//! again, a complete one is never sent twice. Bad messages are rejected, reported as
//! [`FeedEvent`]s, and skipped.

use std::collections::HashMap;
use std::fmt;
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tungstenite::{Message, WebSocket};

use super::LiveError;
use super::protocol::{BarMessage, Resume, ServerMessage};
use ml4t_engine::feed::{DataFeed, FeedError};
use ml4t_engine::market::{BarColumns, BarSlice, Bars};
use ml4t_engine::types::{AssetId, TimestampNs};

/// How often the connection thread and the consumer look at the stop flags.
const TICK: Duration = Duration::from_millis(25);
/// Complete timestamps buffered between the connection thread and the engine.
const CHANNEL_TIMESTAMPS: usize = 1024;
/// Default of [`LiveFeedConfig::max_clock_skew`]: a day, so that bars stamped at their period's
/// end or in a local time zone pass, while a bar from a wrong unit or year does not.
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(86_400);

/// Settings of a [`LiveFeed`]. [`LiveFeedConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct LiveFeedConfig {
    /// `ws://host:port[/path]` (no TLS).
    pub url: String,
    /// Asset names in ascending order: `AssetId(i)` is `assets[i]`. Bars of other assets are
    /// rejected.
    pub assets: Vec<String>,
    /// Signal names: `SignalId(i)` is `signals[i]`. Other signals in messages are ignored (reported
    /// once each); a configured signal absent from a bar is NaN.
    pub signals: Vec<String>,
    /// Ask for timestamps after this one only (a restart from a journal).
    pub resume_after: Option<TimestampNs>,
    /// Bars (and end-of-timestamp markers) stamped more than this ahead of the wall clock are
    /// rejected: one far-future bar would otherwise make every later bar "out of order" for
    /// good, and a journal would keep it across restarts. `None` accepts any time.
    pub max_clock_skew: Option<Duration>,
    /// Send a ping after this long without a message from the server.
    pub heartbeat: Duration,
    /// Reconnect after this long without any message (data, ping or pong).
    pub read_timeout: Duration,
    /// Timeout of the TCP connection and of the WebSocket handshake.
    pub connect_timeout: Duration,
    /// First wait before reconnecting; doubled after each failed attempt up to `backoff_max`.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Consecutive failed attempts (connections that delivered no complete timestamp) before the
    /// feed gives up with an error.
    pub max_attempts: u32,
    /// End the feed at `end_of_stream`. Otherwise the feed waits for more data, reconnecting every
    /// `idle_poll`, until stopped.
    pub exit_at_end: bool,
    pub idle_poll: Duration,
    /// When raised (Ctrl+C), the feed closes the connection and ends as at the end of the data.
    pub stop: Arc<AtomicBool>,
    /// Where connection and rejection events go. The feed never blocks on it: when it is full,
    /// events are counted and reported as dropped later.
    pub events: Option<SyncSender<FeedEvent>>,
}

impl LiveFeedConfig {
    pub fn new(url: impl Into<String>, assets: Vec<String>, signals: Vec<String>) -> Self {
        LiveFeedConfig {
            url: url.into(),
            assets,
            signals,
            resume_after: None,
            max_clock_skew: Some(DEFAULT_MAX_CLOCK_SKEW),
            heartbeat: Duration::from_secs(5),
            read_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            max_attempts: 10,
            exit_at_end: false,
            idle_poll: Duration::from_secs(5),
            stop: Arc::new(AtomicBool::new(false)),
            events: None,
        }
    }
}

/// What happened on the connection; for logs.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    Connected {
        url: String,
        resume_after: Option<TimestampNs>,
    },
    /// The connection was lost; bars of an incomplete timestamp were dropped (they come again).
    Disconnected {
        reason: String,
        dropped_bars: usize,
    },
    /// Waiting `delay` before connection attempt `attempt` (of at most `max`).
    Retrying {
        attempt: u32,
        max: u32,
        delay: Duration,
        error: String,
    },
    /// A message was rejected and skipped.
    Rejected {
        reason: String,
        message: String,
    },
    /// A signal the feed was not configured with; reported once per name, then ignored.
    IgnoredSignal {
        name: String,
    },
    EndOfStream {
        timestamps: usize,
    },
    /// End of stream without `exit_at_end`: polling for more data.
    Waiting {
        poll: Duration,
    },
    GaveUp {
        error: String,
    },
    /// Events lost because nobody read them.
    Dropped {
        events: usize,
    },
}

impl fmt::Display for FeedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedEvent::Connected { url, resume_after } => match resume_after {
                Some(t) => write!(f, "connected to {url}, resuming after {t}"),
                None => write!(f, "connected to {url}, from the start"),
            },
            FeedEvent::Disconnected { reason, dropped_bars } => {
                write!(f, "disconnected: {reason}")?;
                if *dropped_bars > 0 {
                    write!(
                        f,
                        " ({dropped_bars} bars of an incomplete timestamp dropped; they will be resent)"
                    )?;
                }
                Ok(())
            }
            FeedEvent::Retrying {
                attempt,
                max,
                delay,
                error,
            } => write!(
                f,
                "reconnecting in {} ms (attempt {attempt} of {max}): {error}",
                delay.as_millis()
            ),
            FeedEvent::Rejected { reason, message } => write!(f, "rejected message: {reason}: {message}"),
            FeedEvent::IgnoredSignal { name } => write!(f, "ignoring signal '{name}' (not configured)"),
            FeedEvent::EndOfStream { timestamps } => {
                write!(f, "the server ended the stream ({timestamps} timestamps received)")
            }
            FeedEvent::Waiting { poll } => write!(
                f,
                "end of stream: waiting for more data (checking every {} s; Ctrl+C stops)",
                poll.as_secs_f64()
            ),
            FeedEvent::GaveUp { error } => write!(f, "giving up: {error}"),
            FeedEvent::Dropped { events } => write!(f, "{events} log events dropped (nobody read them)"),
        }
    }
}

/// One asset's bar of a timestamp being assembled.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    asset: AssetId,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    signals: Vec<f64>,
}

/// A complete timestamp, rows in asset order.
#[derive(Debug, Clone, PartialEq)]
struct Batch {
    ts: i64,
    rows: Vec<Row>,
}

enum Msg {
    Batch(Batch),
    End,
    Failed(String),
}

/// What a message did to the timestamp being assembled.
#[derive(Debug, PartialEq)]
enum Handled {
    Nothing,
    Complete(Batch),
    End(Option<Batch>),
    /// The feed cannot work as configured (every bar of its first timestamp is of an unknown
    /// asset): stop with this message.
    Fatal(String),
}

/// The wall clock in ns since the epoch (0 if the system clock is before 1970).
fn wall_clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The protocol state of one feed, independent of sockets: assembles timestamps, rejects what
/// breaks the order. Survives reconnections.
struct Assembler {
    assets: Vec<String>,
    signal_index: HashMap<String, usize>,
    n_signals: usize,
    last_complete: Option<i64>,
    pending_ts: Option<i64>,
    pending: Vec<Row>,
    ignored: Vec<String>,
    /// New names in `ignored`, to report.
    notes: Vec<String>,
    /// `max_clock_skew` in ns.
    max_skew_ns: Option<i64>,
    /// The wall clock (a fixed one in tests).
    now_ns: fn() -> i64,
    /// A bar of a configured asset was accepted (or the run resumes after a complete timestamp).
    any_known: bool,
    /// Before any known bar: the timestamp of the first bars of unknown assets, and their names.
    unknown_first: Option<(i64, Vec<String>)>,
}

impl Assembler {
    fn new(
        assets: &[String],
        signals: &[String],
        resume_after: Option<TimestampNs>,
        max_clock_skew: Option<Duration>,
    ) -> Self {
        Assembler {
            max_skew_ns: max_clock_skew.map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
            now_ns: wall_clock_ns,
            any_known: resume_after.is_some(),
            unknown_first: None,
            assets: assets.to_vec(),
            signal_index: signals.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect(),
            n_signals: signals.len(),
            last_complete: resume_after.map(|t| t.0),
            pending_ts: None,
            pending: Vec::new(),
            ignored: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn handle(&mut self, text: &str) -> Result<Handled, String> {
        match ServerMessage::parse(text)? {
            ServerMessage::Bar(b) => self.bar(b),
            ServerMessage::EndOfTimestamp(ts) => {
                self.check_skew("end_of_timestamp", ts)?;
                if let Some(fatal) = self.all_unknown_before(ts.0.saturating_add(1)) {
                    return Ok(fatal);
                }
                let ts = ts.0;
                if let Some(last) = self.last_complete
                    && ts <= last
                {
                    return Err(format!(
                        "end_of_timestamp {} is not after the last complete timestamp {}",
                        TimestampNs(ts),
                        TimestampNs(last)
                    ));
                }
                match self.pending_ts {
                    Some(p) if ts < p => Err(format!(
                        "out of order: end_of_timestamp {} after bars of {}",
                        TimestampNs(ts),
                        TimestampNs(p)
                    )),
                    // The end of a later timestamp also ends the pending one.
                    Some(_) => Ok(Handled::Complete(self.take_pending())),
                    None => Ok(Handled::Nothing),
                }
            }
            ServerMessage::EndOfStream => {
                if let Some(fatal) = self.all_unknown_before(i64::MAX) {
                    return Ok(fatal);
                }
                Ok(Handled::End(self.pending_ts.is_some().then(|| self.take_pending())))
            }
        }
    }

    /// Rejects a time more than `max_clock_skew` ahead of the wall clock.
    fn check_skew(&self, what: &str, ts: TimestampNs) -> Result<(), String> {
        let Some(skew) = self.max_skew_ns else {
            return Ok(());
        };
        let now = (self.now_ns)();
        if ts.0 > now.saturating_add(skew) {
            return Err(format!(
                "{what} at {ts} is more than {} s ahead of the wall clock ({}); check the server's \
                 clock and time unit (the feed's max_clock_skew sets the limit)",
                skew / 1_000_000_000,
                TimestampNs(now)
            ));
        }
        Ok(())
    }

    /// When no bar of a configured asset came yet and the first bars (of unknown assets) are of a
    /// timestamp before `ts`, that first timestamp is complete and nothing of it is usable: the
    /// feed and the configuration name different assets.
    fn all_unknown_before(&self, ts: i64) -> Option<Handled> {
        if self.any_known {
            return None;
        }
        let (first, names) = self.unknown_first.as_ref()?;
        if *first >= ts {
            return None;
        }
        let feed = names.join(",");
        Some(Handled::Fatal(format!(
            "every bar of the first timestamp {} is of an asset the feed is not configured with: \
             the feed sends {}; configured: {}. Configure the feed's assets (`ml4t paper --assets \
             {feed}`, or data.assets in the preset)",
            TimestampNs(*first),
            names.join(", "),
            self.assets.join(", ")
        )))
    }

    fn bar(&mut self, b: BarMessage) -> Result<Handled, String> {
        let ts = b.timestamp.parse()?;
        self.check_skew("bar", ts)?;
        if let Some(fatal) = self.all_unknown_before(ts.0) {
            return Ok(fatal);
        }
        let asset = match &b.asset {
            Some(name) => match self.assets.binary_search(name) {
                Ok(i) => i,
                Err(_) => {
                    if !self.any_known {
                        let (_, names) = self.unknown_first.get_or_insert_with(|| (ts.0, Vec::new()));
                        if !names.contains(name) {
                            names.push(name.clone());
                        }
                    }
                    return Err(format!(
                        "unknown asset '{name}'; the feed trades {}",
                        self.assets.join(", ")
                    ));
                }
            },
            None if self.assets.len() == 1 => 0,
            None => return Err("bar without \"asset\" on a multi-asset feed".into()),
        };
        let name = &self.assets[asset];
        for (field, v) in [("open", b.open), ("high", b.high), ("low", b.low), ("close", b.close)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{name} at {ts}: {field} {v} is not a positive price"));
            }
        }
        if b.high < b.low {
            return Err(format!("{name} at {ts}: high {} below low {}", b.high, b.low));
        }
        for (field, v) in [("open", b.open), ("close", b.close)] {
            if v < b.low || v > b.high {
                return Err(format!(
                    "{name} at {ts}: {field} {v} outside [low {}, high {}]",
                    b.low, b.high
                ));
            }
        }
        let volume = b.volume.unwrap_or(0.0);
        if !(volume.is_finite() && volume >= 0.0) {
            return Err(format!("{name} at {ts}: volume {volume} is negative"));
        }
        if let Some(last) = self.last_complete
            && ts.0 <= last
        {
            return Err(if ts.0 == last {
                format!("duplicate: {name} at {ts}, a timestamp already complete")
            } else {
                format!(
                    "out of order: {name} at {ts}, before the last complete timestamp {}",
                    TimestampNs(last)
                )
            });
        }
        let mut out = Handled::Nothing;
        match self.pending_ts {
            Some(p) if ts.0 < p => {
                return Err(format!("out of order: {name} at {ts} after bars of {}", TimestampNs(p)));
            }
            Some(p) if ts.0 > p => out = Handled::Complete(self.take_pending()),
            Some(_) if self.pending.iter().any(|r| r.asset.index() == asset) => {
                return Err(format!("duplicate: a second bar of {name} at {ts}"));
            }
            _ => {}
        }
        let mut signals = vec![f64::NAN; self.n_signals];
        for (key, v) in b.signals {
            match self.signal_index.get(&key) {
                Some(&i) => signals[i] = v.unwrap_or(f64::NAN),
                None if !self.ignored.contains(&key) => {
                    self.ignored.push(key.clone());
                    self.notes.push(key);
                }
                None => {}
            }
        }
        self.any_known = true;
        self.pending_ts = Some(ts.0);
        self.pending.push(Row {
            asset: AssetId(asset as u32),
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            volume,
            signals,
        });
        Ok(out)
    }

    fn take_pending(&mut self) -> Batch {
        let ts = self.pending_ts.take().unwrap_or_default();
        let mut rows = std::mem::take(&mut self.pending);
        rows.sort_by_key(|r| r.asset);
        self.last_complete = Some(ts);
        Batch { ts, rows }
    }

    /// The connection broke: forget the incomplete timestamp (it will be resent).
    fn drop_pending(&mut self) -> usize {
        self.pending_ts = None;
        std::mem::take(&mut self.pending).len()
    }
}

/// Events to an optional channel without ever blocking.
struct Events {
    tx: Option<SyncSender<FeedEvent>>,
    dropped: usize,
}

impl Events {
    fn emit(&mut self, ev: FeedEvent) {
        let Some(tx) = &self.tx else { return };
        if self.dropped > 0 {
            match tx.try_send(FeedEvent::Dropped { events: self.dropped }) {
                Ok(()) => self.dropped = 0,
                Err(_) => {
                    self.dropped += 1;
                    return;
                }
            }
        }
        match tx.try_send(ev) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.dropped += 1,
            Err(TrySendError::Disconnected(_)) => self.tx = None,
        }
    }
}

/// Why a connection ended.
enum SessionEnd {
    Stopped,
    /// The feed cannot work as configured; the run stops with this message.
    Fatal(String),
    ConsumerGone,
    EndOfStream,
    Lost {
        reason: String,
        progressed: bool,
    },
}

/// The connection thread.
struct Worker {
    cfg: LiveFeedConfig,
    closing: Arc<AtomicBool>,
    tx: SyncSender<Msg>,
    asm: Assembler,
    events: Events,
    timestamps: usize,
    /// Polling for more data after an end of stream (without `exit_at_end`).
    waiting: bool,
}

impl Worker {
    fn stopping(&self) -> bool {
        self.cfg.stop.load(Ordering::Relaxed) || self.closing.load(Ordering::Relaxed)
    }

    /// Sleeps up to `d`, waking early when stopping. False if stopping.
    fn pause(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if self.stopping() {
                return false;
            }
            std::thread::sleep(TICK.min(until.saturating_duration_since(Instant::now())));
        }
        !self.stopping()
    }

    fn run(mut self) {
        let mut failures = 0u32;
        let mut backoff = self.cfg.backoff_initial;
        loop {
            if self.stopping() {
                return;
            }
            let error = match connect(&self.cfg) {
                Ok(ws) => match self.session(ws) {
                    SessionEnd::Stopped | SessionEnd::ConsumerGone => return,
                    SessionEnd::Fatal(msg) => {
                        self.events.emit(FeedEvent::GaveUp { error: msg.clone() });
                        let _ = self.tx.send(Msg::Failed(msg));
                        return;
                    }
                    SessionEnd::EndOfStream => {
                        // While polling for more data, only news is reported.
                        if !self.waiting {
                            self.events.emit(FeedEvent::EndOfStream {
                                timestamps: self.timestamps,
                            });
                        }
                        if self.cfg.exit_at_end {
                            let _ = self.tx.send(Msg::End);
                            return;
                        }
                        if !self.waiting {
                            self.events.emit(FeedEvent::Waiting {
                                poll: self.cfg.idle_poll,
                            });
                            self.waiting = true;
                        }
                        failures = 0;
                        backoff = self.cfg.backoff_initial;
                        if !self.pause(self.cfg.idle_poll) {
                            return;
                        }
                        continue;
                    }
                    SessionEnd::Lost { reason, progressed } => {
                        let dropped_bars = self.asm.drop_pending();
                        self.events.emit(FeedEvent::Disconnected {
                            reason: reason.clone(),
                            dropped_bars,
                        });
                        if progressed {
                            failures = 0;
                            backoff = self.cfg.backoff_initial;
                        }
                        reason
                    }
                },
                Err(e) => e,
            };
            failures += 1;
            if failures > self.cfg.max_attempts {
                let msg = format!(
                    "could not reach {} after {} attempts: {error}",
                    self.cfg.url, self.cfg.max_attempts
                );
                self.events.emit(FeedEvent::GaveUp { error: msg.clone() });
                let _ = self.tx.send(Msg::Failed(msg));
                return;
            }
            self.events.emit(FeedEvent::Retrying {
                attempt: failures,
                max: self.cfg.max_attempts,
                delay: backoff,
                error,
            });
            if !self.pause(backoff) {
                return;
            }
            backoff = (backoff * 2).min(self.cfg.backoff_max);
        }
    }

    fn session(&mut self, mut ws: WebSocket<TcpStream>) -> SessionEnd {
        let resume_after = self.asm.last_complete.map(TimestampNs);
        if let Err(e) = ws.send(Message::text(Resume::after(resume_after).to_json())) {
            return SessionEnd::Lost {
                reason: format!("sending the resume request: {e}"),
                progressed: false,
            };
        }
        if !self.waiting {
            self.events.emit(FeedEvent::Connected {
                url: self.cfg.url.clone(),
                resume_after,
            });
        }
        let mut progressed = false;
        let mut last_rx = Instant::now();
        let mut last_ping = Instant::now();
        loop {
            if self.stopping() {
                let _ = ws.close(None);
                let _ = ws.flush();
                return SessionEnd::Stopped;
            }
            let lost = |reason: String| SessionEnd::Lost { reason, progressed };
            match ws.read() {
                Ok(Message::Text(text)) => {
                    last_rx = Instant::now();
                    let handled = self.asm.handle(text.as_str());
                    for name in std::mem::take(&mut self.asm.notes) {
                        self.events.emit(FeedEvent::IgnoredSignal { name });
                    }
                    match handled {
                        Ok(Handled::Nothing) => {}
                        Ok(Handled::Complete(batch)) => {
                            progressed = true;
                            if !self.deliver(batch) {
                                return SessionEnd::ConsumerGone;
                            }
                        }
                        Ok(Handled::End(batch)) => {
                            if let Some(batch) = batch
                                && !self.deliver(batch)
                            {
                                return SessionEnd::ConsumerGone;
                            }
                            let _ = ws.close(None);
                            let _ = ws.flush();
                            return SessionEnd::EndOfStream;
                        }
                        Ok(Handled::Fatal(msg)) => {
                            let _ = ws.close(None);
                            let _ = ws.flush();
                            return SessionEnd::Fatal(msg);
                        }
                        Err(reason) => self.events.emit(FeedEvent::Rejected {
                            reason,
                            message: excerpt(text.as_str()),
                        }),
                    }
                }
                Ok(Message::Binary(b)) => {
                    last_rx = Instant::now();
                    self.events.emit(FeedEvent::Rejected {
                        reason: "binary message; the protocol is JSON text".into(),
                        message: format!("{} bytes", b.len()),
                    });
                }
                Ok(Message::Close(_)) => return lost("the server closed the connection".into()),
                Ok(_) => last_rx = Instant::now(),
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    let quiet = last_rx.elapsed();
                    if quiet >= self.cfg.read_timeout {
                        return lost(format!("no message for {:.1} s", quiet.as_secs_f64()));
                    }
                    if quiet >= self.cfg.heartbeat && last_ping.elapsed() >= self.cfg.heartbeat {
                        last_ping = Instant::now();
                        if let Err(e) = ws.send(Message::Ping(Vec::new().into())) {
                            return lost(format!("ping: {e}"));
                        }
                    }
                }
                Err(e) => return lost(e.to_string()),
            }
        }
    }

    /// Hands a complete timestamp to the engine; false when the engine is gone.
    fn deliver(&mut self, batch: Batch) -> bool {
        self.timestamps += 1;
        self.waiting = false;
        self.tx.send(Msg::Batch(batch)).is_ok()
    }
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

/// `ws://host:port/path` to the socket addresses of `host:port`.
fn resolve(url: &str) -> Result<Vec<SocketAddr>, String> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("wss://") {
        return Err(format!(
            "{url}: TLS (wss://) is not supported; connect to a plain ws:// endpoint (a local TLS proxy can bridge)"
        ));
    }
    let Some(rest) = lower.strip_prefix("ws://").map(|_| &url[5..]) else {
        return Err(format!("{url}: not a WebSocket URL; use ws://HOST:PORT"));
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let port_of = |p: &str| p.parse::<u16>().map_err(|_| format!("{url}: bad port '{p}'"));
    let (host, port) = match authority.strip_prefix('[') {
        // [v6]:port
        Some(v6) => {
            let (h, after) = v6.split_once(']').ok_or_else(|| format!("{url}: unclosed '['"))?;
            match after.strip_prefix(':') {
                Some(p) => (h, port_of(p)?),
                None => (h, 80),
            }
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, port_of(p)?),
            None => (authority, 80),
        },
    };
    if host.is_empty() {
        return Err(format!("{url}: no host; use ws://HOST:PORT"));
    }
    (host, port)
        .to_socket_addrs()
        .map(Iterator::collect)
        .map_err(|e| format!("{url}: cannot resolve '{host}': {e}"))
}

fn connect(cfg: &LiveFeedConfig) -> Result<WebSocket<TcpStream>, String> {
    let addrs = resolve(&cfg.url)?;
    let mut last = format!("{}: no address", cfg.url);
    for addr in addrs {
        let stream = match TcpStream::connect_timeout(&addr, cfg.connect_timeout) {
            Ok(s) => s,
            Err(e) => {
                last = format!("connecting to {addr}: {e}");
                continue;
            }
        };
        let setup = stream
            .set_nodelay(true)
            .and_then(|()| stream.set_read_timeout(Some(cfg.connect_timeout)))
            .and_then(|()| stream.set_write_timeout(Some(cfg.connect_timeout)));
        if let Err(e) = setup {
            last = format!("{addr}: {e}");
            continue;
        }
        match tungstenite::client(cfg.url.as_str(), stream) {
            Ok((ws, _)) => {
                if let Err(e) = ws.get_ref().set_read_timeout(Some(TICK)) {
                    last = format!("{addr}: {e}");
                    continue;
                }
                return Ok(ws);
            }
            Err(e) => last = format!("WebSocket handshake with {addr}: {e}"),
        }
    }
    Err(last)
}

/// The asset names (sorted) and signal names (sorted) of the feed's first timestamp: the
/// universe when nothing configures it. Connects to `config.url`, asks for the stream from
/// `config.resume_after`, reads until the first timestamp is complete, and disconnects; waits at
/// most `config.read_timeout` for it.
pub fn first_timestamp_names(config: &LiveFeedConfig) -> Result<(Vec<String>, Vec<String>), LiveError> {
    let fail = |problem: String| LiveError::Config(format!("reading the first timestamp of {}: {problem}", config.url));
    let mut ws = connect(config).map_err(fail)?;
    ws.send(Message::text(Resume::after(config.resume_after).to_json()))
        .map_err(|e| fail(format!("sending the resume request: {e}")))?;
    let started = Instant::now();
    let mut first: Option<i64> = None;
    let (mut assets, mut signals) = (Vec::<String>::new(), Vec::<String>::new());
    loop {
        if started.elapsed() >= config.read_timeout || config.stop.load(Ordering::Relaxed) {
            let _ = ws.close(None);
            return Err(fail(format!(
                "no complete timestamp within {:.1} s",
                config.read_timeout.as_secs_f64()
            )));
        }
        let text = match ws.read() {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) => return Err(fail("the server closed the connection".into())),
            Ok(_) => continue,
            Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                continue;
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        let done = match ServerMessage::parse(text.as_str()) {
            Ok(ServerMessage::Bar(b)) => {
                let Ok(ts) = b.timestamp.parse() else { continue };
                match first {
                    Some(f) if ts.0 > f => true,
                    Some(f) if ts.0 < f => continue,
                    _ => {
                        first = Some(ts.0);
                        let Some(name) = b.asset else {
                            return Err(fail(
                                "its bars carry no asset name; name the asset (`ml4t paper --assets NAME`)".into(),
                            ));
                        };
                        if !assets.contains(&name) {
                            assets.push(name);
                        }
                        for key in b.signals.into_keys() {
                            if !signals.contains(&key) {
                                signals.push(key);
                            }
                        }
                        false
                    }
                }
            }
            Ok(ServerMessage::EndOfTimestamp(_)) => first.is_some(),
            Ok(ServerMessage::EndOfStream) => true,
            Err(_) => false,
        };
        if done {
            let _ = ws.close(None);
            let _ = ws.flush();
            if assets.is_empty() {
                return Err(fail("the stream has no bars".into()));
            }
            assets.sort();
            signals.sort();
            return Ok((assets, signals));
        }
    }
}

/// A [`DataFeed`] of live bars from a WebSocket server (see the module docs).
pub struct LiveFeed {
    assets: Vec<String>,
    signals: Vec<String>,
    history: Option<Bars>,
    history_next: usize,
    bars: Bars,
    next_index: usize,
    rx: Receiver<Msg>,
    stop: Arc<AtomicBool>,
    closing: Arc<AtomicBool>,
    done: bool,
    thread: Option<JoinHandle<()>>,
}

impl LiveFeed {
    /// Starts the connection thread. Fails only on a bad configuration (names, URL); connection
    /// problems are retried in the background and end the feed with an error when retries run out.
    pub fn connect(config: LiveFeedConfig) -> Result<Self, LiveError> {
        Self::start(config, None)
    }

    /// First yields `history` (timestamps already processed, e.g. from a journal), then live bars
    /// after its last timestamp, numbered on from it.
    pub fn resume(mut config: LiveFeedConfig, history: Bars) -> Result<Self, LiveError> {
        if history.assets() != config.assets.as_slice() || history.signal_names() != config.signals.as_slice() {
            return Err(LiveError::Config(
                "the history's assets or signals differ from the feed's".into(),
            ));
        }
        if let Some((_, last)) = history.time_range() {
            config.resume_after = Some(config.resume_after.map_or(last, |r| r.max(last)));
        }
        Self::start(config, Some(history))
    }

    fn start(config: LiveFeedConfig, history: Option<Bars>) -> Result<Self, LiveError> {
        if config.assets.is_empty() {
            return Err(LiveError::Config("the live feed needs at least one asset name".into()));
        }
        if let Some(w) = config.assets.windows(2).find(|w| w[0] >= w[1]) {
            return Err(LiveError::Config(format!(
                "asset names must be unique and in ascending order; '{}' breaks the order",
                w[1]
            )));
        }
        resolve(&config.url).map_err(LiveError::Config)?;
        let bars = Bars::new(
            config.assets.clone(),
            config.signals.clone(),
            BarColumns::with_capacity(config.assets.len(), config.signals.len()),
        )
        .map_err(|e| LiveError::Config(e.to_string()))?;
        let (tx, rx) = sync_channel(CHANNEL_TIMESTAMPS);
        let closing = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            asm: Assembler::new(
                &config.assets,
                &config.signals,
                config.resume_after,
                config.max_clock_skew,
            ),
            events: Events {
                tx: config.events.clone(),
                dropped: 0,
            },
            closing: closing.clone(),
            tx,
            timestamps: 0,
            waiting: false,
            cfg: config.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("ml4t-live-feed".into())
            .spawn(move || worker.run())
            .map_err(|e| LiveError::Config(format!("cannot start the feed thread: {e}")))?;
        Ok(LiveFeed {
            next_index: history.as_ref().map_or(0, Bars::n_timestamps),
            assets: config.assets,
            signals: config.signals,
            history,
            history_next: 0,
            bars,
            rx,
            stop: config.stop,
            closing,
            done: false,
            thread: Some(thread),
        })
    }

    /// The flag that stops the feed cleanly (shared with the configuration's `stop`).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    fn load(&mut self, batch: &Batch) -> Result<(), FeedError> {
        let mut cols = self.bars.take_columns();
        for r in &batch.rows {
            cols.push(batch.ts, r.asset, r.open, r.high, r.low, r.close, r.volume, &r.signals);
        }
        self.bars
            .set_columns(cols)
            .map_err(|e| FeedError(format!("live bars at {}: {e}", TimestampNs(batch.ts))))
    }
}

impl DataFeed for LiveFeed {
    fn assets(&self) -> &[String] {
        &self.assets
    }

    fn signal_names(&self) -> &[String] {
        &self.signals
    }

    fn next_timestamp(&mut self) -> Result<Option<BarSlice<'_>>, FeedError> {
        if self.history_next < self.history.as_ref().map_or(0, Bars::n_timestamps) {
            self.history_next += 1;
            let i = self.history_next - 1;
            return Ok(self.history.as_ref().and_then(|h| h.timestamp(i)));
        }
        loop {
            if self.done {
                return Ok(None);
            }
            if self.stop.load(Ordering::Relaxed) {
                self.done = true;
                return Ok(None);
            }
            match self.rx.recv_timeout(TICK) {
                Ok(Msg::Batch(batch)) => {
                    self.load(&batch)?;
                    let index = self.next_index;
                    self.next_index += 1;
                    return Ok(Some(BarSlice::new(&self.bars, 0..batch.rows.len(), index)));
                }
                Ok(Msg::End) => self.done = true,
                Ok(Msg::Failed(e)) => {
                    self.done = true;
                    return Err(FeedError(e));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.done = true;
                    if self.stop.load(Ordering::Relaxed) {
                        return Ok(None);
                    }
                    return Err(FeedError("the live feed's connection thread stopped".into()));
                }
            }
        }
    }
}

impl Drop for LiveFeed {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::Relaxed);
        // Unblock a connection thread waiting for room in the channel.
        let (_, empty) = sync_channel(0);
        drop(std::mem::replace(&mut self.rx, empty));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asm() -> Assembler {
        Assembler::new(&["A".into(), "B".into()], &["s".into()], None, None)
    }

    fn bar(ts: &str, asset: &str, close: f64) -> String {
        format!(
            "{{\"type\":\"bar\",\"timestamp\":\"{ts}\",\"asset\":\"{asset}\",\"open\":{close},\"high\":{close},\
             \"low\":{close},\"close\":{close},\"volume\":1,\"signals\":{{\"s\":0.5,\"extra\":1}}}}"
        )
    }

    fn complete(h: Result<Handled, String>) -> Batch {
        match h {
            Ok(Handled::Complete(b)) => b,
            other => panic!("expected a complete timestamp, got {other:?}"),
        }
    }

    #[test]
    fn assembler_completes_on_later_timestamp_and_on_end_marker() {
        let mut a = asm();
        assert_eq!(a.handle(&bar("2024-01-02T09:31:00", "B", 2.0)), Ok(Handled::Nothing));
        assert_eq!(a.notes, vec!["extra".to_string()]);
        assert_eq!(a.handle(&bar("2024-01-02T09:31:00", "A", 1.0)), Ok(Handled::Nothing));
        let b = complete(a.handle(&bar("2024-01-02T09:32:00", "A", 1.5)));
        // rows sorted by asset, signals resolved
        assert_eq!(b.rows.iter().map(|r| r.asset.0).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(b.rows[0].signals, vec![0.5]);
        let b = complete(a.handle("{\"type\":\"end_of_timestamp\",\"timestamp\":\"2024-01-02T09:32:00\"}"));
        assert_eq!((b.rows.len(), b.rows[0].close), (1, 1.5));
        assert!(matches!(
            a.handle("{\"type\":\"end_of_stream\"}"),
            Ok(Handled::End(None))
        ));
    }

    #[test]
    fn assembler_rejects_duplicates_and_out_of_order() {
        let mut a = asm();
        a.handle(&bar("2024-01-02T09:31:00", "A", 1.0)).unwrap();
        let e = a.handle(&bar("2024-01-02T09:31:00", "A", 1.0)).unwrap_err();
        assert!(e.contains("duplicate"), "{e}");
        a.handle(&bar("2024-01-02T09:32:00", "A", 1.0)).unwrap();
        let e = a.handle(&bar("2024-01-02T09:31:00", "B", 1.0)).unwrap_err();
        assert!(e.contains("duplicate") && e.contains("already complete"), "{e}");
        let e = a.handle(&bar("2024-01-02T09:30:00", "B", 1.0)).unwrap_err();
        assert!(e.contains("out of order"), "{e}");
        let e = a.handle(&bar("2024-01-02T09:31:30", "B", 1.0)).unwrap_err();
        assert!(e.contains("out of order"), "{e}");
        let e = a.handle(&bar("2024-01-02T09:33:00", "C", 1.0)).unwrap_err();
        assert!(e.contains("unknown asset 'C'"), "{e}");
        // A bad bar changes nothing: the pending timestamp still has its one bar.
        assert_eq!(a.pending.len(), 1);
        assert_eq!(a.drop_pending(), 1);
        // After a reconnect the server resends the incomplete timestamp.
        assert_eq!(a.handle(&bar("2024-01-02T09:32:00", "A", 1.0)), Ok(Handled::Nothing));
    }

    #[test]
    fn assembler_rejects_bars_ahead_of_the_wall_clock() {
        // The wall clock at 2024-01-02T10:00:00, one hour of skew allowed.
        let mut a = Assembler::new(
            &["A".into(), "B".into()],
            &["s".into()],
            None,
            Some(Duration::from_secs(3600)),
        );
        a.now_ns = || 1_704_189_600_000_000_000;
        a.handle(&bar("2024-01-02T09:31:00", "A", 1.0)).unwrap();
        let e = a.handle(&bar("2200-01-01T00:00:00", "B", 1.0)).unwrap_err();
        assert!(e.contains("2200-01-01") && e.contains("ahead of the wall clock"), "{e}");
        let e = a
            .handle("{\"type\":\"end_of_timestamp\",\"timestamp\":\"2200-01-01T00:00:00\"}")
            .unwrap_err();
        assert!(e.contains("ahead of the wall clock"), "{e}");
        // Within the skew is fine, and the far-future bar did not poison the order.
        assert_eq!(a.handle(&bar("2024-01-02T09:31:00", "B", 1.0)), Ok(Handled::Nothing));
        let b = complete(a.handle(&bar("2024-01-02T10:59:00", "A", 1.0)));
        assert_eq!(b.rows.len(), 2);
    }

    #[test]
    fn assembler_stops_when_the_first_timestamp_is_all_unknown_assets() {
        let fatal = |h: Result<Handled, String>| match h {
            Ok(Handled::Fatal(m)) => m,
            other => panic!("expected a fatal error, got {other:?}"),
        };
        // Ended by a later bar.
        let mut a = asm();
        assert!(
            a.handle(&bar("2024-01-02T09:31:00", "GOOG", 1.0))
                .unwrap_err()
                .contains("unknown asset")
        );
        assert!(a.handle(&bar("2024-01-02T09:31:00", "MSFT", 1.0)).is_err());
        let m = fatal(a.handle(&bar("2024-01-02T09:32:00", "GOOG", 1.0)));
        assert!(m.contains("the feed sends GOOG, MSFT; configured: A, B"), "{m}");
        assert!(m.contains("--assets GOOG,MSFT"), "{m}");
        // Ended by its end marker, or by the end of the stream.
        let mut a = asm();
        a.handle(&bar("2024-01-02T09:31:00", "GOOG", 1.0)).unwrap_err();
        fatal(a.handle("{\"type\":\"end_of_timestamp\",\"timestamp\":\"2024-01-02T09:31:00\"}"));
        let mut a = asm();
        a.handle(&bar("2024-01-02T09:31:00", "GOOG", 1.0)).unwrap_err();
        fatal(a.handle("{\"type\":\"end_of_stream\"}"));
        // One known bar in the first timestamp: unknown ones are only rejected, then and later.
        let mut a = asm();
        a.handle(&bar("2024-01-02T09:31:00", "GOOG", 1.0)).unwrap_err();
        a.handle(&bar("2024-01-02T09:31:00", "A", 1.0)).unwrap();
        complete(a.handle(&bar("2024-01-02T09:32:00", "A", 1.0)));
        assert!(a.handle(&bar("2024-01-02T09:33:00", "GOOG", 1.0)).is_err());
        assert!(a.handle(&bar("2024-01-02T09:34:00", "A", 1.0)).is_ok());
    }

    #[test]
    fn assembler_rejects_bad_prices() {
        let mut a = asm();
        for (text, needle) in [
            (bar("2024-01-02T09:31:00", "A", -1.0), "not a positive price"),
            (
                "{\"type\":\"bar\",\"timestamp\":\"2024-01-02\",\"asset\":\"A\",\"open\":1,\"high\":1,\"low\":2,\"close\":1}"
                    .into(),
                "below low",
            ),
            (
                "{\"type\":\"bar\",\"timestamp\":\"2024-01-02\",\"open\":1,\"high\":1,\"low\":1,\"close\":1}".into(),
                "without \"asset\"",
            ),
        ] {
            let e = a.handle(&text).unwrap_err();
            assert!(e.contains(needle), "{e}");
        }
        assert!(a.pending.is_empty());
    }

    #[test]
    fn live_url_parsing() {
        assert_eq!(resolve("ws://127.0.0.1:9001").unwrap()[0].port(), 9001);
        assert_eq!(resolve("ws://127.0.0.1:9001/bars?x=1").unwrap()[0].port(), 9001);
        assert_eq!(resolve("ws://[::1]:9002").unwrap()[0].port(), 9002);
        assert!(resolve("wss://127.0.0.1:1").unwrap_err().contains("TLS"));
        assert!(resolve("http://127.0.0.1:1").unwrap_err().contains("ws://"));
        assert!(resolve("ws://127.0.0.1:port").unwrap_err().contains("bad port"));
    }
}
