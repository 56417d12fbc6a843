//! Energy over time windows, per request and per engine run: pure functions over a [`Channel`].
//!
//! Build an [`EnergyCurve`] once per channel, then ask it for windows
//! ([`EnergyCurve::window`]), per-request shares ([`attribute`]) or a run summary
//! ([`run_energy`]).
//!
//! [`Channel`]: crate::series::Channel

mod attribution;
mod curve;
mod run;

pub use attribution::{RequestEnergy, RequestWindow, attribute};
pub use curve::{EnergyCurve, EnergyMethod, EnergyUnavailable, WindowEnergy};
pub use run::{RunEnergy, TokenCounts, run_energy};

#[cfg(test)]
pub(crate) mod synthetic;
