//! The seeded stream behind every seed of the project: the runner's request and engine orders,
//! open-loop arrival times, and the sampling seed a request carries to a worker. One definition,
//! so a seed means the same numbers in every process, whatever crate versions are in use.

/// The next value of a splitmix64 stream whose state is `state`.
#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_the_reference_stream() {
        // The first outputs of the reference splitmix64 (Vigna's C code) seeded with 0.
        let mut s = 0;
        let got: Vec<u64> = (0..3).map(|_| super::splitmix64(&mut s)).collect();
        assert_eq!(
            got,
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
    }
}
