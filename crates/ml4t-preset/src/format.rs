//! The RON text of a preset: reading every supported format version, writing the current one.

use std::path::Path;

use ron::extensions::Extensions;
use ron::ser::PrettyConfig;
use serde::Deserialize;

use super::{CURRENT_VERSION, Preset, PresetError};

/// On for every read, whether or not the file enables them: `Rules(entry: [...])` instead of
/// `Rules((entry: [...]))`, and `start: "2020-01-01"` instead of `start: Some("2020-01-01")`.
/// Saved files enable them in a header so that other RON readers understand them too.
const EXTENSIONS: Extensions = Extensions::UNWRAP_VARIANT_NEWTYPES.union(Extensions::IMPLICIT_SOME);

const HEADER: &str = "// ml4t strategy preset (RON). A relative data path is relative to this file's folder.\n";

/// Only the version, so that a file of any format can be routed to its reader.
#[derive(Deserialize)]
struct VersionProbe {
    #[serde(default = "first_version")]
    version: u32,
}

fn first_version() -> u32 {
    1
}

/// Parses a preset of any supported version; `path` names the file in errors.
pub(super) fn read(text: &str, path: &Path) -> Result<Preset, PresetError> {
    let probe: VersionProbe = parse(text, path)?;
    let mut preset = migrate(probe.version, text, path)?;
    preset.version = CURRENT_VERSION;
    Ok(preset)
}

/// Reads `text` written in format `version` as the current [`Preset`]. Each past format keeps its
/// own serde types (a `v1` module when version 2 arrives) and a step here parses them and converts
/// them forward, so old files keep opening.
fn migrate(version: u32, text: &str, path: &Path) -> Result<Preset, PresetError> {
    match version {
        // Version 2 only added optional fields (shorts, exit fills, entry orders, margin,
        // portfolio, borrow fee; the `sweep` section), so a version 1 file is a valid version 2
        // file. A format that changes a field's meaning keeps the old serde types in a `vN` module
        // and adds `N => parse::<vN::Preset>(text, path).map(Preset::from)`.
        1 | CURRENT_VERSION => parse(text, path),
        0 => Err(PresetError::field(
            path,
            "version",
            "format versions start at 1; write `version: 1` or leave the field out",
        )),
        found => Err(PresetError::Version {
            path: path.to_path_buf(),
            found,
            supported: CURRENT_VERSION,
        }),
    }
}

/// Parses with [`EXTENSIONS`], falling back to plain newtype variants (`Rules((entry: ...))`, as
/// RON writers without the extension produce them). Of two failures, the one that got further
/// into the text is the likelier real mistake.
fn parse<'a, T: Deserialize<'a>>(text: &'a str, path: &Path) -> Result<T, PresetError> {
    let with = |ext| ron::Options::default().with_default_extension(ext).from_str(text);
    let first = match with(EXTENSIONS) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let e = match with(Extensions::IMPLICIT_SOME) {
        Ok(v) => return Ok(v),
        Err(second) if second.span.start > first.span.start => second,
        Err(_) => first,
    };
    Err(PresetError::Parse {
        path: path.to_path_buf(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: e.code.to_string(),
    })
}

/// The preset as pretty RON with a comment header, one field per line.
pub(super) fn write(preset: &Preset, path: &Path) -> Result<String, PresetError> {
    if preset.data.path.to_str().is_none() {
        return Err(PresetError::field(
            path,
            "data.path",
            format!(
                "{} is not valid UTF-8 and cannot be stored in a preset; rename the file or folder",
                preset.data.path.display()
            ),
        ));
    }
    let config = PrettyConfig::new().indentor("    ").extensions(EXTENSIONS);
    let body = ron::Options::default()
        .to_string_pretty(preset, config)
        .map_err(|e| PresetError::Serialize {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    Ok(format!("{HEADER}{body}\n"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn read_missing_version_means_1_and_reads_as_current() {
        let p = read(
            r#"(data: (path: "x.parquet"), strategy: Rules(entry: [InPosition]))"#,
            Path::new("p.ron"),
        );
        assert_eq!(p.unwrap().version, CURRENT_VERSION);
    }

    #[test]
    fn read_version_1_rules_read_unchanged_with_the_new_defaults() {
        use ml4t_engine::strategy::rules::{Direction, EntryOrder, ExitFills};
        let text = r#"(version: 1, data: (path: "x"), strategy: Rules(entry: [InPosition], direction: Long))"#;
        let p = read(text, Path::new("p.ron")).unwrap();
        let rules = p.strategy.rules().unwrap();
        assert_eq!(rules.direction, Direction::Long);
        assert_eq!(rules.exit_fills, ExitFills::NextOpen);
        assert_eq!(rules.entry_order, EntryOrder::Market);
        assert!(rules.short_entry.is_empty());
    }

    #[test]
    fn read_version_2_fields_and_write_back() {
        use ml4t_engine::strategy::rules::{Direction, EntryOrder, ExitFills};
        let text = r#"(version: 2, data: (path: "x"), strategy: Rules(entry: [InPosition],
            direction: long_short, short_entry: [NotInPosition], exit_fills: intrabar,
            entry_order: stop(offset: 0.01)))"#;
        let p = read(text, Path::new("p.ron")).unwrap();
        let rules = p.strategy.rules().unwrap();
        assert_eq!(rules.direction, Direction::LongShort);
        assert_eq!(rules.exit_fills, ExitFills::Intrabar);
        assert_eq!(
            rules.entry_order,
            EntryOrder::Stop {
                offset: 0.01,
                valid_bars: 1
            }
        );
        let out = write(&p, Path::new("p.ron")).unwrap();
        assert_eq!(read(&out, Path::new("p.ron")).unwrap(), p);
    }

    #[test]
    fn read_missing_version_means_1() {
        let text = r#"(data: (path: "x.parquet"), strategy: Rules(entry: [InPosition]))"#;
        let probe: VersionProbe = parse(text, Path::new("p.ron")).unwrap();
        assert_eq!(probe.version, 1);
        // Read as format 1, migrated to the current one.
        let p = read(text, Path::new("p.ron")).unwrap();
        assert_eq!(p.version, CURRENT_VERSION);
        assert_eq!(p.sweep, None);
    }

    #[test]
    fn read_version_0_is_refused() {
        let err = read(
            r#"(version: 0, data: (path: "x"), strategy: Rules())"#,
            Path::new("p.ron"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("versions start at 1"), "{err}");
    }

    #[test]
    fn read_accepts_the_long_forms() {
        // Explicit `Some(...)` and a parenthesised newtype variant still read.
        let text = r#"(data: (path: "x", start: Some("2020-01-01")), strategy: Rules((entry: [InPosition])))"#;
        let p = read(text, Path::new("p.ron")).unwrap();
        assert_eq!(p.data.start.as_deref(), Some("2020-01-01"));
    }

    #[test]
    fn write_starts_with_the_header_and_reads_back() {
        let text = r#"(name: "t", data: (path: "x.parquet"), strategy: Rules(entry: [SignalAbove("s", 0.5)]))"#;
        let p = read(text, Path::new("p.ron")).unwrap();
        let out = write(&p, Path::new("p.ron")).unwrap();
        assert!(out.starts_with(HEADER));
        assert!(out.contains("#![enable(implicit_some)]"), "{out}");
        assert_eq!(read(&out, Path::new("p.ron")).unwrap(), p);
    }
}
