//! The replay server: streams [`Bars`] in the live protocol to every client that connects, one
//! thread per client, so that the live path can be run and tested against recorded data.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use ml4t_engine::market::Bars;
//! # use ml4t_live::replay::{ReplayOptions, serve};
//! # fn demo(bars: Bars) -> Result<(), Box<dyn std::error::Error>> {
//! let server = serve(Arc::new(bars), ReplayOptions::default())?; // port 0: any free port
//! println!("streaming on {}", server.url());
//! # Ok(()) }
//! ```
//!
//! A client may send `{"type":"resume","after":"<timestamp>"}` within `hello_wait` of connecting
//! to get only later timestamps. Each timestamp's bars are followed by `end_of_timestamp`, the
//! stream by `end_of_stream`, after which the server closes the connection.

use std::fmt;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tungstenite::{Message, WebSocket};

use super::LiveError;
use super::protocol::{END_OF_STREAM, Resume, encode_bar, encode_end_of_timestamp};
use ml4t_engine::market::Bars;
use ml4t_engine::types::TimestampNs;

const POLL: Duration = Duration::from_millis(10);

/// Settings of the replay server.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Address to listen on (127.0.0.1 by default).
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one (see [`ReplayServer::port`]).
    pub port: u16,
    /// Bars per second for each client; `None` sends as fast as the client reads.
    pub rate: Option<f64>,
    /// Ping a client after this long without sending it anything (paced streams).
    pub heartbeat: Duration,
    /// How long to wait for a client's resume request before streaming from the start.
    pub hello_wait: Duration,
    /// Outage drill: stop the whole server, abruptly, once this many bar messages have been sent
    /// over all connections.
    pub stop_after_bars: Option<usize>,
    /// Connection events, for logs (never blocks; events are dropped when it is full).
    pub events: Option<SyncSender<ReplayEvent>>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            rate: None,
            heartbeat: Duration::from_secs(5),
            hello_wait: Duration::from_millis(500),
            stop_after_bars: None,
            events: None,
        }
    }
}

/// What the server did; for logs.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayEvent {
    Connected {
        peer: SocketAddr,
        resume_after: Option<TimestampNs>,
    },
    /// The client got the whole stream.
    Finished { peer: SocketAddr, bars: usize },
    /// The connection ended early.
    Lost {
        peer: SocketAddr,
        bars: usize,
        reason: String,
    },
    /// The drill limit was reached: the server stops.
    DrillStop { bars: usize },
}

impl fmt::Display for ReplayEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayEvent::Connected { peer, resume_after } => match resume_after {
                Some(t) => write!(f, "{peer}: connected, resuming after {t}"),
                None => write!(f, "{peer}: connected, streaming from the start"),
            },
            ReplayEvent::Finished { peer, bars } => write!(f, "{peer}: stream complete ({bars} bars)"),
            ReplayEvent::Lost { peer, bars, reason } => write!(f, "{peer}: ended after {bars} bars: {reason}"),
            ReplayEvent::DrillStop { bars } => write!(f, "stopping the server after {bars} bars (--stop-after-bars)"),
        }
    }
}

struct Shared {
    bars: Arc<Bars>,
    opts: ReplayOptions,
    stop: Arc<AtomicBool>,
    bars_sent: AtomicUsize,
}

impl Shared {
    fn emit(&self, ev: ReplayEvent) {
        if let Some(tx) = &self.opts.events {
            let _ = tx.try_send(ev);
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// A running replay server. Dropping it stops the server and closes every connection.
pub struct ReplayServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

/// Starts a replay server for `bars` on `opts.bind:opts.port`.
pub fn serve(bars: Arc<Bars>, opts: ReplayOptions) -> Result<ReplayServer, LiveError> {
    let listener = TcpListener::bind((opts.bind, opts.port)).map_err(|e| LiveError::Io {
        what: format!("listening on {}:{}", opts.bind, opts.port),
        source: e,
    })?;
    let addr = listener.local_addr().map_err(|e| LiveError::Io {
        what: "reading the bound address".into(),
        source: e,
    })?;
    listener.set_nonblocking(true).map_err(|e| LiveError::Io {
        what: format!("configuring {addr}"),
        source: e,
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(Shared {
        bars,
        opts,
        stop: stop.clone(),
        bars_sent: AtomicUsize::new(0),
    });
    let acceptor = std::thread::Builder::new()
        .name("ml4t-replay".into())
        .spawn(move || accept_loop(listener, shared))
        .map_err(|e| LiveError::Io {
            what: "starting the server thread".into(),
            source: e,
        })?;
    Ok(ReplayServer {
        addr,
        stop,
        acceptor: Some(acceptor),
    })
}

impl ReplayServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `ws://ADDR:PORT`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Raising the flag stops the server (what dropping it does, without waiting).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// True once the server has stopped (a drill stop, or the stop flag) and closed every connection.
    pub fn is_stopped(&self) -> bool {
        self.acceptor.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits up to `timeout` for the server to stop by itself; true if it did.
    pub fn wait_stopped(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while !self.is_stopped() {
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(POLL);
        }
        true
    }

    /// Stops the server, closes every connection and waits for its threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut clients: Vec<(JoinHandle<()>, TcpStream)> = Vec::new();
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, peer)) => {
                let Ok(handle) = stream.try_clone() else { continue };
                let sh = shared.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("ml4t-replay-{peer}"))
                    .spawn(move || serve_client(stream, peer, &sh));
                match spawned {
                    Ok(t) => clients.push((t, handle)),
                    Err(_) => {
                        let _ = handle.shutdown(Shutdown::Both);
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => std::thread::sleep(POLL),
        }
        // Reap finished clients.
        let mut i = 0;
        while i < clients.len() {
            if clients[i].0.is_finished() {
                let (t, _) = clients.swap_remove(i);
                let _ = t.join();
            } else {
                i += 1;
            }
        }
    }
    drop(listener);
    // Abrupt, like a server going away: the clients see a broken connection.
    for (_, s) in &clients {
        let _ = s.shutdown(Shutdown::Both);
    }
    for (t, _) in clients {
        let _ = t.join();
    }
}

fn serve_client(stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let mut sent = 0usize;
    let outcome = stream_to(stream, peer, shared, &mut sent);
    match outcome {
        Ok(()) => shared.emit(ReplayEvent::Finished { peer, bars: sent }),
        Err(reason) => shared.emit(ReplayEvent::Lost {
            peer,
            bars: sent,
            reason,
        }),
    }
}

fn is_timeout(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
}

fn stream_to(stream: TcpStream, peer: SocketAddr, shared: &Shared, sent: &mut usize) -> Result<(), String> {
    let opts = &shared.opts;
    let setup = stream
        .set_nodelay(true)
        .and_then(|()| stream.set_read_timeout(Some(Duration::from_secs(5))))
        .and_then(|()| stream.set_write_timeout(Some(Duration::from_secs(30))));
    setup.map_err(|e| e.to_string())?;
    let mut ws = tungstenite::accept(stream).map_err(|e| format!("handshake: {e}"))?;

    // The client may ask to resume first.
    set_read_timeout(&ws, opts.hello_wait)?;
    let resume_after = match ws.read() {
        Ok(Message::Text(t)) => Resume::parse(t.as_str()).map_err(|e| format!("bad resume request: {e}"))?,
        Ok(Message::Close(_)) => return Err("closed by the client".into()),
        Ok(_) => None,
        Err(e) if is_timeout(&e) => None,
        Err(e) => return Err(e.to_string()),
    };
    shared.emit(ReplayEvent::Connected { peer, resume_after });

    let bars = &shared.bars;
    let starts = bars.timestamp_starts();
    let n_ts = bars.n_timestamps();
    let first = match resume_after {
        Some(after) => starts[..n_ts].partition_point(|&r| bars.ts()[r] <= after.0),
        None => 0,
    };
    let started = Instant::now();
    let mut last_send = Instant::now();
    for t in first..n_ts {
        for row in starts[t]..starts[t + 1] {
            if shared.stopping() {
                return Err("server stopping".into());
            }
            if let Some(rate) = opts.rate {
                let due = started + Duration::from_secs_f64(*sent as f64 / rate);
                wait_until(&mut ws, due, shared, &mut last_send)?;
            }
            ws.write(Message::text(encode_bar(bars, row)))
                .map_err(|e| e.to_string())?;
            if opts.rate.is_some() {
                ws.flush().map_err(|e| e.to_string())?;
                last_send = Instant::now();
            }
            *sent += 1;
            let total = shared.bars_sent.fetch_add(1, Ordering::Relaxed) + 1;
            if opts.stop_after_bars.is_some_and(|n| total >= n) {
                let _ = ws.flush();
                shared.emit(ReplayEvent::DrillStop { bars: total });
                shared.stop.store(true, Ordering::Relaxed);
                return Err("drill stop".into());
            }
        }
        ws.write(Message::text(encode_end_of_timestamp(TimestampNs(
            bars.ts()[starts[t]],
        ))))
        .map_err(|e| e.to_string())?;
        ws.flush().map_err(|e| e.to_string())?;
        last_send = Instant::now();
    }
    ws.send(Message::text(END_OF_STREAM)).map_err(|e| e.to_string())?;
    let _ = ws.close(None);
    // Let the close handshake finish (bounded), so the client reads everything before the FIN.
    let until = Instant::now() + Duration::from_secs(1);
    let _ = set_read_timeout(&ws, POLL);
    while Instant::now() < until && !shared.stopping() {
        match ws.read() {
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

fn set_read_timeout(ws: &WebSocket<TcpStream>, d: Duration) -> Result<(), String> {
    ws.get_ref()
        .set_read_timeout(Some(d.max(Duration::from_millis(1))))
        .map_err(|e| e.to_string())
}

/// Paced streams: until `due`, answer the client's pings, notice its close, and ping it when quiet.
fn wait_until(
    ws: &mut WebSocket<TcpStream>,
    due: Instant,
    shared: &Shared,
    last_send: &mut Instant,
) -> Result<(), String> {
    loop {
        let now = Instant::now();
        if now >= due {
            return Ok(());
        }
        if shared.stopping() {
            return Err("server stopping".into());
        }
        set_read_timeout(ws, (due - now).min(Duration::from_millis(50)))?;
        match ws.read() {
            Ok(Message::Close(_)) => return Err("closed by the client".into()),
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {
                if last_send.elapsed() >= shared.opts.heartbeat {
                    ws.send(Message::Ping(Vec::new().into())).map_err(|e| e.to_string())?;
                    *last_send = Instant::now();
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}
