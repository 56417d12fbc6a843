//! Command failures and their exit statuses: bad input exits 2 (clap's convention), a failure
//! while running exits 1.

use std::process::ExitCode;

/// Why a command stopped.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The user asked for something invalid; nothing was written.
    #[error("{0}")]
    Usage(String),
    /// Something failed while running.
    #[error(transparent)]
    Run(#[from] anyhow::Error),
}

impl Failure {
    /// One line, the whole cause chain, each cause said once.
    pub fn message(&self) -> String {
        match self {
            Failure::Usage(m) => m.clone(),
            Failure::Run(e) => shared_protocol::error_text(e.as_ref()),
        }
    }
}

/// Build a usage failure.
pub fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

/// Exit status for a failure.
pub fn exit_code(failure: &Failure) -> ExitCode {
    match failure {
        Failure::Usage(_) => ExitCode::from(2),
        Failure::Run(_) => ExitCode::from(1),
    }
}
