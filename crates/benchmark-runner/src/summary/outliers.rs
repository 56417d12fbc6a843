//! Outliers per metric, classified and counted; none is dropped from the statistics.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared_protocol::Sample;

use crate::metrics::Metric;

/// Outliers of one metric: Tukey's fences and the modified z-score (|M| > 3.5).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutlierCounts {
    pub n: usize,
    pub tukey: bench_stats::TukeyCounts,
    pub modified_z_flagged: usize,
}

/// Outlier counts for each latency and rate metric.
pub fn outlier_counts(ok: &[&Sample]) -> BTreeMap<String, OutlierCounts> {
    Metric::ALL
        .iter()
        .filter_map(|&m| {
            let sample = bench_stats::Sample::new(m.values(ok.iter().copied())).ok()?;
            let o = bench_stats::outliers(&sample);
            Some((
                m.name().to_owned(),
                OutlierCounts {
                    n: sample.len(),
                    tukey: o.tukey.counts,
                    modified_z_flagged: o.modified_z.flagged.len(),
                },
            ))
        })
        .collect()
}
