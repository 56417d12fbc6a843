//! Telemetry from another host: `energy-monitor` serves that host's collectors as a gRPC service
//! (`proto/energy_monitor.proto`, package `energy_monitor.v1`), and [`connect`] turns its stream
//! into local collectors.
//!
//! Service `EnergyMonitor`:
//! - `Info`: the remote [`crate::host::HostInfo`], with one device per collector.
//! - `Time`: the remote monotonic clock now.
//! - `StreamSamples` (server streaming): one `Sample` per reading as the remote sampler takes it,
//!   stamped with the remote host's monotonic clock.
//!
//! The client maps remote timestamps onto the local clock with an offset measured once at
//! connection (Cristian's algorithm, [`offset::best_offset`]), so delivery delays of the stream
//! do not move samples.
//!
//! Security: every call carries `authorization: Bearer <token>` when the server has a token
//! ([`Token`], from `$ENERGY_MONITOR_TOKEN` or a file), checked by an interceptor; TLS (rustls,
//! ring provider) from PEM files. The server refuses to listen beyond loopback unless it has
//! both.

mod client;
mod convert;
pub mod offset;
mod server;
mod token;

/// The messages and service of `proto/energy_monitor.proto`, generated at build time.
#[allow(
    missing_docs,
    clippy::pedantic,
    reason = "generated code; the .proto documents the messages"
)]
pub mod proto {
    tonic::include_proto!("energy_monitor.v1");
}

pub use client::{ClientSecurity, Remote, RemoteCollector, connect};
pub use server::{Monitor, ServerSecurity, TlsIdentity, serve};
pub use token::{TOKEN_ENV, Token};

/// A remote telemetry stream that could not be opened or served.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The exchange with the monitor failed.
    #[error("energy-monitor at {url}: {message}")]
    Rpc {
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
    /// A token, certificate or key that could not be used.
    #[error("energy-monitor: {message}")]
    Config {
        /// What and why, naming the flag or variable.
        message: String,
    },
    /// A thread could not be started.
    #[error("energy-monitor: {0}")]
    Thread(#[from] std::io::Error),
    /// The local sampler failed.
    #[error(transparent)]
    Sampler(#[from] crate::sampler::SamplerError),
}
