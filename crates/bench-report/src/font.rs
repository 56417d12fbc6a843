//! The one font every figure uses: `DejaVu Sans`, embedded, so no system font lookup happens.
//!
//! plotters' `ab_glyph` backend needs the glyph metrics for layout (SVG and PNG alike) and the
//! outlines for PNG rasterising. The bytes come from the `dejavu` crate (wrapper MIT/Apache-2.0;
//! the `DejaVu` fonts carry the Bitstream Vera licence, free to use, embed and redistribute).
//! SVG text names the CSS family `sans-serif`, so a browser draws it with its own sans-serif face.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use crate::ReportError;

/// The family name figures ask for; registered with the embedded font.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the embedded font once per process.
pub(crate) fn ensure_registered() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok { Ok(()) } else { Err(ReportError::Font) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_font_registers() {
        assert!(super::ensure_registered().is_ok());
        // A second call is a cheap no-op that still succeeds.
        assert!(super::ensure_registered().is_ok());
    }
}
