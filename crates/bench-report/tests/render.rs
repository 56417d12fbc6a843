//! Every figure kind written as PNG and SVG files: the PNGs decode to the figure's size and
//! show a drawing, the SVGs are documents naming the figure.

mod common;

use std::path::Path;

/// Decodes an 8-bit RGB PNG: (width, height, pixels).
fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).expect("png file opens");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("png header decodes");
    let mut pixels = vec![0; reader.output_buffer_size().expect("png size fits")];
    let info = reader.next_frame(&mut pixels).expect("png data decodes");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

#[test]
fn every_figure_writes_a_decodable_png_and_an_svg() {
    let dir = tempfile::tempdir().expect("temp dir");
    let charts = common::gallery();
    assert_eq!(charts.len(), 12);
    for (name, chart) in &charts {
        let png_path = dir.path().join(format!("{name}.png"));
        let svg_path = dir.path().join(format!("{name}.svg"));
        chart.write_png(&png_path).expect("png written");
        chart.write_svg(&svg_path).expect("svg written");

        let (width, height, pixels) = decode(&png_path);
        assert_eq!((width, height), bench_report::DEFAULT_SIZE, "{name}");
        let inked = pixels
            .chunks(3)
            .filter(|p| p.iter().any(|c| *c < 200))
            .count();
        let share = inked as f64 / f64::from(width * height);
        assert!(
            (0.01..0.7).contains(&share),
            "{name}: {share:.3} of the pixels are drawn"
        );

        let svg = std::fs::read_to_string(&svg_path).expect("svg readable");
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        assert!(svg.contains(&chart.meta().title), "{name} lacks its title");
        assert!(
            svg.contains("hardware: NVIDIA H100"),
            "{name} lacks the hardware"
        );
    }
}

#[test]
fn a_figure_renders_at_a_chosen_size() {
    let (_, chart) = common::gallery().into_iter().next().expect("a figure");
    let chart = chart.with_size(640, 400).expect("size accepted");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("small.png");
    chart.write_png(&path).expect("png written");
    let (width, height, _) = decode(&path);
    assert_eq!((width, height), (640, 400));
    assert!(chart.clone().with_size(100, 100).is_err());
}

/// A figure's SVG and PNG are drawn once and given again; at another size they are drawn
/// anew.
#[test]
fn a_figure_keeps_its_drawings_until_resized() {
    let (_, chart) = common::gallery().into_iter().next().expect("a figure");
    let (svg, png) = (chart.svg().expect("svg"), chart.png().expect("png"));
    assert_eq!(chart.svg().expect("svg"), svg);
    assert_eq!(chart.clone().png().expect("png"), png);
    let small = chart.with_size(640, 400).expect("size accepted");
    let resized = small.svg().expect("svg");
    assert_ne!(resized, svg);
    assert!(resized.contains(r#"width="640""#), "{}", &resized[..200]);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("small.png");
    small.write_png(&path).expect("png written");
    assert_eq!(decode(&path).0, 640);
}
