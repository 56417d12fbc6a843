//! Kubernetes (API 1.37, through `k8s-openapi`): the shards as an Indexed Job (`job.yaml`,
//! completion index `i` is shard `i`), the campaign as a `ConfigMap` (`configmap.yaml`) mounted
//! read-only, and the merge as a one-pod Job (`merge-job.yaml`) to apply once the shards'
//! Job completed. Results go to a `PersistentVolumeClaim` mounted at the results directory.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EnvVar, EnvVarSource, KeyToPath,
    ObjectFieldSelector, PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec,
    ResourceRequirements, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::error::{Failure, usage};
use crate::shards::command::{self, Word};
use crate::shards::{Campaign, Layout, Rendered};

/// The environment variable an Indexed Job's pods carry their completion index in.
pub const INDEX_VAR: &str = "JOB_COMPLETION_INDEX";
/// The extended resource name of NVIDIA GPUs (the NVIDIA device plugin's).
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";
/// Where the campaign's `ConfigMap` is mounted in the shards' containers.
pub const CAMPAIGN_DIR: &str = "/etc/benchmark-campaign";
/// The results directory in the containers when none is given.
pub const DEFAULT_RESULTS: &str = "/results";
/// The runner in the image when none is given (found on the image's `PATH`).
pub const DEFAULT_RUNNER: &str = "benchmark-runner";

/// Kubernetes settings beside the layout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubernetesOptions {
    /// Container image holding the runner and its workers.
    pub image: String,
    /// Namespace of every object; the current context's when `None`.
    pub namespace: Option<String>,
    /// The `PersistentVolumeClaim` mounted at the results directory (`ReadWriteMany` when shards
    /// run on several nodes).
    pub results_claim: String,
    /// CPUs each shard requests (a request, not a limit: a CPU limit throttles, which would
    /// distort what is measured).
    pub cpus: Option<u32>,
}

/// The `ConfigMap` holding the campaign file.
pub fn config_map_name(layout: &Layout) -> String {
    format!("{}-campaign", layout.name)
}

/// The campaign's key in its `ConfigMap`, and its file name in the containers: its own file
/// name with each character a key cannot hold (other than letters, digits, `-`, `_`, `.`) as `-`.
pub fn campaign_key(campaign: &Campaign) -> String {
    campaign
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The campaign's path in the shards' containers.
pub fn campaign_path(campaign: &Campaign) -> String {
    format!("{CAMPAIGN_DIR}/{}", campaign_key(campaign))
}

fn metadata(name: String, layout: &Layout, options: &KubernetesOptions) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: options.namespace.clone(),
        labels: Some(BTreeMap::from([
            (
                "app.kubernetes.io/name".to_owned(),
                "benchmark-runner".to_owned(),
            ),
            ("benchmark-runner/campaign".to_owned(), layout.name.clone()),
        ])),
        ..ObjectMeta::default()
    }
}

fn results_volume(options: &KubernetesOptions) -> Volume {
    Volume {
        name: "results".to_owned(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: options.results_claim.clone(),
            read_only: None,
        }),
        ..Volume::default()
    }
}

fn results_mount(layout: &Layout) -> VolumeMount {
    VolumeMount {
        name: "results".to_owned(),
        mount_path: layout.results.display().to_string(),
        ..VolumeMount::default()
    }
}

/// A container running `words` (the first is the program), `$(JOB_COMPLETION_INDEX)` in its
/// arguments where a word uses the shard's index.
fn container(name: &str, image: &str, words: &[Word]) -> Container {
    let mut args = command::to_container_args(words, INDEX_VAR);
    let program = if args.is_empty() {
        Vec::new()
    } else {
        vec![args.remove(0)]
    };
    Container {
        name: name.to_owned(),
        image: Some(image.to_owned()),
        command: Some(program),
        args: Some(args),
        ..Container::default()
    }
}

fn job(metadata: ObjectMeta, spec: JobSpec) -> Job {
    Job {
        metadata,
        spec: Some(spec),
        status: None,
    }
}

/// The Indexed Job of the shards, each running `shard`.
pub fn shard_job(
    layout: &Layout,
    campaign: &Campaign,
    options: &KubernetesOptions,
    shard: &[Word],
) -> Job {
    let mut main = container("shard", &options.image, shard);
    // The Job controller sets JOB_COMPLETION_INDEX too; declaring it from the pod's annotation
    // makes `$(JOB_COMPLETION_INDEX)` in the arguments expand whatever the controller's version.
    main.env = Some(vec![EnvVar {
        name: INDEX_VAR.to_owned(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                api_version: None,
                field_path: "metadata.annotations['batch.kubernetes.io/job-completion-index']"
                    .to_owned(),
            }),
            ..EnvVarSource::default()
        }),
        value: None,
    }]);
    let mut limits = BTreeMap::new();
    if layout.gpus > 0 {
        limits.insert(GPU_RESOURCE.to_owned(), Quantity(layout.gpus.to_string()));
    }
    let requests = options
        .cpus
        .map(|c| BTreeMap::from([("cpu".to_owned(), Quantity(c.to_string()))]));
    main.resources = Some(ResourceRequirements {
        limits: (!limits.is_empty()).then_some(limits),
        requests,
        claims: None,
    });
    main.volume_mounts = Some(vec![
        results_mount(layout),
        VolumeMount {
            name: "campaign".to_owned(),
            mount_path: CAMPAIGN_DIR.to_owned(),
            read_only: Some(true),
            ..VolumeMount::default()
        },
    ]);
    let shards = i32::try_from(layout.shards).unwrap_or(i32::MAX);
    let spec = JobSpec {
        completion_mode: Some("Indexed".to_owned()),
        completions: Some(shards),
        parallelism: Some(shards),
        // A failed shard is not retried: its partial results stay for a look, and the merge
        // (afterwards) refuses an incomplete set.
        backoff_limit: Some(0),
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(BTreeMap::from([(
                    "benchmark-runner/campaign".to_owned(),
                    layout.name.clone(),
                )])),
                ..ObjectMeta::default()
            }),
            spec: Some(PodSpec {
                restart_policy: Some("Never".to_owned()),
                containers: vec![main],
                volumes: Some(vec![
                    results_volume(options),
                    Volume {
                        name: "campaign".to_owned(),
                        config_map: Some(ConfigMapVolumeSource {
                            name: config_map_name(layout),
                            items: Some(vec![KeyToPath {
                                key: campaign_key(campaign),
                                path: campaign_key(campaign),
                                ..KeyToPath::default()
                            }]),
                            ..ConfigMapVolumeSource::default()
                        }),
                        ..Volume::default()
                    },
                ]),
                ..PodSpec::default()
            }),
        },
        ..JobSpec::default()
    };
    job(metadata(layout.name.clone(), layout, options), spec)
}

/// The merge Job: one pod running `merge` over the results volume.
pub fn merge_job(layout: &Layout, options: &KubernetesOptions, merge: &[Word]) -> Job {
    let mut main = container("merge", &options.image, merge);
    main.volume_mounts = Some(vec![results_mount(layout)]);
    let spec = JobSpec {
        completions: Some(1),
        parallelism: Some(1),
        backoff_limit: Some(0),
        template: PodTemplateSpec {
            metadata: None,
            spec: Some(PodSpec {
                restart_policy: Some("Never".to_owned()),
                containers: vec![main],
                volumes: Some(vec![results_volume(options)]),
                ..PodSpec::default()
            }),
        },
        ..JobSpec::default()
    };
    job(
        metadata(format!("{}-merge", layout.name), layout, options),
        spec,
    )
}

/// The `ConfigMap` holding the campaign's text under [`campaign_key`].
pub fn config_map(layout: &Layout, campaign: &Campaign, options: &KubernetesOptions) -> ConfigMap {
    ConfigMap {
        metadata: metadata(config_map_name(layout), layout, options),
        data: Some(BTreeMap::from([(
            campaign_key(campaign),
            campaign.text.clone(),
        )])),
        ..ConfigMap::default()
    }
}

fn yaml<T: serde::Serialize>(what: &str, object: &T) -> Result<String, Failure> {
    let text = serde_saphyr::to_string(object)
        .map_err(|e| anyhow::anyhow!("cannot write {what} as YAML: {e}"))?;
    Ok(format!(
        "# Written by `benchmark-runner shards render`.\n{text}"
    ))
}

/// The three files, from the contract's commands (`layout.campaign` must be
/// [`campaign_path`]).
pub fn render(
    layout: &Layout,
    campaign: &Campaign,
    options: &KubernetesOptions,
) -> Result<Vec<Rendered>, Failure> {
    render_with(
        layout,
        campaign,
        options,
        &command::shard_command(layout),
        &command::merge_command(layout),
    )
}

/// The three files with the given shard and merge commands.
pub fn render_with(
    layout: &Layout,
    campaign: &Campaign,
    options: &KubernetesOptions,
    shard: &[Word],
    merge: &[Word],
) -> Result<Vec<Rendered>, Failure> {
    layout.validate()?;
    if options.image.trim().is_empty() {
        return Err(usage("a kubernetes render needs --image"));
    }
    if options.results_claim.trim().is_empty() {
        return Err(usage(
            "a kubernetes render needs --results-claim (a PersistentVolumeClaim for the results)",
        ));
    }
    if !layout.results.is_absolute() {
        return Err(usage(format!(
            "--results {} must be an absolute path in the container",
            layout.results.display()
        )));
    }
    Ok(vec![
        Rendered {
            name: "job.yaml",
            text: yaml(
                "the shards' Job",
                &shard_job(layout, campaign, options, shard),
            )?,
            executable: false,
        },
        Rendered {
            name: "merge-job.yaml",
            text: yaml("the merge Job", &merge_job(layout, options, merge))?,
            executable: false,
        },
        Rendered {
            name: "configmap.yaml",
            text: yaml(
                "the campaign's ConfigMap",
                &config_map(layout, campaign, options),
            )?,
            executable: false,
        },
    ])
}
