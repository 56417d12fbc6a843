//! Figures and the one-file HTML report for benchmark results.
