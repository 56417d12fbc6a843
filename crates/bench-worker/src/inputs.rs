//! What engines read from the runner's messages, checked the same way by every worker: the local
//! model of a load, the device string, and a request's prompt ids, with errors that name the fix.

use std::path::Path;

use anyhow::{Context, bail};
use shared_protocol::{LoadRequest, ModelFormat, Request};

/// The local model of `request` and its format (the runner's, else GGUF for a `.gguf` file and a
/// Hugging Face directory otherwise), checked to exist. `worker` names the worker in errors.
pub fn local_model<'a>(
    request: &'a LoadRequest,
    worker: &str,
) -> anyhow::Result<(&'a Path, ModelFormat)> {
    let model = request
        .model
        .as_ref()
        .with_context(|| format!("{worker} needs a model"))?;
    let path = Path::new(
        model
            .path
            .as_deref()
            .with_context(|| format!("{worker} needs a local model path"))?,
    );
    let format = match model.format {
        Some(f) => f,
        None if path.extension().is_some_and(|e| e == "gguf") => ModelFormat::Gguf,
        None => ModelFormat::Safetensors,
    };
    match format {
        ModelFormat::Gguf if !path.is_file() => {
            bail!("model file {} does not exist", path.display())
        }
        ModelFormat::Safetensors if !path.join("config.json").is_file() => bail!(
            "{} is not a Hugging Face model directory (no config.json)",
            path.display()
        ),
        _ => {}
    }
    Ok((path, format))
}

/// A device string of an engine that runs on the CPU or on CUDA: `cpu` is `None`; `cuda` (ordinal
/// 0) and `cuda:N` are the ordinal. `worker` names the worker in errors.
pub fn cpu_or_cuda(device: &str, worker: &str) -> anyhow::Result<Option<usize>> {
    match device {
        "cpu" => Ok(None),
        "cuda" => Ok(Some(0)),
        _ => match device.strip_prefix("cuda:") {
            Some(n) => n
                .parse()
                .map(Some)
                .with_context(|| format!("invalid device '{device}': expected cuda:N")),
            None => bail!("device '{device}' is not supported by {worker} (cpu, cuda, cuda:N)"),
        },
    }
}

/// The prompt ids of `request`: present (the runner tokenizes every prompt), not empty, and
/// leaving room for `max_tokens` within `limit` positions, which `limit_is` describes for the
/// error (say "the model's positions").
pub fn prompt_ids<'a>(
    request: &'a Request,
    worker: &str,
    limit: usize,
    limit_is: &str,
) -> anyhow::Result<&'a [u32]> {
    let prompt = request.prompt_token_ids.as_deref().with_context(|| {
        format!("{worker} needs prompt_token_ids: the runner tokenizes every prompt")
    })?;
    if prompt.is_empty() {
        bail!("empty prompt: at least one input token is needed");
    }
    if prompt.len() + request.max_tokens as usize > limit {
        bail!(
            "prompt of {} tokens plus max_tokens {} exceeds {limit_is} ({limit})",
            prompt.len(),
            request.max_tokens,
        );
    }
    Ok(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared_protocol::Sampling;

    fn load(path: &Path, format: Option<&str>) -> LoadRequest {
        serde_json::from_value(json!({"model": {"id": "m", "path": path, "format": format},
            "device": "cpu", "options": {}}))
        .expect("load request")
    }

    #[test]
    fn models_resolve_their_format_and_must_exist() {
        let dir = std::env::temp_dir().join(format!("bench-worker-inputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let gguf = dir.join("m.gguf");
        std::fs::write(&gguf, b"GGUF").expect("write");
        let request = load(&gguf, None);
        let (path, format) = local_model(&request, "w").expect("gguf");
        assert_eq!((path, format), (gguf.as_path(), ModelFormat::Gguf));
        let err = local_model(&load(&dir, None), "w").expect_err("no config.json");
        assert!(err.to_string().contains("config.json"), "{err}");
        std::fs::write(dir.join("config.json"), b"{}").expect("write");
        assert_eq!(
            local_model(&load(&dir, None), "w").expect("directory").1,
            ModelFormat::Safetensors
        );
        let err = local_model(&load(&dir.join("absent.gguf"), None), "w").expect_err("absent");
        assert!(err.to_string().contains("does not exist"), "{err}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn devices_parse() {
        assert_eq!(cpu_or_cuda("cpu", "w").expect("cpu"), None);
        assert_eq!(cpu_or_cuda("cuda", "w").expect("cuda"), Some(0));
        assert_eq!(cpu_or_cuda("cuda:3", "w").expect("cuda:3"), Some(3));
        assert!(cpu_or_cuda("cuda:x", "w").is_err());
        let err = cpu_or_cuda("metal", "w-bench").expect_err("metal");
        assert!(err.to_string().contains("w-bench"), "{err}");
    }

    #[test]
    fn prompts_must_be_present_and_fit() {
        let mut r = Request {
            id: 1,
            text: String::new(),
            prompt_token_ids: Some(vec![1, 2, 3]),
            chat: false,
            max_tokens: 5,
            ignore_eos: false,
            sampling: Sampling::default(),
        };
        assert_eq!(
            prompt_ids(&r, "w", 8, "the model's positions").expect("fits"),
            &[1, 2, 3]
        );
        let err = prompt_ids(&r, "w", 7, "the model's positions").expect_err("too long");
        assert!(
            err.to_string().contains("the model's positions (7)"),
            "{err}"
        );
        r.prompt_token_ids = Some(vec![]);
        assert!(prompt_ids(&r, "w", 8, "x").is_err());
        r.prompt_token_ids = None;
        let err = prompt_ids(&r, "w-bench", 8, "x").expect_err("no ids");
        assert!(
            err.to_string().contains("w-bench needs prompt_token_ids"),
            "{err}"
        );
    }
}
