//! Progress on stderr: one bar per engine with an estimate of the time left when stderr is a
//! terminal, one line per finished engine run otherwise.

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
        let style = ProgressStyle::with_template(
            "{prefix:>12} [{bar:30}] {pos}/{len} {msg} ({elapsed}, about {eta} left)",
        )
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

    /// Say that `label` finished a repetition: a line of its own when there are no bars to
    /// show it (stderr is not a terminal), so a log still tells how far a long run is.
    pub fn finished(&self, label: &str, repetition: u32, outcome: &str) {
        if self.multi.is_hidden() {
            let bar = self.bar(label);
            eprintln!(
                "{label}: repetition {repetition} {outcome} ({}/{} requests, {:.0} s)",
                bar.position(),
                bar.length().unwrap_or(0),
                bar.elapsed().as_secs_f64()
            );
        }
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
