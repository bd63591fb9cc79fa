"""Load and fault run of the served stack (`kgqa serve`), loopback only, bounded in time and count.

Starts ``kgqa serve --no-ingest`` on a free 127.0.0.1 port with the given index (``--index``; built from
data/notes with ``kgqa ingest --out`` when missing) and ``--workers`` worker processes (default 2), then runs
three phases of ``--duration`` seconds (default 30) with ``--clients`` concurrent clients (default 16), each
on its own keep-alive connection, sending the dev questions (POST /api/v1/ask) and /healthz, round-robin:

1. steady: nothing else happens;
2. worker killed: a few seconds in, one gunicorn worker gets ``kill -9`` (the master starts another);
3. heavy query: one extra client keeps a runaway SPARQL query running (stopped at KGQA_SPARQL_TIMEOUT_S).

The clients never retry: a failure is any reply that is not a complete 200, or a connection error. Each phase
prints requests, failures, req/s and p50/p95/p99 latency; the run exits 1 when a phase had failures or a p99
over ``--p99-bound-ms``.

``--server-log FILE`` keeps the server's stderr: nginx's error log says, for each request the killed worker had,
whether nginx retried it ("... while reading response header") or had to cut it ("... while reading upstream").

Run: .venv/bin/python bench/load.py [--index data/index] [--duration 30] [--no-proxy] (or `make load`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from stats import percentile  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def questions() -> list[str]:
    path = ROOT / "data" / "eval" / "qa_dev.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def start(index: Path, port: int, workers: int, proxy: bool, log: Path | None = None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KGQA_INDEX_DIR": str(index),
        "KGQA_PORT": str(port),
        "KGQA_HOST": HOST,
        "KGQA_WORKERS": str(workers),
        "KGQA_PROXY": "on" if proxy else "off",
        "KGQA_RATE_LIMIT": "off",  # measuring the server, not the limiter
        "KGQA_SPARQL_TIMEOUT_S": "5",
        "KGQA_LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
    }
    cmd = [sys.executable, "-m", "api.cli", "serve", "--no-ingest"]
    if log is None:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        with log.open("wb") as err:  # nginx's error log and gunicorn's go to stderr; the child keeps its copy
            proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("kgqa serve did not become ready within 120 s")


def children(pid: int) -> list[int]:
    """Direct child processes of pid (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def gunicorn_workers(server_pid: int) -> list[int]:
    """The gunicorn workers: children of the serve process that run python (not nginx, not a sandbox)."""
    workers = []
    for pid in children(server_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"api.cli" in cmdline:
            workers.append(pid)
    return workers


def client(port: int, qs: list[str], offset: int, until: float, phase: Phase, lock: threading.Lock) -> None:
    conn: http.client.HTTPConnection | None = None
    i = offset
    while time.monotonic() < until:
        if i % 5 == 0:
            method, path, body, headers = "GET", "/healthz", None, {}
        else:
            method, path = "POST", "/api/v1/ask"
            body = json.dumps({"question": qs[i % len(qs)]}).encode()
            headers = {"Content-Type": "application/json"}
        i += 1
        started = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
            outcome = f"{response.status} {path}"
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            ok, outcome = False, f"{type(exc).__name__} {path}"
            if conn is not None:
                conn.close()
            conn = None
        elapsed = time.monotonic() - started
        with lock:
            phase.latencies.append(elapsed)
            if not ok:
                phase.failures.append(outcome)
    if conn is not None:
        conn.close()


def heavy_client(port: int, until: float, phase: Phase) -> None:
    answered = 0
    while time.monotonic() < until:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            conn.request(
                "POST",
                "/api/v1/sparql",
                body=urlencode({"query": HEAVY}),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            conn.getresponse().read()
            answered += 1
        except OSError:
            pass
        finally:
            conn.close()
    phase.note = f"{answered} heavy queries stopped at the 5 s limit"


def run_phase(name: str, port: int, args: argparse.Namespace, qs: list[str], server: subprocess.Popen[bytes]) -> Phase:
    phase, lock = Phase(name), threading.Lock()
    started = time.monotonic()
    until = started + args.duration
    threads = [
        threading.Thread(target=client, args=(port, qs, n * 7, until, phase, lock), daemon=True)
        for n in range(args.clients)
    ]
    if name == "heavy query":
        threads.append(threading.Thread(target=heavy_client, args=(port, until, phase), daemon=True))
    for t in threads:
        t.start()
    if name == "worker killed":
        time.sleep(min(5.0, args.duration / 3))
        victims = gunicorn_workers(server.pid)
        if victims:
            os.kill(victims[0], signal.SIGKILL)
            phase.note = f"kill -9 of worker {victims[0]} (of {len(victims)}) at {time.monotonic() - started:.1f} s"
        else:
            phase.note = "no worker found to kill"
    for t in threads:
        t.join(timeout=args.duration + 90)
    phase.seconds = time.monotonic() - started
    return phase


def ensure_index(index: Path) -> None:
    if (index / "manifest.json").exists():
        return
    print(f"building {index} from data/notes ...", flush=True)
    cmd = [sys.executable, "-m", "api.cli", "ingest", str(ROOT / "data" / "notes"), "--out", str(index), "--quiet"]
    subprocess.run(cmd, cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--index", default="data/index", help="index folder (built from data/notes when missing)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16, at most 64)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds per phase (default 30, at most 120)")
    p.add_argument("--p99-bound-ms", type=float, default=1000.0, help="a phase fails over this p99 (default 1000)")
    p.add_argument("--no-proxy", action="store_true", help="gunicorn alone, without nginx in front")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--server-log", type=Path, help="write the server's stderr (nginx and gunicorn errors) to this file")
    args = p.parse_args(argv)
    args.clients = max(1, min(args.clients, 64))
    args.duration = max(1.0, min(args.duration, 120.0))
    index = (ROOT / args.index).resolve() if not Path(args.index).is_absolute() else Path(args.index)
    ensure_index(index)
    port, qs = free_port(), questions()
    server = start(index, port, args.workers, proxy=not args.no_proxy, log=args.server_log)
    phases = []
    try:
        for name in ("steady", "worker killed", "heavy query"):
            phases.append(run_phase(name, port, args, qs, server))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    rows = []
    for ph in phases:
        ms = [x * 1000 for x in ph.latencies]
        rows.append(
            {
                "phase": ph.name,
                "requests": len(ms),
                "failures": len(ph.failures),
                "rps": round(len(ms) / ph.seconds, 1) if ph.seconds else 0.0,
                "p50_ms": round(percentile(ms, 50), 1),
                "p95_ms": round(percentile(ms, 95), 1),
                "p99_ms": round(percentile(ms, 99), 1),
                "max_ms": round(max(ms, default=0.0), 1),
                "note": ph.note,
                "failure_kinds": sorted(set(ph.failures))[:5],
            }
        )
    setup = f"{args.clients} clients, {args.workers} workers, {args.duration:.0f} s a phase, " + (
        "gunicorn alone" if args.no_proxy else "nginx in front"
    )
    if args.json:
        print(json.dumps({"setup": setup, "phases": rows}, indent=2))
    else:
        print(setup)
        print("| phase | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms | note |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in rows:
            print(
                f"| {r['phase']} | {r['requests']} | {r['failures']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} "
                f"| {r['p99_ms']} | {r['max_ms']} | {r['note']} {' '.join(r['failure_kinds'])} |"
            )
    bad = [r for r in rows if r["failures"] or r["p99_ms"] > args.p99_bound_ms]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
