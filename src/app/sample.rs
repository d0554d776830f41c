//! The bundled sample data and default preset, embedded in the binary so that `ml4t` opens on a
//! working example from any directory.

use std::path::{Path, PathBuf};

use ml4t_preset::Preset;

const SAMPLE: &[u8] = include_bytes!("../../sample_data/sample.parquet");
const DEFAULT_PRESET: &str = include_str!("../../assets/presets/default.ron");

/// Where the sample is unpacked: beside eframe's storage, else the temp folder.
pub fn sample_dir() -> PathBuf {
    eframe::storage_dir("ml4t").unwrap_or_else(|| std::env::temp_dir().join("ml4t"))
}

/// Writes the embedded sample to `dir` (unless an identical copy is there) and returns its path.
pub fn ensure_sample(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("sample.parquet");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == SAMPLE.len() as u64) {
        return Ok(path);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = dir.join(format!(".sample.parquet.{}.tmp", std::process::id()));
    std::fs::write(&tmp, SAMPLE)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("unpacking the sample data to {}: {e}", path.display()))?;
    Ok(path)
}

/// The default preset, its data path pointing at `sample`.
pub fn default_preset(sample: &Path) -> Result<Preset, String> {
    let mut p = ml4t_preset::from_str(DEFAULT_PRESET, Path::new("default.ron")).map_err(|e| e.to_string())?;
    p.data.path = sample.to_path_buf();
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_unpacks_once_and_default_preset_points_at_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = ensure_sample(dir.path()).unwrap();
        assert_eq!(std::fs::read(&p).unwrap().len(), SAMPLE.len());
        assert_eq!(ensure_sample(dir.path()).unwrap(), p);
        let preset = default_preset(&p).unwrap();
        assert_eq!(preset.data.path, p);
        assert!(preset.strategy.rules().is_some());
    }
}
