//! What can go wrong reading, writing or checking a preset; every message names the preset file.

use std::path::{Path, PathBuf};

use ml4t_data::DataError;

/// A preset that cannot be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    #[error("{}: {source}; check that the path exists and is readable (writable when saving)", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{}, line {line}, column {column}: {message}; fix the preset file at that place",
        path.display()
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{}: written by a newer ml4t (preset format version {found}; this build reads up to version \
         {supported}); upgrade ml4t to open it",
        path.display()
    )]
    Version { path: PathBuf, found: u32, supported: u32 },
    #[error("{}: field '{field}': {message}", origin(path))]
    InvalidField {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error("{}: cannot write the preset: {message}", path.display())]
    Serialize { path: PathBuf, message: String },
    #[error("{}: loading its data failed: {source}", path.display())]
    Data { path: PathBuf, source: DataError },
}

impl PresetError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PresetError + '_ {
        move |source| PresetError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn field(path: &Path, field: &str, message: impl Into<String>) -> PresetError {
        PresetError::InvalidField {
            path: path.to_path_buf(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A preset built in memory has no file: say "preset" instead of an empty path.
fn origin(path: &Path) -> String {
    if path.as_os_str().is_empty() {
        "preset".into()
    } else {
        path.display().to_string()
    }
}
