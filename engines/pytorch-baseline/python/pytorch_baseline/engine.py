"""The engine: a transformers causal LM, loaded from a GGUF file or a Hugging Face directory,
and the hand-written prefill-then-decode loop with its KV cache.

torch, transformers and gguf are imported when a model is loaded, not at start-up, so that the
handshake is immediate and a missing package is a clear error message.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Optional

from pytorch_baseline import PYTHON_ENV, PYTHON_OPTION, SETUP_COMMAND
from pytorch_baseline.options import (
    Device,
    ModelSource,
    OptionError,
    Options,
    model_source,
    parse_options,
)
from pytorch_baseline.sampler import Sampler
from pytorch_baseline.timing import CudaClock, DeviceFigures, Record, mono_ns


class MissingPackage(RuntimeError):
    """The interpreter lacks a package the worker needs; the message says how to get it."""


def missing_package_message(name: str, reason: str) -> str:
    return (
        f"python {sys.executable} cannot import {name} ({reason}): run {SETUP_COMMAND} "
        f"(creates .venv-torch), or name an interpreter that has torch, transformers and gguf "
        f"with the engine option `{PYTHON_OPTION}` or the environment variable {PYTHON_ENV}"
    )


def required_packages(source: ModelSource) -> list[str]:
    return ["torch", "transformers"] + (["gguf"] if source.gguf_file else [])


def check_packages(names: list[str]) -> None:
    """Whether the packages can be found, without importing them (fast)."""
    for name in names:
        if importlib.util.find_spec(name) is None:
            raise MissingPackage(missing_package_message(name, f"no module named '{name}'"))


def import_package(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise MissingPackage(missing_package_message(name, str(e))) from e


@dataclass(frozen=True)
class LoadRequest:
    """A checked load request."""

    options: Options
    device: Device
    source: ModelSource


def check(request: dict[str, Any]) -> LoadRequest:
    """Validate a ``check`` or ``load`` request without loading anything."""
    options = parse_options(request.get("options") or {})
    device = Device.parse(str(request.get("device", "cpu")))
    source = model_source(request.get("model"))
    check_packages(required_packages(source))
    return LoadRequest(options, device, source)


DTYPE_NAMES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}


@dataclass
class Loaded:
    """A loaded engine and what the ``loaded`` message reports about it."""

    engine: Engine
    load_ns: int
    model_bytes: int
    device_memory_bytes: Optional[int]
    details: dict[str, Any] = field(default_factory=dict)


def load(request: dict[str, Any]) -> Loaded:
    """Import the framework, then load the model; ``load_ns`` covers the model alone."""
    checked = check(request)
    t0 = mono_ns()
    # transformers draws its GGUF conversion's progress bars with tqdm directly.
    os.environ.setdefault("TQDM_DISABLE", "1")
    torch = import_package("torch")
    transformers = import_package("transformers")
    if checked.source.gguf_file:
        import_package("gguf")
    import_ns = mono_ns() - t0
    transformers.utils.logging.disable_progress_bar()

    start = mono_ns()
    options, device = checked.options, checked.device
    if options.threads is not None:
        torch.set_num_threads(options.threads)
    if device.kind == "cuda" and not torch.cuda.is_available():
        raise OptionError(
            f"CUDA is not available to torch {torch.__version__} (built for CUDA {torch.version.cuda})"
        )
    dtype_name = options.resolved_dtype(device)
    dtype = getattr(torch, DTYPE_NAMES[dtype_name])
    torch_device = torch.device(device.torch_name())
    if device.kind == "cuda":
        torch.cuda.set_device(torch_device)
        torch.cuda.reset_peak_memory_stats(torch_device)
    extra = {"gguf_file": checked.source.gguf_file} if checked.source.gguf_file else {}
    model = transformers.AutoModelForCausalLM.from_pretrained(
        checked.source.directory, dtype=dtype, attn_implementation=options.attention, **extra
    )
    model.to(torch_device)
    model.eval()
    if options.compile:
        # torch's automatic dynamic shapes: prompt and cache lengths vary between requests.
        model.forward = torch.compile(model.forward)
    engine = Engine(torch, transformers, model, checked)
    if device.kind == "cuda":
        torch.cuda.synchronize(torch_device)
    load_ns = mono_ns() - start

    config = model.config
    details: dict[str, Any] = {
        "architecture": config.model_type,
        "format": "gguf" if checked.source.gguf_file else "safetensors",
        "dtype": dtype_name,
        "attention": getattr(config, "_attn_implementation", options.attention),
        "compile": options.compile,
        "cache": options.cache,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "device": device.torch_name(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "kv_bytes_per_position": engine.kv_bytes_per_position(),
        "eos_ids": sorted(engine.eos_ids),
        "max_positions": engine.max_positions,
        "decode_loop": "hand-written, KV cache, torch.inference_mode",
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "python": sys.executable,
        "python_version": sys.version.split()[0],
        "import_ns": import_ns,
    }
    if checked.source.gguf_file:
        details["gguf_version"] = _version("gguf")
        details["weights"] = f"GGUF dequantised by transformers to {dtype_name}"
    if options.top_logprobs:
        details["top_logprobs"] = options.top_logprobs
    device_memory = None
    if device.kind == "cuda":
        device_memory = int(torch.cuda.max_memory_allocated(torch_device))
        details["cuda_device"] = torch.cuda.get_device_name(torch_device)
        details["cuda_version"] = torch.version.cuda
    model_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    return Loaded(engine, load_ns, model_bytes, device_memory, details)


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


class RequestError(ValueError):
    """A request this engine cannot run; it becomes a failed sample."""


class Engine:
    """A loaded model on its device, and the decode loop."""

    def __init__(self, torch: Any, transformers: Any, model: Any, checked: LoadRequest) -> None:
        self.torch = torch
        self.transformers = transformers
        self.model = model
        self.options = checked.options
        self.device = torch.device(checked.device.torch_name())
        self.cuda = checked.device.kind == "cuda"
        self.clock = CudaClock(torch, self.device) if self.cuda else None
        config = model.config
        eos: set[int] = set()
        for source in (config, getattr(model, "generation_config", None)):
            value = getattr(source, "eos_token_id", None) if source is not None else None
            if isinstance(value, int):
                eos.add(value)
            elif isinstance(value, (list, tuple)):
                eos.update(int(v) for v in value)
        self.eos_ids = frozenset(eos)
        self.max_positions = int(getattr(config, "max_position_embeddings", 0) or 0)
        self.vocab_size = int(config.vocab_size)
        # transformers 5 names the KV cache argument `cache`; 4.x `past_key_values`.
        parameters = inspect.signature(model.forward).parameters
        self.cache_argument = "cache" if "cache" in parameters else "past_key_values"

    def kv_shape(self) -> tuple[int, int]:
        """Key/value heads and the head dimension."""
        config = self.model.config
        heads = config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
        return int(kv_heads), int(head_dim)

    def kv_bytes_per_position(self) -> int:
        kv_heads, head_dim = self.kv_shape()
        element = self.model.dtype.itemsize
        return 2 * self.model.config.num_hidden_layers * kv_heads * head_dim * element

    def generate(self, request: dict[str, Any], record: Record) -> Extras:
        """Run one request into ``record``: prepare (untimed), then the timed prefill-then-decode
        loop. Raises :class:`RequestError` (or anything torch raises) on failure, with
        ``record`` holding what was measured until then."""
        torch = self.torch
        prompt = request.get("prompt_token_ids")
        max_tokens = int(request["max_tokens"])
        record.prepare(max_tokens)
        if prompt is None:
            raise RequestError("pytorch-baseline needs prompt_token_ids: the runner tokenizes every prompt")
        if not prompt:
            raise RequestError("empty prompt: at least one input token is needed")
        total = len(prompt) + max_tokens
        if self.max_positions and total > self.max_positions:
            raise RequestError(
                f"prompt of {len(prompt)} tokens plus max_tokens {max_tokens} exceeds the "
                f"model's {self.max_positions} positions"
            )
        extras = Extras()
        if max_tokens == 0:
            record.start_ns = record.end_ns = mono_ns()
            return extras
        with torch.inference_mode():
            prompt_ids = torch.tensor([prompt], dtype=torch.long, device=self.device)
            positions = torch.arange(total, dtype=torch.long, device=self.device)
            cache = self._new_cache(total)
            sampler = Sampler(torch, request.get("sampling") or {}, self.device)
            keep = self.options.top_logprobs
            logits_rows = (
                torch.empty((max_tokens, self.vocab_size), dtype=torch.float32, device=self.device)
                if keep
                else None
            )
            clock = self.clock
            if clock is not None:
                clock.prepare(max_tokens)
            if self.cuda:
                torch.cuda.reset_peak_memory_stats(self.device)
            try:
                extras.passes = self._timed(
                    record, prompt_ids, positions, cache, sampler, logits_rows,
                    bool(request.get("ignore_eos", False)), max_tokens,
                )
            finally:
                record.end_ns = mono_ns()
                # Everything below is outside the timed region.
                passes = extras.passes
                if clock is not None and passes is not None:
                    extras.device = clock.read(passes)
                if self.cuda:
                    extras.device_peak_memory_bytes = int(torch.cuda.max_memory_allocated(self.device))
            if logits_rows is not None and extras.passes:
                extras.top_logprobs = _top_logprobs(torch, logits_rows[: extras.passes], keep)
        return extras

    def _new_cache(self, total: int) -> Any:
        cache_utils = self.transformers.cache_utils
        if self.options.cache == "static":
            cache = cache_utils.StaticCache(config=self.model.config, max_cache_len=total)
            # Allocated now rather than on the prefill's first write, inside the timed region.
            if hasattr(cache, "early_initialization"):
                kv_heads, head_dim = self.kv_shape()
                cache.early_initialization(1, kv_heads, head_dim, self.model.dtype, self.device)
            return cache
        return cache_utils.DynamicCache(config=self.model.config)

    def _timed(
        self,
        record: Record,
        prompt_ids: Any,
        positions: Any,
        cache: Any,
        sampler: Sampler,
        logits_rows: Any,
        ignore_eos: bool,
        max_tokens: int,
    ) -> int:
        """The timed region: submission, prefill, one forward pass per token. Returns the number
        of forward passes whose logits were sampled. Only the model, the sampler and clock
        readings run here."""
        model = self.model
        step_kwargs = {self.cache_argument: cache, "use_cache": True}
        clock_events = self.clock.events if self.clock is not None else None
        eos_ids = self.eos_ids
        stamps, ids = record.stamps_ns, record.ids
        prompt_len = prompt_ids.shape[1]

        record.start_ns = mono_ns()
        if clock_events is not None:
            clock_events[0].record()
        out = model(
            input_ids=prompt_ids,
            position_ids=positions[:prompt_len].view(1, -1),
            logits_to_keep=1,
            **step_kwargs,
        )
        logits = out.logits[0, -1]
        if clock_events is not None:
            # Queued, not finished: the events complete on the device's own timeline.
            clock_events[1].record()
            clock_events[2].record()
            self.torch.cuda.synchronize(self.device)
        record.prefill_end_ns = mono_ns()
        if logits_rows is not None:
            logits_rows[0].copy_(logits)
        passes = 1
        token = sampler(logits)
        token_id = int(token)
        produced = 0
        pos = prompt_len
        while True:
            if not ignore_eos and token_id in eos_ids:
                record.eos = True
                break
            stamps[produced] = mono_ns()
            ids[produced] = token_id
            produced += 1
            record.produced = produced
            if produced >= max_tokens:
                break
            if clock_events is not None:
                clock_events[2 * passes + 1].record()
            out = model(
                input_ids=token.view(1, 1),
                position_ids=positions[pos : pos + 1].view(1, 1),
                **step_kwargs,
            )
            if clock_events is not None:
                clock_events[2 * passes + 2].record()
            pos += 1
            logits = out.logits[0, -1]
            if logits_rows is not None:
                logits_rows[passes].copy_(logits)
            passes += 1
            token = sampler(logits)
            token_id = int(token)
        return passes


@dataclass
class Extras:
    """What a request yields besides the host record."""

    passes: Optional[int] = None
    device: Optional[DeviceFigures] = None
    device_peak_memory_bytes: Optional[int] = None
    top_logprobs: Optional[list[list[list[Any]]]] = None


def _top_logprobs(torch: Any, rows: Any, k: int) -> list[list[list[Any]]]:
    """``[[[id, logprob], ...] per step]``, best first, as the parity references store them."""
    logprobs = torch.log_softmax(rows.float(), dim=-1)
    values, indices = torch.topk(logprobs, k=min(k, logprobs.shape[-1]), dim=-1)
    return [
        [[int(i), float(v)] for i, v in zip(idx_row, val_row)]
        for idx_row, val_row in zip(indices.tolist(), values.tolist())
    ]


def environment_note() -> str:
    """Where this interpreter lives, for logs."""
    return f"python {sys.version.split()[0]} at {sys.executable} (pid {os.getpid()})"
