//! The Python package, embedded in the binary so that the worker runs wherever the binary is
//! copied; it is written to a private temporary directory at start-up.

use std::io;
use std::path::Path;

/// The package's files, relative to `python/`, with their contents.
pub const FILES: &[(&str, &str)] = &[
    (
        "pytorch_baseline/__init__.py",
        include_str!("../python/pytorch_baseline/__init__.py"),
    ),
    (
        "pytorch_baseline/__main__.py",
        include_str!("../python/pytorch_baseline/__main__.py"),
    ),
    (
        "pytorch_baseline/engine.py",
        include_str!("../python/pytorch_baseline/engine.py"),
    ),
    (
        "pytorch_baseline/options.py",
        include_str!("../python/pytorch_baseline/options.py"),
    ),
    (
        "pytorch_baseline/protocol.py",
        include_str!("../python/pytorch_baseline/protocol.py"),
    ),
    (
        "pytorch_baseline/sampler.py",
        include_str!("../python/pytorch_baseline/sampler.py"),
    ),
    (
        "pytorch_baseline/serve.py",
        include_str!("../python/pytorch_baseline/serve.py"),
    ),
    (
        "pytorch_baseline/timing.py",
        include_str!("../python/pytorch_baseline/timing.py"),
    ),
];

/// Write the package under `dir` (which then goes on `PYTHONPATH`).
pub fn write(dir: &Path) -> io::Result<()> {
    for (name, text) in FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module added to the package but not to [`FILES`] would be missing from the binary.
    #[test]
    fn every_module_of_the_package_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/pytorch_baseline");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("package directory")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "py"))
            .filter_map(|p| Some(format!("pytorch_baseline/{}", p.file_name()?.to_str()?)))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn writes_the_package() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(tmp.path()).expect("write");
        let main = std::fs::read_to_string(tmp.path().join("pytorch_baseline/__main__.py"))
            .expect("written");
        assert!(main.contains("main("));
    }
}
