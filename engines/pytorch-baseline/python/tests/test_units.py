"""Options, devices, the sampler and the device-clock bookkeeping, without a model."""

from __future__ import annotations

import pytest
import torch

from pytorch_baseline.options import Device, OptionError, Options, parse_options
from pytorch_baseline.sampler import Sampler
from pytorch_baseline.timing import Record, device_figures


def test_options_parse_and_refuse_unknown_keys_and_bad_values():
    o = parse_options({"dtype": "bf16", "attention": "eager", "compile": True, "threads": 2})
    assert o == Options(dtype="bf16", attention="eager", compile=True, threads=2)
    assert parse_options({}) == Options()
    for bad, needle in [
        ({"thread": 2}, "thread"),
        ({"dtype": "f64"}, "dtype"),
        ({"attention": "flash"}, "attention"),
        ({"compile": "yes"}, "compile"),
        ({"threads": 0}, "threads"),
        ({"threads": True}, "threads"),
        ({"cache": "paged"}, "cache"),
        ({"python": 3}, "python"),
    ]:
        with pytest.raises(OptionError, match=needle):
            parse_options(bad)


def test_default_dtype_follows_the_device():
    assert Options().resolved_dtype(Device.parse("cpu")) == "f32"
    assert Options().resolved_dtype(Device.parse("cuda:1")) == "bf16"
    assert Options(dtype="f16").resolved_dtype(Device.parse("cpu")) == "f16"


def test_devices_parse():
    assert Device.parse("cpu") == Device("cpu")
    assert Device.parse("cuda") == Device("cuda", 0)
    assert Device.parse("cuda:3").torch_name() == "cuda:3"
    for bad in ["cuda:x", "metal", "gpu"]:
        with pytest.raises(OptionError):
            Device.parse(bad)


def test_greedy_takes_the_first_maximum():
    sampler = Sampler(torch, {"temperature": 0.0}, "cpu")
    assert int(sampler(torch.tensor([0.0, 3.0, 1.0, 3.0]))) == 1


def test_a_tiny_top_p_keeps_only_the_best_token():
    sampler = Sampler(torch, {"temperature": 1.0, "top_p": 1e-6, "seed": 1}, "cpu")
    logits = torch.tensor([0.5, 0.1, 2.0, 1.9])
    assert {int(sampler(logits)) for _ in range(50)} == {2}


def test_temperature_sampling_is_seeded_and_spreads():
    logits = torch.zeros(8)
    draws = lambda seed: [int(s(logits)) for s in [Sampler(torch, {"temperature": 1.0, "seed": seed}, "cpu")] for _ in range(40)]
    assert draws(5) == draws(5)
    assert len(set(draws(5))) > 3


def test_device_figures_follow_the_event_order():
    # Events at these device times: start, prefill end, first token, then (start, end) per pass.
    at = [0, 80, 81, 90, 96, 104, 110]
    figures = device_figures(lambda a, b: at[b] - at[a], passes=3)
    assert figures.prefill_ns == 80
    assert figures.decode_ns == [1, 6, 6]
    assert device_figures(lambda a, b: at[b] - at[a], passes=0).decode_ns == []


def test_record_figures():
    r = Record()
    r.prepare(4)
    r.start_ns, r.prefill_end_ns, r.end_ns = 100, 150, 400
    r.stamps_ns[:3] = [160, 200, 260]
    r.produced = 3
    assert r.host_figures() == {"prefill_ns": 50, "ttft_ns": 60, "e2e_ns": 300, "itl_ns": [40, 60]}
    r.prepare(2)
    assert r.host_figures()["ttft_ns"] is None and r.produced == 0
