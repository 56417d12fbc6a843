"""The pytorch-baseline worker: PyTorch and transformers behind the benchmark worker protocol.

The Rust binary `pytorch-baseline` starts this package (``python -m pytorch_baseline``) and relays
its JSON Lines. stdout carries protocol lines only; everything else goes to stderr.

Layout:

- ``protocol``: the protocol output channel and the messages this worker writes.
- ``options``: engine options and the device string.
- ``timing``: the host monotonic clock, the per-request stamps and the CUDA-event clock.
- ``sampler``: greedy and seeded temperature / top-p sampling.
- ``engine``: loading a model with transformers, and the prefill-then-decode loop.
- ``serve``: the message loop.
"""

PROTOCOL_VERSION = 1
"""The wire protocol version this package speaks (shared-protocol's ``PROTOCOL_VERSION``)."""

PYTHON_OPTION = "python"
"""The engine option naming the interpreter (read by the Rust binary)."""

PYTHON_ENV = "PYTORCH_BASELINE_PYTHON"
"""The environment variable naming the interpreter (read by the Rust binary)."""

SETUP_COMMAND = "scripts/setup-torch.sh"
"""What creates an interpreter with everything this package needs."""
