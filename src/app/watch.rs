//! Hot reload: watches the folders of the loaded data and preset (so atomic renames are seen),
//! and reports a file as changed once its events have been quiet for a debounce period.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

pub struct FileWatcher {
    watcher: notify::RecommendedWatcher,
    rx: Receiver<notify::Result<notify::Event>>,
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    /// Last event time per watched file.
    pending: HashMap<PathBuf, Instant>,
    /// Our own writes: events for these files are ignored until the instant.
    suppressed: HashMap<PathBuf, Instant>,
}

fn normal(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

impl FileWatcher {
    /// `wake` is called on every file event (the GUI passes `request_repaint`).
    pub fn new(wake: Arc<dyn Fn() + Send + Sync>) -> Result<Self, String> {
        let (tx, rx) = channel();
        let watcher = notify::recommended_watcher(move |ev| {
            let _ = tx.send(ev);
            wake();
        })
        .map_err(|e| format!("file watching is unavailable: {e}"))?;
        Ok(FileWatcher {
            watcher,
            rx,
            files: Vec::new(),
            dirs: Vec::new(),
            pending: HashMap::new(),
            suppressed: HashMap::new(),
        })
    }

    /// Watches exactly these files (replacing the previous set).
    pub fn watch(&mut self, files: &[PathBuf]) -> Result<(), String> {
        let files: Vec<PathBuf> = files.iter().map(|f| normal(f)).collect();
        let mut dirs: Vec<PathBuf> = files
            .iter()
            .map(|f| {
                if f.is_dir() {
                    f.clone()
                } else {
                    f.parent().map(Path::to_path_buf).unwrap_or_default()
                }
            })
            .filter(|d| !d.as_os_str().is_empty())
            .collect();
        dirs.sort();
        dirs.dedup();
        for d in self.dirs.iter().filter(|d| !dirs.contains(d)) {
            let _ = self.watcher.unwatch(d);
        }
        let mut errors = Vec::new();
        for d in dirs.iter().filter(|d| !self.dirs.contains(d)) {
            if let Err(e) = self.watcher.watch(d, RecursiveMode::NonRecursive) {
                errors.push(format!("{}: {e}", d.display()));
            }
        }
        self.files = files;
        self.dirs = dirs;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("cannot watch {}", errors.join("; ")))
        }
    }

    /// Ignores events for `file` for a moment (the app's own save).
    pub fn suppress(&mut self, file: &Path) {
        self.suppressed
            .insert(normal(file), Instant::now() + Duration::from_millis(1_500));
    }

    /// Watched files whose last change is at least `debounce` old.
    pub fn changed(&mut self, debounce: Duration) -> Vec<PathBuf> {
        let now = Instant::now();
        while let Ok(ev) = self.rx.try_recv() {
            let Ok(ev) = ev else { continue };
            if matches!(ev.kind, notify::EventKind::Access(_)) {
                continue;
            }
            for p in ev.paths {
                let hit = self.files.iter().find(|f| {
                    **f == p || p.starts_with(f) || (f.file_name() == p.file_name() && f.parent() == p.parent())
                });
                if let Some(f) = hit {
                    if self.suppressed.get(f).is_some_and(|until| now < *until) {
                        continue;
                    }
                    self.pending.insert(f.clone(), now);
                }
            }
        }
        let ready: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, t)| now.duration_since(**t) >= debounce)
            .map(|(p, _)| p.clone())
            .collect();
        for p in &ready {
            self.pending.remove(p);
        }
        ready
    }

    /// Whether a change is waiting for its debounce period to pass.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watcher_reports_an_atomically_replaced_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data.csv");
        std::fs::write(&file, "a").unwrap();
        let mut w = FileWatcher::new(Arc::new(|| {})).unwrap();
        w.watch(std::slice::from_ref(&file)).unwrap();
        let tmp = dir.path().join(".data.csv.tmp");
        std::fs::write(&tmp, "b").unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        std::fs::write(dir.path().join("other.csv"), "c").unwrap();
        let mut seen = Vec::new();
        for _ in 0..200 {
            seen.extend(w.changed(Duration::from_millis(20)));
            if !seen.is_empty() && !w.has_pending() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(seen, vec![normal(&file)]);
    }
}
