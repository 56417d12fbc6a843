"""Clocks: the host monotonic clock, the stamps of one request, and CUDA events.

Host readings are absolute ``CLOCK_MONOTONIC`` nanoseconds (``time.monotonic_ns`` on Linux), the
clock bench-worker and the runner read, so this worker's timestamps share their time base.

The decode loop writes readings into a :class:`Record` sized before the request: no allocation
of buffers, no I/O and no logging between the start and end readings. On CUDA the loop also
records events as it queues work (:class:`CudaClock`); they are read after the request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

mono_ns: Callable[[], int] = time.monotonic_ns
"""Absolute host monotonic time in nanoseconds (``CLOCK_MONOTONIC`` on Linux)."""


@dataclass
class Record:
    """What the decode loop writes during one request: host readings and generated ids."""

    stamps_ns: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    produced: int = 0
    start_ns: int = 0
    prefill_end_ns: Optional[int] = None
    end_ns: int = 0
    eos: bool = False

    def prepare(self, max_tokens: int) -> None:
        """Size the buffers for up to ``max_tokens`` tokens; call before the timed region."""
        self.stamps_ns = [0] * max_tokens
        self.ids = [0] * max_tokens
        self.produced = 0
        self.start_ns = 0
        self.prefill_end_ns = None
        self.end_ns = 0
        self.eos = False

    def host_figures(self) -> dict[str, Any]:
        """``prefill_ns``, ``ttft_ns``, ``e2e_ns`` and ``itl_ns`` from the readings."""
        n = self.produced
        start = self.start_ns
        stamps = self.stamps_ns[:n]
        return {
            "prefill_ns": None if self.prefill_end_ns is None else self.prefill_end_ns - start,
            "ttft_ns": stamps[0] - start if n else None,
            "e2e_ns": max(self.end_ns - start, 0),
            "itl_ns": [b - a for a, b in zip(stamps, stamps[1:])],
        }


@dataclass
class DeviceFigures:
    """Device-side figures of one request, as bench-worker's ``DeviceTimings``."""

    prefill_ns: Optional[int]
    decode_ns: list[int]


def device_figures(elapsed_ns: Callable[[int, int], int], passes: int) -> DeviceFigures:
    """Figures from events recorded in :class:`CudaClock`'s order, ``elapsed_ns(a, b)`` being
    the device time from event ``a`` to event ``b``, after ``passes`` forward passes that each
    produced a sampled token (the prefill's included).

    Events: 0 the start, 1 the prefill end, 2 the first token (queued with the prefill), then
    for pass ``k >= 1`` its start at ``2k + 1`` and its end at ``2k + 2``. As bench-worker's
    ``MarkLog``: prefill from the start to the prefill end; the first token from the prefill
    end to its mark; each later token its own pass, not the host's turnaround in between.
    """
    if passes == 0:
        return DeviceFigures(elapsed_ns(0, 1), [])
    decode = [elapsed_ns(1, 2)]
    decode.extend(elapsed_ns(2 * k + 1, 2 * k + 2) for k in range(1, passes))
    return DeviceFigures(elapsed_ns(0, 1), decode)


class CudaClock:
    """CUDA events on the current stream, allocated before the timed region."""

    def __init__(self, torch: Any, device: Any) -> None:
        self._torch = torch
        self._device = device
        self.events: list[Any] = []

    def prepare(self, max_tokens: int) -> None:
        needed = 2 * max_tokens + 1
        with self._torch.cuda.device(self._device):
            while len(self.events) < needed:
                self.events.append(self._torch.cuda.Event(enable_timing=True))

    def read(self, passes: int) -> DeviceFigures:
        """Wait for the recorded events and turn them into figures (synchronising)."""
        events = self.events
        last = 2 * passes if passes else 1
        events[last].synchronize()
        return device_figures(
            lambda a, b: max(round(events[a].elapsed_time(events[b]) * 1e6), 0), passes
        )
