"""Shared fixtures: the checked-in protocol schema, a tiny random llama, and an in-process run
of the message loop."""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any

import jsonschema
import pytest

from pytorch_baseline.protocol import Output
from pytorch_baseline.serve import serve

REPO = pathlib.Path(__file__).resolve().parents[4]
SCHEMA = REPO / "crates/shared-protocol/schema/worker-message.json"


@pytest.fixture(scope="session")
def worker_schema() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A randomly initialised two-layer llama saved as a Hugging Face directory."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        eos_token_id=3,
        bos_token_id=1,
    )
    model = LlamaForCausalLM(config)
    # Larger weights than the default init: sharper logits, so that greedy picks are not near
    # ties that rounding could flip.
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(8.0)
    path = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(path)
    return path


class Captured:
    """An :class:`Output` stand-in that keeps every message written."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.output = Output(self.buffer)

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.buffer.getvalue().decode().splitlines()]


def run_lines(lines: list[Any]) -> list[dict[str, Any]]:
    """Run the message loop on ``lines`` (objects are sent as JSON, strings as they are)."""
    captured = Captured()
    text = "".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines)
    serve(io.StringIO(text), captured.output, "0.1.0")
    return captured.messages()


def load_message(path: pathlib.Path, **options: Any) -> dict[str, Any]:
    return {
        "type": "load",
        "model": {"id": "tiny", "path": str(path), "format": "safetensors"},
        "device": "cpu",
        "options": options,
    }


def generate_message(
    request_id: int,
    prompt: list[int] | None,
    max_tokens: int,
    *,
    ignore_eos: bool = False,
    temperature: float = 0.0,
    top_p: float = 1.0,
    seed: int = 0,
) -> dict[str, Any]:
    return {
        "type": "generate",
        "phase": "measure",
        "request": {
            "id": request_id,
            "text": "",
            "prompt_token_ids": prompt,
            "chat": False,
            "max_tokens": max_tokens,
            "ignore_eos": ignore_eos,
            "sampling": {"temperature": temperature, "top_p": top_p, "seed": seed},
        },
    }
