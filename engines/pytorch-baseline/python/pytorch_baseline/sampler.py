"""Greedy decoding (temperature 0) and seeded temperature / top-p sampling."""

from __future__ import annotations

from typing import Any


class Sampler:
    """Picks the next token from one row of logits, returning it as a 0-d tensor on the
    logits' device (the next pass's input, with no host round trip)."""

    def __init__(self, torch: Any, sampling: dict[str, Any], device: Any) -> None:
        self._torch = torch
        self.temperature = float(sampling.get("temperature", 0.0))
        self.top_p = float(sampling.get("top_p", 1.0))
        self.greedy = self.temperature <= 0.0
        self._generator = None
        if not self.greedy:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(int(sampling.get("seed", 0)))

    def __call__(self, logits: Any) -> Any:
        torch = self._torch
        if self.greedy:
            # The first maximum on ties, as every reference engine.
            return torch.argmax(logits)
        probs = torch.softmax(logits.float() / self.temperature, dim=-1)
        if self.top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            # Keep the smallest prefix whose mass reaches top_p (always the best token).
            outside = torch.cumsum(sorted_probs, dim=-1) - sorted_probs > self.top_p
            sorted_probs = sorted_probs.masked_fill(outside, 0.0)
            pick = torch.multinomial(sorted_probs, 1, generator=self._generator)
            return order[pick[0]]
        return torch.multinomial(probs, 1, generator=self._generator)[0]
