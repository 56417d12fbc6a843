//! Fixture trees copied to a scratch directory, so tests can change counters as hardware would.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use std::path::{Path, PathBuf};

/// The fixture tree `name` under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A writable copy of the fixture tree `name`.
pub fn scratch_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(name), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A device drawing a constant 100 W since it was created, with an energy counter.
pub struct Steady100W {
    pub name: String,
    pub start_ns: u64,
}

impl Steady100W {
    pub fn boxed(name: &str) -> Box<dyn telemetry::Collector> {
        Box::new(Self {
            name: name.to_owned(),
            start_ns: telemetry::mono_ns(),
        })
    }
}

impl telemetry::Collector for Steady100W {
    fn name(&self) -> &str {
        &self.name
    }
    fn domain(&self) -> telemetry::Domain {
        telemetry::Domain::Gpu
    }
    fn static_info(&mut self) -> telemetry::StaticInfo {
        telemetry::StaticInfo {
            device_name: Some("steady".to_owned()),
            energy_counter: true,
            ..telemetry::StaticInfo::default()
        }
    }
    fn read(&mut self) -> telemetry::Reading {
        let elapsed_s = (telemetry::mono_ns() - self.start_ns) as f64 / 1e9;
        telemetry::Reading {
            energy_j: Some(100.0 * elapsed_s),
            power_w: Some(100.0),
            ..telemetry::Reading::default()
        }
    }
}
