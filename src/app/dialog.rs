//! Native file dialogs off the UI thread. A dialog runs on a thread of its own (rfd's blocking
//! call); its answer comes back through a channel and is applied as the [`Command`] the user's
//! choice means, so the window keeps drawing while the dialog is open.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use super::Command;

/// Which dialog, and what its answer becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKind {
    OpenData,
    OpenPreset,
    SavePresetAs,
    OpenScript,
}

impl DialogKind {
    /// The command a chosen path turns into.
    fn command(self, path: PathBuf) -> Command {
        match self {
            DialogKind::OpenData => Command::OpenData(path),
            DialogKind::OpenPreset => Command::OpenPreset(path),
            DialogKind::SavePresetAs => Command::SavePresetAs(path),
            DialogKind::OpenScript => Command::OpenScript(path),
        }
    }

    /// What to tell the user when nothing was chosen (no desktop portal shows no dialog at all).
    fn nothing_chosen(self) -> &'static str {
        match self {
            DialogKind::OpenData => {
                "no file chosen (if no dialog appeared, type a path in the data field or drop a file on the window)"
            }
            DialogKind::OpenPreset => "no preset chosen (if no dialog appeared, type a path in the preset field)",
            DialogKind::SavePresetAs => {
                "no file chosen (if no dialog appeared, type a path in the preset field and press Save to path)"
            }
            DialogKind::OpenScript => "no script chosen (if no dialog appeared, type a path in the script path field)",
        }
    }

    /// Shows the dialog and waits for the user (on a dialog thread).
    fn show(self) -> Option<PathBuf> {
        let d = rfd::FileDialog::new();
        match self {
            DialogKind::OpenData => d
                .add_filter("Parquet or CSV", &["parquet", "pq", "csv"])
                .set_title("Open data")
                .pick_file(),
            DialogKind::OpenPreset => d.add_filter("Preset", &["ron"]).set_title("Open preset").pick_file(),
            DialogKind::SavePresetAs => d
                .add_filter("Preset", &["ron"])
                .set_file_name("strategy.ron")
                .save_file(),
            DialogKind::OpenScript => d
                .add_filter("Rhai script", &["rhai"])
                .set_title("Open script")
                .pick_file(),
        }
    }
}

/// What a dialog answered: the command to apply, or a message for the log.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogAnswer {
    Chosen(Command),
    Nothing(&'static str),
}

type Shower = Arc<dyn Fn(DialogKind) -> Option<PathBuf> + Send + Sync>;

/// At most one dialog open at a time; answers arrive through [`Dialogs::poll`].
pub struct Dialogs {
    tx: Sender<DialogAnswer>,
    rx: Receiver<DialogAnswer>,
    open: bool,
    wake: Arc<dyn Fn() + Send + Sync>,
    /// Shows a dialog (the native one; tests answer for the user).
    show: Shower,
}

impl Dialogs {
    pub fn new(wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self::with_shower(wake, Arc::new(DialogKind::show))
    }

    /// Dialogs answered by `show` instead of the desktop (tests).
    pub fn with_shower(wake: Arc<dyn Fn() + Send + Sync>, show: Shower) -> Self {
        let (tx, rx) = channel();
        Dialogs {
            tx,
            rx,
            open: false,
            wake,
            show,
        }
    }

    /// Opens `kind` on a dialog thread; false if a dialog is already open (or no thread could
    /// start: the message says so).
    pub fn open(&mut self, kind: DialogKind) -> Result<(), String> {
        if self.open {
            return Err("a file dialog is already open".into());
        }
        let (tx, wake, show) = (self.tx.clone(), self.wake.clone(), self.show.clone());
        std::thread::Builder::new()
            .name("ml4t-dialog".into())
            .spawn(move || {
                let answer = match show(kind) {
                    Some(path) => DialogAnswer::Chosen(kind.command(path)),
                    None => DialogAnswer::Nothing(kind.nothing_chosen()),
                };
                let _ = tx.send(answer);
                wake();
            })
            .map_err(|e| format!("could not open the file dialog: {e}; type a path in the field instead"))?;
        self.open = true;
        Ok(())
    }

    /// The answer of the open dialog, once the user has given it.
    pub fn poll(&mut self) -> Option<DialogAnswer> {
        let answer = self.rx.try_recv().ok()?;
        self.open = false;
        Some(answer)
    }

    /// A dialog is waiting for the user.
    pub fn is_open(&self) -> bool {
        self.open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answer(d: &mut Dialogs) -> DialogAnswer {
        for _ in 0..500 {
            if let Some(a) = d.poll() {
                return a;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("no answer")
    }

    #[test]
    fn dialog_answers_arrive_as_commands_without_blocking() {
        let slow: Shower = Arc::new(|kind| {
            std::thread::sleep(Duration::from_millis(100));
            (kind != DialogKind::OpenScript).then(|| PathBuf::from("picked.ron"))
        });
        let mut d = Dialogs::with_shower(Arc::new(|| {}), slow);
        let started = std::time::Instant::now();
        d.open(DialogKind::OpenPreset).unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(80),
            "open() waited for the user"
        );
        assert!(d.is_open());
        assert!(d.open(DialogKind::OpenData).is_err(), "one dialog at a time");
        assert_eq!(
            answer(&mut d),
            DialogAnswer::Chosen(Command::OpenPreset("picked.ron".into()))
        );
        assert!(!d.is_open());
        d.open(DialogKind::OpenScript).unwrap();
        assert!(matches!(answer(&mut d), DialogAnswer::Nothing(m) if m.contains("script path field")));
    }
}
