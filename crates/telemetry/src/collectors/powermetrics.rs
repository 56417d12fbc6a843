//! Parser for the text output of macOS `powermetrics --samplers cpu_power,gpu_power`.

/// One `*** Sampled system activity ***` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowerSample {
    /// Length of the interval the block averages over.
    pub elapsed_ms: Option<f64>,
    /// `CPU Power`.
    pub cpu_w: Option<f64>,
    /// `GPU Power`.
    pub gpu_w: Option<f64>,
    /// `ANE Power` (neural engine).
    pub ane_w: Option<f64>,
    /// `Combined Power (CPU + GPU + ANE)`, or Intel's package power.
    pub combined_w: Option<f64>,
    /// `GPU HW active frequency` (older releases: `GPU active frequency`).
    pub gpu_freq_mhz: Option<u32>,
    /// `GPU HW active residency` (older releases: `GPU active residency`).
    pub gpu_active_pct: Option<f64>,
}

impl PowerSample {
    /// Total power: the combined figure, else the sum of the parts that are present.
    pub fn total_w(&self) -> Option<f64> {
        self.combined_w.or_else(|| {
            let parts = [self.cpu_w, self.gpu_w, self.ane_w];
            parts
                .iter()
                .any(Option::is_some)
                .then(|| parts.iter().flatten().sum())
        })
    }
}

const HEADER: &str = "*** Sampled system activity";

/// Whether `line` starts a new sample block.
pub fn is_header(line: &str) -> bool {
    line.trim_start().starts_with(HEADER)
}

/// Every complete sample in `text`.
pub fn parse_samples(text: &str) -> Vec<PowerSample> {
    let mut samples = Vec::new();
    let mut current: Option<PowerSample> = None;
    for line in text.lines() {
        if is_header(line) {
            samples.extend(current.take());
            current = Some(start_sample(line));
        } else if let Some(sample) = current.as_mut() {
            parse_line(sample, line);
        }
    }
    samples.extend(current);
    samples
}

/// An empty sample for the block that `header` opens.
pub fn start_sample(header: &str) -> PowerSample {
    PowerSample {
        elapsed_ms: header_elapsed_ms(header),
        ..PowerSample::default()
    }
}

/// `(102.31ms elapsed)` in a header line.
fn header_elapsed_ms(line: &str) -> Option<f64> {
    let end = line.find("ms elapsed")?;
    let start = line[..end].rfind('(')? + 1;
    line[start..end].trim().parse().ok()
}

/// Fold one body line into `sample`.
pub fn parse_line(sample: &mut PowerSample, line: &str) {
    let Some((key, value)) = line.split_once(':') else {
        return;
    };
    let key = key.trim();
    let value = value.trim();
    match key {
        "CPU Power" => sample.cpu_w = watts(value),
        "GPU Power" => sample.gpu_w = watts(value),
        "ANE Power" => sample.ane_w = watts(value),
        k if k.starts_with("Combined Power") => sample.combined_w = watts(value),
        k if k.starts_with("Intel energy model derived package power") => {
            sample.combined_w = watts(value);
        }
        "GPU HW active frequency" | "GPU active frequency" => {
            sample.gpu_freq_mhz = first_number(value).map(|f| f as u32);
        }
        "GPU HW active residency" | "GPU active residency" => {
            sample.gpu_active_pct = first_number(value);
        }
        _ => {}
    }
}

/// `512 mW` or `1.63W` as watts.
fn watts(value: &str) -> Option<f64> {
    let number = first_number(value)?;
    let unit = value
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
        .trim();
    if unit.starts_with("mW") {
        Some(number / 1e3)
    } else if unit.starts_with('W') {
        Some(number)
    } else {
        None
    }
}

/// The leading decimal number of `value` (`35.12% (...)` -> 35.12).
fn first_number(value: &str) -> Option<f64> {
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(value.len());
    value[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(watts("512 mW"), Some(0.512));
        assert_eq!(watts("1.63W"), Some(1.63));
        assert_eq!(watts("n/a"), None);
        assert_eq!(first_number("35.12% (1020 MHz)"), Some(35.12));
    }
}
