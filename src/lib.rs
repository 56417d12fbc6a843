//! Root package: owns the end-to-end tests under `tests/`.
