"""Every message the worker writes validates against the JSON Schema shared-protocol derives
from its Rust types, and the validation does catch a message written wrong."""

from __future__ import annotations

import copy
import json
import os
import pathlib
import subprocess
import sys

import jsonschema
import pytest

from conftest import generate_message, load_message, run_lines

PROMPT = [1, 5, 9, 14, 20, 7]


@pytest.fixture(scope="module")
def session(tiny_llama: pathlib.Path) -> list[dict]:
    """One session exercising every message type the worker writes."""
    return run_lines(
        [
            {"type": "check", **{k: v for k, v in load_message(tiny_llama).items() if k != "type"}},
            {"type": "check", "model": None, "device": "cpu", "options": {}},
            generate_message(0, PROMPT, 4),
            load_message(tiny_llama, threads=1),
            load_message(tiny_llama),
            generate_message(1, PROMPT, 8, ignore_eos=True),
            generate_message(2, None, 8),
            generate_message(3, PROMPT, 6, temperature=0.9, top_p=0.8, seed=7),
            {"type": "workload", "phase": "measure", "requests": [], "load": {"kind": "closed", "concurrency": 1}, "request_timeout_ms": 1000},
            {"type": "telemetry", "x": 1},
            "not json at all",
            {"type": "shutdown"},
        ]
    )


def test_every_message_validates_against_the_schema(session, worker_schema):
    kinds = [m["type"] for m in session]
    assert kinds[0] == "hello"
    assert kinds[-1] == "done"
    assert set(kinds) == {"hello", "checked", "error", "loaded", "sample", "done"}, kinds
    for message in session:
        worker_schema.validate(message)


def test_the_session_answers_each_message(session):
    hello, checked, bad_check, early, loaded, twice, *rest = session
    assert hello["protocol"] == 1 and hello["engine"] == "pytorch"
    assert checked == {"type": "checked"}
    assert bad_check["type"] == "error" and "model path" in bad_check["message"]
    assert early == {"type": "error", "message": "generate before a successful load", "fatal": False}
    assert loaded["type"] == "loaded" and loaded["details"]["threads"] == 1
    assert twice["type"] == "error" and "already loaded" in twice["message"]
    full, no_ids, sampled, workload_error, workload_done, unreadable, done = rest
    assert full["outcome"] == {"status": "ok"} and full["completion_tokens"] == 8
    assert full["finish_reason"] == "length" and len(full["itl_ns"]) == 7
    assert no_ids["outcome"]["status"] == "failed"
    assert "prompt_token_ids" in no_ids["outcome"]["message"]
    assert sampled["outcome"] == {"status": "ok"}
    assert "one request at a time" in workload_error["message"]
    assert workload_done == {"type": "done", "samples": 0, "peak_rss_bytes": workload_done["peak_rss_bytes"]}
    assert unreadable["type"] == "error" and "not JSON" in unreadable["message"]
    assert done["samples"] == 3


@pytest.mark.parametrize(
    "breakage",
    [
        ("ttft_ns", "12"),  # a string where a count belongs
        ("completion_tokens", -1),  # a negative count
        ("finish_reason", "stopped"),  # not one of the reasons
        ("e2e_ns", None),  # a required figure left null
    ],
)
def test_a_field_written_wrong_is_caught(session, worker_schema, breakage):
    sample = next(m for m in session if m["type"] == "sample" and m["outcome"]["status"] == "ok")
    worker_schema.validate(sample)
    field, value = breakage
    broken = copy.deepcopy(sample)
    broken[field] = value
    with pytest.raises(jsonschema.ValidationError):
        worker_schema.validate(broken)
    # The most relevant error points at the broken field.
    error = jsonschema.exceptions.best_match(worker_schema.iter_errors(broken))
    assert list(error.absolute_path) == [field], error


def test_a_missing_field_is_caught(session, worker_schema):
    loaded = next(m for m in session if m["type"] == "loaded")
    broken = {k: v for k, v in loaded.items() if k != "load_ns"}
    with pytest.raises(jsonschema.ValidationError, match="load_ns"):
        worker_schema.validate(broken)


def test_stdout_carries_protocol_lines_only(tiny_llama, worker_schema, tmp_path):
    """In a real process, with the framework printing to stdout, only protocol lines reach it."""
    noisy = tmp_path / "sitecustomize.py"
    noisy.write_text("import atexit\natexit.register(lambda: print('bye from stdout'))\n")
    lines = [load_message(tiny_llama), generate_message(0, PROMPT, 3), {"type": "shutdown"}]
    env = dict(os.environ)
    package = pathlib.Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(package)])
    result = subprocess.run(
        [sys.executable, "-m", "pytorch_baseline", "--worker-version", "9.9.9"],
        input="".join(json.dumps(l) + "\n" for l in lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    messages = [json.loads(l) for l in result.stdout.splitlines()]
    assert [m["type"] for m in messages] == ["hello", "loaded", "sample", "done"]
    assert messages[0]["worker_version"] == "9.9.9"
    for m in messages:
        worker_schema.validate(m)
    assert "bye from stdout" in result.stderr
