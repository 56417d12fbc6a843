//! Choosing collectors for a `--telemetry` kind, and saying why a source is absent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::collector::Collector;
use crate::collectors::{self, Found};
use crate::kind::TelemetryKind;

/// Where the kernel's pseudo file systems are; tests point these at fixture trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roots {
    /// sysfs (`/sys`).
    pub sys: PathBuf,
    /// procfs (`/proc`).
    pub proc: PathBuf,
    /// configuration (`/etc`, for `os-release`).
    pub etc: PathBuf,
}

impl Default for Roots {
    fn default() -> Self {
        Self {
            sys: PathBuf::from("/sys"),
            proc: PathBuf::from("/proc"),
            etc: PathBuf::from("/etc"),
        }
    }
}

impl Roots {
    /// `sys`, `proc` and `etc` under `dir` (a fixture tree or a container's root).
    pub fn under(dir: &Path) -> Self {
        Self {
            sys: dir.join("sys"),
            proc: dir.join("proc"),
            etc: dir.join("etc"),
        }
    }
}

/// The collectors found, and one line for each source that is missing or unreadable.
#[derive(Default)]
pub struct Detected {
    /// Working collectors, ready for [`crate::sampler::start`].
    pub collectors: Vec<Box<dyn Collector>>,
    /// Why each other source is unavailable.
    pub unavailable: Vec<String>,
}

impl Detected {
    /// Why there is no telemetry at all (`None` when some collector works).
    pub fn reason(&self) -> Option<String> {
        self.collectors
            .is_empty()
            .then(|| self.unavailable.join("; "))
    }

    fn absorb(&mut self, found: Found) {
        self.collectors.extend(found.collectors);
        self.unavailable.extend(found.problems);
    }
}

/// An explicitly requested kind that this host cannot provide.
#[derive(Debug, Clone, thiserror::Error)]
#[error("--telemetry {kind} is unavailable: {reason}")]
pub struct DetectError {
    /// The kind asked for.
    pub kind: TelemetryKind,
    /// Why it is unavailable.
    pub reason: String,
}

/// Sampling interval asked of `powermetrics`, whose own overhead grows below this.
const POWERMETRICS_INTERVAL: Duration = Duration::from_millis(100);

/// The collectors for `kind`.
///
/// `Auto` never fails: it takes every source present (GPUs and CPU packages alike), and when
/// there is none, [`Detected::reason`] says why. An explicit kind fails when its source is
/// absent. `None` yields no collectors and the reason "telemetry disabled".
pub fn detect(kind: TelemetryKind, roots: &Roots) -> Result<Detected, DetectError> {
    let mut detected = Detected::default();
    match kind {
        TelemetryKind::None => {
            detected
                .unavailable
                .push("telemetry disabled (--telemetry none)".to_owned());
            return Ok(detected);
        }
        TelemetryKind::Auto => {
            detected.absorb(collectors::nvml::discover());
            detected.absorb(collectors::amd::discover(&roots.sys));
            detected.absorb(collectors::rapl::discover(&roots.sys));
            if cfg!(target_os = "macos") {
                detected.absorb(collectors::apple::discover(POWERMETRICS_INTERVAL));
            }
            return Ok(detected);
        }
        TelemetryKind::Nvml => detected.absorb(collectors::nvml::discover()),
        TelemetryKind::Amd => detected.absorb(collectors::amd::discover(&roots.sys)),
        TelemetryKind::Rapl => detected.absorb(collectors::rapl::discover(&roots.sys)),
        TelemetryKind::Apple => {
            detected.absorb(collectors::apple::discover(POWERMETRICS_INTERVAL));
        }
    }
    match detected.reason() {
        Some(reason) => Err(DetectError { kind, reason }),
        None => Ok(detected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_gives_no_collectors_and_says_so() {
        let d = detect(TelemetryKind::None, &Roots::default()).expect("none never fails");
        assert!(d.collectors.is_empty());
        assert_eq!(
            d.reason().as_deref(),
            Some("telemetry disabled (--telemetry none)")
        );
    }

    #[test]
    fn auto_on_an_empty_tree_lists_every_missing_source() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = detect(TelemetryKind::Auto, &Roots::under(dir.path())).expect("auto never fails");
        // This host may have an NVIDIA GPU; the sysfs sources are surely absent from an empty tree.
        let text = d.unavailable.join("; ");
        assert!(text.contains("no amdgpu hwmon"), "{text}");
        assert!(text.contains("no RAPL powercap"), "{text}");
    }

    #[test]
    fn explicit_kind_without_its_source_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let Err(err) = detect(TelemetryKind::Rapl, &Roots::under(dir.path())) else {
            panic!("RAPL found in an empty tree");
        };
        assert!(
            err.to_string()
                .starts_with("--telemetry rapl is unavailable: no RAPL")
        );
    }
}
