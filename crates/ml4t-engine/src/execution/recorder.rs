//! How a broker records the account's value per timestamp without knowing how it is stored.

use crate::timeline::TimeColumn;
use crate::types::TimestampNs;

/// Receives one account record per timestamp, in time order. The results' equity curve
/// implements it; a broker's fast-forward ([`crate::broker::Broker::on_quiet`]) writes through it.
/// Object safe, and batched where a stretch is regular, so a fast-forward costs one call per
/// stretch rather than one per timestamp.
pub trait EquityRecorder {
    /// One timestamp: equity (cash plus marked positions), cash and gross exposure at its close.
    fn record(&mut self, ts: TimestampNs, equity: f64, cash: f64, gross_exposure: f64);
    /// Timestamps `from..to` of `times` at which the account held nothing: equity is the current
    /// cash and exposure is 0 throughout.
    fn record_flat(&mut self, times: &TimeColumn, from: usize, to: usize);
    /// Timestamps `from..to` of `times` at which one position of signed `qty` was held at
    /// unchanged `cash`: at the `i`-th, equity is `cash + qty * close[i]` and gross exposure
    /// `|qty * close[i]|` (`close` has one price per timestamp).
    fn record_held(&mut self, times: &TimeColumn, from: usize, to: usize, close: &[f64], qty: f64, cash: f64);
}
