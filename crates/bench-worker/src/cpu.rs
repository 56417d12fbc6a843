//! CPU facts shared by engines: rayon's global pool, which candle, burn-flex and mistral.rs's
//! CPU kernels run on, and the instruction-set extensions a binary was compiled for.

/// Size rayon's global pool to `threads` (all cores when `None`) and return the threads it runs.
/// The pool can be built once per process, which is enough for a worker that loads one model;
/// asking again for the size it already has is fine, asking for another is an error.
pub fn set_rayon_threads(threads: Option<usize>) -> anyhow::Result<usize> {
    if let Some(n) = threads
        && rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .is_err()
        && rayon::current_num_threads() != n
    {
        anyhow::bail!(
            "cannot set threads to {n}: the thread pool already runs {} threads",
            rayon::current_num_threads()
        );
    }
    Ok(rayon::current_num_threads())
}

/// The SIMD extensions this binary was compiled for. Engines built on candle pick their CPU
/// kernels (and quantised dot products) with `cfg(target_feature)` at compile time, so these, not
/// the host's, say which kernels ran: a generic x86-64 build has none of them. The whole build
/// shares one set of target features, so this crate's answer is the engine's.
pub fn compiled_cpu_features() -> Vec<&'static str> {
    [
        ("sse4.1", cfg!(target_feature = "sse4.1")),
        ("avx", cfg!(target_feature = "avx")),
        ("avx2", cfg!(target_feature = "avx2")),
        ("fma", cfg!(target_feature = "fma")),
        ("f16c", cfg!(target_feature = "f16c")),
        ("avx512f", cfg!(target_feature = "avx512f")),
        ("neon", cfg!(target_feature = "neon")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_sized_once_and_a_different_size_is_refused() {
        assert_eq!(set_rayon_threads(Some(2)).expect("first"), 2);
        assert_eq!(set_rayon_threads(Some(2)).expect("same size"), 2);
        assert_eq!(set_rayon_threads(None).expect("none"), 2);
        let err = set_rayon_threads(Some(3)).expect_err("other size");
        assert!(err.to_string().contains("already runs 2"), "{err}");
    }
}
