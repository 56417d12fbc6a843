//! The host's CPU time from procfs: everything on the machine (`/proc/stat`), the benchmark's
//! own process tree (`/proc/<pid>/stat` of the runner and its descendants), and the frequency
//! governors (`/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor`). Differences over a
//! window tell how much CPU other processes took and how much the hypervisor stole.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::collector::Collector;
use crate::detect::Roots;
use crate::reading::{CpuTicks, Domain, Reading, StaticInfo};
use crate::sysfs;

/// Governors change rarely and there is one file per CPU: read them this often at most.
const GOVERNOR_EVERY: Duration = Duration::from_secs(1);

/// Reads the host's CPU time and that of one process tree.
pub struct HostCpu {
    proc_root: PathBuf,
    cpu_dir: PathBuf,
    root_pid: u32,
    governors: Option<(Instant, Vec<String>)>,
}

impl HostCpu {
    /// The collector for the process tree under `root_pid` (the runner); `None` when `/proc/stat`
    /// cannot be read under `roots`.
    pub fn new(roots: &Roots, root_pid: u32) -> Option<Self> {
        parse_stat(&std::fs::read_to_string(roots.proc.join("stat")).ok()?)?;
        Some(Self {
            proc_root: roots.proc.clone(),
            cpu_dir: roots.sys.join("devices/system/cpu"),
            root_pid,
            governors: None,
        })
    }

    fn governors(&mut self) -> Vec<String> {
        if let Some((at, g)) = &self.governors
            && at.elapsed() < GOVERNOR_EVERY
        {
            return g.clone();
        }
        let g = read_governors(&self.cpu_dir);
        self.governors = Some((Instant::now(), g.clone()));
        g
    }
}

impl Collector for HostCpu {
    fn name(&self) -> &'static str {
        "host-cpu"
    }

    fn domain(&self) -> Domain {
        Domain::Host
    }

    fn static_info(&mut self) -> StaticInfo {
        StaticInfo {
            device_name: Some("host CPUs".to_owned()),
            ..StaticInfo::default()
        }
    }

    fn read(&mut self) -> Reading {
        let stat = match std::fs::read_to_string(self.proc_root.join("stat")) {
            Ok(s) => s,
            Err(e) => return Reading::failed(format!("{}/stat: {e}", self.proc_root.display())),
        };
        let Some(mut ticks) = parse_stat(&stat) else {
            return Reading::failed("/proc/stat has no cpu line");
        };
        ticks.own = tree_ticks(&self.proc_root, self.root_pid);
        Reading {
            cpu_ticks: Some(ticks),
            cpu_governors: self.governors(),
            ..Reading::default()
        }
    }
}

/// The aggregate `cpu` line of `/proc/stat` and the number of `cpuN` lines.
pub fn parse_stat(stat: &str) -> Option<CpuTicks> {
    let mut ticks = None;
    let mut cpus = 0;
    for line in stat.lines() {
        let Some(rest) = line.strip_prefix("cpu") else {
            continue;
        };
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            cpus += 1;
        } else if rest.starts_with(' ') {
            let v: Vec<u64> = rest
                .split_whitespace()
                .map_while(|f| f.parse().ok())
                .collect();
            let at = |i: usize| v.get(i).copied().unwrap_or(0);
            // user nice system idle iowait irq softirq steal guest guest_nice
            let busy = at(0) + at(1) + at(2) + at(5) + at(6);
            ticks = Some(CpuTicks {
                total: busy + at(3) + at(4) + at(7),
                busy,
                steal: at(7),
                own: None,
                cpus: 0,
            });
        }
    }
    ticks.map(|t| CpuTicks {
        cpus: cpus.max(1),
        ..t
    })
}

/// `utime + stime + cutime + cstime` and the parent pid from a `/proc/<pid>/stat` line. The
/// command name may hold spaces and parentheses: fields are counted after the last `)`.
pub fn parse_pid_stat(line: &str) -> Option<(u32, u64)> {
    let (_, rest) = line.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ppid = f.get(1)?.parse().ok()?;
    let mut ticks = 0u64;
    for i in 11..=14 {
        // cutime and cstime are signed in the kernel's format; never negative in practice.
        ticks += f.get(i)?.parse::<i64>().ok()?.max(0).unsigned_abs();
    }
    Some((ppid, ticks))
}

/// CPU ticks of `root` and every live descendant, each with its reaped children's time: the
/// time of a worker that has exited moves into its parent's `cutime`, so the sum only grows.
fn tree_ticks(proc_root: &Path, root: u32) -> Option<u64> {
    let read = |pid: u32| {
        std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat"))
            .ok()
            .and_then(|s| parse_pid_stat(&s))
    };
    let (_, root_ticks) = read(root)?;
    let mut total = root_ticks;
    let mut seen = BTreeSet::from([root]);
    let mut frontier = vec![root];
    while let Some(pid) = frontier.pop() {
        for child in children(proc_root, pid) {
            if seen.insert(child)
                && let Some((_, t)) = read(child)
            {
                total += t;
                frontier.push(child);
            }
        }
    }
    Some(total)
}

/// Children of `pid` from `/proc/<pid>/task/*/children`, or by scanning every process's parent
/// where the kernel has no such file.
fn children(proc_root: &Path, pid: u32) -> Vec<u32> {
    let tasks = proc_root.join(pid.to_string()).join("task");
    let mut found = Vec::new();
    let mut has_files = false;
    for task in std::fs::read_dir(&tasks).into_iter().flatten().flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            has_files = true;
            found.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    if has_files {
        return found;
    }
    std::fs::read_dir(proc_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&child| {
            std::fs::read_to_string(proc_root.join(child.to_string()).join("stat"))
                .ok()
                .and_then(|s| parse_pid_stat(&s))
                .is_some_and(|(ppid, _)| ppid == pid)
        })
        .collect()
}

/// Each governor in force on some CPU, once, sorted.
fn read_governors(cpu_dir: &Path) -> Vec<String> {
    let set: BTreeSet<String> = sysfs::entries_with_prefix(cpu_dir, "cpu")
        .iter()
        .filter_map(|d| sysfs::read_trimmed(&d.join("cpufreq/scaling_governor")).ok())
        .filter(|g| !g.is_empty())
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 5 50 1000 20 3 2 7 40 0\ncpu0 50 2 25 500 10 1 1 3 20 0\ncpu1 50 3 25 500 10 2 1 4 20 0\nintr 1 2 3\nctxt 99\n";

    #[test]
    fn the_cpu_line_sums_states_without_counting_guests_twice() {
        let t = parse_stat(STAT).expect("cpu line");
        assert_eq!(t.busy, 100 + 5 + 50 + 3 + 2);
        assert_eq!(t.total, t.busy + 1000 + 20 + 7);
        assert_eq!(t.steal, 7);
        assert_eq!(t.cpus, 2);
        assert!(parse_stat("intr 1\n").is_none());
    }

    #[test]
    fn a_process_line_is_read_past_its_command_name() {
        let line =
            "4242 (my (odd) name) S 17 4242 4242 0 -1 4194304 100 0 0 0 30 12 5 3 20 0 4 0 1 2 3";
        assert_eq!(parse_pid_stat(line), Some((17, 30 + 12 + 5 + 3)));
        assert_eq!(parse_pid_stat("1 (x) S"), None);
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, text).expect("write");
    }

    fn pid_stat(ppid: u32, utime: u64) -> String {
        format!("1 (w) S {ppid} 1 1 0 -1 0 0 0 0 0 {utime} 0 0 0 20 0 1 0 1 2 3")
    }

    #[test]
    fn reads_a_fixture_tree_with_descendants_and_governors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let roots = Roots::under(dir.path());
        write(&roots.proc.join("stat"), STAT);
        // The runner (10) has a worker (11) that has a child (12); 13 belongs to someone else.
        write(&roots.proc.join("10/stat"), &pid_stat(1, 100));
        write(&roots.proc.join("10/task/10/children"), "11 ");
        write(&roots.proc.join("11/stat"), &pid_stat(10, 20));
        write(&roots.proc.join("11/task/11/children"), "12");
        write(&roots.proc.join("12/stat"), &pid_stat(11, 3));
        write(&roots.proc.join("13/stat"), &pid_stat(1, 500));
        let cpu = roots.sys.join("devices/system/cpu");
        write(&cpu.join("cpu0/cpufreq/scaling_governor"), "powersave\n");
        write(&cpu.join("cpu1/cpufreq/scaling_governor"), "powersave\n");
        let mut c = HostCpu::new(&roots, 10).expect("collector");
        let r = c.read();
        assert_eq!(r.error, None);
        assert_eq!(r.cpu_ticks.and_then(|t| t.own), Some(123));
        assert_eq!(r.cpu_governors, ["powersave"]);
    }

    #[test]
    fn without_children_files_the_parents_are_scanned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let roots = Roots::under(dir.path());
        write(&roots.proc.join("stat"), STAT);
        write(&roots.proc.join("10/stat"), &pid_stat(1, 100));
        write(&roots.proc.join("11/stat"), &pid_stat(10, 20));
        write(&roots.proc.join("13/stat"), &pid_stat(1, 500));
        let mut c = HostCpu::new(&roots, 10).expect("collector");
        assert_eq!(c.read().cpu_ticks.and_then(|t| t.own), Some(120));
        assert!(HostCpu::new(&Roots::under(&dir.path().join("none")), 10).is_none());
    }
}
