//! Series colours and markers: the Okabe-Ito colour-blind-safe palette, in a fixed order.

use plotters::style::RGBColor;

/// Okabe & Ito (2008), ordered for contrast on white; yellow comes last because it is faint.
const COLORS: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// Text and axis colour.
pub(crate) const INK: RGBColor = RGBColor(0x21, 0x21, 0x21);
/// Secondary text (subtitles, notes).
pub(crate) const MUTED: RGBColor = RGBColor(0x5f, 0x5f, 0x5f);
/// Major grid lines.
pub(crate) const GRID: RGBColor = RGBColor(0xd9, 0xd9, 0xd9);
/// Minor grid lines.
pub(crate) const GRID_LIGHT: RGBColor = RGBColor(0xf0, 0xf0, 0xf0);

/// The colour of the series at `index`; wraps after eight.
pub(crate) fn color(index: usize) -> RGBColor {
    COLORS[index % COLORS.len()]
}

/// Marker shapes, so series stay apart in grey-scale prints too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
}

/// The marker of the series at `index`; wraps after four.
pub(crate) fn marker(index: usize) -> Marker {
    [
        Marker::Circle,
        Marker::Triangle,
        Marker::Square,
        Marker::Cross,
    ][index % 4]
}

/// The palette index of `label`: its position among the figure's engines when it is one, so an
/// engine keeps its colour across figures, else its position in the figure.
pub(crate) fn index_for(engines: &[String], label: &str, position: usize) -> usize {
    engines
        .iter()
        .position(|engine| engine == label)
        .unwrap_or(position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_keep_their_colour_whatever_the_order() {
        let engines = vec!["candle".to_owned(), "burn".to_owned()];
        assert_eq!(index_for(&engines, "burn", 0), 1);
        assert_eq!(index_for(&engines, "candle", 1), 0);
        assert_eq!(index_for(&engines, "other", 5), 5);
    }

    #[test]
    fn colours_are_distinct_within_the_palette() {
        for a in 0..COLORS.len() {
            for b in a + 1..COLORS.len() {
                assert_ne!(color(a), color(b));
            }
        }
        assert_eq!(color(0), color(COLORS.len()));
    }
}
