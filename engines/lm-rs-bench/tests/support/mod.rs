//! Helpers shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(
    clippy::many_single_char_names,
    reason = "the reference forward pass uses the textbook names"
)]

pub mod synthetic;
