//! The rendered files read back: Kubernetes YAML into the typed API objects, Slurm scripts line
//! by line and through a shell.

use std::path::PathBuf;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::ConfigMap;

use super::kubernetes::{self, KubernetesOptions};
use super::slurm::{self, SlurmOptions};
use super::{Campaign, Layout, Rendered, job_name, wants_gpu};

const CAMPAIGN_TEXT: &str = "cycles = 2\n\n[base]\nengines = [\"sim\", \"lm-rs\"]\n\
                             device = \"cuda:0\"\n\n[vary]\nconcurrency = [1, 4]\n";

fn campaign() -> Campaign {
    Campaign {
        path: PathBuf::from("/work/my campaigns/gpu sweep.toml"),
        file_name: "gpu sweep.toml".to_owned(),
        text: CAMPAIGN_TEXT.to_owned(),
        wants_gpu: true,
    }
}

fn file<'a>(files: &'a [Rendered], name: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} rendered"))
        .text
}

fn kube_layout(shards: u32, gpus: u32) -> Layout {
    Layout {
        name: "gpu-sweep".to_owned(),
        shards,
        campaign: PathBuf::from(kubernetes::campaign_path(&campaign())),
        results: PathBuf::from("/results"),
        runner: PathBuf::from("benchmark-runner"),
        gpus,
    }
}

fn kube_options() -> KubernetesOptions {
    KubernetesOptions {
        image: "registry.example/bench:1.2".to_owned(),
        namespace: Some("bench".to_owned()),
        results_claim: "bench-results".to_owned(),
        cpus: Some(8),
    }
}

#[test]
fn kubernetes_job_reads_back_as_an_indexed_job() {
    let files =
        kubernetes::render(&kube_layout(3, 2), &campaign(), &kube_options()).expect("renders");
    let job: Job = serde_saphyr::from_str(file(&files, "job.yaml")).expect("job.yaml is a Job");
    assert_eq!(job.metadata.name.as_deref(), Some("gpu-sweep"));
    assert_eq!(job.metadata.namespace.as_deref(), Some("bench"));
    let spec = job.spec.expect("spec");
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    assert_eq!(spec.completions, Some(3));
    assert_eq!(spec.parallelism, Some(3));
    assert_eq!(spec.backoff_limit, Some(0));
    let pod = spec.template.spec.expect("pod spec");
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert_eq!(pod.containers.len(), 1);
    let c = &pod.containers[0];
    assert_eq!(c.image.as_deref(), Some("registry.example/bench:1.2"));
    assert_eq!(
        c.command.as_deref(),
        Some(&["benchmark-runner".to_owned()][..])
    );
    assert_eq!(
        c.args.as_deref().expect("args"),
        [
            "campaign",
            "run",
            "/etc/benchmark-campaign/gpu-sweep.toml",
            "--shard",
            "$(JOB_COMPLETION_INDEX)/3",
            "--out",
            "/results/shard-$(JOB_COMPLETION_INDEX)",
        ]
    );
    let env = c.env.as_deref().expect("env");
    assert_eq!(env.len(), 1);
    assert_eq!(env[0].name, "JOB_COMPLETION_INDEX");
    let field = env[0]
        .value_from
        .as_ref()
        .and_then(|v| v.field_ref.as_ref())
        .expect("index from a field");
    assert_eq!(
        field.field_path,
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    let resources = c.resources.as_ref().expect("resources");
    let limits = resources.limits.as_ref().expect("limits");
    assert_eq!(limits.len(), 1, "only the GPU is limited: {limits:?}");
    assert_eq!(limits["nvidia.com/gpu"].0, "2");
    assert_eq!(resources.requests.as_ref().expect("requests")["cpu"].0, "8");

    let mounts = c.volume_mounts.as_deref().expect("mounts");
    let results = mounts
        .iter()
        .find(|m| m.name == "results")
        .expect("results mount");
    assert_eq!(results.mount_path, "/results");
    assert_ne!(results.read_only, Some(true));
    let camp = mounts
        .iter()
        .find(|m| m.name == "campaign")
        .expect("campaign mount");
    assert_eq!(camp.mount_path, "/etc/benchmark-campaign");
    assert_eq!(camp.read_only, Some(true));

    let volumes = pod.volumes.as_deref().expect("volumes");
    let claim = volumes
        .iter()
        .find(|v| v.name == "results")
        .and_then(|v| v.persistent_volume_claim.as_ref())
        .expect("results from a claim");
    assert_eq!(claim.claim_name, "bench-results");
    let cm = volumes
        .iter()
        .find(|v| v.name == "campaign")
        .and_then(|v| v.config_map.as_ref())
        .expect("campaign from a ConfigMap");
    assert_eq!(cm.name, "gpu-sweep-campaign");
    let items = cm.items.as_deref().expect("items");
    assert_eq!(
        (items[0].key.as_str(), items[0].path.as_str()),
        ("gpu-sweep.toml", "gpu-sweep.toml"),
        "a ConfigMap key holds no spaces"
    );
}

#[test]
fn kubernetes_configmap_and_merge_job_read_back() {
    let files =
        kubernetes::render(&kube_layout(2, 0), &campaign(), &kube_options()).expect("renders");
    let cm: ConfigMap =
        serde_saphyr::from_str(file(&files, "configmap.yaml")).expect("configmap.yaml");
    assert_eq!(cm.metadata.name.as_deref(), Some("gpu-sweep-campaign"));
    assert_eq!(cm.metadata.namespace.as_deref(), Some("bench"));
    assert_eq!(
        cm.data.expect("data")["gpu-sweep.toml"],
        CAMPAIGN_TEXT,
        "the campaign's text, byte for byte"
    );

    let job: Job = serde_saphyr::from_str(file(&files, "job.yaml")).expect("job.yaml");
    let c = &job
        .spec
        .expect("spec")
        .template
        .spec
        .expect("pod")
        .containers[0];
    assert!(
        c.resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .is_none(),
        "no GPU limit without GPUs"
    );

    let merge: Job = serde_saphyr::from_str(file(&files, "merge-job.yaml")).expect("merge");
    assert_eq!(merge.metadata.name.as_deref(), Some("gpu-sweep-merge"));
    let spec = merge.spec.expect("spec");
    assert_eq!(spec.completion_mode, None);
    assert_eq!(spec.completions, Some(1));
    let pod = spec.template.spec.expect("pod");
    let c = &pod.containers[0];
    assert_eq!(
        c.command.as_deref(),
        Some(&["benchmark-runner".to_owned()][..])
    );
    assert_eq!(
        c.args.as_deref().expect("args"),
        [
            "merge",
            "/results/shard-0",
            "/results/shard-1",
            "--out",
            "/results/merged"
        ]
    );
    assert_eq!(
        c.volume_mounts.as_deref().expect("mounts")[0].mount_path,
        "/results"
    );
    assert_eq!(
        pod.volumes.as_deref().expect("volumes")[0]
            .persistent_volume_claim
            .as_ref()
            .expect("claim")
            .claim_name,
        "bench-results"
    );
}

#[test]
fn kubernetes_refuses_missing_image_claim_and_relative_results() {
    let mut options = kube_options();
    options.image = String::new();
    let err = kubernetes::render(&kube_layout(2, 0), &campaign(), &options).expect_err("no image");
    assert!(err.message().contains("--image"), "{}", err.message());
    let mut options = kube_options();
    options.results_claim = " ".to_owned();
    let err = kubernetes::render(&kube_layout(2, 0), &campaign(), &options).expect_err("no claim");
    assert!(
        err.message().contains("--results-claim"),
        "{}",
        err.message()
    );
    let mut layout = kube_layout(2, 0);
    layout.results = PathBuf::from("results");
    let err = kubernetes::render(&layout, &campaign(), &kube_options()).expect_err("relative");
    assert!(err.message().contains("absolute"), "{}", err.message());
    let err = kubernetes::render(&kube_layout(0, 0), &campaign(), &kube_options())
        .expect_err("no shards");
    assert!(err.message().contains("at least 1"), "{}", err.message());
}

fn slurm_layout(gpus: u32) -> Layout {
    Layout {
        name: "gpu-sweep".to_owned(),
        shards: 4,
        campaign: PathBuf::from("/work/my campaigns/gpu sweep.toml"),
        results: PathBuf::from("/scratch/it's results"),
        runner: PathBuf::from("/opt/bench/benchmark-runner"),
        gpus,
    }
}

fn slurm_options() -> SlurmOptions {
    SlurmOptions {
        partition: Some("gpu".to_owned()),
        time: Some("2:00:00".to_owned()),
        cpus: Some(8),
        chdir: PathBuf::from("/work/bench dir"),
        logs: PathBuf::from("/work/out 100%/logs"),
    }
}

#[test]
fn slurm_array_script_lines() {
    let files = slurm::render(&slurm_layout(1), &slurm_options()).expect("renders");
    let array = file(&files, "array.sbatch");
    let lines: Vec<&str> = array.lines().collect();
    assert_eq!(lines[0], "#!/bin/bash");
    for want in [
        "#SBATCH --job-name=gpu-sweep",
        "#SBATCH --array=0-3",
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --time=2:00:00",
        "#SBATCH --partition=gpu",
        "#SBATCH --gres=gpu:1",
        "#SBATCH --chdir=\"/work/bench dir\"",
        "#SBATCH --output=\"/work/out 100%%/logs/shard-%A_%a.out\"",
        "set -euo pipefail",
        "shard=${SLURM_ARRAY_TASK_ID:?not run as a Slurm array task}",
    ] {
        assert!(lines.contains(&want), "no line {want:?} in\n{array}");
    }
    let exec = lines
        .iter()
        .find_map(|l| l.strip_prefix("exec "))
        .expect("an exec line");
    // A shell splits the command back into the contract's words (shlex::split leaves the
    // double-quoted variable unexpanded).
    assert_eq!(
        shlex::split(exec).expect("splits"),
        [
            "/opt/bench/benchmark-runner",
            "campaign",
            "run",
            "/work/my campaigns/gpu sweep.toml",
            "--shard",
            "${shard}/4",
            "--out",
            "/scratch/it's results/shard-${shard}",
        ],
        "{exec}"
    );
    // #SBATCH lines come before the first command, or sbatch ignores them.
    let first_cmd = lines.iter().position(|l| !l.starts_with('#')).expect("cmd");
    assert!(lines[first_cmd..].iter().all(|l| !l.starts_with("#SBATCH")));

    let cpu = slurm::render(&slurm_layout(0), &SlurmOptions::default()).expect("renders");
    assert!(
        !file(&cpu, "array.sbatch").contains("gres"),
        "no GPUs asked on CPU"
    );
}

#[test]
fn slurm_merge_and_submit() {
    let files = slurm::render(&slurm_layout(2), &slurm_options()).expect("renders");
    let merge = file(&files, "merge.sbatch");
    assert!(!merge.contains("--array"), "{merge}");
    assert!(!merge.contains("gres"), "the merge needs no GPU: {merge}");
    assert!(
        merge.contains("#SBATCH --job-name=gpu-sweep-merge\n"),
        "{merge}"
    );
    let exec = merge
        .lines()
        .find_map(|l| l.strip_prefix("exec "))
        .expect("an exec line");
    let words = shlex::split(exec).expect("splits");
    assert_eq!(words[1], "merge");
    assert_eq!(words[2], "/scratch/it's results/shard-0");
    assert_eq!(words[5], "/scratch/it's results/shard-3");
    assert_eq!(words[6..], ["--out", "/scratch/it's results/merged"]);

    let submit = file(&files, "submit.sh");
    assert!(
        submit.contains("jid=$(sbatch --parsable array.sbatch)\n"),
        "{submit}"
    );
    assert!(
        submit.contains("sbatch --parsable --dependency=afterok:\"$jid\" merge.sbatch"),
        "{submit}"
    );
    assert!(
        files
            .iter()
            .find(|f| f.name == "submit.sh")
            .is_some_and(|f| f.executable)
    );
}

#[test]
fn sbatch_directive_values() {
    assert_eq!(slurm::directive_value("gpu:2"), "gpu:2");
    assert_eq!(slurm::directive_value("a b"), "\"a b\"");
    assert_eq!(slurm::directive_value("x\"y\\z#"), "\"x\\\"y\\\\z#\"");
    assert_eq!(slurm::directive_value(""), "\"\"");
}

#[test]
fn campaign_device_and_names() {
    let t = |s: &str| -> toml::Table { s.parse().expect("toml") };
    assert!(wants_gpu(&t("[base]\ndevice = \"cuda:1\"")));
    assert!(wants_gpu(&t("[vary]\ndevice = [\"cpu\", \"cuda\"]")));
    assert!(!wants_gpu(&t(
        "[base]\ndevice = \"cpu\"\n[vary]\ndevice = [\"cpu\"]"
    )));
    assert!(
        !wants_gpu(&t("device = \"cuda\"")),
        "only [base] and [vary] count"
    );
    assert_eq!(job_name("My Sweep_2026.v1"), "my-sweep-2026-v1");
    assert_eq!(job_name("--"), "campaign");
    assert!(job_name(&"x".repeat(80)).len() <= 40);
}
