"""Ingest benchmark: (a) a bare ASGI 302 on hypercorn's trio worker against (b) the tracker's
durable ``GET /c/{code}``, both served pinned to core 0 and loaded by wrk pinned to core 1, at
16 and 64 connections. Both servers run for the whole benchmark; wrk loads them in alternating
rounds, so that a drift in the (virtual) machine's speed hits both alike. Prints requests/s,
p50, p99, CPU per request and b/a.

    .venv/bin/python -m bench.ingest [--rounds 15] [--duration 2] [--connections 16,64] [--serve]
                                     [--server-core 0] [--wrk-core 1]

Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and ``taskset`` (util-linux).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-admin-token"
PLAY = "https://play.google.com/store/apps/details?id=com.example.game"
UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"server at {url} did not start")


CORES = {"server": "0", "wrk": "1"}


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        ["taskset", "-c", CORES["server"], *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, connections: int, duration: int, pid: int) -> dict[str, float]:
    cpu = cpu_seconds(pid)
    out = subprocess.run(
        [
            "taskset",
            "-c",
            CORES["wrk"],
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--latency",
            "-H",
            f"User-Agent: {UA}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = cpu_seconds(pid) - cpu
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non_3xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    if non_3xx or errors:
        print(
            f"  warning: {non_3xx.group(0) if non_3xx else ''} {errors.group(0) if errors else ''}"
        )
    return {"rps": rps, "p50": p50, "p99": p99, "cpu_us": cpu / max(requests, 1) * 1e6}


class Server:
    """One server under test, started once and kept running for every round."""

    def __init__(
        self,
        name: str,
        process: subprocess.Popen,
        url: str,
        *,
        base: str = "",
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.process = process
        self.url = url
        self.base = base
        self.cleanup = cleanup
        self.runs: dict[int, list[dict[str, float]]] = {}

    def stop(self) -> None:
        stop(self.process)
        if self.cleanup:
            self.cleanup()


def start_bare() -> Server:
    port = free_port()
    process = start([sys.executable, "-m", "bench.serve_bare", str(port)])
    wait_ready(f"http://127.0.0.1:{port}/")
    return Server("(a) bare ASGI 302", process, f"http://127.0.0.1:{port}/c/bench")


def start_tracker(name: str, command: str) -> Server:
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="tracker-bench-")
    env = {
        **os.environ,
        "TRACKER_HOST": "127.0.0.1",
        "TRACKER_PORT": str(port),
        "TRACKER_DATA_DIR": data_dir,
        "TRACKER_ADMIN_TOKEN": TOKEN,
    }
    process = start([sys.executable, "-m", "tracker.cli", command], env)
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/healthz")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    app = httpx.post(
        f"{base}/api/v1/apps",
        json={"title": "Bench", "platform": "android", "store_url": PLAY},
        headers=auth,
    ).json()
    campaign = httpx.post(
        f"{base}/api/v1/campaigns",
        json={"title": "Bench", "traffic_type": "media"},
        headers=auth,
    ).json()
    link = httpx.post(
        f"{base}/api/v1/campaigns/{campaign['id']}/links",
        json={"title": "Bench", "app_id": app["id"], "target_url": PLAY},
        headers=auth,
    ).json()
    url = (
        f"{base}/c/{link['code']}?mt_gaid=38400000-8cf0-11bd-b23e-10b96e40000d"
        "&mt_sub1=bench&clickId=12345"
    )
    return Server(
        name,
        process,
        url,
        base=base,
        cleanup=lambda: shutil.rmtree(data_dir, ignore_errors=True),
    )


def stored_clicks(server: Server) -> int:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    text = httpx.get(f"{server.base}/api/v1/raw/clicks", headers=auth, timeout=300).text
    return text.count("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per load")
    parser.add_argument("--connections", default="16,64")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="also measure `tracker serve` (web and worker roles in one process, so the "
        "projections reading every click share the core)",
    )
    parser.add_argument("--server-core", default="0", help="the core the servers run on")
    parser.add_argument("--wrk-core", default="1", help="the core wrk runs on")
    args = parser.parse_args()
    CORES.update(server=args.server_core, wrk=args.wrk_core)
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"{tool} is required: apt-get install -y {tool}", file=sys.stderr)
            return 2
    connections = [int(c) for c in args.connections.split(",")]
    print(
        f"{args.rounds} rounds of wrk {args.duration}s per server and load, the servers' order "
        f"alternating; servers on core {args.server_core}, wrk on core {args.wrk_core}"
    )
    print(
        "ingest settings:", {k: v for k, v in os.environ.items() if k.startswith("TRACKER_INGEST")}
    )
    servers = [start_bare(), start_tracker("(b) tracker web /c/", "web")]
    if args.serve:
        servers.append(start_tracker("(c) tracker serve /c/", "serve"))
    try:
        for server in servers:
            wrk(server.url, connections[0], 2, server.process.pid)  # warm-up
        for c in connections:
            for round_ in range(args.rounds):
                order = servers if round_ % 2 == 0 else servers[::-1]
                for server in order:
                    result = wrk(server.url, c, args.duration, server.process.pid)
                    server.runs.setdefault(c, []).append(result)
        report(servers, connections)
        for server in servers[1:]:
            print(f"clicks stored by {server.name}: {stored_clicks(server)}")
    finally:
        for server in servers:
            server.stop()
    return 0


def report(servers: list[Server], connections: list[int]) -> None:
    """req/s: the mean over rounds; p50, p99 and CPU per request: the median over rounds.
    b/a: the median of each round's own ratio (its two runs are adjacent in time, so the
    machine's drift cancels), then the lowest and highest round."""
    print(
        f"{'':26} {'conns':>5} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU us/req':>10}"
        f" {'ratio to (a)':>13} {'rounds min-max':>15}"
    )
    bare = servers[0]
    for c in connections:
        for server in servers:
            runs = server.runs[c]
            line = (
                f"{server.name:26} {c:>5} {sum(r['rps'] for r in runs) / len(runs):>7.0f} "
                f"{median([r['p50'] for r in runs]):>7.2f} "
                f"{median([r['p99'] for r in runs]):>7.2f} "
                f"{median([r['cpu_us'] for r in runs]):>10.0f}"
            )
            if server is not bare:
                ratios = [r["rps"] / b["rps"] for r, b in zip(runs, bare.runs[c], strict=True)]
                line += f" {median(ratios):>13.2f} {min(ratios):>7.2f}-{max(ratios):.2f}"
            print(line)


if __name__ == "__main__":
    sys.exit(main())
