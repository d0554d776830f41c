//! Small value types shared by the whole engine: time, ids, sides.
//!
//! Time is an `i64` count of nanoseconds since the Unix epoch (naive or UTC);
//! conversion to calendar types happens only at the edges (display, export).

use std::fmt;

/// Nanoseconds since 1970-01-01T00:00:00 (UTC, or naive local time for naive data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct TimestampNs(pub i64);

pub const NS_PER_SEC: i64 = 1_000_000_000;
pub const NS_PER_DAY: i64 = 86_400 * NS_PER_SEC;

impl TimestampNs {
    /// `YYYY-MM-DDTHH:MM:SS` (the result JSON's format); sub-second digits are shown only when present.
    pub fn to_iso(self) -> String {
        let secs = self.0.div_euclid(NS_PER_SEC);
        let nanos = self.0.rem_euclid(NS_PER_SEC) as u32;
        match chrono::DateTime::from_timestamp(secs, nanos) {
            Some(dt) if nanos == 0 => dt.format("%Y-%m-%dT%H:%M:%S").to_string(),
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            None => format!("{}ns", self.0),
        }
    }

    /// Date only (`YYYY-MM-DD`), for compact displays.
    pub fn to_date(self) -> String {
        let iso = self.to_iso();
        iso.get(..10).map(str::to_owned).unwrap_or(iso)
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.f]` or `YYYY-MM-DD HH:MM:SS[.f]`, or RFC 3339 with an offset
    /// (converted to UTC).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
            return dt.timestamp_nanos_opt().map(TimestampNs);
        }
        for fmt in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
                return dt.and_utc().timestamp_nanos_opt().map(TimestampNs);
            }
        }
        for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
            if let Ok(d) = chrono::NaiveDate::parse_from_str(t, fmt) {
                return d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt().map(TimestampNs);
            }
        }
        None
    }
}

impl fmt::Display for TimestampNs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

/// Index of an asset in [`crate::market::Bars::assets`]; assets are numbered in ascending
/// name order, so processing in id order is processing in name order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct AssetId(pub u32);

impl AssetId {
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a signal column, resolved once from its name (`Context::signal_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct SignalId(pub u32);

impl SignalId {
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Id of an order, unique within one run, in submission order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct OrderId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// +1 for buys, -1 for sells.
    #[inline]
    pub fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_iso_round_trip() {
        let t = TimestampNs::parse("1990-01-05").unwrap();
        assert_eq!(t.to_iso(), "1990-01-05T00:00:00");
        assert_eq!(
            TimestampNs::parse("1990-01-05T09:31:00").unwrap().to_iso(),
            "1990-01-05T09:31:00"
        );
        assert_eq!(
            TimestampNs::parse("1990-01-05 09:31:00.5").unwrap().to_iso(),
            "1990-01-05T09:31:00.500"
        );
        assert_eq!(
            TimestampNs::parse("2024-01-02T10:00:00+01:00").unwrap().to_iso(),
            "2024-01-02T09:00:00"
        );
        assert_eq!(TimestampNs(0).to_date(), "1970-01-01");
        assert!(TimestampNs::parse("yesterday").is_none());
    }

    #[test]
    fn timestamp_before_epoch() {
        assert_eq!(TimestampNs(-NS_PER_DAY).to_iso(), "1969-12-31T00:00:00");
    }
}
