//! Background jobs for the workbench: each runs on its own named thread, reports progress through
//! a bounded channel that never blocks the worker, and can be cancelled through a shared flag.
//! Dropping a task cancels it and detaches its thread: a superseded run finishes (or notices the
//! flag) on its own, and the UI thread never waits for it. The UI polls; it never waits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// Progress of a job younger than this does not wake the UI (nor does the UI show it): most runs
/// finish sooner, and a frame painted for a progress bar nobody sees only delays the frame that
/// shows the result.
pub const QUIET_START: std::time::Duration = std::time::Duration::from_millis(150);

/// What a job sees: progress reporting and the cancel flag.
#[derive(Clone)]
pub struct JobHandle {
    progress: SyncSender<f32>,
    cancel: Arc<AtomicBool>,
    wake: Arc<dyn Fn() + Send + Sync>,
    started: std::time::Instant,
}

impl JobHandle {
    /// Reports progress in [0, 1]; dropped when the UI is behind (it only needs the latest). The
    /// UI is woken for it once the job is older than [`QUIET_START`].
    pub fn progress(&self, fraction: f32) {
        match self.progress.try_send(fraction) {
            Ok(()) | Err(TrySendError::Full(_)) => {
                if self.started.elapsed() >= QUIET_START {
                    (self.wake)();
                }
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.cancel
    }

    #[cfg(test)]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// A running job producing `T`.
pub struct Task<T> {
    progress_rx: Receiver<f32>,
    result_rx: Receiver<Result<T, String>>,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    progress: f32,
    started: std::time::Instant,
}

impl<T: Send + 'static> Task<T> {
    /// Starts `job` on a thread named `name`; `wake` is called when there is news (the GUI passes
    /// `ctx.request_repaint`).
    pub fn spawn(
        name: &str,
        wake: Arc<dyn Fn() + Send + Sync>,
        job: impl FnOnce(&JobHandle) -> Result<T, String> + Send + 'static,
    ) -> Result<Self, String> {
        let (progress_tx, progress_rx) = sync_channel(8);
        let (result_tx, result_rx) = sync_channel(1);
        let cancel = Arc::new(AtomicBool::new(false));
        let started = std::time::Instant::now();
        let handle = JobHandle {
            progress: progress_tx,
            cancel: cancel.clone(),
            wake: wake.clone(),
            started,
        };
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&handle)))
                    .unwrap_or_else(|_| Err("the job crashed (a bug: please report it with the log)".to_owned()));
                let _ = result_tx.send(out);
                wake();
            })
            .map_err(|e| format!("could not start a thread: {e}"))?;
        Ok(Task {
            progress_rx,
            result_rx,
            cancel,
            thread: Some(thread),
            progress: 0.0,
            started,
        })
    }

    /// Latest progress in [0, 1].
    pub fn progress(&self) -> f32 {
        self.progress
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Drains progress; returns the result once the job has finished.
    pub fn poll(&mut self) -> Option<Result<T, String>> {
        while let Ok(p) = self.progress_rx.try_recv() {
            self.progress = p;
        }
        match self.result_rx.try_recv() {
            Ok(r) => {
                if let Some(t) = self.thread.take() {
                    let _ = t.join();
                }
                Some(r)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the job ended without a result".to_owned())),
        }
    }
}

impl<T> Task<T> {
    /// Cancels the job and waits for its thread to end: for the few places that must know it
    /// stopped (a live session at exit, whose journal must be complete). Never on a frame.
    pub fn cancel_and_join(mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl<T> Drop for Task<T> {
    /// Cancels the job and detaches its thread (dropping the handle does not wait): the job
    /// reads the flag and ends by itself, sending its result nowhere.
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        drop(self.thread.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wait<T: Send + 'static>(task: &mut Task<T>) -> Result<T, String> {
        for _ in 0..2_000 {
            if let Some(r) = task.poll() {
                return r;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Err("timed out".into())
    }

    #[test]
    fn task_reports_progress_and_result() {
        let mut t = Task::spawn("test-job", Arc::new(|| {}), |h| {
            h.progress(0.5);
            Ok(42)
        })
        .unwrap();
        assert_eq!(wait(&mut t), Ok(42));
        assert_eq!(t.progress(), 0.5);
    }

    #[test]
    fn progress_wakes_the_ui_only_once_the_job_is_not_young() {
        use std::sync::atomic::AtomicUsize;
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = wakes.clone();
        let wake = Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let mut t = Task::spawn("test-quiet", wake, |h| {
            // A young job's progress is recorded but wakes nobody; an older one's wakes the UI.
            // (A thread that starts late on a loaded machine reports no young progress at all.)
            let young = h.started.elapsed() < QUIET_START;
            h.progress(0.25);
            std::thread::sleep(QUIET_START);
            h.progress(0.75);
            Ok(young)
        })
        .unwrap();
        let young = wait(&mut t).unwrap();
        // One wake for the late progress and one for the result, plus one for the first report
        // only if the job was no longer young when it made it.
        let expected = if young { 2 } else { 3 };
        assert_eq!(wakes.load(Ordering::Relaxed), expected);
        assert_eq!(t.progress(), 0.75);
    }

    #[test]
    fn task_cancel_reaches_the_job() {
        let mut t = Task::spawn("test-cancel", Arc::new(|| {}), |h| {
            while !h.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err::<(), _>("cancelled".into())
        })
        .unwrap();
        t.cancel();
        assert_eq!(wait(&mut t), Err("cancelled".into()));
    }

    #[test]
    fn task_panic_becomes_an_error() {
        let mut t = Task::spawn("test-panic", Arc::new(|| {}), |_| -> Result<(), String> {
            panic!("boom")
        })
        .unwrap();
        assert!(wait(&mut t).unwrap_err().contains("crashed"));
    }

    #[test]
    fn task_drop_cancels_and_detaches_without_waiting() {
        // A job that notices the cancel only after 300 ms: dropping its task must not wait for
        // it (the UI thread drops superseded runs), yet the job must see the cancel.
        let saw_cancel = Arc::new(AtomicBool::new(false));
        let seen = saw_cancel.clone();
        let t = Task::spawn("test-drop", Arc::new(|| {}), move |h| {
            std::thread::sleep(Duration::from_millis(300));
            seen.store(h.is_cancelled(), Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
        let started = std::time::Instant::now();
        drop(t);
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_millis(150),
            "drop waited {waited:?} for the job"
        );
        for _ in 0..200 {
            if saw_cancel.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("the detached job never saw the cancel");
    }

    #[test]
    fn task_cancel_and_join_waits_for_the_job() {
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let t = Task::spawn("test-join", Arc::new(|| {}), move |h| {
            while !h.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            d.store(true, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
        t.cancel_and_join();
        assert!(done.load(Ordering::Relaxed));
    }
}
