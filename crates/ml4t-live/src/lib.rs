//! Live paper trading with the same strategy code as the backtest: only the feed and the broker
//! change (DESIGN.md). The engine's run loop is the same plain loop over a [`DataFeed`]; here the
//! feed is a WebSocket client ([`LiveFeed`]) and the broker a journaled simulation
//! ([`PaperBroker`]).
//!
//! - [`protocol`]: the JSON messages (README.md, "Live paper trading").
//! - [`feed`]: [`LiveFeed`], reconnecting and resuming without losing or repeating a bar.
//! - [`replay`]: a WebSocket server that streams a data file in the protocol (`ml4t replay`).
//! - [`journal`] and [`paper`]: the paper broker, its journal, and [`run_paper`] (`ml4t paper`).
//! - [`computed`]: signals computed from each live bar by a model before the strategy sees them
//!   ([`run_paper_computing`]; the Python package's `LiveDataFeed(url, signal_computer=...)`).
//!
//! # A real broker
//!
//! A venue adapter is another implementation of [`Broker`](ml4t_engine::broker::Broker), used
//! in place of [`PaperBroker`] in [`run_paper`]'s loop:
//! - `submit` / `cancel`: journal the request, then send it to the venue (orders carry their
//!   [`OrderId`](ml4t_engine::types::OrderId); use it as the client order id so that a resend
//!   after a crash is recognised as a duplicate by the venue).
//! - `on_bars`: collect the venue's executions since the last call, turn each into a
//!   [`Fill`](ml4t_engine::execution::Fill), apply it to the adapter's
//!   [`Portfolio`](ml4t_engine::portfolio::Portfolio) and push it to `fills`; then mark
//!   positions to the bars' closes.
//! - `end_timestamp`: commit (journal) the timestamp and reconcile the account with the venue's.
//! - `open_orders`, `portfolio`, `rejections`: the adapter's view, kept in step with the venue.
//!
//! At a restart the journal is replayed as here, but the venue's fills are the facts: the
//! adapter reconciles its replayed account with the venue's positions instead of re-simulating.
//! No adapter ships: none could be tested here.
//!
//! [`DataFeed`]: ml4t_engine::feed::DataFeed

pub mod computed;
pub mod feed;
pub mod journal;
pub mod paper;
pub mod protocol;
pub mod replay;

use std::path::PathBuf;

pub use computed::{ComputedFeed, SignalComputer};
pub use feed::{FeedEvent, LiveFeed, LiveFeedConfig, first_timestamp_names};
pub use journal::Journal;
pub use paper::{PaperBroker, PaperConfig, PaperEvent, PaperRun, run_paper, run_paper_computing};
pub use replay::{ReplayEvent, ReplayOptions, ReplayServer, serve};

use ml4t_engine::EngineError;

/// Why a live run could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("live settings: {0}")]
    Config(String),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("journal {}: {problem}", path.display())]
    Journal { path: PathBuf, problem: String },
    #[error(transparent)]
    Engine(#[from] EngineError),
}
