//! Idle kept-alive connections shared by open-loop requests.

use std::sync::Mutex;

use crate::client::{Conn, Failure, Target};

/// Idle connections; a request takes one (or opens one) and gives it back when its stream
/// ended cleanly.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<Vec<Conn>>,
}

impl Pool {
    pub fn new() -> Pool {
        Pool::default()
    }

    /// An idle connection that is still open, if any.
    pub fn take(&self) -> Option<Conn> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(conn) = idle.pop() {
            if !conn.is_closed() {
                return Some(conn);
            }
        }
        None
    }

    pub fn put(&self, conn: Conn) {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(conn);
    }

    /// Open `n` connections ahead of the run, so early requests do not pay for connecting.
    pub async fn warm(&self, target: &Target, n: usize) -> Result<(), Failure> {
        for _ in 0..n {
            let conn = target.connect().await?;
            self.put(conn);
        }
        Ok(())
    }
}
