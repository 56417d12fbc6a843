//! Compact tick and legend numbers: "0.25", "12.5", "1,250", "1.5M", "2e-5".

/// Formats `value` with at most about four significant digits and no trailing zeros.
pub(crate) fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude == 0.0 {
        return "0".to_owned();
    }
    if !value.is_finite() {
        return value.to_string();
    }
    if magnitude >= 1e6 {
        let (scaled, suffix) = if magnitude >= 1e12 {
            (value / 1e12, "T")
        } else if magnitude >= 1e9 {
            (value / 1e9, "G")
        } else {
            (value / 1e6, "M")
        };
        return format!("{}{suffix}", trimmed(scaled, 2));
    }
    if magnitude >= 1e4 {
        return grouped(value.round());
    }
    if magnitude >= 1e-3 {
        // Digits after the point so that about four significant digits remain.
        let decimals = (3 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
        return trimmed(value, decimals);
    }
    let text = format!("{value:.1e}");
    text.replace(".0e", "e")
}

/// `value` with `decimals` digits after the point, trailing zeros removed.
fn trimmed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if text == "-0" { "0".to_owned() } else { text }
}

/// An integer-valued `value` with thousands separated by commas.
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_are_compact_and_exact_enough() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.300_000_000_000_000_04), "0.3");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(250.0), "250");
        assert_eq!(number(1234.0), "1234");
        assert_eq!(number(9.876_54), "9.877");
        assert_eq!(number(12_500.0), "12,500");
        assert_eq!(number(-1_250_000.0), "-1.25M");
        assert_eq!(number(3.2e9), "3.2G");
        assert_eq!(number(0.001_25), "0.00125");
        assert_eq!(number(2e-5), "2e-5");
        assert_eq!(number(-0.000_01), "-1e-5");
    }
}
