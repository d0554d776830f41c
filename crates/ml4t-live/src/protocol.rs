//! The wire protocol of live bars: JSON text messages over one WebSocket (README.md, "Live paper
//! trading").
//!
//! Server to client:
//! - `{"type":"bar","timestamp":"2024-01-02T09:31:00","asset":"A000","open":..,"high":..,"low":..,
//!   "close":..,"volume":..,"signals":{"ml_pred":0.83}}`: one asset's bar. `asset` may be left out
//!   when the feed has a single asset, `volume` reads as 0 when absent, a `null` signal is missing
//!   (NaN). `timestamp` is `YYYY-MM-DDTHH:MM:SS[.f]`, RFC 3339, or an integer of nanoseconds since
//!   the Unix epoch.
//! - `{"type":"end_of_timestamp","timestamp":...}`: every bar of that timestamp has been sent.
//! - `{"type":"end_of_stream"}`: nothing more will come on this connection.
//!
//! Client to server, as the first message: `{"type":"resume","after":"<timestamp>"}` (or
//! `"after":null` for the whole stream): send only timestamps after that one.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use ml4t_engine::market::Bars;
use ml4t_engine::types::{SignalId, TimestampNs};

/// A time on the wire: text, or nanoseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WireTime {
    Ns(i64),
    Text(String),
}

impl WireTime {
    pub fn parse(&self) -> Result<TimestampNs, String> {
        match self {
            WireTime::Ns(ns) => Ok(TimestampNs(*ns)),
            WireTime::Text(t) => TimestampNs::parse(t).ok_or_else(|| {
                format!("cannot read the timestamp '{t}'; use YYYY-MM-DDTHH:MM:SS, RFC 3339 or integer nanoseconds")
            }),
        }
    }
}

/// One asset's bar as received.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BarMessage {
    pub timestamp: WireTime,
    #[serde(default)]
    pub asset: Option<String>,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    #[serde(default)]
    pub volume: Option<f64>,
    #[serde(default)]
    pub signals: BTreeMap<String, Option<f64>>,
}

/// A message from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    Bar(BarMessage),
    EndOfTimestamp(TimestampNs),
    EndOfStream,
}

#[derive(Deserialize)]
struct Tagged {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct EndOfTimestamp {
    timestamp: WireTime,
}

impl ServerMessage {
    /// Parses one text message; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<ServerMessage, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let kind = Tagged::deserialize(&value)
            .map_err(|_| "no \"type\" string field; expected bar, end_of_timestamp or end_of_stream".to_owned())?
            .kind;
        match kind.as_str() {
            "bar" => BarMessage::deserialize(&value)
                .map(ServerMessage::Bar)
                .map_err(|e| format!("bad bar: {e}")),
            "end_of_timestamp" => {
                let m = EndOfTimestamp::deserialize(&value).map_err(|e| format!("bad end_of_timestamp: {e}"))?;
                Ok(ServerMessage::EndOfTimestamp(m.timestamp.parse()?))
            }
            "end_of_stream" => Ok(ServerMessage::EndOfStream),
            other => Err(format!(
                "unknown message type '{other}'; expected bar, end_of_timestamp or end_of_stream"
            )),
        }
    }
}

/// The client's first message: resume after a timestamp (`None`: from the start).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "resume")]
pub struct Resume {
    pub after: Option<String>,
}

impl Resume {
    pub fn after(ts: Option<TimestampNs>) -> Self {
        Resume {
            after: ts.map(TimestampNs::to_iso),
        }
    }

    /// Parses the client's text; `Ok(None)` means "from the start".
    pub fn parse(text: &str) -> Result<Option<TimestampNs>, String> {
        #[derive(Deserialize)]
        struct In {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            after: Option<String>,
        }
        let expected = "expected {\"type\":\"resume\",\"after\":TIMESTAMP or null}";
        let r: In = serde_json::from_str(text).map_err(|e| format!("{expected}: {e}"))?;
        if r.kind != "resume" {
            return Err(format!("{expected}, got type '{}'", r.kind));
        }
        match r.after {
            None => Ok(None),
            Some(t) => WireTime::Text(t).parse().map(Some),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"type\":\"resume\"}".to_owned())
    }
}

/// Encodes row `row` of `bars` as a bar message (signals in column order, NaN as `null`).
pub fn encode_bar(bars: &Bars, row: usize) -> String {
    let bar = bars.bar(row);
    let msg = BarOut {
        kind: "bar",
        timestamp: bar.ts().to_iso(),
        asset: bar.asset_name(),
        open: bar.open(),
        high: bar.high(),
        low: bar.low(),
        close: bar.close(),
        volume: bar.volume(),
        signals: SignalsOut { bars, row },
    };
    serde_json::to_string(&msg).unwrap_or_default()
}

/// `{"type":"end_of_timestamp","timestamp":...}`.
pub fn encode_end_of_timestamp(ts: TimestampNs) -> String {
    format!("{{\"type\":\"end_of_timestamp\",\"timestamp\":\"{}\"}}", ts.to_iso())
}

pub const END_OF_STREAM: &str = "{\"type\":\"end_of_stream\"}";

#[derive(Serialize)]
struct BarOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    asset: &'a str,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    signals: SignalsOut<'a>,
}

struct SignalsOut<'a> {
    bars: &'a Bars,
    row: usize,
}

impl Serialize for SignalsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let names = self.bars.signal_names();
        let mut map = s.serialize_map(Some(names.len()))?;
        for (i, name) in names.iter().enumerate() {
            let v = self.bars.signal_column(SignalId(i as u32))[self.row];
            map.serialize_entry(name, &v.is_finite().then_some(v))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml4t_engine::market::BarColumns;
    use ml4t_engine::types::AssetId;

    #[test]
    fn protocol_bar_round_trips_exactly() {
        let mut c = BarColumns::with_capacity(1, 2);
        c.push(
            TimestampNs::parse("2024-01-02T09:31:00").unwrap().0,
            AssetId(0),
            100.1,
            101.0 / 3.0 + 70.0,
            99.9,
            100.000_000_000_1,
            1234.0,
            &[0.1 + 0.2, f64::NAN],
        );
        let bars = Bars::new(vec!["A000".into()], vec!["ml_pred".into(), "z".into()], c).unwrap();
        let text = encode_bar(&bars, 0);
        assert!(text.starts_with("{\"type\":\"bar\",\"timestamp\":\"2024-01-02T09:31:00\",\"asset\":\"A000\""));
        let ServerMessage::Bar(b) = ServerMessage::parse(&text).unwrap() else {
            panic!("not a bar")
        };
        assert_eq!(b.high, 101.0 / 3.0 + 70.0);
        assert_eq!(b.close, 100.000_000_000_1);
        assert_eq!(b.signals["ml_pred"], Some(0.1 + 0.2));
        assert_eq!(b.signals["z"], None);
        assert_eq!(b.timestamp.parse().unwrap(), bars.bar(0).ts());
    }

    #[test]
    fn protocol_rejects_with_a_reason() {
        for (text, needle) in [
            ("garbage", "not JSON"),
            ("{\"kind\":1}", "no \"type\""),
            ("{\"type\":\"tick\"}", "unknown message type 'tick'"),
            (
                "{\"type\":\"bar\",\"timestamp\":\"2024-01-02\",\"open\":\"x\",\"high\":1,\"low\":1,\"close\":1}",
                "bad bar",
            ),
            (
                "{\"type\":\"end_of_timestamp\",\"timestamp\":\"soon\"}",
                "cannot read the timestamp",
            ),
        ] {
            let e = ServerMessage::parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
        assert_eq!(ServerMessage::parse(END_OF_STREAM).unwrap(), ServerMessage::EndOfStream);
    }

    #[test]
    fn protocol_resume_round_trips() {
        let t = TimestampNs::parse("2024-01-02T09:31:00").unwrap();
        assert_eq!(Resume::parse(&Resume::after(Some(t)).to_json()).unwrap(), Some(t));
        assert_eq!(Resume::parse(&Resume::after(None).to_json()).unwrap(), None);
        assert_eq!(Resume::parse("{\"type\":\"resume\"}").unwrap(), None);
        assert!(Resume::parse("{\"type\":\"hello\"}").is_err());
    }
}
