//! Writes every figure kind (PNG and SVG) and a sample `report.html` into a directory, to look
//! at: `cargo run -p bench-report --example gallery -- target/gallery`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/gallery".to_owned()),
    );
    std::fs::create_dir_all(&dir)?;
    let charts = common::gallery();
    for (name, chart) in &charts {
        chart.write_png(&dir.join(format!("{name}.png")))?;
        chart.write_svg(&dir.join(format!("{name}.svg")))?;
    }
    let html = bench_report::render_html(&common::report(charts))?;
    std::fs::write(dir.join("report.html"), html)?;
    eprintln!("wrote {}", dir.display());
    Ok(())
}
