"""The device-clock path of the decode loop, on the CPU: events that read the host clock stand in
for CUDA events (as bench-worker's own tests do), so that which event is recorded where, and how
the events become figures, is checked without a GPU."""

from __future__ import annotations

import pytest

from pytorch_baseline.engine import load
from pytorch_baseline.timing import CudaClock, Record, mono_ns

from conftest import load_message

PROMPT = [1, 5, 9, 14, 20, 7, 11]


class HostEvent:
    """A stand-in for ``torch.cuda.Event``: records the host clock."""

    def __init__(self) -> None:
        self.at_ns: int | None = None

    def record(self) -> None:
        self.at_ns = mono_ns()

    def synchronize(self) -> None:
        assert self.at_ns is not None, "waiting on an event that was never recorded"

    def elapsed_time(self, end: HostEvent) -> float:
        assert self.at_ns is not None and end.at_ns is not None, "an event was not recorded"
        return (end.at_ns - self.at_ns) / 1e6


class HostEventClock(CudaClock):
    def __init__(self) -> None:
        super().__init__(torch=None, device=None)

    def prepare(self, max_tokens: int) -> None:
        self.events = [HostEvent() for _ in range(2 * max_tokens + 1)]


@pytest.fixture()
def engine(tiny_llama, monkeypatch):
    engine = load(load_message(tiny_llama)).engine
    engine.clock = HostEventClock()
    monkeypatch.setattr(engine.torch.cuda, "synchronize", lambda device=None: None)
    return engine


def test_each_pass_is_timed_between_its_own_events(engine):
    record = Record()
    req = {"id": 0, "prompt_token_ids": PROMPT, "max_tokens": 6, "ignore_eos": True, "sampling": {}}
    extras = engine.generate(req, record)
    figures = record.host_figures()
    device = extras.device
    assert device is not None and extras.passes == 6
    assert len(device.decode_ns) == 6, "one figure per token"
    # The prefill's events lie inside the host's prefill; the first token is queued with it.
    assert 0 < device.prefill_ns <= figures["prefill_ns"]
    assert device.decode_ns[0] < device.prefill_ns
    # Each later pass is timed inside the gap between its token and the one before.
    for pass_ns, gap_ns in zip(device.decode_ns[1:], figures["itl_ns"]):
        assert 0 < pass_ns <= gap_ns
    recorded = [e.at_ns for e in engine.clock.events]
    assert None not in recorded and recorded == sorted(recorded), "all recorded, in order"
