//! The checks of single settings [`super::build`] makes: ranges of numbers, run names, and an
//! output directory that holds nothing yet.

use std::path::Path;
use std::time::Duration;

use crate::error::{Failure, usage};

pub(super) fn fraction(flag: &str, value: Option<f64>) -> Result<Option<f64>, Failure> {
    match value {
        Some(v) if !(v > 0.0 && v < 1.0) => Err(usage(format!(
            "--{flag} must be a fraction within (0, 1), got {v}"
        ))),
        v => Ok(v),
    }
}

pub(super) fn non_negative(flag: &str, value: Option<f64>) -> Result<Option<f64>, Failure> {
    match value {
        Some(v) if !(v.is_finite() && v >= 0.0) => Err(usage(format!(
            "--{flag} must be a non-negative number, got {v}"
        ))),
        v => Ok(v),
    }
}

pub(super) fn positive(flag: &str, value: Option<u32>, default: u32) -> Result<u32, Failure> {
    match value {
        Some(0) => Err(usage(format!("--{flag} must be at least 1"))),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

pub(super) fn seconds(flag: &str, s: f64) -> Result<Duration, Failure> {
    if s.is_finite() && s > 0.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(usage(format!(
            "--{flag} must be a positive number of seconds, got {s}"
        )))
    }
}

pub(super) fn validate_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(usage(format!(
            "run name '{name}' must be non-empty and use only letters, digits, '-', '_', '.' and '@'"
        )))
    }
}

/// A results directory must be new or empty: a run never writes over another's results.
pub fn check_out_dir(dir: &Path) -> Result<(), Failure> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(usage(format!(
                    "output directory {} is not empty; choose another --out",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(usage(format!(
            "cannot use output directory {}: {e}",
            dir.display()
        ))),
    }
}
