//! Resident memory of one process from `/proc/<pid>/status`.

use std::path::{Path, PathBuf};

use crate::collector::Collector;
use crate::reading::{Domain, Reading, StaticInfo};
use crate::sysfs;

/// Reads `VmRSS` of one process.
pub struct ProcessRss {
    name: String,
    pid: u32,
    status_path: PathBuf,
}

impl ProcessRss {
    /// The collector for `pid`, reading under `proc_root` (`/proc` on a live system).
    pub fn new(pid: u32, proc_root: &Path) -> Self {
        Self {
            name: format!("rss:{pid}"),
            pid,
            status_path: proc_root.join(pid.to_string()).join("status"),
        }
    }
}

/// The value of a `Key:   1234 kB` line of a status file, in bytes.
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| kib * 1024)
}

impl Collector for ProcessRss {
    fn name(&self) -> &str {
        &self.name
    }

    fn domain(&self) -> Domain {
        Domain::Process
    }

    fn static_info(&mut self) -> StaticInfo {
        StaticInfo {
            device_name: Some(format!("process {}", self.pid)),
            ..StaticInfo::default()
        }
    }

    fn read(&mut self) -> Reading {
        match sysfs::read_trimmed(&self.status_path) {
            Ok(status) => match status_kib(&status, "VmRSS") {
                Some(rss) => Reading {
                    rss_bytes: Some(rss),
                    ..Reading::default()
                },
                None => Reading::failed(format!(
                    "{}: no VmRSS line (process exiting?)",
                    self.status_path.display()
                )),
            },
            Err(e) => Reading::failed(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kib_lines() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(status_kib(status, "VmRSS"), Some(1024 * 1024));
        assert_eq!(status_kib(status, "VmHWM"), Some(2048 * 1024));
        assert_eq!(status_kib(status, "VmSwap"), None);
    }
}
