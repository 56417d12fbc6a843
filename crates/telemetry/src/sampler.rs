//! The sampler thread: polls every collector at a fixed rate, stamps each reading with the host
//! monotonic clock, hands it to a [`SampleSink`] (`telemetry.jsonl`, or the energy monitor's
//! stream) and keeps the series for analysis.
//!
//! Collector reads happen on this thread only, so slow reads (NVML: milliseconds) never land in a
//! timed region of the caller.

use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::clock::mono_ns;
use crate::collector::Collector;
use crate::reading::Reading;
use crate::series::{SampleLine, Series};

/// How the sampler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplerConfig {
    /// Time between polls (default 50 ms: 20 Hz, twice the NVML energy counter's update rate).
    pub interval: Duration,
    /// Keep the samples in memory for [`Finished::series`]; a long-running monitor turns it off.
    pub keep_in_memory: bool,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(50),
            keep_in_memory: true,
        }
    }
}

/// Where the sampler hands each reading it takes. Any [`Write`] is one: it gets a JSON line per
/// reading (the run's `telemetry.jsonl`).
pub trait SampleSink: Send {
    /// Take one reading.
    fn line(&mut self, line: &SampleLine) -> std::io::Result<()>;
    /// Called after every poll.
    fn flush(&mut self) -> std::io::Result<()>;
}

impl<W: Write + Send> SampleSink for W {
    fn line(&mut self, line: &SampleLine) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(line).map_err(std::io::Error::from)?;
        bytes.push(b'\n');
        self.write_all(&bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Write::flush(self)
    }
}

/// The sampler could not start or did not end cleanly.
#[derive(Debug, thiserror::Error)]
pub enum SamplerError {
    /// The operating system refused a thread.
    #[error("cannot start the telemetry sampler thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// A collector panicked on the sampler thread.
    #[error("the telemetry sampler thread panicked (a collector failed)")]
    Panicked,
}

/// What a stopped sampler hands back.
pub struct Finished {
    /// Every sample taken (empty when `keep_in_memory` was off).
    pub series: Series,
    /// The collectors, for an idle baseline or the next sampler.
    pub collectors: Vec<Box<dyn Collector>>,
    /// Readings the sink took.
    pub lines_written: u64,
    /// The first write failure; writing stopped there, sampling went on.
    pub write_error: Option<String>,
}

/// A running sampler; [`SamplerHandle::stop`] ends it.
pub struct SamplerHandle {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<Finished>,
}

/// Start polling `collectors` every `config.interval`, handing every reading to `sink` (the
/// run's `telemetry.jsonl`) when given. The first poll happens at once.
pub fn start(
    collectors: Vec<Box<dyn Collector>>,
    config: &SamplerConfig,
    sink: Option<Box<dyn SampleSink>>,
) -> Result<SamplerHandle, SamplerError> {
    let (stop, stopped) = mpsc::channel();
    let mut state = State {
        collectors,
        config: config.clone(),
        sink,
        finished_series: Series::default(),
        lines_written: 0,
        write_error: None,
    };
    let thread = std::thread::Builder::new()
        .name("telemetry-sampler".to_owned())
        .spawn(move || {
            state.run(&stopped);
            state.finish()
        })
        .map_err(SamplerError::Spawn)?;
    Ok(SamplerHandle { stop, thread })
}

impl SamplerHandle {
    /// Take one last poll, stop the thread and return what it gathered.
    pub fn stop(self) -> Result<Finished, SamplerError> {
        // The thread may already be gone only if it panicked; join reports that.
        let _ = self.stop.send(());
        self.thread.join().map_err(|_| SamplerError::Panicked)
    }
}

struct State {
    collectors: Vec<Box<dyn Collector>>,
    config: SamplerConfig,
    sink: Option<Box<dyn SampleSink>>,
    finished_series: Series,
    lines_written: u64,
    write_error: Option<String>,
}

impl State {
    fn run(&mut self, stopped: &mpsc::Receiver<()>) {
        let interval_ns = self.config.interval.as_nanos().max(1) as u64;
        let mut next = mono_ns();
        loop {
            self.poll();
            next += interval_ns;
            let now = mono_ns();
            if next <= now {
                // Polling overran: skip the missed ticks instead of bursting to catch up.
                next += (now - next) / interval_ns * interval_ns + interval_ns;
            }
            match stopped.recv_timeout(Duration::from_nanos(next - now)) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                    self.poll();
                    return;
                }
            }
        }
    }

    fn poll(&mut self) {
        for i in 0..self.collectors.len() {
            let before = mono_ns();
            let batch = self.collectors[i].read_batch();
            let midpoint = before + (mono_ns() - before) / 2;
            for reading in batch {
                self.record(i, midpoint, reading);
            }
        }
        if let Some(sink) = self.sink.as_mut()
            && let Err(e) = sink.flush()
        {
            self.fail_write(&e);
        }
    }

    fn record(&mut self, collector: usize, default_t_ns: u64, mut reading: Reading) {
        let t_ns = reading.observed_ns.take().unwrap_or(default_t_ns);
        let c = &self.collectors[collector];
        let line = SampleLine {
            t_ns,
            collector: c.name().to_owned(),
            domain: c.domain(),
            reading,
        };
        if let Some(sink) = self.sink.as_mut() {
            match sink.line(&line) {
                Ok(()) => self.lines_written += 1,
                Err(e) => self.fail_write(&e),
            }
        }
        if self.config.keep_in_memory {
            self.finished_series
                .push(&line.collector, line.domain, t_ns, line.reading);
        }
    }

    fn fail_write(&mut self, err: &std::io::Error) {
        self.write_error = Some(format!("writing telemetry failed: {err}"));
        self.sink = None;
    }

    fn finish(self) -> Finished {
        let mut series = self.finished_series;
        // Remote readings may arrive slightly out of order relative to local ones.
        for channel in &mut series.channels {
            channel.points.sort_by_key(|p| p.t_ns);
        }
        Finished {
            series,
            collectors: self.collectors,
            lines_written: self.lines_written,
            write_error: self.write_error,
        }
    }
}
