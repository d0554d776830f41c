//! The paper broker's journal: one folder, one append-only file of JSON lines, synced to disk at
//! every committed timestamp.
//!
//! The first line is a [`Header`] (assets, signals, broker settings, and the strategy the journal
//! belongs to). Each further line is one [`TimestampRecord`]: the timestamp's bars, the fills they
//! produced, the orders and cancels the strategy sent, and the account after them (cash,
//! equity, positions, open orders). A timestamp exists for a restart only once its line is on
//! disk, so a crash anywhere loses at most the timestamp being processed, which the feed then
//! sends again. Reading stops at a torn last line (the crash happened while writing it), which is
//! cut off.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::LiveError;
use ml4t_engine::execution::{BrokerConfig, Fill, Order};
use ml4t_engine::market::{BarColumns, BarSlice, Bars};
use ml4t_engine::types::{AssetId, OrderId, SignalId, TimestampNs};

/// The file inside the journal folder.
pub const JOURNAL_FILE: &str = "journal.jsonl";
/// The journal format this build writes and reads.
pub const JOURNAL_FORMAT: u32 = 1;

/// What a journal belongs to; a journal resumes only the same setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub assets: Vec<String>,
    pub signals: Vec<String>,
    pub broker: BrokerConfig,
    /// Identifies the strategy (for presets: its rules as JSON).
    pub strategy: String,
}

/// One bar as journaled: asset id, prices, signals (`null` = NaN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalBar {
    pub asset: u32,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub signals: Vec<Option<f64>>,
}

/// An open position as journaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalPosition {
    pub asset: String,
    pub qty: f64,
    pub avg_price: f64,
}

/// One committed timestamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimestampRecord {
    pub index: usize,
    /// `YYYY-MM-DDTHH:MM:SS`, for people.
    pub time: String,
    pub ts_ns: i64,
    pub bars: Vec<JournalBar>,
    pub fills: Vec<Fill>,
    /// Orders submitted at this timestamp's close (JSON: prices of some order kinds may be NaN,
    /// written as `null`).
    pub orders: serde_json::Value,
    pub cancels: Vec<OrderId>,
    pub cash: f64,
    pub equity: f64,
    pub positions: Vec<JournalPosition>,
    pub open_orders: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Header(Header),
    Timestamp(Box<TimestampRecord>),
}

/// An open journal: the records read at opening, and the file, locked, for appending.
pub struct Journal {
    path: PathBuf,
    file: File,
    header: Header,
    records: Vec<TimestampRecord>,
    /// Bytes of a torn last line cut off at opening.
    pub truncated_bytes: u64,
    line: String,
}

impl Journal {
    /// Opens the journal in `dir` (created if missing) for `header`'s setup. An existing journal
    /// must have been written for the same setup; its records are read back (see
    /// [`Journal::history`]). The file is locked while the journal is open.
    pub fn open(dir: &Path, header: Header) -> Result<Journal, LiveError> {
        let path = dir.join(JOURNAL_FILE);
        let io = |what: &str| {
            let what = format!("{what} {}", path.display());
            move |source| LiveError::Io { what, source }
        };
        std::fs::create_dir_all(dir).map_err(|source| LiveError::Io {
            what: format!("creating the journal folder {}", dir.display()),
            source,
        })?;
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io("opening"))?;
        if file.try_lock().is_err() {
            return Err(journal_error(
                &path,
                "in use by another process (another `ml4t paper` on this journal?); stop it or pick another --journal"
                    .into(),
            ));
        }
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(io("reading"))?;
        let (lines, good_len) = parse(&path, &text)?;
        let truncated_bytes = (text.len() - good_len) as u64;
        if truncated_bytes > 0 {
            file.set_len(good_len as u64)
                .map_err(io("cutting the torn last line of"))?;
            file.sync_data().map_err(io("syncing"))?;
        }
        let mut journal = Journal {
            path: path.clone(),
            file,
            header: header.clone(),
            records: Vec::new(),
            truncated_bytes,
            line: String::new(),
        };
        let mut lines = lines.into_iter();
        match lines.next() {
            None => {
                journal.append(&Line::Header(header))?;
                if !existed {
                    // Make the new file's directory entry durable too.
                    if let Ok(d) = File::open(dir) {
                        let _ = d.sync_all();
                    }
                }
            }
            Some(Line::Header(found)) => check_header(&path, &found, &header)?,
            Some(Line::Timestamp(_)) => return Err(journal_error(&path, "the first line is not a header".into())),
        }
        for line in lines {
            let Line::Timestamp(r) = line else {
                return Err(journal_error(&path, "a second header line".into()));
            };
            let expected = journal.records.len();
            if r.index != expected {
                return Err(journal_error(
                    &path,
                    format!("timestamp record #{} where #{expected} was expected", r.index),
                ));
            }
            if journal.records.last().is_some_and(|p| p.ts_ns >= r.ts_ns) {
                return Err(journal_error(&path, format!("timestamp {} is out of order", r.time)));
            }
            if let Some(b) = r.bars.iter().find(|b| {
                b.asset as usize >= journal.header.assets.len() || b.signals.len() != journal.header.signals.len()
            }) {
                return Err(journal_error(
                    &path,
                    format!("record #{} has a bar of unknown shape (asset id {})", r.index, b.asset),
                ));
            }
            journal.records.push(*r);
        }
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The committed timestamps read at opening.
    pub fn records(&self) -> &[TimestampRecord] {
        &self.records
    }

    /// Moves the records read at opening out (the paper broker checks its replay against them).
    pub fn take_records(&mut self) -> Vec<TimestampRecord> {
        std::mem::take(&mut self.records)
    }

    /// The bars of every committed timestamp, to replay through the strategy.
    pub fn history(&self) -> Result<Bars, LiveError> {
        let n_rows = self.records.iter().map(|r| r.bars.len()).sum();
        let mut cols = BarColumns::with_capacity(n_rows, self.header.signals.len());
        let mut signals = Vec::with_capacity(self.header.signals.len());
        for r in &self.records {
            for b in &r.bars {
                signals.clear();
                signals.extend(b.signals.iter().map(|v| v.unwrap_or(f64::NAN)));
                cols.push(
                    r.ts_ns,
                    AssetId(b.asset),
                    b.open,
                    b.high,
                    b.low,
                    b.close,
                    b.volume,
                    &signals,
                );
            }
        }
        Bars::new(self.header.assets.clone(), self.header.signals.clone(), cols)
            .map_err(|e| journal_error(&self.path, format!("bars: {e}")))
    }

    /// Appends one committed timestamp and syncs it to disk.
    pub fn commit(&mut self, record: TimestampRecord) -> Result<(), LiveError> {
        self.append(&Line::Timestamp(Box::new(record)))
    }

    fn append(&mut self, line: &Line) -> Result<(), LiveError> {
        self.line.clear();
        let text = serde_json::to_string(line).map_err(|e| journal_error(&self.path, e.to_string()))?;
        self.line.push_str(&text);
        self.line.push('\n');
        let path = &self.path;
        let io = |source| LiveError::Io {
            what: format!("writing the journal {}", path.display()),
            source,
        };
        // One write per line: a crash leaves at most one torn line, at the end.
        self.file.write_all(self.line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)
    }
}

/// The bars of `slice` as journal bars.
pub fn journal_bars(slice: &BarSlice<'_>) -> Vec<JournalBar> {
    let n_signals = slice.source().signal_names().len();
    slice
        .iter()
        .map(|b| JournalBar {
            asset: b.asset().0,
            open: b.open(),
            high: b.high(),
            low: b.low(),
            close: b.close(),
            volume: b.volume(),
            signals: (0..n_signals)
                .map(|i| {
                    let v = b.signal(SignalId(i as u32));
                    v.is_finite().then_some(v)
                })
                .collect(),
        })
        .collect()
}

/// Orders as JSON for a record.
pub fn orders_json(orders: &[Order]) -> serde_json::Value {
    serde_json::to_value(orders).unwrap_or(serde_json::Value::Null)
}

fn journal_error(path: &Path, problem: String) -> LiveError {
    LiveError::Journal {
        path: path.to_path_buf(),
        problem,
    }
}

/// The complete lines of `text` and the length they span; a torn last line is left out. A bad
/// line before the last is corruption, not a crash, and an error.
fn parse(path: &Path, text: &[u8]) -> Result<(Vec<Line>, usize), LiveError> {
    let mut lines = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let Some(len) = text[at..].iter().position(|&b| b == b'\n') else {
            break; // torn: no newline
        };
        let raw = &text[at..at + len];
        match serde_json::from_slice::<Line>(raw) {
            Ok(line) => lines.push(line),
            Err(_) if at + len + 1 == text.len() => break, // torn last line
            Err(e) => {
                return Err(journal_error(
                    path,
                    format!(
                        "line {} is damaged ({e}); it is not the last line, so this is not a torn write: \
                         restore the file or start a new journal",
                        lines.len() + 1
                    ),
                ));
            }
        }
        at += len + 1;
    }
    Ok((lines, at))
}

fn check_header(path: &Path, found: &Header, want: &Header) -> Result<(), LiveError> {
    let differ = |field: &str, a: String, b: String| {
        journal_error(
            path,
            format!(
                "was written for another setup: {field} is {a} in the journal but {b} now; \
                 restore the setup or start a new journal (another --journal folder)"
            ),
        )
    };
    if found.format != want.format {
        return Err(differ("the format", found.format.to_string(), want.format.to_string()));
    }
    if found.assets != want.assets {
        return Err(differ("assets", found.assets.join(","), want.assets.join(",")));
    }
    if found.signals != want.signals {
        return Err(differ("signals", found.signals.join(","), want.signals.join(",")));
    }
    if found.broker != want.broker {
        return Err(differ(
            "the broker",
            format!("{:?}", found.broker),
            format!("{:?}", want.broker),
        ));
    }
    if found.strategy != want.strategy {
        return Err(differ("the strategy", found.strategy.clone(), want.strategy.clone()));
    }
    Ok(())
}

impl TimestampRecord {
    pub fn ts(&self) -> TimestampNs {
        TimestampNs(self.ts_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: JOURNAL_FORMAT,
            assets: vec!["A".into()],
            signals: vec!["s".into()],
            broker: BrokerConfig::default(),
            strategy: "test".into(),
        }
    }

    fn record(index: usize, ts_ns: i64) -> TimestampRecord {
        TimestampRecord {
            index,
            time: TimestampNs(ts_ns).to_iso(),
            ts_ns,
            bars: vec![JournalBar {
                asset: 0,
                open: 1.0,
                high: 1.0,
                low: 1.0,
                close: 1.0,
                volume: 0.0,
                signals: vec![None],
            }],
            fills: vec![],
            orders: serde_json::Value::Array(vec![]),
            cancels: vec![],
            cash: 1.0,
            equity: 1.0,
            positions: vec![],
            open_orders: serde_json::Value::Array(vec![]),
        }
    }

    #[test]
    fn journal_reopens_with_its_records_and_cuts_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = Journal::open(dir.path(), header()).unwrap();
            j.commit(record(0, 10)).unwrap();
            j.commit(record(1, 20)).unwrap();
        }
        let file = dir.path().join(JOURNAL_FILE);
        let mut text = std::fs::read(&file).unwrap();
        let full = text.len();
        text.extend_from_slice(b"{\"kind\":\"timestamp\",\"index\":2,\"ti");
        std::fs::write(&file, &text).unwrap();
        let j = Journal::open(dir.path(), header()).unwrap();
        assert_eq!(j.records().len(), 2);
        assert_eq!(j.truncated_bytes, (text.len() - full) as u64);
        assert_eq!(std::fs::read(&file).unwrap().len(), full);
        let h = j.history().unwrap();
        assert_eq!((h.n_timestamps(), h.ts()), (2, &[10, 20][..]));
        assert!(h.bar(0).signal(SignalId(0)).is_nan());
    }

    #[test]
    fn journal_refuses_another_setup_a_second_writer_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), header()).unwrap();
        let e = Journal::open(dir.path(), header()).err().unwrap().to_string();
        assert!(e.contains("in use"), "{e}");
        drop(j);
        let other = Header {
            strategy: "other".into(),
            ..header()
        };
        let e = Journal::open(dir.path(), other).err().unwrap().to_string();
        assert!(e.contains("the strategy is test in the journal but other now"), "{e}");
        let file = dir.path().join(JOURNAL_FILE);
        let mut text = std::fs::read(&file).unwrap();
        text.extend_from_slice(b"garbage\n");
        text.extend_from_slice(
            serde_json::to_string(&Line::Timestamp(Box::new(record(0, 1))))
                .unwrap()
                .as_bytes(),
        );
        text.push(b'\n');
        std::fs::write(&file, &text).unwrap();
        let e = Journal::open(dir.path(), header()).err().unwrap().to_string();
        assert!(e.contains("line 2 is damaged"), "{e}");
    }
}
