//! Derived registry models written from the default model when it has been fetched
//! (`models/`, by `bash scripts/setup.sh`); skipped otherwise. The derivation must reproduce the
//! registry's pinned sha256, and a wrong pin must leave nothing behind.

use std::path::{Path, PathBuf};

use bench_inputs::{Error, FetchProgress, Registry, fetch};
use gguf::{GgmlType, GgufFile};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped registry and a models directory holding only the default model (linked), or
/// `None` (with the reason printed) when it is not fetched.
fn setup(tmp: &Path) -> Option<(Registry, PathBuf)> {
    let registry = Registry::load(&root().join("models/models.toml")).expect("registry");
    let base = registry.get(registry.default_id()).expect("default model");
    let fetched = root().join("models").join(&base.file);
    if !fetched.is_file() {
        eprintln!(
            "skipping: {} is absent (fetch it with `benchmark-runner models fetch`)",
            fetched.display()
        );
        return None;
    }
    let dir = tmp.join("models");
    std::fs::create_dir_all(&dir).expect("models dir");
    std::os::unix::fs::symlink(fetched.canonicalize().expect("path"), dir.join(&base.file))
        .expect("link");
    Some((registry, dir))
}

#[test]
fn q8_0_is_written_from_the_default_model_and_matches_its_pin() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some((registry, dir)) = setup(tmp.path()) else {
        return;
    };
    let entry = registry
        .get("smollm2-135m-instruct-q8_0")
        .expect("registered");
    let derivation = entry.derivation().expect("a derived entry");
    assert_eq!(derivation.base, registry.default_id());
    assert_eq!(
        Some(&derivation.base_sha256),
        registry
            .get(registry.default_id())
            .and_then(|b| b.sha256.as_ref())
    );

    let mut events = Vec::new();
    let path = fetch(entry, &dir, &mut |e| events.push(e)).expect("derived");
    assert!(
        matches!(events.first(), Some(FetchProgress::Deriving { base, method }) if base == "smollm2-135m-instruct-q4_1" && method == "gguf::requantize to q8_0"),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, FetchProgress::Downloading { .. })),
        "the base is used where it is: {events:?}"
    );
    assert!(
        events.iter().any(|e| matches!(e, FetchProgress::Verified { sha256, .. } if Some(sha256) == entry.sha256.as_ref())),
        "{events:?}"
    );
    assert_eq!(
        std::fs::metadata(&path).expect("written").len(),
        entry.size_bytes.expect("pinned size")
    );

    let base = GgufFile::open(&dir.join("smollm2-135m-instruct-q4_1.gguf")).expect("base");
    let derived = GgufFile::open(&path).expect("derived reads back");
    assert_eq!(derived.tensors().len(), base.tensors().len());
    for (new, old) in derived.tensors().iter().zip(base.tensors()) {
        assert_eq!(new.name, old.name);
        assert_eq!(new.dims, old.dims);
        let expected = if old.dims.len() >= 2 {
            GgmlType::Q8_0
        } else {
            old.ggml_type
        };
        assert_eq!(new.ggml_type, expected, "{}", new.name);
    }
    assert_eq!(
        derived.metadata().get_u32("general.file_type"),
        GgmlType::Q8_0.file_type()
    );

    let mut again = Vec::new();
    fetch(entry, &dir, &mut |e| again.push(e)).expect("present");
    assert!(
        matches!(again.as_slice(), [FetchProgress::AlreadyPresent { .. }]),
        "{again:?}"
    );
}

#[test]
fn a_derivation_that_misses_its_pin_leaves_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some((registry, dir)) = setup(tmp.path()) else {
        return;
    };
    let mut entry = registry
        .get("smollm2-135m-instruct-f16")
        .expect("registered")
        .clone();
    entry.sha256 = Some("0".repeat(64));
    let err = fetch(&entry, &dir, &mut |_| {}).expect_err("pin differs");
    assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 1, "only the base remains: {left:?}");
}
