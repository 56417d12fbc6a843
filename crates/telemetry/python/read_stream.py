#!/usr/bin/env python3
"""Read energy-monitor's gRPC stream from Python, with stubs generated from the checked-in .proto.

Usage: read_stream.py TARGET [--count N] [--ca PEM]

TARGET is HOST:PORT. The bearer token, if any, comes from $ENERGY_MONITOR_TOKEN; with --ca the
channel uses TLS and trusts that CA certificate. The stubs are generated into a temporary
directory with grpc_tools.protoc (pip install grpcio grpcio-tools; scripts/setup.sh does it).

Prints one JSON object on stdout: the host name, the collectors, and for each of N samples its
collector, time and energy; or {"error": "<status code>"} when a call fails (UNAUTHENTICATED
without the right token). Exits non-zero when a sample breaks the protocol's promises.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

PROTO_DIR = Path(__file__).resolve().parent.parent / "proto"


def generate_stubs(out: Path) -> None:
    from grpc_tools import protoc
    import importlib.resources

    include = str(importlib.resources.files("grpc_tools") / "_proto")
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTO_DIR}",
            f"-I{include}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            str(PROTO_DIR / "energy_monitor.proto"),
        ]
    )
    if status != 0:
        sys.exit(f"protoc failed with status {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="HOST:PORT of energy-monitor")
    parser.add_argument("--count", type=int, default=5, help="samples to read")
    parser.add_argument("--ca", help="CA certificate (PEM) for TLS")
    args = parser.parse_args()

    import grpc

    with tempfile.TemporaryDirectory() as out:
        generate_stubs(Path(out))
        sys.path.insert(0, out)
        import energy_monitor_pb2 as pb
        import energy_monitor_pb2_grpc as pb_grpc

        if args.ca:
            credentials = grpc.ssl_channel_credentials(Path(args.ca).read_bytes())
            channel = grpc.secure_channel(args.target, credentials)
        else:
            channel = grpc.insecure_channel(args.target)
        token = os.environ.get("ENERGY_MONITOR_TOKEN", "").strip()
        metadata = [("authorization", f"Bearer {token}")] if token else []
        stub = pb_grpc.EnergyMonitorStub(channel)
        try:
            info = stub.Info(pb.InfoRequest(), metadata=metadata, timeout=10)
            collectors = {d.collector: d.domain for d in info.devices}
            samples = []
            last_t = {}
            stream = stub.StreamSamples(pb.StreamSamplesRequest(), metadata=metadata, timeout=20)
            for sample in stream:
                if sample.collector not in collectors:
                    sys.exit(f"sample from unknown collector {sample.collector!r}")
                if sample.domain != collectors[sample.collector]:
                    sys.exit(f"{sample.collector}: domain {sample.domain} differs from Info's")
                if sample.t_ns <= last_t.get(sample.collector, 0):
                    sys.exit(f"{sample.collector}: time {sample.t_ns} does not move forward")
                last_t[sample.collector] = sample.t_ns
                reading = sample.reading
                samples.append(
                    {
                        "collector": sample.collector,
                        "domain": pb.Domain.Name(sample.domain),
                        "t_ns": sample.t_ns,
                        "energy_j": reading.energy_j if reading.HasField("energy_j") else None,
                        "error": reading.error if reading.HasField("error") else None,
                    }
                )
                if len(samples) >= args.count:
                    stream.cancel()
                    break
        except grpc.RpcError as e:
            print(json.dumps({"error": e.code().name}))
            return 0
        finally:
            channel.close()
        print(
            json.dumps(
                {
                    "hostname": info.hostname if info.HasField("hostname") else None,
                    "collectors": sorted(collectors),
                    "samples": samples,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
