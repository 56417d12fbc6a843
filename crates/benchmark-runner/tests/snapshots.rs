//! What people and programs read from a run, pinned: `summary.json`, `summary.csv` and
//! `report.md` re-rendered from a checked-in run directory (a seeded two-engine sim run written
//! by the first version of the results layout, so the reader of old directories is covered too).

use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run")
}

/// A copy of the fixture's inputs (manifest, samples, runs, energy) in a temporary directory,
/// re-rendered by `report`.
fn rendered() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for entry in std::fs::read_dir(fixture()).expect("fixture directory") {
        let entry = entry.expect("fixture entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy fixture");
    }
    let summary = benchmark_runner::render::render_dir(dir.path()).expect("render");
    assert_eq!(summary.engines.len(), 2, "both engines summarised");
    dir
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn summary_csv_and_report_of_a_fixed_run_are_stable() {
    let dir = rendered();
    insta::assert_snapshot!("summary.json", read(dir.path(), "summary.json"));
    insta::assert_snapshot!("summary.csv", read(dir.path(), "summary.csv"));
    insta::assert_snapshot!("report.md", read(dir.path(), "report.md"));
    for name in ["report.html", "plots/ttft_cdf.svg"] {
        assert!(dir.path().join(name).is_file(), "{name} written");
    }
}
