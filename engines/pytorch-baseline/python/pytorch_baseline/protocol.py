"""Protocol output and the messages this worker writes, field for field as shared-protocol
serialises them (optional fields that Rust skips when empty are left out here too).

At start-up the real stdout is moved to a private descriptor and descriptor 1 is pointed at
stderr, so a stray ``print`` or a C library's ``printf`` can never corrupt the protocol stream.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, BinaryIO, Optional

from pytorch_baseline import PROTOCOL_VERSION

Message = dict[str, Any]


class Output:
    """Writes one protocol message per line and flushes it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    @classmethod
    def take_stdout(cls) -> Output:
        """Take over descriptor 1 for the protocol; later writes to it go to stderr."""
        sys.stdout.flush()
        fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return cls(os.fdopen(fd, "wb", buffering=0))

    def send(self, message: Message) -> None:
        line = json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n"
        self._stream.write(line.encode())
        self._stream.flush()


def hello(engine_version: str, worker_version: str) -> Message:
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "engine": "pytorch",
        "engine_version": engine_version,
        "worker_version": worker_version,
        "device": "cpu",
        "capabilities": {
            "devices": ["cpu", "cuda"],
            "token_ids_input": True,
            "device_clock": True,
            "workload": False,
            "ignore_eos": True,
        },
    }


def checked() -> Message:
    return {"type": "checked"}


def loaded(
    load_ns: int,
    rss_bytes: Optional[int],
    device_memory_bytes: Optional[int],
    model_bytes: Optional[int],
    details: dict[str, Any],
) -> Message:
    return {
        "type": "loaded",
        "load_ns": load_ns,
        "rss_bytes": rss_bytes,
        "device_memory_bytes": device_memory_bytes,
        "model_bytes": model_bytes,
        "details": details,
    }


def error(message: str, fatal: bool) -> Message:
    return {"type": "error", "message": message, "fatal": fatal}


def done(samples: int, peak_rss_bytes: Optional[int]) -> Message:
    return {"type": "done", "samples": samples, "peak_rss_bytes": peak_rss_bytes}


def rss_bytes() -> Optional[int]:
    """Resident set size of this process (``VmRSS``), where there is a procfs."""
    return _status_kib("VmRSS:")


def peak_rss_bytes() -> Optional[int]:
    """Peak resident set size of this process (``VmHWM``), where there is a procfs."""
    return _status_kib("VmHWM:")


def _status_kib(key: str) -> Optional[int]:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
