//! `benchmark-runner shards render` as a user runs it: the files it writes, the GPU default read
//! from the campaign, and one-line refusals of bad input (exit status 2).

use std::path::Path;
use std::process::{Command, Output};

use k8s_openapi::api::batch::v1::Job;

fn render(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_benchmark-runner"))
        .current_dir(dir)
        .args(["shards", "render"])
        .args(args)
        .output()
        .expect("run benchmark-runner")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn refused(out: &Output, want: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "exit status; stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(want), "{want:?} not in {err}");
}

#[test]
fn slurm_render_writes_scripts_with_the_campaign_gpu_default() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("GPU Sweep.toml"),
        "[base]\nengines = [\"lm-rs\"]\n[vary]\ndevice = [\"cuda:0\"]\n",
    )
    .expect("campaign");
    let out = render(
        tmp.path(),
        &[
            "--scheduler",
            "slurm",
            "--shards",
            "3",
            "GPU Sweep.toml",
            "--out",
            "slurm files",
            "--runner",
            "/opt/bench/benchmark-runner",
        ],
    );
    assert!(out.status.success(), "render failed: {}", stderr(&out));
    let dir = tmp.path().join("slurm files");
    let array = std::fs::read_to_string(dir.join("array.sbatch")).expect("array.sbatch");
    assert!(array.contains("#SBATCH --array=0-2\n"), "{array}");
    assert!(array.contains("#SBATCH --job-name=gpu-sweep\n"), "{array}");
    assert!(
        array.contains("#SBATCH --gres=gpu:1\n"),
        "a cuda campaign asks for a GPU: {array}"
    );
    let exec = array
        .lines()
        .find_map(|l| l.strip_prefix("exec "))
        .expect("exec line");
    let words = shlex::split(exec).expect("splits");
    let campaign = &words[3];
    assert!(
        Path::new(&campaign).is_absolute() && campaign.ends_with("GPU Sweep.toml"),
        "{campaign}"
    );
    assert!(
        words[7].ends_with("/results/shards/gpu-sweep/shard-${shard}")
            && Path::new(&words[7]).is_absolute(),
        "{words:?}"
    );
    assert!(
        dir.join("logs").is_dir(),
        "the output files' directory exists"
    );
    assert!(dir.join("merge.sbatch").is_file() && dir.join("submit.sh").is_file());

    let cpu = render(
        tmp.path(),
        &[
            "--scheduler",
            "slurm",
            "--shards",
            "2",
            "GPU Sweep.toml",
            "--out",
            "cpu",
            "--gpus-per-shard",
            "0",
        ],
    );
    assert!(cpu.status.success(), "{}", stderr(&cpu));
    let array = std::fs::read_to_string(tmp.path().join("cpu/array.sbatch")).expect("array");
    assert!(!array.contains("gres"), "{array}");
}

#[test]
fn kubernetes_render_writes_objects_that_read_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("c.toml"), "[base]\ndevice = \"cpu\"\n").expect("campaign");
    let out = render(
        tmp.path(),
        &[
            "--scheduler",
            "kubernetes",
            "--shards",
            "4",
            "c.toml",
            "--out",
            "k8s",
            "--image",
            "bench:1",
            "--results-claim",
            "res",
        ],
    );
    assert!(out.status.success(), "render failed: {}", stderr(&out));
    for name in ["job.yaml", "merge-job.yaml", "configmap.yaml"] {
        assert!(tmp.path().join("k8s").join(name).is_file(), "{name}");
    }
    let text = std::fs::read_to_string(tmp.path().join("k8s/job.yaml")).expect("job.yaml");
    let job: Job = serde_saphyr::from_str(&text).expect("a Job");
    let spec = job.spec.expect("spec");
    assert_eq!(spec.completions, Some(4));
    let c = &spec.template.spec.expect("pod").containers[0];
    assert!(
        c.resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .is_none(),
        "cpu: no GPU"
    );
    assert_eq!(
        c.args.as_deref().expect("args")[..4],
        [
            "campaign",
            "run",
            "/etc/benchmark-campaign/c.toml",
            "--shard"
        ]
    );
}

#[test]
fn bad_input_is_refused_in_one_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("c.toml"), "[base]\n").expect("campaign");
    std::fs::write(tmp.path().join("bad.toml"), "[base\n").expect("campaign");
    let base = ["--out", "o", "--scheduler"];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(extra);
        render(tmp.path(), &args)
    };
    refused(&run(&["slurm", "--shards", "0", "c.toml"]), "--shards");
    refused(
        &run(&["slurm", "--shards", "2", "missing.toml"]),
        "missing.toml not found",
    );
    refused(
        &run(&["slurm", "--shards", "2", "bad.toml"]),
        "not valid TOML",
    );
    refused(
        &run(&[
            "kubernetes",
            "--shards",
            "2",
            "c.toml",
            "--results-claim",
            "r",
        ]),
        "--image",
    );
    refused(
        &run(&["kubernetes", "--shards", "2", "c.toml", "--image", "i"]),
        "--results-claim",
    );
    refused(
        &run(&["slurm", "--shards", "2", "c.toml", "--image", "i"]),
        "--image does not apply",
    );
    refused(
        &run(&[
            "kubernetes",
            "--shards",
            "2",
            "c.toml",
            "--image",
            "i",
            "--results-claim",
            "r",
            "--partition",
            "p",
        ]),
        "--partition does not apply",
    );
    refused(
        &run(&["slurm", "--shards", "2", "c.toml", "--name", "Bad Name"]),
        "--name",
    );
    assert!(
        !tmp.path().join("o").exists(),
        "nothing written on bad input"
    );
}
