//! `benchmark-runner`: plans a comparison, spawns and supervises one isolated worker process per
//! engine, stores every sample as it arrives, and summarises and reports the results.
//!
//! # Layout
//!
//! - [`cli`]: clap types and the exit-status mapping; [`commands`]: one function per command.
//! - [`config`], [`plan`]: config files and the validated [`plan::Plan`] nothing below sees
//!   clap through.
//! - [`catalog`], [`locate`]: which worker runs each engine, and finding or building it.
//! - [`worker`]: one supervised worker process (handshake, timeouts, stderr tail, kill on drop).
//! - [`inputs`], [`workload`]: model, prompts and the requests every engine receives.
//! - [`synth`]: `models synth`, synthetic models in the shapes of named architectures.
//! - [`execute`]: preflight, then each engine in each repetition in the planned order.
//! - [`bandwidth`]: memory read bandwidth, cached per machine; MBU and the floor TPOT.
//! - [`energy`]: telemetry around a run, energy per engine run and request, validity flags.
//! - [`store`], [`manifest`]: the results directory, written as results arrive.
//! - [`metrics`]: per-request metric definitions, once; [`summary`]: statistics per engine.
//! - [`report`]: terminal table, `report.md`, `summary.csv`.
//! - [`diff`]: a candidate run held against a baseline, with verdicts; [`nightly`]: suites and
//!   their history.

pub mod bandwidth;
pub mod calibration;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diff;
pub mod energy;
pub mod error;
pub mod execute;
pub mod inputs;
pub mod locate;
pub mod manifest;
pub mod metrics;
pub mod nightly;
pub mod plan;
pub mod progress;
pub mod report;
pub mod store;
pub mod summary;
pub mod synth;
pub mod worker;
pub mod workload;
