//! Telemetry from another host: `energy-monitor` serves that host's collectors over HTTP, and
//! [`connect`] turns the stream into local collectors.
//!
//! Protocol (HTTP/1.1, JSON):
//! - `GET /info`: the remote [`crate::host::HostInfo`], with one device per collector.
//! - `GET /time`: `{"t_ns": ...}`, the remote monotonic clock now.
//! - `GET /samples`: a chunked stream of `telemetry.jsonl` lines ([`crate::series::SampleLine`]),
//!   stamped with the remote host's monotonic clock, one per reading, as the remote sampler
//!   takes them.
//!
//! The client maps remote timestamps onto the local clock with an offset measured once at
//! connection (Cristian's algorithm: of several `/time` probes, the one with the shortest round
//! trip, assuming a symmetric path), so delivery delays of the stream do not move samples.
//! Bind to loopback unless the network is trusted: the
//! stream has no authentication.

mod client;
mod server;

pub use client::{Remote, RemoteCollector, connect};
pub use server::{Monitor, serve};

/// A remote telemetry stream that could not be opened or served.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The HTTP exchange failed.
    #[error("energy-monitor at {url}: {message}")]
    Http {
        /// Where.
        url: String,
        /// What happened.
        message: String,
    },
    /// The server could not listen.
    #[error("energy-monitor cannot listen on {bind}: {message}")]
    Bind {
        /// The address asked for.
        bind: String,
        /// Why.
        message: String,
    },
    /// A thread could not be started.
    #[error("energy-monitor: {0}")]
    Thread(#[from] std::io::Error),
    /// The local sampler failed.
    #[error(transparent)]
    Sampler(#[from] crate::sampler::SamplerError),
}
