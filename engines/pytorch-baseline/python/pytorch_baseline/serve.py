"""The message loop: handshake, then one runner message at a time until ``shutdown`` or EOF.

Mirrors bench-worker's loop: a failed load is a fatal ``error``, a failed request a failed
``sample``, an unreadable line a non-fatal ``error``, an unknown message type a warning on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any, Optional

from pytorch_baseline import protocol
from pytorch_baseline.engine import (
    Engine,
    Extras,
    MissingPackage,
    RequestError,
    check,
    environment_note,
    load,
)
from pytorch_baseline.options import OptionError
from pytorch_baseline.protocol import Message, Output
from pytorch_baseline.timing import Record

RUNNER_TYPES = ("check", "load", "generate", "workload", "shutdown")


def engine_version() -> str:
    """torch's version, read from its metadata without importing it."""
    try:
        return version("torch")
    except PackageNotFoundError:
        return "torch not installed"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pytorch_baseline")
    parser.add_argument("--worker-version", default="0.0.0")
    args = parser.parse_args(argv)
    end_with_parent()
    out = Output.take_stdout()
    print(f"pytorch-baseline: {environment_note()}", file=sys.stderr)
    serve(sys.stdin, out, args.worker_version)
    return 0


def end_with_parent() -> None:
    """Have Linux end this process when the binary that started it dies (the runner kills a
    worker it gives up on), so that no orphan keeps computing beside the next engine's run."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError) as e:
        print(f"pytorch-baseline: cannot tie this process to its parent: {e}", file=sys.stderr)


def serve(lines: IO[str], out: Output, worker_version: str) -> None:
    out.send(protocol.hello(engine_version(), worker_version))
    engine: Optional[Engine] = None
    record = Record()
    samples = 0
    for line in lines:
        if not line.strip():
            continue
        message = decode(line, out)
        if message is None:
            continue
        kind = message["type"]
        try:
            if kind == "check":
                check(message)
                out.send(protocol.checked())
            elif kind == "load":
                if engine is not None:
                    out.send(protocol.error("a model is already loaded", False))
                    continue
                engine = load_engine(message, out)
            elif kind == "generate":
                if engine is None:
                    out.send(protocol.error("generate before a successful load", False))
                    continue
                out.send(generate(engine, message["phase"], message["request"], record))
                samples += 1
            elif kind == "workload":
                if engine is None:
                    out.send(protocol.error("workload before a successful load", False))
                    continue
                out.send(
                    protocol.error(
                        "engine pytorch runs one request at a time and does not accept workloads",
                        False,
                    )
                )
                out.send(protocol.done(0, protocol.peak_rss_bytes()))
            else:
                break
        except Exception as e:  # noqa: BLE001 - every failure becomes a message
            if not isinstance(e, (KeyError, TypeError, ValueError, MissingPackage, OptionError)):
                traceback.print_exc(file=sys.stderr)
            out.send(protocol.error(describe(e), False))
    out.send(protocol.done(samples, protocol.peak_rss_bytes()))


def decode(line: str, out: Output) -> Optional[dict[str, Any]]:
    """The runner message on ``line``, or ``None`` after reporting why there is none."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as e:
        out.send(protocol.error(f"cannot read runner message: not JSON: {e}", False))
        return None
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        out.send(
            protocol.error('cannot read runner message: JSON without a string "type" field', False)
        )
        return None
    if value["type"] not in RUNNER_TYPES:
        print(f"worker: skipping unknown message type '{value['type']}'", file=sys.stderr)
        return None
    return value


def load_engine(message: dict[str, Any], out: Output) -> Optional[Engine]:
    try:
        loaded = load(message)
    except Exception as e:  # noqa: BLE001 - any failure to load is reported, not raised
        if not isinstance(e, (MissingPackage, OptionError)):
            traceback.print_exc(file=sys.stderr)
        out.send(protocol.error(f"load failed: {describe(e)}", True))
        return None
    out.send(
        protocol.loaded(
            loaded.load_ns,
            protocol.rss_bytes(),
            loaded.device_memory_bytes,
            loaded.model_bytes,
            loaded.details,
        )
    )
    return loaded.engine


def generate(engine: Engine, phase: str, request: dict[str, Any], record: Record) -> Message:
    """Run one request and turn what was measured into a ``sample``."""
    for key in ("id", "max_tokens"):
        if not isinstance(request.get(key), int) or request[key] < 0:
            raise ValueError(f"cannot read runner message: request.{key} must be a count")
    extras = Extras()
    failure: Optional[str] = None
    try:
        extras = engine.generate(request, record)
    except RequestError as e:
        failure = str(e)
    except Exception as e:  # noqa: BLE001 - an engine failure is a failed sample
        traceback.print_exc(file=sys.stderr)
        failure = describe(e)
    return sample(request, phase, record, extras, failure)


def sample(
    request: dict[str, Any],
    phase: str,
    record: Record,
    extras: Extras,
    failure: Optional[str],
) -> Message:
    """A ``sample``, field for field (and in the order) bench-worker's sink writes it."""
    prompt = request.get("prompt_token_ids")
    outcome: dict[str, Any] = {"status": "ok"}
    finish_reason: Optional[str] = "eos" if record.eos else "length"
    if failure is not None:
        outcome = {"status": "failed", "kind": "engine_error", "message": failure}
        finish_reason = None
    host = record.host_figures()
    device = extras.device
    message: Message = {
        "type": "sample",
        "request_id": request["id"],
        "phase": phase,
        "outcome": outcome,
        "start_mono_ns": record.start_ns,
        "prefill_ns": host["prefill_ns"],
        "ttft_ns": host["ttft_ns"],
        "e2e_ns": host["e2e_ns"],
        "itl_ns": host["itl_ns"],
        "prompt_tokens": None if prompt is None else len(prompt),
        "prompt_tokens_source": None if prompt is None else "tokenizer",
        "completion_tokens": record.produced,
        "completion_tokens_source": "engine",
        "token_counts": {
            "server_prompt": None,
            "server_completion": None,
            "tokenizer_completion": None,
            "chunks": None,
        },
        "device_clock": "cuda_event" if device is not None else None,
        "prefill_device_ns": device.prefill_ns if device is not None else None,
        "decode_device_ns": device.decode_ns if device is not None else None,
        "finish_reason": finish_reason,
        "output_token_ids": record.ids[: record.produced],
    }
    metrics: dict[str, Any] = {}
    if extras.device_peak_memory_bytes is not None:
        metrics["device_peak_memory_bytes"] = extras.device_peak_memory_bytes
    if extras.top_logprobs is not None:
        metrics["top_logprobs"] = extras.top_logprobs
    if metrics:
        message["engine_metrics"] = metrics
    return message


def describe(e: BaseException) -> str:
    text = str(e)
    if isinstance(e, KeyError):
        return f"cannot read runner message: missing field {text}"
    return text or type(e).__name__
