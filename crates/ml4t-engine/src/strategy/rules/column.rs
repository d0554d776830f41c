//! Columns rules can read: the price columns and the signals, resolved once from names.

use crate::market::{Bar, Bars};
use crate::types::SignalId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Open,
    High,
    Low,
    Close,
    Volume,
    Signal(SignalId),
}

impl Column {
    /// A signal by its exact name, or a price column by name (any case).
    pub fn resolve(name: &str, signal_names: &[String]) -> Option<Column> {
        if let Some(i) = signal_names.iter().position(|s| s == name) {
            return Some(Column::Signal(SignalId(i as u32)));
        }
        Some(match name.to_ascii_lowercase().as_str() {
            "open" => Column::Open,
            "high" => Column::High,
            "low" => Column::Low,
            "close" => Column::Close,
            "volume" => Column::Volume,
            _ => return None,
        })
    }

    /// The whole column.
    #[inline]
    pub fn values<'a>(&self, bars: &'a Bars) -> &'a [f64] {
        match *self {
            Column::Open => bars.open(),
            Column::High => bars.high(),
            Column::Low => bars.low(),
            Column::Close => bars.close(),
            Column::Volume => bars.volume(),
            Column::Signal(id) => bars.signal_column(id),
        }
    }

    /// The value on one bar.
    #[inline]
    pub fn value(&self, bar: &Bar<'_>) -> f64 {
        match *self {
            Column::Open => bar.open(),
            Column::High => bar.high(),
            Column::Low => bar.low(),
            Column::Close => bar.close(),
            Column::Volume => bar.volume(),
            Column::Signal(id) => bar.signal(id),
        }
    }
}

/// "open, high, low, close, volume, <signals>" for error messages.
pub(super) fn available(signal_names: &[String]) -> String {
    let mut all: Vec<&str> = vec!["open", "high", "low", "close", "volume"];
    all.extend(signal_names.iter().map(String::as_str));
    all.join(", ")
}
