"""torch.compile wraps the forward pass and leaves the greedy tokens as they were."""

from __future__ import annotations

from pytorch_baseline.engine import load
from pytorch_baseline.timing import Record

from conftest import load_message

PROMPT = [1, 5, 9, 14, 20, 7, 11]


def tokens(path, **options) -> tuple[list[int], dict]:
    loaded = load(load_message(path, **options))
    record = Record()
    req = {"id": 0, "prompt_token_ids": PROMPT, "max_tokens": 6, "ignore_eos": True, "sampling": {}}
    loaded.engine.generate(req, record)
    return record.ids, loaded.details


def test_compiled_forward_gives_the_same_tokens(tiny_llama):
    plain, _ = tokens(tiny_llama)
    compiled, details = tokens(tiny_llama, compile=True)
    assert details["compile"] is True
    assert compiled == plain
