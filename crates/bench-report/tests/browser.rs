//! The HTML report in a real browser: headless chromium (Debian package `chromium`) renders it
//! from a file with no network, draws the table and figures, and reports no blocked or failed
//! fetch. Skipped, with the reason printed, where chromium is not installed.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one chromium run may take.
const TIMEOUT: Duration = Duration::from_secs(90);

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// What one chromium run printed.
struct Run {
    stdout: String,
    stderr: String,
}

/// Runs chromium headless on `page` with `extra` arguments and its own profile under `work`.
/// Host lookups all fail and any connection goes to a closed loopback port, so neither the page
/// nor the browser's own background services reach a network. Output goes to files, not pipes,
/// so a chatty browser never blocks on a full pipe.
fn run(browser: &Path, work: &Path, page: &Path, extra: &[String]) -> Run {
    let profile = tempfile::tempdir_in(work).expect("profile dir");
    let out_path = profile.path().join("stdout.txt");
    let err_path = profile.path().join("stderr.txt");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--disable-breakpad",
            "--no-pings",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("data").display()
        ))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium status") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took longer than {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |path: &Path| {
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    };
    let run = Run {
        stdout: read(&out_path),
        stderr: read(&err_path),
    };
    assert!(
        status.success(),
        "chromium failed with {status}: {}",
        run.stderr
    );
    run
}

/// Lines of chromium's log that report a fetch the page attempted: blocked by the content
/// security policy, or failed in the network stack.
fn fetch_problems(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|line| {
            line.contains("net::ERR")
                || line.contains("Content Security Policy")
                || line.contains("Failed to load")
                || line.contains("Not allowed to load local resource")
        })
        .map(str::to_owned)
        .collect()
}

fn write_report(dir: &Path) -> (PathBuf, String) {
    let html =
        bench_report::render_html(&common::report(common::gallery())).expect("report renders");
    let page = dir.join("report.html");
    std::fs::write(&page, &html).expect("report written");
    (page, html)
}

#[test]
fn report_renders_offline_in_headless_chromium() {
    let Some(browser) = chromium() else {
        println!("skipping: chromium is not on PATH (install the Debian package `chromium`)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (page, html) = write_report(dir.path());
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the report names a URL"
    );

    let shot = dir.path().join("shot.png");
    let screenshot = run(
        &browser,
        dir.path(),
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2000".to_owned(),
        ],
    );
    assert_eq!(fetch_problems(&screenshot.stderr), Vec::<String>::new());
    let bytes = std::fs::read(&shot).expect("screenshot written");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "screenshot is not a png"
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let info = decoder.read_info().expect("screenshot decodes");
    assert_eq!((info.info().width, info.info().height), (1200, 2000));
    assert!(
        bytes.len() > 50_000,
        "screenshot of {} bytes looks blank",
        bytes.len()
    );

    let dom = run(&browser, dir.path(), &page, &["--dump-dom".to_owned()]);
    assert_eq!(fetch_problems(&dom.stderr), Vec::<String>::new());
    let dom = dom.stdout;
    assert!(
        dom.contains("<table>") && dom.contains("mistral-rs</td>"),
        "table missing from the DOM"
    );
    assert_eq!(
        dom.matches("<svg class=\"figure\"").count(),
        12,
        "figures missing from the DOM"
    );
    assert!(dom.contains("✗ regressed"), "verdicts missing from the DOM");
}

#[test]
fn a_fetch_the_page_attempts_is_detected() {
    let Some(browser) = chromium() else {
        println!("skipping: chromium is not on PATH (install the Debian package `chromium`)");
        return;
    };
    // The check above must be able to fail: the same report with one local image added.
    let dir = tempfile::tempdir().expect("temp dir");
    let (page, html) = write_report(dir.path());
    std::fs::write(dir.path().join("elsewhere.png"), b"\x89PNG\r\n\x1a\n").expect("image written");
    std::fs::write(
        &page,
        html.replace("</main>", "<img src=\"elsewhere.png\" alt=\"\"></main>"),
    )
    .expect("page written");
    let dom = run(&browser, dir.path(), &page, &["--dump-dom".to_owned()]);
    assert!(
        !fetch_problems(&dom.stderr).is_empty(),
        "the attempted fetch went unnoticed"
    );
}
