//! Reading small value files from sysfs and procfs, with errors that name the file.

use std::io;
use std::path::{Path, PathBuf};

/// A value file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {what}", path.display())]
pub struct SysfsError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong, in words ("permission denied", "not found", "not a number: `abc`").
    pub what: String,
}

impl SysfsError {
    fn io(path: &Path, err: &io::Error) -> Self {
        let what = match err.kind() {
            io::ErrorKind::NotFound => "not found".to_owned(),
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => err.to_string(),
        };
        Self {
            path: path.to_path_buf(),
            what,
        }
    }
}

/// The file's content without surrounding whitespace.
pub fn read_trimmed(path: &Path) -> Result<String, SysfsError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| SysfsError::io(path, &e))
}

/// The file's content as an unsigned integer.
pub fn read_u64(path: &Path) -> Result<u64, SysfsError> {
    let text = read_trimmed(path)?;
    text.parse().map_err(|_| SysfsError {
        path: path.to_path_buf(),
        what: format!("not a number: `{text}`"),
    })
}

/// The file's content as an unsigned integer, `None` when the file does not exist or fails.
pub fn read_u64_opt(path: &Path) -> Option<u64> {
    read_u64(path).ok()
}

/// Entries of `dir` whose file name starts with `prefix`, sorted by name; empty when `dir` is
/// missing.
pub fn entries_with_prefix(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_the_cause() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("energy_uj");
        let err = read_u64(&missing).expect_err("missing file");
        assert!(err.to_string().ends_with("energy_uj: not found"), "{err}");

        std::fs::write(&missing, "12x\n").expect("write");
        let err = read_u64(&missing).expect_err("garbage");
        assert!(err.to_string().contains("not a number: `12x`"), "{err}");

        std::fs::write(&missing, " 42\n").expect("write");
        assert_eq!(read_u64(&missing).expect("number"), 42);
    }
}
