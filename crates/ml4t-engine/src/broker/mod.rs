//! Brokers turn order requests into fills. The [`SimulationBroker`] follows SEMANTICS.md; a
//! live broker adapter implements the same [`Broker`] trait.

mod simulation;

pub use simulation::SimulationBroker;

use crate::execution::{BrokerConfig, EquityRecorder, ExecutionNotes, Fill, Order, Rejection, Trade};
use crate::market::{BarSlice, Bars};
use crate::portfolio::Portfolio;
use crate::types::OrderId;

/// A broker could not do what the engine asked: the run stops with
/// [`crate::EngineError::Broker`]. An order the broker merely refuses (no cash, no position) is
/// not an error but a [`Rejection`] in the result; this is for a venue that fails: a request it
/// refused outright, a lost connection, a journal it could not write.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrokerError {
    #[error("the broker refused order #{order}: {reason}")]
    Refused { order: u64, reason: String },
    #[error("the broker's connection is lost: {0}")]
    Disconnected(String),
    #[error("the broker could not record the state it must keep: {0}")]
    Persist(String),
}

/// The broker seam between engine and execution venue. Backtest and live differ only here and in
/// the feed.
pub trait Broker {
    /// The execution settings (costs, cash rule, fill timing) this broker applies.
    fn config(&self) -> &BrokerConfig;
    /// The account as the broker knows it.
    fn portfolio(&self) -> &Portfolio;
    /// Queues an order; it may fill from the next bar of its asset on. An error stops the run.
    fn submit(&mut self, order: Order) -> Result<(), BrokerError>;
    /// Cancels a pending order; false if it is not pending.
    fn cancel(&mut self, id: OrderId) -> bool;
    /// Orders not yet (completely) filled, in submission order.
    fn open_orders(&self) -> &[Order];
    /// A new timestamp's bars: fill what fills during those bars (at the open, or intrabar for
    /// stops and limits), then mark positions to the bars' closes. The fills are appended to
    /// `fills` (the run's, which the broker must leave otherwise unchanged).
    fn on_bars(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>);
    /// Timestamps `from..to` of `bars` on which no order is pending and the strategy does nothing:
    /// mark positions and record equity for each (the engine's fast-forward). The default goes
    /// through [`Broker::on_bars`] and [`Broker::end_timestamp`] one timestamp at a time.
    fn on_quiet(
        &mut self,
        bars: &Bars,
        from: usize,
        to: usize,
        equity: &mut dyn EquityRecorder,
    ) -> Result<(), BrokerError> {
        let mut fills = Vec::new();
        for t in from..to {
            if let Some(slice) = bars.timestamp(t) {
                self.on_bars(&slice, &mut fills);
                let p = self.portfolio();
                let (eq, gross, _) = p.marked();
                equity.record(slice.ts(), eq, p.cash(), gross);
                self.end_timestamp(&slice)?;
            }
        }
        Ok(())
    }
    /// Before the first bar, the feed's size if known (`timestamps`, `rows`): a broker that
    /// keeps records growing with the run (trades, rejections) may reserve room for them. The
    /// default does nothing.
    fn reserve(&mut self, timestamps: usize, rows: usize) {
        let _ = (timestamps, rows);
    }
    /// After the decisions at the close: fill what the fill timing puts at the close, appending
    /// to `fills` as [`Broker::on_bars`] does.
    fn after_decisions(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>);
    /// Once per timestamp, last: after the fills, the decisions, their orders and the equity
    /// record. The commit point for brokers that persist or reconcile state (the paper broker
    /// journals the timestamp here). An error stops the run. The default does nothing.
    #[inline]
    fn end_timestamp(&mut self, bars: &BarSlice<'_>) -> Result<(), BrokerError> {
        let _ = bars;
        Ok(())
    }
    /// Orders the broker refused or could not fill at all, with the reason.
    fn rejections(&self) -> &[Rejection];
    /// At the end of a run: the closed trades and the rejections, for the run's result. A
    /// broker that owns them moves them out (the default copies them); a long run can have
    /// hundreds of thousands of each, and copying them would cost fresh memory.
    fn take_records(&mut self) -> (Vec<Trade>, Vec<Rejection>) {
        (self.portfolio().trades().to_vec(), self.rejections().to_vec())
    }
    /// At the end of a run: each fill's kind and the ambiguous-bar count, if the broker records
    /// them (the default records nothing).
    fn take_notes(&mut self) -> ExecutionNotes {
        ExecutionNotes::default()
    }
    /// The simulation broker itself, when this broker is one and nothing else: the engine's
    /// fused single-asset path (`crate::fused`) drives it directly. A broker that wraps one and
    /// does more per timestamp (the paper broker journals) keeps the default, `None`.
    fn as_simulation(&mut self) -> Option<&mut SimulationBroker> {
        None
    }
}
