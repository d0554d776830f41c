//! Paper trading: the [`PaperBroker`] (the simulation broker's fills, journaled) and
//! [`run_paper`], the live run loop that restarts from a journal.

use std::path::PathBuf;

use super::LiveError;
use super::computed::{ComputedFeed, SignalComputer};
use super::feed::{LiveFeed, LiveFeedConfig};
use super::journal::{Header, JOURNAL_FORMAT, Journal, JournalPosition, TimestampRecord, journal_bars, orders_json};
use ml4t_engine::Engine;
use ml4t_engine::broker::{Broker, BrokerError, SimulationBroker};
use ml4t_engine::execution::{BrokerConfig, Fill, Order, Rejection};
use ml4t_engine::market::{BarSlice, Bars};
use ml4t_engine::portfolio::Portfolio;
use ml4t_engine::results::RunResult;
use ml4t_engine::strategy::Strategy;
use ml4t_engine::types::{OrderId, TimestampNs};

/// What the paper broker reports after each committed timestamp.
#[derive(Debug, Clone, Copy)]
pub enum PaperEvent<'a> {
    /// An execution (committed to the journal, if any, before it is reported).
    Fill {
        fill: &'a Fill,
        asset: &'a str,
        /// Re-executed from the journal at a restart (it was reported by the earlier run).
        replayed: bool,
    },
    /// The account after a timestamp.
    Timestamp {
        index: usize,
        ts: TimestampNs,
        /// Bars of this timestamp (one per asset that has a bar).
        bars: usize,
        equity: f64,
        cash: f64,
        positions: usize,
        trades: usize,
        replayed: bool,
    },
}

/// Receives [`PaperEvent`]s on the engine's thread.
pub type PaperEventFn = Box<dyn FnMut(&PaperEvent<'_>)>;

/// A broker for paper trading: exactly the [`SimulationBroker`]'s fills (it does the filling),
/// plus a journal of every timestamp (bars, fills, orders, cash, positions, open orders) so that a
/// restart resumes where the last committed timestamp left off.
///
/// At a restart the engine replays the journal's bars through the strategy and this broker, which
/// rebuilds both the account and the strategy's own state; the broker checks every replayed
/// timestamp against its record and stops the run if they differ.
pub struct PaperBroker {
    inner: SimulationBroker,
    assets: Vec<String>,
    journal: Option<Journal>,
    /// Records of the journal, checked while the engine replays them.
    replay: Vec<TimestampRecord>,
    fills: Vec<Fill>,
    orders: Vec<Order>,
    cancels: Vec<OrderId>,
    error: Option<LiveError>,
    on_event: Option<PaperEventFn>,
    replayed_fills: usize,
}

impl PaperBroker {
    /// A paper broker without a journal (nothing survives a restart).
    pub fn new(config: BrokerConfig, assets: Vec<String>) -> Self {
        PaperBroker {
            inner: SimulationBroker::new(config, assets.len()),
            assets,
            journal: None,
            replay: Vec::new(),
            fills: Vec::new(),
            orders: Vec::new(),
            cancels: Vec::new(),
            error: None,
            on_event: None,
            replayed_fills: 0,
        }
    }

    /// A paper broker journaling to `journal`. The journal's records must be replayed first: feed
    /// the engine [`Journal::history`] before live bars ([`LiveFeed::resume`]).
    pub fn with_journal(mut journal: Journal) -> Self {
        let header = journal.header().clone();
        let mut me = PaperBroker::new(header.broker, header.assets);
        me.replay = journal.take_records();
        me.journal = Some(journal);
        me
    }

    pub fn on_event(mut self, f: PaperEventFn) -> Self {
        self.on_event = Some(f);
        self
    }

    /// Why the broker stopped the run, if it did (the engine's [`BrokerError`] says the same in
    /// words; this keeps the journal's path and kind).
    pub fn error(&self) -> Option<&LiveError> {
        self.error.as_ref()
    }

    pub fn take_error(&mut self) -> Option<LiveError> {
        self.error.take()
    }

    /// Journal records still to be replayed.
    pub fn replay_len(&self) -> usize {
        self.replay.len()
    }

    /// Fills re-executed from the journal so far.
    pub fn replayed_fills(&self) -> usize {
        self.replayed_fills
    }

    /// Keeps the first failure and turns it into the error that stops the engine's run.
    fn fail(&mut self, e: LiveError) -> BrokerError {
        let err = BrokerError::Persist(e.to_string());
        if self.error.is_none() {
            self.error = Some(e);
        }
        err
    }

    fn positions(&self) -> Vec<JournalPosition> {
        let p = self.inner.portfolio();
        p.held()
            .iter()
            .map(|&a| JournalPosition {
                asset: self.assets[a.index()].clone(),
                qty: p.qty(a),
                avg_price: p.position(a).avg_price,
            })
            .collect()
    }

    /// Compares a replayed timestamp with its record; the first difference, if any.
    fn check(&self, rec: &TimestampRecord, slice: &BarSlice<'_>) -> Option<String> {
        let close = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        if rec.ts_ns != slice.ts().0 {
            return Some(format!("time {} vs {}", slice.ts(), rec.time));
        }
        if rec.fills.len() != self.fills.len() {
            return Some(format!(
                "{} fills now, {} in the journal",
                self.fills.len(),
                rec.fills.len()
            ));
        }
        for (now, was) in self.fills.iter().zip(&rec.fills) {
            let same = now.order_id == was.order_id
                && now.asset == was.asset
                && now.side == was.side
                && close(now.qty, was.qty)
                && close(now.price, was.price)
                && close(now.commission, was.commission);
            if !same {
                return Some(format!("fill {now:?} now, {was:?} in the journal"));
            }
        }
        let p = self.inner.portfolio();
        if !close(p.cash(), rec.cash) {
            return Some(format!("cash {} now, {} in the journal", p.cash(), rec.cash));
        }
        let positions = self.positions();
        let same_positions = positions.len() == rec.positions.len()
            && positions
                .iter()
                .zip(&rec.positions)
                .all(|(a, b)| a.asset == b.asset && close(a.qty, b.qty) && close(a.avg_price, b.avg_price));
        if !same_positions {
            return Some(format!(
                "positions {positions:?} now, {:?} in the journal",
                rec.positions
            ));
        }
        let open_now = self.inner.open_orders().len();
        let open_was = rec.open_orders.as_array().map_or(0, Vec::len);
        if open_now != open_was {
            return Some(format!("{open_now} open orders now, {open_was} in the journal"));
        }
        None
    }

    fn report(&mut self, slice: &BarSlice<'_>, replayed: bool) {
        let Some(f) = self.on_event.as_mut() else { return };
        for fill in &self.fills {
            let asset = self.assets.get(fill.asset.index()).map_or("?", String::as_str);
            f(&PaperEvent::Fill { fill, asset, replayed });
        }
        let p = self.inner.portfolio();
        f(&PaperEvent::Timestamp {
            index: slice.index(),
            ts: slice.ts(),
            bars: slice.len(),
            equity: p.equity(),
            cash: p.cash(),
            positions: p.held().len(),
            trades: p.trades().len(),
            replayed,
        });
    }
}

impl Broker for PaperBroker {
    fn config(&self) -> &BrokerConfig {
        self.inner.config()
    }

    fn portfolio(&self) -> &Portfolio {
        self.inner.portfolio()
    }

    fn submit(&mut self, order: Order) -> Result<(), BrokerError> {
        self.orders.push(order);
        self.inner.submit(order)
    }

    fn cancel(&mut self, id: OrderId) -> bool {
        let done = self.inner.cancel(id);
        if done {
            self.cancels.push(id);
        }
        done
    }

    fn open_orders(&self) -> &[Order] {
        self.inner.open_orders()
    }

    fn on_bars(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        let from = fills.len();
        self.inner.on_bars(bars, fills);
        self.fills.extend_from_slice(&fills[from..]);
    }

    fn after_decisions(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        let from = fills.len();
        self.inner.after_decisions(bars, fills);
        self.fills.extend_from_slice(&fills[from..]);
    }

    fn end_timestamp(&mut self, bars: &BarSlice<'_>) -> Result<(), BrokerError> {
        let index = bars.index();
        let replayed = index < self.replay.len();
        if replayed {
            if let Some(diff) = self.check(&self.replay[index], bars) {
                let path = self
                    .journal
                    .as_ref()
                    .map(|j| j.path().to_path_buf())
                    .unwrap_or_default();
                return Err(self.fail(LiveError::Journal {
                    path,
                    problem: format!(
                        "timestamp #{index} ({}) replays differently: {diff}; the program or the strategy changed \
                         since the journal was written: start a new journal",
                        bars.ts()
                    ),
                }));
            }
            self.replayed_fills += self.fills.len();
        } else if self.journal.is_some() {
            let positions = self.positions();
            let p = self.inner.portfolio();
            let record = TimestampRecord {
                index,
                time: bars.ts().to_iso(),
                ts_ns: bars.ts().0,
                bars: journal_bars(bars),
                fills: self.fills.clone(),
                orders: orders_json(&self.orders),
                cancels: self.cancels.clone(),
                cash: p.cash(),
                equity: p.equity(),
                positions,
                open_orders: orders_json(self.inner.open_orders()),
            };
            if let Some(Err(e)) = self.journal.as_mut().map(|j| j.commit(record)) {
                return Err(self.fail(e));
            }
        }
        self.report(bars, replayed);
        self.fills.clear();
        self.orders.clear();
        self.cancels.clear();
        Ok(())
    }

    fn rejections(&self) -> &[Rejection] {
        self.inner.rejections()
    }

    fn take_records(&mut self) -> (Vec<ml4t_engine::execution::Trade>, Vec<Rejection>) {
        self.inner.take_records()
    }

    fn take_notes(&mut self) -> ml4t_engine::execution::ExecutionNotes {
        self.inner.take_notes()
    }
}

/// A paper-trading run: where the bars come from, the account, and the journal.
#[derive(Debug, Clone)]
pub struct PaperConfig {
    pub feed: LiveFeedConfig,
    pub broker: BrokerConfig,
    /// Folder of the journal; `None` keeps nothing across restarts.
    pub journal: Option<PathBuf>,
    /// Identifies the strategy in the journal: a journal resumes only the strategy that wrote it.
    pub strategy_id: String,
}

/// What a paper run produced.
#[derive(Debug)]
pub struct PaperRun {
    /// The whole run, the journal's timestamps included: the same result as a backtest over the
    /// same bars.
    pub result: RunResult,
    /// Timestamps replayed from the journal before going live.
    pub replayed_timestamps: usize,
    /// Fills re-executed from the journal.
    pub replayed_fills: usize,
    /// Bytes of a torn last journal line cut off at the start.
    pub journal_truncated_bytes: u64,
    /// Every bar the strategy saw, journal included (runs with computed signals only).
    pub bars: Option<Bars>,
}

/// Runs `strategy` on live bars with a [`PaperBroker`] until the feed ends (`end_of_stream` with
/// `exit_at_end`, or the stop flag). With a journal that has records, they are replayed first
/// and the feed resumes after the last of them.
pub fn run_paper<S: Strategy + ?Sized>(
    config: PaperConfig,
    strategy: &mut S,
    on_event: Option<PaperEventFn>,
) -> Result<PaperRun, LiveError> {
    run(config, strategy, on_event, None)
}

/// [`run_paper`] with signals computed from each live bar by `computer` (a model; see
/// [`crate::computed`]): the feed reads `config.feed.signals` from the server, the computed ones
/// follow them, and both are journaled, so a restart replays the computed values. The run's
/// bars come back in [`PaperRun::bars`].
pub fn run_paper_computing<S: Strategy + ?Sized>(
    config: PaperConfig,
    strategy: &mut S,
    on_event: Option<PaperEventFn>,
    computer: &mut dyn SignalComputer,
) -> Result<PaperRun, LiveError> {
    run(config, strategy, on_event, Some(computer))
}

fn run<S: Strategy + ?Sized>(
    mut config: PaperConfig,
    strategy: &mut S,
    on_event: Option<PaperEventFn>,
    computer: Option<&mut dyn SignalComputer>,
) -> Result<PaperRun, LiveError> {
    config.broker.validate().map_err(LiveError::Config)?;
    if let Some(c) = &computer {
        if let Some(both) = c.names().iter().find(|n| config.feed.signals.contains(n)) {
            return Err(LiveError::Config(format!(
                "the signal '{both}' is both read from the feed and computed; leave it out of the feed's signals"
            )));
        }
        config.feed.signals.extend_from_slice(c.names());
    }
    let (mut broker, history, truncated) = match &config.journal {
        Some(dir) => {
            let header = Header {
                format: JOURNAL_FORMAT,
                assets: config.feed.assets.clone(),
                signals: config.feed.signals.clone(),
                broker: config.broker,
                strategy: config.strategy_id.clone(),
            };
            let journal = Journal::open(dir, header)?;
            let history = journal.history()?;
            let truncated = journal.truncated_bytes;
            (PaperBroker::with_journal(journal), Some(history), truncated)
        }
        None => (PaperBroker::new(config.broker, config.feed.assets.clone()), None, 0),
    };
    if let Some(f) = on_event {
        broker = broker.on_event(f);
    }
    let replayed_timestamps = broker.replay_len();
    let live = match history {
        Some(h) if h.n_timestamps() > 0 => LiveFeed::resume(config.feed, h)?,
        _ => LiveFeed::connect(config.feed)?,
    };
    let (result, bars) = match computer {
        Some(c) => {
            let mut feed = ComputedFeed::new(live, c, replayed_timestamps)?;
            let result = Engine::new().run(&mut feed, &mut broker, strategy);
            (result, Some(feed.into_bars()?))
        }
        None => {
            let mut feed = live;
            (Engine::new().run(&mut feed, &mut broker, strategy), None)
        }
    };
    if let Some(e) = broker.take_error() {
        return Err(e);
    }
    Ok(PaperRun {
        result: result?,
        replayed_timestamps,
        replayed_fills: broker.replayed_fills(),
        journal_truncated_bytes: truncated,
        bars,
    })
}
