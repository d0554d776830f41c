//! The app's activity log (loads, runs, timings, warnings), shown in the log panel.

use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: SystemTime,
    pub level: Level,
    pub text: String,
}

/// A bounded log: the oldest entries go first.
#[derive(Debug, Clone, Default)]
pub struct Log {
    entries: std::collections::VecDeque<Entry>,
}

const MAX_ENTRIES: usize = 2_000;

impl Log {
    pub fn push(&mut self, level: Level, text: impl Into<String>) {
        if self.entries.len() == MAX_ENTRIES {
            self.entries.pop_front();
        }
        self.entries.push_back(Entry {
            at: SystemTime::now(),
            level,
            text: text.into(),
        });
    }
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Level::Info, text);
    }
    pub fn warn(&mut self, text: impl Into<String>) {
        self.push(Level::Warn, text);
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.push(Level::Error, text);
    }
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator {
        self.entries.iter()
    }
    pub fn last(&self) -> Option<&Entry> {
        self.entries.back()
    }
}
