"""What the worker can be told: engine options (unknown keys refused) and the device string."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

from pytorch_baseline import PYTHON_OPTION


class OptionError(ValueError):
    """An option or device the worker cannot accept; the message says which and why."""


DTYPES = ("f32", "f16", "bf16")
ATTENTION = ("sdpa", "eager")
CACHES = ("dynamic", "static")


@dataclass(frozen=True)
class Options:
    """pytorch-baseline's engine options."""

    dtype: Optional[str] = None
    """Weights and activations: f32 on the CPU and bf16 on CUDA when absent."""
    attention: str = "sdpa"
    """transformers' attention implementation."""
    compile: bool = False
    """Wrap the model's forward pass in ``torch.compile``."""
    cache: str = "dynamic"
    """KV cache: ``dynamic`` (grows per token) or ``static`` (allocated before each request)."""
    threads: Optional[int] = None
    """torch's intra-op threads (CPU); torch's default (the physical cores) when absent."""
    top_logprobs: int = 0
    """Diagnostics: report the log-probabilities of this many best tokens per step."""
    python: Optional[str] = None
    """The interpreter; the Rust binary starts the worker with it (recorded, not used here)."""

    def resolved_dtype(self, device: Device) -> str:
        if self.dtype is not None:
            return self.dtype
        return "f32" if device.kind == "cpu" else "bf16"


def parse_options(raw: dict[str, Any]) -> Options:
    """Options from the load request's map, refusing unknown keys and ill-typed values."""
    known = {"dtype", "attention", "compile", "cache", "threads", "top_logprobs", PYTHON_OPTION}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise OptionError(
            f"invalid engine option: unknown key '{unknown[0]}' (known: {', '.join(sorted(known))})"
        )
    dtype = _choice(raw, "dtype", DTYPES, None)
    attention = _choice(raw, "attention", ATTENTION, "sdpa")
    cache = _choice(raw, "cache", CACHES, "dynamic")
    compile_ = raw.get("compile", False)
    if not isinstance(compile_, bool):
        raise OptionError("invalid engine option: compile must be true or false")
    threads = _count(raw, "threads", minimum=1)
    top_logprobs = _count(raw, "top_logprobs", minimum=0) or 0
    python = raw.get(PYTHON_OPTION)
    if python is not None and not isinstance(python, str):
        raise OptionError(f"invalid engine option: {PYTHON_OPTION} must be a path or command name")
    return Options(dtype, attention, compile_, cache, threads, top_logprobs, python)


def _choice(raw: dict[str, Any], key: str, allowed: tuple[str, ...], default: Optional[str]) -> Any:
    value = raw.get(key, default)
    if value is not default and value not in allowed:
        raise OptionError(
            f"invalid engine option: {key} must be one of {', '.join(allowed)}, not {value!r}"
        )
    return value


def _count(raw: dict[str, Any], key: str, minimum: int) -> Optional[int]:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise OptionError(f"invalid engine option: {key} must be an integer of at least {minimum}")
    return value


@dataclass(frozen=True)
class Device:
    """A device as the runner names it: ``cpu``, ``cuda`` (ordinal 0) or ``cuda:N``."""

    kind: str
    index: int = 0

    @classmethod
    def parse(cls, text: str) -> Device:
        if text == "cpu":
            return cls("cpu")
        if text == "cuda":
            return cls("cuda", 0)
        if text.startswith("cuda:") and text[5:].isdigit():
            return cls("cuda", int(text[5:]))
        raise OptionError(f"device '{text}' is not supported by pytorch-baseline (cpu, cuda, cuda:N)")

    def torch_name(self) -> str:
        return "cpu" if self.kind == "cpu" else f"cuda:{self.index}"


@dataclass(frozen=True)
class ModelSource:
    """Where the weights are: a GGUF file (``directory`` + ``gguf_file``) or a directory."""

    directory: str
    gguf_file: Optional[str]


def model_source(model: Optional[dict[str, Any]]) -> ModelSource:
    """The local weights of the load request's model, checked to exist."""
    if not model or not model.get("path"):
        raise OptionError("pytorch-baseline needs a local model path")
    path = str(model["path"])
    fmt = model.get("format") or ("gguf" if path.endswith(".gguf") else "safetensors")
    if fmt == "gguf":
        if not os.path.isfile(path):
            raise OptionError(f"model file {path} does not exist")
        return ModelSource(os.path.dirname(os.path.abspath(path)), os.path.basename(path))
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise OptionError(f"{path} is not a Hugging Face model directory (no config.json)")
    return ModelSource(path, None)
