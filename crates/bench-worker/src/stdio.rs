//! Protocol output. At start-up the real stdout is moved to a private descriptor and fd 1 is
//! pointed at stderr, so a stray `println!` or a C library's `printf` can never corrupt the
//! protocol stream.

use std::fs::File;
use std::io::{self, Write};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

static OUT: OnceLock<Mutex<File>> = OnceLock::new();

/// Take over stdout for the protocol. Idempotent.
pub fn init() -> io::Result<()> {
    if OUT.get().is_some() {
        return Ok(());
    }
    let file = take_stdout()?;
    let _ = OUT.set(Mutex::new(file));
    Ok(())
}

#[cfg(unix)]
fn take_stdout() -> io::Result<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: dup/dup2 on the process's own standard descriptors; the duplicate is owned by the
    // returned File and nothing else closes it.
    unsafe {
        let fd = libc::dup(libc::STDOUT_FILENO);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(File::from_raw_fd(fd))
    }
}

#[cfg(not(unix))]
fn take_stdout() -> io::Result<File> {
    Err(io::Error::other("workers need a unix host"))
}

/// Write one protocol message as one line and flush it.
pub fn send<T: Serialize>(message: &T) -> io::Result<()> {
    let line = shared_protocol::encode_line(message).map_err(io::Error::other)?;
    write_raw_line(&line)
}

/// Write a line to the protocol stream as it is. Meant for fault injection (the synthetic
/// engine's garbage mode); everything else goes through [`send`].
pub fn write_raw_line(line: &str) -> io::Result<()> {
    let out = OUT
        .get()
        .ok_or_else(|| io::Error::other("bench_worker::stdio::init was not called"))?;
    let mut file = out
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    file.write_all(line.as_bytes())?;
    if !line.ends_with('\n') {
        file.write_all(b"\n")?;
    }
    file.flush()
}
