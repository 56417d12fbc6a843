//! The default thread count: the physical cores this process may run on.

use std::collections::BTreeSet;

/// Physical cores (distinct `physical id`/`core id` pairs in `/proc/cpuinfo`), at most the
/// CPUs this process may use; the available parallelism where there is no procfs.
pub fn default_threads() -> usize {
    let available = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let physical = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| physical_cores(&s));
    physical.map_or(available, |p| p.min(available)).max(1)
}

fn physical_cores(cpuinfo: &str) -> Option<usize> {
    let mut cores = BTreeSet::new();
    let mut package = None;
    for line in cpuinfo.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key.trim() {
            "physical id" => package = Some(value.trim().to_owned()),
            "core id" => {
                cores.insert((package.clone(), value.trim().to_owned()));
            }
            _ => {}
        }
    }
    (!cores.is_empty()).then_some(cores.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_cores_not_hyperthreads() {
        let info = "processor\t: 0\nphysical id\t: 0\ncore id\t: 0\n\n\
                    processor\t: 1\nphysical id\t: 0\ncore id\t: 0\n\n\
                    processor\t: 2\nphysical id\t: 0\ncore id\t: 1\n\n\
                    processor\t: 3\nphysical id\t: 1\ncore id\t: 0\n";
        assert_eq!(physical_cores(info), Some(3));
        assert_eq!(physical_cores("processor : 0\n"), None);
        assert!(default_threads() >= 1);
    }
}
