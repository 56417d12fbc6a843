//! Progress bars on stderr, one per engine (hidden when stderr is not a terminal).

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// One bar per engine.
pub struct Bars {
    multi: MultiProgress,
    bars: Vec<(String, ProgressBar)>,
}

impl Bars {
    /// Bars for `engines`, each `per_engine` steps long.
    pub fn new(labels: &[String], per_engine: u64) -> Bars {
        let multi = MultiProgress::new();
        let style =
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        let bars = labels
            .iter()
            .map(|label| {
                let bar = multi.add(ProgressBar::new(per_engine));
                bar.set_style(style.clone());
                bar.set_prefix(label.clone());
                bar.set_message("waiting");
                (label.clone(), bar)
            })
            .collect();
        Bars { multi, bars }
    }

    /// The bar of `engine`.
    pub fn bar(&self, label: &str) -> ProgressBar {
        self.bars
            .iter()
            .find(|(l, _)| l == label)
            .map_or_else(ProgressBar::hidden, |(_, b)| b.clone())
    }

    /// Print a line above the bars.
    pub fn println(&self, line: &str) {
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }
}
