//! `benchmark-runner`: plans a comparison, spawns and supervises one isolated worker process per
//! engine, stores every sample as it arrives, and summarises and reports the results.
//!
//! # Layout
//!
//! Each module depends only on those listed before it (no cycles):
//!
//! - [`error`]; [`metrics`]: per-request metric definitions, once, over [`metrics::Request`].
//! - [`settings`]: every knob of a run, filled from flags and TOML, merged by one function;
//!   [`worker_build`]: how a worker binary was built;
//!   [`catalog`]: the one place that knows an engine; [`worker`]: one supervised worker
//!   process; [`plan`]: settings into a validated [`plan::Plan`].
//! - [`manifest`], [`store`]: the results directory, typed, written as results arrive;
//!   [`columns`]: its sample rows read back as the summary uses them.
//! - [`locate`], [`inputs`], [`workload`], [`synth`], [`bandwidth`], [`compute`] (both cached
//!   through [`machine_figure`]), [`calibration`], [`progress`]: what a run needs before and
//!   while it measures.
//! - [`execute`]: preflight, then each engine in each repetition in the planned order.
//! - [`race`]: engines generating one prompt side by side, replayed at true speed (a
//!   demonstration, never a measurement).
//! - [`energy`]: telemetry around a run, energy per engine run and request, validity flags.
//! - [`diff`]: a candidate run held against a baseline; [`summary`]: pure functions from a
//!   run's rows and manifest to its statistics; [`report`]: every output behind one exporter
//!   trait; [`render`]: a run directory summarised and written; [`merge`]: shards of a run
//!   joined into one run directory; [`nightly`]: suites and their history; [`campaign`]: grids
//!   of comparisons over cycles, their manifest and report; [`shards`]: a campaign's shards
//!   written out for a cluster scheduler.
//! - [`cli`]: clap types; [`commands`]: one module per command, and `main`.

pub mod bandwidth;
pub mod calibration;
pub mod campaign;
pub mod catalog;
pub mod cli;
pub mod columns;
pub mod commands;
pub mod compute;
pub mod diff;
pub mod energy;
pub mod error;
pub mod execute;
pub mod inputs;
pub mod locate;
pub mod machine_figure;
pub mod manifest;
pub mod merge;
pub mod metrics;
pub mod nightly;
pub mod plan;
pub mod progress;
pub mod race;
pub mod render;
pub mod report;
pub mod settings;
pub mod shards;
pub mod store;
pub mod summary;
pub mod synth;
pub mod worker;
pub mod worker_build;
pub mod workload;

/// `release` or `debug`: how the runner itself was built (a debug build measures bandwidth too
/// slowly to trust, and manifests record it).
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}
