//! A script's `print` lines on their way from the run's thread to the log panel: bounded per
//! run, so a print on every bar can neither flood the log nor grow without limit.

use std::sync::{Arc, Mutex, PoisonError};

use crate::log::Log;
use ml4t_script::PrintSink;

/// Lines of one run that reach the log; the rest are counted and summarised.
pub const MAX_LINES_PER_RUN: usize = 500;

#[derive(Default)]
struct Pending {
    lines: Vec<String>,
    /// Lines of the current run so far (kept or dropped).
    this_run: usize,
    dropped: usize,
}

/// Collects script prints for the log. Cheap to share: sinks hold the same buffer.
#[derive(Clone, Default)]
pub struct ScriptPrints {
    inner: Arc<Mutex<Pending>>,
}

impl ScriptPrints {
    /// A sink for a new run: the per-run budget starts again.
    pub fn sink_for_run(&self) -> PrintSink {
        self.lock().this_run = 0;
        let inner = self.inner.clone();
        Arc::new(move |line: &str| {
            let mut p = inner.lock().unwrap_or_else(PoisonError::into_inner);
            p.this_run += 1;
            if p.this_run <= MAX_LINES_PER_RUN {
                p.lines.push(line.to_owned());
            } else {
                p.dropped += 1;
            }
        })
    }

    /// Moves what arrived into `log`, with one line for what was left out.
    pub fn drain_into(&self, log: &mut Log) {
        let (lines, dropped) = {
            let mut p = self.lock();
            (std::mem::take(&mut p.lines), std::mem::take(&mut p.dropped))
        };
        for line in lines {
            log.info(format!("script: {line}"));
        }
        if dropped > 0 {
            log.warn(format!(
                "{dropped} more script print lines not shown (at most {MAX_LINES_PER_RUN} per run): print less \
                 often, e.g. in on_end or when a position changes"
            ));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_are_capped_per_run_and_summarised() {
        let prints = ScriptPrints::default();
        let sink = prints.sink_for_run();
        for i in 0..MAX_LINES_PER_RUN + 100 {
            sink(&format!("s.rhai: line {i}"));
        }
        let mut log = Log::default();
        prints.drain_into(&mut log);
        let texts: Vec<&str> = log.entries().map(|e| e.text.as_str()).collect();
        assert_eq!(texts.len(), MAX_LINES_PER_RUN + 1);
        assert_eq!(texts[0], "script: s.rhai: line 0");
        assert!(
            texts[MAX_LINES_PER_RUN].starts_with("100 more script print lines"),
            "{texts:?}"
        );
        // A new run has its budget again; nothing is pending after a drain.
        let sink = prints.sink_for_run();
        sink("again");
        let mut log = Log::default();
        prints.drain_into(&mut log);
        assert_eq!(
            log.entries().map(|e| e.text.clone()).collect::<Vec<_>>(),
            vec!["script: again"]
        );
    }
}
