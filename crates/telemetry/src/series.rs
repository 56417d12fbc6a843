//! The samples of a run: one time-ordered channel per collector, and their JSON lines form.
//!
//! Each line of `telemetry.jsonl` is one sample:
//! `{"t_ns":123,"collector":"nvml:0","domain":"gpu","energy_j":12.5,"power_w":310.2,...}`,
//! with the fields of [`Reading`] that the collector filled.

use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::reading::{Domain, Reading};

/// One reading at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Host monotonic time of the reading.
    pub t_ns: u64,
    /// What was read.
    pub reading: Reading,
}

/// Every reading of one collector, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Collector name (`nvml:0`).
    pub name: String,
    /// What the collector measures.
    pub domain: Domain,
    /// Readings in time order.
    pub points: Vec<Point>,
}

impl Channel {
    /// An empty channel.
    pub fn new(name: impl Into<String>, domain: Domain) -> Self {
        Self {
            name: name.into(),
            domain,
            points: Vec::new(),
        }
    }

    /// Points with `t0_ns <= t_ns <= t1_ns`.
    pub fn within(&self, t0_ns: u64, t1_ns: u64) -> impl Iterator<Item = &Point> {
        self.points
            .iter()
            .filter(move |p| p.t_ns >= t0_ns && p.t_ns <= t1_ns)
    }

    /// Largest value of `field` among the points in `[t0_ns, t1_ns]`.
    pub fn max_within<T: PartialOrd + Copy>(
        &self,
        t0_ns: u64,
        t1_ns: u64,
        field: impl Fn(&Reading) -> Option<T>,
    ) -> Option<T> {
        self.within(t0_ns, t1_ns)
            .filter_map(|p| field(&p.reading))
            .fold(None, |best, v| match best {
                Some(b) if b >= v => Some(b),
                _ => Some(v),
            })
    }

    /// Peak device memory in use in `[t0_ns, t1_ns]`.
    pub fn peak_mem_used_bytes(&self, t0_ns: u64, t1_ns: u64) -> Option<u64> {
        self.max_within(t0_ns, t1_ns, |r| r.mem_used_bytes)
    }

    /// Peak resident memory in `[t0_ns, t1_ns]`.
    pub fn peak_rss_bytes(&self, t0_ns: u64, t1_ns: u64) -> Option<u64> {
        self.max_within(t0_ns, t1_ns, |r| r.rss_bytes)
    }
}

/// All channels of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// One channel per collector, in the order the collectors were given.
    pub channels: Vec<Channel>,
}

/// One line of `telemetry.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleLine {
    /// Host monotonic time of the reading.
    pub t_ns: u64,
    /// Collector name.
    pub collector: String,
    /// What the collector measures.
    pub domain: Domain,
    /// What was read.
    #[serde(flatten)]
    pub reading: Reading,
}

/// A `telemetry.jsonl` line that is not a sample.
#[derive(Debug, thiserror::Error)]
#[error("telemetry line {line}: {source}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong with it.
    #[source]
    pub source: serde_json::Error,
}

impl Series {
    /// Append a reading to the channel `name`, creating the channel when new.
    pub fn push(&mut self, name: &str, domain: Domain, t_ns: u64, reading: Reading) {
        let index = if let Some(i) = self.channels.iter().position(|c| c.name == name) {
            i
        } else {
            self.channels.push(Channel::new(name, domain));
            self.channels.len() - 1
        };
        self.channels[index].points.push(Point { t_ns, reading });
    }

    /// The channel of collector `name`.
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    /// The channels measuring `domain` (every GPU, say).
    pub fn in_domain(&self, domain: Domain) -> impl Iterator<Item = &Channel> {
        self.channels.iter().filter(move |c| c.domain == domain)
    }

    /// Read a `telemetry.jsonl` back; blank lines are skipped, points are sorted by time.
    pub fn from_jsonl(reader: impl BufRead) -> Result<Self, std::io::Error> {
        let mut series = Self::default();
        for (i, line) in reader.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let sample: SampleLine = serde_json::from_str(&line).map_err(|source| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    ParseError {
                        line: i + 1,
                        source,
                    },
                )
            })?;
            series.push(
                &sample.collector,
                sample.domain,
                sample.t_ns,
                sample.reading,
            );
        }
        for channel in &mut series.channels {
            channel.points.sort_by_key(|p| p.t_ns);
        }
        Ok(series)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_round_trip_keeps_channels_and_fields() {
        let line = SampleLine {
            t_ns: 5,
            collector: "nvml:0".to_owned(),
            domain: Domain::Gpu,
            reading: Reading {
                energy_j: Some(1.5),
                throttle_reasons: vec!["sw_power_cap".to_owned()],
                ..Reading::default()
            },
        };
        let text = serde_json::to_string(&line).expect("serialize");
        assert_eq!(
            text,
            r#"{"t_ns":5,"collector":"nvml:0","domain":"gpu","energy_j":1.5,"throttle_reasons":["sw_power_cap"]}"#
        );
        let series = Series::from_jsonl(format!("{text}\n\n").as_bytes()).expect("parse");
        let channel = series.channel("nvml:0").expect("channel");
        assert_eq!(channel.points[0].reading, line.reading);
    }

    #[test]
    fn peaks_look_only_inside_the_window() {
        let mut s = Series::default();
        for (t, mem) in [(0, 900), (10, 100), (20, 300), (30, 200)] {
            let r = Reading {
                mem_used_bytes: Some(mem),
                ..Reading::default()
            };
            s.push("g", Domain::Gpu, t, r);
        }
        let c = s.channel("g").expect("channel");
        assert_eq!(c.peak_mem_used_bytes(10, 30), Some(300));
        assert_eq!(c.peak_rss_bytes(0, 30), None);
    }
}
