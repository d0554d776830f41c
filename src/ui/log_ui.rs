//! The log panel: what the app did (loads, runs, timings, warnings), newest last.

use crate::log::{Level, Log};

pub fn log_ui(ui: &mut egui::Ui, log: &Log) {
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink([false, false])
        .id_salt("log-scroll")
        .show(ui, |ui| {
            for e in log.entries() {
                let when = chrono::DateTime::<chrono::Local>::from(e.at).format("%H:%M:%S");
                let text = format!("{when}  {}", e.text);
                match e.level {
                    Level::Info => ui.label(text),
                    Level::Warn => ui.colored_label(ui.visuals().warn_fg_color, text),
                    Level::Error => ui.colored_label(ui.visuals().error_fg_color, text),
                };
            }
        });
}
