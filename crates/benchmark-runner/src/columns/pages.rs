//! Memory made resident before it is written.

/// Has the kernel fault in `values`' pages in one call, as writing them would, rather than one
/// page fault per page as each is first written: at tens of millions of values that is a hundred
/// thousand faults, each a trip into the kernel. Where the call is refused (before Linux 5.14,
/// or on another system) the pages fault in as they are written.
pub(super) fn prefault(values: &mut [f64]) {
    #[cfg(not(target_os = "linux"))]
    let _ = values;
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a query without arguments.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let Ok(page @ 1..) = usize::try_from(page) else {
            return;
        };
        let start = values.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(values);
        let first = start.next_multiple_of(page);
        let pages = end.saturating_sub(first) / page;
        if pages > 0 {
            // SAFETY: advice on whole pages inside `values`, which this function holds mutably:
            // MADV_POPULATE_WRITE faults them in writable and leaves their contents as they are.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    pages * page,
                    libc::MADV_POPULATE_WRITE,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefaulting_leaves_the_values_as_they_are() {
        // Written values, zeroed pages never written, and a buffer under a page.
        let mut values: Vec<f64> = vec![0.0; 300_000];
        for (i, v) in values.iter_mut().enumerate().step_by(7) {
            *v = i as f64 * 0.5;
        }
        let before = values.clone();
        prefault(&mut values);
        assert_eq!(values, before);
        let mut zeros = vec![0.0; 1 << 20];
        prefault(&mut zeros);
        assert!(zeros.iter().all(|&v| v == 0.0));
        let mut few = vec![1.5; 3];
        prefault(&mut few);
        assert_eq!(few, [1.5; 3]);
    }
}
