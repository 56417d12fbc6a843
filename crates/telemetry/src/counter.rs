//! Turns a raw hardware energy counter, which wraps or resets, into a cumulative total.

/// Unwraps successive raw counter values into energy accumulated since the first value.
#[derive(Debug, Clone)]
pub struct CounterUnwrap {
    /// Raw value at which the counter wraps to zero (RAPL `max_energy_range_uj`), if known.
    range: Option<u64>,
    last_raw: Option<u64>,
    total: u64,
}

impl CounterUnwrap {
    /// A counter that wraps after `range` raw units (`None`: never wraps; a decrease is a reset).
    pub fn new(range: Option<u64>) -> Self {
        Self {
            range,
            last_raw: None,
            total: 0,
        }
    }

    /// Feed the next raw value; returns the raw units accumulated since the first value.
    ///
    /// A decrease is a wrap when the range is known: the counter ran up to the range and
    /// restarted at zero, so at most one wrap may happen between two reads (RAPL's package
    /// counter wraps after minutes even at hundreds of watts; reads come many times a second).
    /// Without a range a decrease is a reset (driver reload), and the new value counts from zero.
    pub fn update(&mut self, raw: u64) -> u64 {
        if let Some(last) = self.last_raw {
            let delta = if raw >= last {
                raw - last
            } else if let Some(range) = self.range.filter(|&r| r >= last) {
                (range - last) + raw
            } else {
                raw
            };
            self.total += delta;
        }
        self.last_raw = Some(raw);
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulates_across_a_wrap() {
        let mut c = CounterUnwrap::new(Some(1000));
        assert_eq!(c.update(900), 0);
        assert_eq!(c.update(980), 80);
        // 980 -> 1000 (20) then 0 -> 30 (30)
        assert_eq!(c.update(30), 130);
        assert_eq!(c.update(50), 150);
    }

    #[test]
    fn a_decrease_without_range_is_a_reset() {
        let mut c = CounterUnwrap::new(None);
        c.update(5000);
        assert_eq!(c.update(5100), 100);
        assert_eq!(c.update(40), 140);
    }
}
