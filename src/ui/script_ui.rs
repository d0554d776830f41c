//! The Script tab: strategy kind switch, the Rhai editor (line numbers, highlighting, the failing
//! line underlined), the compile error, open/save, inline or file, and a hybrid's filter rules.

use std::ops::Range;
use std::path::PathBuf;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Stroke, TextStyle};

use super::command::{Command, StrategyKind};
use crate::ui::rules_ui;
use ml4t_data::SignalInfo;
use ml4t_preset::StrategySpec;
use ml4t_script::ScriptError;

/// Margin inside the editor's frame; the line-number gutter uses the same so rows line up.
const EDITOR_MARGIN: egui::Margin = egui::Margin::symmetric(4, 2);

/// What the Script tab reads and edits: the strategy (kind, hybrid filter, inline source) and
/// the editor's buffer and its state.
pub struct ScriptPanel<'a> {
    pub strategy: &'a mut StrategySpec,
    /// The data's signals (for the hybrid filter's rule editor).
    pub signals: &'a [SignalInfo],
    pub n_assets: usize,
    /// The editor buffer.
    pub text: &'a mut String,
    /// The Open / Save as path field.
    pub path_field: &'a mut String,
    /// The buffer's compile error.
    pub error: Option<&'a ScriptError>,
    /// The last run's error in the script: (line, message).
    pub runtime_error: Option<&'a (usize, String)>,
    /// The file changed on disk while the buffer had unsaved edits.
    pub changed_on_disk: bool,
    /// Unsaved edits of a file-based script.
    pub unsaved: bool,
    /// Sweep paths in the preset's sweep (the hybrid filter's "sweep this" buttons).
    pub swept: Vec<String>,
    pub commands: &'a mut Vec<Command>,
}

/// Draws the Script tab; edits of the buffer go to an inline script's source, the rest come back
/// as commands.
pub fn script_ui(ui: &mut egui::Ui, app: &mut ScriptPanel<'_>) {
    strategy_kind_ui(ui, app.strategy, app.commands);
    ui.separator();
    let Some(src) = app.strategy.script().cloned() else {
        ui.label(
            "This preset uses rules or a portfolio (Rules tab). Switch to Script or Hybrid to write the strategy in Rhai.",
        );
        return;
    };
    if let StrategySpec::Hybrid { filter, .. } = &mut *app.strategy {
        let signals = app.signals.to_vec();
        let n_assets = app.n_assets;
        let marks = rules_ui::SweepMarks::new(app.swept.clone());
        if rules_ui::filter_editor_ui(ui, filter, &signals, n_assets, Some(&marks)) {
            app.commands.push(Command::StrategyEdited);
        }
        crate::ui::layout::push_sweep_clicks(&marks, app.commands);
        ui.separator();
    }
    source_ui(ui, app, src.source.is_some());
    if app.changed_on_disk {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "The script file changed on disk; you have unsaved script edits.",
            );
            if ui.button("Reload script from disk").clicked() {
                app.commands.push(Command::ReloadScript);
            }
        });
    }
    let error_line = match &app.error {
        Some(e) => e.location().map(|(l, _)| l),
        None => app.runtime_error.as_ref().map(|(l, _)| *l),
    };
    if editor_ui(ui, &mut *app.text, error_line) {
        if let StrategySpec::Script(s) | StrategySpec::Hybrid { script: s, .. } = &mut *app.strategy
            && s.source.is_some()
        {
            s.source = Some(app.text.clone());
        }
        app.commands.push(Command::StrategyEdited);
    }
    match (&app.error, &app.runtime_error) {
        (Some(e), _) => {
            ui.colored_label(ui.visuals().error_fg_color, e.to_string());
        }
        (None, Some((_, message))) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("The last run failed: {message}"));
        }
        (None, None) => {
            ui.weak("Compiles. F5 runs it; with Auto-run each edit re-runs.");
        }
    }
}

/// The strategy kind switch (Rules, Portfolio, Script, Hybrid): on the Rules and Script tabs.
pub fn strategy_kind_ui(ui: &mut egui::Ui, strategy: &StrategySpec, commands: &mut Vec<Command>) {
    let current = StrategyKind::of(strategy);
    ui.horizontal_wrapped(|ui| {
        ui.label("Strategy kind");
        ui.spacing_mut().item_spacing.x = 2.0;
        for (kind, label, hover) in [
            (StrategyKind::Rules, "Rules", "Entry/exit rules and a sizer (Rules tab)"),
            (
                StrategyKind::Portfolio,
                "Portfolio",
                "A ranked portfolio rebalanced on a schedule: long the top, short the bottom (Rules tab)",
            ),
            (StrategyKind::Script, "Script", "A Rhai script"),
            (
                StrategyKind::Hybrid,
                "Hybrid",
                "Filter rules in front of a Rhai script: on_bar runs where they hold",
            ),
        ] {
            if ui
                .selectable_label(current == kind, label)
                .on_hover_text(hover)
                .clicked()
                && current != kind
            {
                commands.push(Command::SetStrategyKind(kind));
            }
        }
    });
}

/// Where the script lives: inline or file, the path field, open and save.
fn source_ui(ui: &mut egui::Ui, app: &mut ScriptPanel<'_>, inline: bool) {
    ui.horizontal(|ui| {
        ui.label("Stored");
        if ui
            .selectable_label(inline, "Inline in preset")
            .on_hover_text("The script text is saved inside the preset file")
            .clicked()
            && !inline
        {
            app.commands.push(Command::SetScriptInline(true));
        }
        if ui
            .selectable_label(!inline, "File")
            .on_hover_text("The preset names a .rhai file (relative to the preset)")
            .clicked()
            && inline
        {
            app.commands.push(Command::SetScriptInline(false));
        }
        if !inline {
            let unsaved = app.unsaved;
            let label = if unsaved { "Save script *" } else { "Save script" };
            if ui
                .add_enabled(unsaved, egui::Button::new(label))
                .on_hover_text("Write the script to its file")
                .clicked()
            {
                app.commands.push(Command::SaveScript);
            }
        }
    });
    let enter = ui
        .horizontal(|ui| {
            let label = ui.label("Script path");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut *app.path_field)
                        .hint_text("path/to/strategy.rhai")
                        .desired_width(ui.available_width()),
                )
                .labelled_by(label.id)
                .on_hover_text("Type or paste a path, then Open script path or Save script to path");
            field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
        })
        .inner;
    let path = app.path_field.trim().to_owned();
    ui.horizontal_wrapped(|ui| {
        if (ui
            .add_enabled(!path.is_empty(), egui::Button::new("Open script path"))
            .on_hover_text("Use this .rhai file (unsaved script edits are dropped)")
            .clicked()
            || enter)
            && !path.is_empty()
        {
            app.commands.push(Command::OpenScript(PathBuf::from(&path)));
        }
        if ui
            .add_enabled(!path.is_empty(), egui::Button::new("Save script to path"))
            .on_hover_text("Write the script to this file and use it from there")
            .clicked()
        {
            app.commands.push(Command::SaveScriptAs(PathBuf::from(&path)));
        }
        if ui.button("Open .rhai...").on_hover_text("Pick a script file").clicked() {
            app.commands.push(Command::OpenScriptDialog);
        }
    });
}

/// The code editor with its line-number gutter. Returns true when the text changed.
fn editor_ui(ui: &mut egui::Ui, text: &mut String, error_line: Option<usize>) -> bool {
    let label = ui.label("Script text");
    let font = TextStyle::Monospace.resolve(ui.style());
    let theme = Theme::of(ui.visuals());
    let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, _wrap_width: f32| {
        let mut job = highlight(buf.as_str(), &font, &theme, error_line);
        // No wrapping: one text row per line keeps the gutter aligned.
        job.wrap.max_width = f32::INFINITY;
        ui.fonts_mut(|f| f.layout_job(job))
    };
    let lines = text.split('\n').count().max(1);
    let mut changed = false;
    egui::ScrollArea::horizontal()
        .id_salt("script-editor-scroll")
        .show(ui, |ui| {
            ui.horizontal_top(|ui| {
                ui.spacing_mut().item_spacing.x = 2.0;
                let numbers: String = (1..=lines).map(|n| format!("{n:>3}\n")).collect();
                egui::Frame::new().inner_margin(EDITOR_MARGIN).show(ui, |ui| {
                    ui.add(
                        egui::Label::new(
                            egui::RichText::new(numbers.trim_end())
                                .font(font.clone())
                                .color(ui.visuals().weak_text_color()),
                        )
                        .selectable(false),
                    );
                });
                let response = ui
                    .add(
                        egui::TextEdit::multiline(text)
                            .id_salt("script-editor")
                            .code_editor()
                            .margin(EDITOR_MARGIN)
                            .desired_rows(24)
                            .desired_width(f32::INFINITY)
                            .layouter(&mut layouter),
                    )
                    .labelled_by(label.id);
                changed = response.changed();
            });
        });
    changed
}

struct Theme {
    plain: Color32,
    keyword: Color32,
    number: Color32,
    string: Color32,
    comment: Color32,
    error: Color32,
}

impl Theme {
    fn of(v: &egui::Visuals) -> Self {
        if v.dark_mode {
            Theme {
                plain: v.text_color(),
                keyword: Color32::from_rgb(0xc6, 0x78, 0xdd),
                number: Color32::from_rgb(0xd1, 0x9a, 0x66),
                string: Color32::from_rgb(0x98, 0xc3, 0x79),
                comment: Color32::from_gray(0x80),
                error: v.error_fg_color,
            }
        } else {
            Theme {
                plain: v.text_color(),
                keyword: Color32::from_rgb(0x80, 0x20, 0xa0),
                number: Color32::from_rgb(0xa0, 0x50, 0x00),
                string: Color32::from_rgb(0x20, 0x80, 0x20),
                comment: Color32::from_gray(0x70),
                error: v.error_fg_color,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Plain,
    Keyword,
    Number,
    String,
    Comment,
}

const KEYWORDS: [&str; 13] = [
    "fn", "let", "const", "if", "else", "return", "while", "loop", "for", "in", "true", "false", "break",
];

/// Splits Rhai source into highlighted spans (covering the whole text, in order).
fn tokens(src: &str) -> Vec<(Range<usize>, Token)> {
    let b = src.as_bytes();
    let mut out: Vec<(Range<usize>, Token)> = Vec::new();
    let mut push = |r: Range<usize>, t: Token| match out.last_mut() {
        Some((last, lt)) if *lt == t && last.end == r.start => last.end = r.end,
        _ => out.push((r, t)),
    };
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let tok = if c == b'/' && b.get(i + 1) == Some(&b'/') {
            i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            Token::Comment
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            Token::Comment
        } else if c == b'"' || c == b'`' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                i += 1;
                if b[i - 1] == b'\\' {
                    i += src.get(i..).and_then(|r| r.chars().next()).map_or(0, char::len_utf8);
                }
            }
            i = (i + 1).min(b.len());
            Token::String
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                // `1.0.max(x)` style method calls are rare; a dot followed by a letter ends it.
                if b[i] == b'.' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    break;
                }
                i += 1;
            }
            Token::Number
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let preceded_by_dot = start > 0 && b[start - 1] == b'.';
            if !preceded_by_dot && KEYWORDS.contains(&&src[start..i]) {
                Token::Keyword
            } else {
                Token::Plain
            }
        } else {
            // One character (UTF-8 aware).
            i += src[i..].chars().next().map_or(1, char::len_utf8);
            Token::Plain
        };
        push(start..i, tok);
    }
    out
}

/// Byte range of 1-based line `line` (without its newline).
fn line_range(src: &str, line: usize) -> Option<Range<usize>> {
    let mut start = 0;
    for (i, l) in src.split('\n').enumerate() {
        if i + 1 == line {
            return Some(start..start + l.len());
        }
        start += l.len() + 1;
    }
    None
}

fn highlight(src: &str, font: &FontId, theme: &Theme, error_line: Option<usize>) -> LayoutJob {
    let mut job = LayoutJob::default();
    let err = error_line.and_then(|l| line_range(src, l));
    let format = |t: Token, on_error: bool| {
        let color = match t {
            Token::Plain => theme.plain,
            Token::Keyword => theme.keyword,
            Token::Number => theme.number,
            Token::String => theme.string,
            Token::Comment => theme.comment,
        };
        let mut f = TextFormat::simple(font.clone(), color);
        if on_error {
            f.underline = Stroke::new(1.5, theme.error);
            f.background = theme.error.gamma_multiply(0.15);
        }
        f
    };
    for (r, t) in tokens(src) {
        // Split at the error line's bounds so only that line is marked.
        let mut cuts = vec![r.start, r.end];
        if let Some(e) = &err {
            for c in [e.start, e.end] {
                if r.start < c && c < r.end {
                    cuts.push(c);
                }
            }
        }
        cuts.sort_unstable();
        for w in cuts.windows(2) {
            let (a, z) = (w[0], w[1]);
            let on_error = err.as_ref().is_some_and(|e| a >= e.start && z <= e.end && a < z);
            job.append(&src[a..z], 0.0, format(t, on_error));
        }
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(&str, Token)> {
        tokens(src).into_iter().map(|(r, t)| (&src[r], t)).collect()
    }

    #[test]
    fn tokens_cover_keywords_numbers_strings_comments() {
        let src = "let x = 0.8; // hi\nif bar.in > 1 { \"s\" }";
        let k = kinds(src);
        assert_eq!(
            k.iter().map(|(s, _)| *s).collect::<String>(),
            src,
            "spans cover the text"
        );
        assert!(k.contains(&("let", Token::Keyword)));
        assert!(k.contains(&("0.8", Token::Number)));
        assert!(k.contains(&("// hi", Token::Comment)));
        assert!(k.contains(&("if", Token::Keyword)));
        assert!(k.contains(&("\"s\"", Token::String)));
        // A property named like a keyword is not one.
        assert!(!k.iter().any(|(s, t)| *s == "in" && *t == Token::Keyword));
    }

    #[test]
    fn tokens_survive_unterminated_and_non_ascii_text() {
        for src in ["\"open", "/* open", "x = 'a", "é + ü", "1.max(2)", "\"\\é\"", "\"\\"] {
            let k = kinds(src);
            assert_eq!(k.iter().map(|(s, _)| *s).collect::<String>(), src);
        }
    }

    #[test]
    fn line_range_finds_lines() {
        let src = "ab\ncd\n\nef";
        assert_eq!(line_range(src, 1), Some(0..2));
        assert_eq!(line_range(src, 2), Some(3..5));
        assert_eq!(line_range(src, 3), Some(6..6));
        assert_eq!(line_range(src, 4), Some(7..9));
        assert_eq!(line_range(src, 5), None);
    }
}
