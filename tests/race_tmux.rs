//! `race` in a real terminal: the runner inside tmux races the synthetic engine against lm-rs on
//! the default model; the captured screen shows both panes, their text, TTFT and the winner, and
//! q quits with status 0, leaving the plain summary on the restored screen. Skipped when tmux
//! or the default model is absent.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// A private server named `name` running `command` in a 160x40 session `race`, the
    /// runner's worker directory unset.
    fn start(name: &str, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("{name}-{}", std::process::id()),
        };
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "race",
            "-x",
            "160",
            "-y",
            "40",
            "env",
            "-u",
            "BENCH_WORKER_DIR",
            "sh",
            "-c",
            command,
        ]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "race"])
    }

    /// Capture the pane until `done` holds for it; panics with the last screen after `limit`.
    fn wait_for(&self, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < limit,
                "timed out after {limit:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Why the terminal tests cannot run here, if they cannot: no tmux, or no default model.
fn skip_reason() -> Option<String> {
    if Command::new("tmux").arg("-V").output().is_err() {
        return Some("tmux is not installed (scripts/setup.sh installs it)".to_owned());
    }
    let model =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/smollm2-135m-instruct-q4_1.gguf");
    (!model.is_file()).then(|| {
        format!(
            "{} is absent (scripts/setup.sh fetches it)",
            model.display()
        )
    })
}

#[test]
fn race_view_in_tmux_shows_both_engines_and_a_winner() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping: {reason}");
        return;
    }
    let bin = support::bin_dir();
    let status = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "-p", "lm-rs-bench"])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building lm-rs-bench failed");

    let tmp = tempfile::tempdir().expect("tempdir");
    let exit_file = tmp.path().join("exit");
    // The synthetic engine finishes its 8 tokens in about 8 ms: lm-rs cannot beat it.
    let command = format!(
        "cd {root} && {runner} race --engines sim,lm-rs --max-tokens 8 \
         -o sim.ttft_ms=const:1 -o sim.tpot_ms=const:1; echo $? > {exit}; sleep 60",
        root = env!("CARGO_MANIFEST_DIR"),
        runner = bin.join("benchmark-runner").display(),
        exit = exit_file.display(),
    );
    let tmux = Tmux::start("race-test", &command);

    let screen = tmux.wait_for(Duration::from_mins(2), |s| s.contains("finished: winner"));
    assert!(
        screen.contains("race: a demonstration, not a measurement"),
        "{screen}"
    );
    assert!(screen.contains("ran one after another"), "{screen}");
    assert!(screen.contains("finished: winner sim"), "{screen}");
    assert!(screen.contains("┌ sim #1 winner"), "{screen}");
    assert!(screen.contains("┌ lm-rs #2"), "{screen}");
    // Both panes: TTFT and 8 tokens each.
    assert_eq!(screen.matches("TTFT ").count(), 2, "{screen}");
    assert_eq!(screen.matches("tokens 8 ").count(), 2, "{screen}");

    tmux.run(&["send-keys", "-t", "race", "q"]);
    let start = Instant::now();
    while !exit_file.is_file() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "q did not end the race"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let code = std::fs::read_to_string(&exit_file).expect("exit status");
    assert_eq!(code.trim(), "0");

    // The restored screen holds the plain summary; lm-rs's text in it is what its pane showed.
    let after = tmux.wait_for(Duration::from_secs(5), |s| s.contains("winner: sim"));
    let text = after
        .lines()
        .find_map(|l| l.strip_prefix("lm-rs: "))
        .expect("lm-rs's text in the summary");
    let first_word = text
        .split_whitespace()
        .next()
        .expect("lm-rs generated text");
    assert!(screen.contains(first_word), "{first_word} not in\n{screen}");
    assert!(
        !after.contains("┌ sim"),
        "the terminal was not restored:\n{after}"
    );
}

#[test]
fn quitting_before_the_end_stops_the_engines_and_prints_what_finished() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping: {reason}");
        return;
    }
    let bin = support::bin_dir();
    let tmp = tempfile::tempdir().expect("tempdir");
    let exit_file = tmp.path().join("exit");
    // A first token after a minute: the race cannot end before q.
    let command = format!(
        "cd {root} && {runner} race --engines sim --max-tokens 8 --prompt hello \
         -o sim.ttft_ms=const:60000; echo $? > {exit}; sleep 60",
        root = env!("CARGO_MANIFEST_DIR"),
        runner = bin.join("benchmark-runner").display(),
        exit = exit_file.display(),
    );
    let tmux = Tmux::start("race-quit-test", &command);
    tmux.wait_for(Duration::from_mins(1), |s| s.contains("┌ sim"));
    let quit_at = Instant::now();
    tmux.run(&["send-keys", "-t", "race", "q"]);
    while !exit_file.is_file() {
        assert!(
            quit_at.elapsed() < Duration::from_secs(10),
            "q did not end the race"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read_to_string(&exit_file)
            .expect("exit status")
            .trim(),
        "0"
    );
    let after = tmux.wait_for(Duration::from_secs(5), |s| s.contains("place"));
    assert!(after.contains("quit before the end"), "{after}");
    // The engine had not finished: listed without a place or figures.
    let row = after
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("sim"))
        .unwrap_or_else(|| panic!("no row for sim:\n{after}"));
    assert!(row.trim_start().starts_with('-'), "{row}");
}
