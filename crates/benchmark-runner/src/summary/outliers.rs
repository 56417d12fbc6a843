//! Outliers per metric, classified and counted; none is dropped from the statistics.

use std::collections::BTreeMap;

use crate::metrics::{Metric, MetricSamples};
use serde::{Deserialize, Serialize};

/// Outliers of one metric: Tukey's fences and the modified z-score (|M| > 3.5).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutlierCounts {
    pub n: usize,
    pub tukey: bench_stats::TukeyCounts,
    pub modified_z_flagged: usize,
}

/// Outlier counts for each latency and rate metric.
pub fn outlier_counts(metrics: &MetricSamples) -> BTreeMap<String, OutlierCounts> {
    Metric::ALL
        .iter()
        .filter_map(|&m| {
            let sample = metrics.get(m)?;
            let o = bench_stats::outlier_counts(sample);
            Some((
                m.name().to_owned(),
                OutlierCounts {
                    n: sample.len(),
                    tukey: o.tukey,
                    modified_z_flagged: o.modified_z_flagged,
                },
            ))
        })
        .collect()
}
