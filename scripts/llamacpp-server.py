#!/usr/bin/env python3
"""Serve a GGUF model with llama.cpp's own HTTP server, in-process, through the xllamacpp wheel.

Usage: llamacpp-server.py --model PATH [--port 8080] [--host 127.0.0.1] [--parallel 4]
                          [--ctx 2048] [--threads N]

Install once: python3 -m venv /tmp/xl && /tmp/xl/bin/pip install xllamacpp
Then run it with that interpreter: /tmp/xl/bin/python scripts/llamacpp-server.py --model ...

Prints one JSON line {"listening": URL} on stdout once the server answers (with --port 0 the
server binds a free port of its own choosing, and URL has it), then blocks until
SIGTERM or SIGINT. The routes are llama.cpp's: /health, /v1/models, /v1/chat/completions,
/v1/completions, /props, /metrics.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.request


def wait_ready(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"llama.cpp server at {url} not healthy after {timeout_s:.0f} s")
        time.sleep(0.1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="path to a .gguf file")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080, help="0: a free port, reported in the URL")
    ap.add_argument("--parallel", type=int, default=4, help="concurrent request slots")
    ap.add_argument("--ctx", type=int, default=2048, help="context shared by all slots")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ready-timeout", type=float, default=120.0)
    args = ap.parse_args()
    if not os.path.isfile(args.model):
        print(f"model {args.model} not found", file=sys.stderr)
        return 2

    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = args.model
    params.hostnames = [args.host]
    params.port = args.port
    params.n_parallel = args.parallel
    params.n_ctx = args.ctx
    params.cont_batching = True
    params.endpoint_metrics = True
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    server = xlc.Server(params)  # serves from a background thread
    url = server.listening_address
    wait_ready(url, args.ready_timeout)
    print(json.dumps({"listening": url}), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(1.0)
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
