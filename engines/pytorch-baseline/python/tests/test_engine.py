"""The hand-written decode loop against the model itself: greedy tokens equal the argmax of a
full forward pass over the whole sequence at every step (no KV cache), with either cache."""

from __future__ import annotations

import pathlib

import pytest

from pytorch_baseline.engine import Engine, RequestError, load
from pytorch_baseline.timing import Record

from conftest import load_message

PROMPT = [1, 5, 9, 14, 20, 7, 11]


def loaded(path: pathlib.Path, **options) -> Engine:
    return load(load_message(path, **options)).engine


def request(prompt, max_tokens, *, ignore_eos=True, temperature=0.0, top_p=1.0, seed=0):
    return {
        "id": 0,
        "prompt_token_ids": prompt,
        "max_tokens": max_tokens,
        "ignore_eos": ignore_eos,
        "sampling": {"temperature": temperature, "top_p": top_p, "seed": seed},
    }


def reference_greedy(engine: Engine, prompt: list[int], n: int) -> list[int]:
    """Greedy tokens recomputed from scratch at each step: no cache, nothing shared."""
    torch = engine.torch
    ids = list(prompt)
    with torch.inference_mode():
        for _ in range(n):
            logits = engine.model(input_ids=torch.tensor([ids]), use_cache=False).logits[0, -1]
            ids.append(int(torch.argmax(logits)))
    return ids[len(prompt) :]


@pytest.fixture(scope="module")
def engine(tiny_llama) -> Engine:
    return loaded(tiny_llama)


def run(engine: Engine, req) -> tuple[Record, object]:
    record = Record()
    extras = engine.generate(req, record)
    return record, extras


def test_greedy_tokens_equal_a_full_recompute(engine):
    record, extras = run(engine, request(PROMPT, 12))
    assert record.ids[: record.produced] == reference_greedy(engine, PROMPT, 12)
    assert record.produced == 12 and extras.passes == 12


def test_the_static_cache_gives_the_same_tokens(tiny_llama, engine):
    static = loaded(tiny_llama, cache="static")
    a, _ = run(engine, request(PROMPT, 10))
    b, _ = run(static, request(PROMPT, 10))
    assert a.ids == b.ids


def test_eager_attention_gives_the_same_tokens(tiny_llama, engine):
    eager = loaded(tiny_llama, attention="eager")
    assert eager.model.config._attn_implementation == "eager"
    a, _ = run(engine, request(PROMPT, 10))
    b, _ = run(eager, request(PROMPT, 10))
    assert a.ids == b.ids


def test_requests_do_not_share_a_cache(engine):
    first, _ = run(engine, request(PROMPT, 8))
    run(engine, request([2, 3, 4], 5))
    again, _ = run(engine, request(PROMPT, 8))
    assert first.ids == again.ids


def test_end_of_sequence_stops_unless_ignored(engine):
    eos = next(iter(engine.eos_ids))
    # A prompt whose greedy continuation reaches EOS, found by search over short prompts.
    for start in range(engine.vocab_size):
        prompt = [1, start]
        tokens = reference_greedy(engine, prompt, 16)
        if eos in tokens:
            break
    else:
        pytest.skip("no short prompt of this random model reaches EOS")
    cut = tokens.index(eos)
    stopped, extras = run(engine, request(prompt, 16, ignore_eos=False))
    assert stopped.eos and stopped.ids[: stopped.produced] == tokens[:cut]
    assert extras.passes == cut + 1, "the pass that produced EOS counts"
    full, _ = run(engine, request(prompt, 16, ignore_eos=True))
    assert not full.eos and full.produced == 16


def test_host_figures_follow_the_readings(engine):
    record, _ = run(engine, request(PROMPT, 6))
    figures = record.host_figures()
    assert 0 < figures["prefill_ns"] <= figures["ttft_ns"] <= figures["e2e_ns"]
    assert len(figures["itl_ns"]) == 5 and all(gap > 0 for gap in figures["itl_ns"])
    assert figures["ttft_ns"] + sum(figures["itl_ns"]) <= figures["e2e_ns"]


def test_sampling_is_seeded(engine):
    a, _ = run(engine, request(PROMPT, 10, temperature=1.5, seed=3))
    b, _ = run(engine, request(PROMPT, 10, temperature=1.5, seed=3))
    c, _ = run(engine, request(PROMPT, 10, temperature=1.5, seed=4))
    assert a.ids == b.ids
    assert a.ids != c.ids


def test_top_logprobs_describe_each_sampled_pass(tiny_llama):
    engine = loaded(tiny_llama, top_logprobs=3)
    record, extras = run(engine, request(PROMPT, 5))
    assert len(extras.top_logprobs) == 5
    for step, token in zip(extras.top_logprobs, record.ids):
        assert len(step) == 3 and step[0][0] == token
        assert step[0][1] >= step[1][1] >= step[2][1] and step[0][1] <= 0.0


def test_bad_requests_fail_with_reasons(engine):
    with pytest.raises(RequestError, match="prompt_token_ids"):
        run(engine, request(None, 4))
    with pytest.raises(RequestError, match="empty prompt"):
        run(engine, request([], 4))
    with pytest.raises(RequestError, match="positions"):
        run(engine, request(PROMPT, 1000))


def test_details_record_the_options(tiny_llama):
    details = load(load_message(tiny_llama, threads=1, dtype="bf16", attention="eager")).details
    assert details["threads"] == 1
    assert details["dtype"] == "bf16"
    assert details["attention"] == "eager"
    assert details["compile"] is False and details["cache"] == "dynamic"
    assert details["format"] == "safetensors" and details["architecture"] == "llama"
    assert details["kv_bytes_per_position"] == 2 * 2 * 2 * 8 * 2


def test_the_static_cache_is_allocated_before_the_timed_region(tiny_llama):
    static = loaded(tiny_llama, cache="static")
    cache = static._new_cache(20)
    assert all(layer.is_initialized for layer in cache.layers)
    assert cache.layers[0].keys.shape[-2] == 20
