//! Apple Silicon power from `powermetrics`, run as a child process that streams text samples.
//!
//! `powermetrics` needs root: run the benchmark (or `energy-monitor`) under `sudo`. It reports
//! CPU, GPU and ANE power averaged over each sampling interval and has no energy counter, so
//! energy is integrated power; each sample is stamped at the middle of its interval.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::clock::mono_ns;
use crate::collector::Collector;
use crate::collectors::Found;
use crate::collectors::powermetrics::{self, PowerSample};
use crate::reading::{Domain, Reading, StaticInfo};

/// What the reader thread hands to the collector.
#[derive(Default)]
struct Inbox {
    readings: Vec<Reading>,
    closed: Option<String>,
}

/// The system-on-chip power of an Apple Silicon Mac.
pub struct AppleCollector {
    child: Child,
    inbox: Arc<Mutex<Inbox>>,
}

/// Start `powermetrics` sampling every `interval` when this is a Mac and we are root.
pub fn discover(interval: Duration) -> Found {
    let mut found = Found::default();
    if !cfg!(target_os = "macos") {
        found
            .problems
            .push("no powermetrics (macOS only)".to_owned());
        return found;
    }
    #[cfg(unix)]
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        found
            .problems
            .push("powermetrics needs root (run under sudo)".to_owned());
        return found;
    }
    match spawn(interval) {
        Ok(c) => found.collectors.push(Box::new(c)),
        Err(e) => found
            .problems
            .push(format!("cannot start powermetrics: {e}")),
    }
    found
}

fn spawn(interval: Duration) -> std::io::Result<AppleCollector> {
    let mut child = Command::new("powermetrics")
        .args(["--samplers", "cpu_power,gpu_power", "-i"])
        .arg(interval.as_millis().max(1).to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("powermetrics stdout not captured"))?;
    let inbox = Arc::new(Mutex::new(Inbox::default()));
    let sink = Arc::clone(&inbox);
    std::thread::Builder::new()
        .name("powermetrics-reader".to_owned())
        .spawn(move || read_stream(BufReader::new(stdout), &sink))?;
    Ok(AppleCollector { child, inbox })
}

fn reading_of(sample: &PowerSample, done_ns: u64) -> Reading {
    let half_interval_ns = sample.elapsed_ms.map_or(0, |ms| (ms * 5e5) as u64);
    Reading {
        power_w: sample.total_w(),
        sm_clock_mhz: sample.gpu_freq_mhz,
        gpu_util_pct: sample.gpu_active_pct,
        observed_ns: Some(done_ns.saturating_sub(half_interval_ns)),
        ..Reading::default()
    }
}

/// Parse samples as they arrive; a sample is complete when the next header (or EOF) arrives.
fn read_stream(reader: impl BufRead, inbox: &Mutex<Inbox>) {
    let mut current: Option<PowerSample> = None;
    let deliver = |sample: PowerSample| {
        let reading = reading_of(&sample, mono_ns());
        inbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .readings
            .push(reading);
    };
    let mut end = "powermetrics exited".to_owned();
    for line in reader.lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                end = format!("powermetrics output unreadable: {e}");
                break;
            }
        };
        if powermetrics::is_header(&line) {
            current.take().map(deliver);
            current = Some(powermetrics::start_sample(&line));
        } else if let Some(sample) = current.as_mut() {
            powermetrics::parse_line(sample, &line);
        }
    }
    current.take().map(deliver);
    inbox.lock().unwrap_or_else(PoisonError::into_inner).closed = Some(end);
}

impl Collector for AppleCollector {
    fn name(&self) -> &'static str {
        "apple:soc"
    }

    fn domain(&self) -> Domain {
        Domain::Soc
    }

    fn static_info(&mut self) -> StaticInfo {
        StaticInfo {
            device_name: Some("Apple Silicon SoC (CPU + GPU + ANE)".to_owned()),
            notes: vec!["power from powermetrics interval averages; no energy counter".to_owned()],
            ..StaticInfo::default()
        }
    }

    fn read(&mut self) -> Reading {
        self.read_batch()
            .pop()
            .unwrap_or_else(|| Reading::failed("no powermetrics sample yet"))
    }

    fn read_batch(&mut self) -> Vec<Reading> {
        let mut inbox = self.inbox.lock().unwrap_or_else(PoisonError::into_inner);
        let readings = std::mem::take(&mut inbox.readings);
        match (&inbox.closed, readings.is_empty()) {
            (Some(reason), true) => vec![Reading::failed(reason.clone())],
            _ => readings,
        }
    }
}

impl Drop for AppleCollector {
    fn drop(&mut self) {
        // Best effort: the child may already have exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_delivers_each_block_then_reports_the_end() {
        let text = "*** Sampled system activity (x) (200.00ms elapsed) ***\nCPU Power: 1000 mW\n\
                    *** Sampled system activity (x) (200.00ms elapsed) ***\nCPU Power: 2 W\n";
        let inbox = Mutex::new(Inbox::default());
        read_stream(text.as_bytes(), &inbox);
        let inbox = inbox.into_inner().expect("not poisoned");
        let powers: Vec<_> = inbox.readings.iter().map(|r| r.power_w).collect();
        assert_eq!(powers, vec![Some(1.0), Some(2.0)]);
        assert_eq!(inbox.closed.as_deref(), Some("powermetrics exited"));
    }

    #[test]
    fn a_sample_is_stamped_at_the_middle_of_its_interval() {
        let sample =
            powermetrics::start_sample("*** Sampled system activity (x) (200.00ms elapsed) ***");
        let reading = reading_of(&sample, 1_000_000_000);
        assert_eq!(reading.observed_ns, Some(900_000_000));
    }
}
