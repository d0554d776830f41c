//! The execution vocabulary every layer above speaks: orders and why some were refused, the
//! account settings a broker applies, what execution produces (fills, trades, positions still
//! open), and the narrow interface through which a broker records equity. It depends only on
//! [`crate::types`] and [`crate::timeline`], so the broker, the portfolio, strategies and
//! results all sit above it and none of them needs another to name an order or a fill.

mod commission;
mod config;
mod fill;
mod order;
mod recorder;

pub use commission::{Commission, MAX_EXACT_QTY};
pub use config::{BrokerConfig, CashRule, FillTiming, IntrabarPriority};
pub use fill::{ExecutionNotes, Fill, FillKind, OpenPosition, Trade};
pub use order::{Order, OrderKind, RejectReason, Rejection};
pub use recorder::EquityRecorder;
