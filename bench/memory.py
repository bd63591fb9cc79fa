"""Memory per worker of the served stack (`kgqa serve`): RSS and PSS of every process, with 1, 2 and 4 workers.

For each worker count it starts ``kgqa serve --no-ingest --no-proxy`` on a free 127.0.0.1 port over ``--index``,
waits for /readyz, sends a few questions (so each worker has loaded its index and answered), waits until the
processes' memory stops growing, then reads ``/proc/<pid>/smaps_rollup`` of the gunicorn master, each worker
and each worker's SPARQL sandbox process, and stops the server. RSS counts every resident page of a process;
PSS divides each shared page by the number of processes mapping it, so the PSS of all processes adds up to the
memory the service really uses. Bounded: ``--budget`` seconds per worker count (default 120).

With ``--reload`` it then makes the server reload (a copy of the index gets a new generation in its manifest,
as a new build would), waits until /readyz of every worker names it, and measures again: what live reload
does to sharing.

Run: .venv/bin/python bench/memory.py [--index data/index] [--workers 1 2 4] [--reload] [--json] [--code DIR]
(``--code`` runs another checkout's `api.cli`, e.g. an export of the previous commit, for a before/after table).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
QUESTIONS = ["what is the max lambda timeout", "how many LSIs can a dynamodb table have", "what is an AMI"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def rollup(pid: int) -> dict[str, int]:
    """Rss and Pss of a process in kB (from /proc/<pid>/smaps_rollup)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty"):
                out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


def request(port: int, method: str, path: str, body: dict[str, Any] | None = None) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def settle(proc: subprocess.Popen[bytes], deadline: float) -> None:
    """Wait until the memory of the server's processes stops growing (every worker loads in a thread)."""
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        pids = [proc.pid, *children(proc.pid)]
        pids += [c for p in children(proc.pid) for c in children(p)]
        total = sum(rollup(p).get("Rss", 0) for p in pids)
        if abs(total - last) > 1024:
            last, stable_since = total, time.monotonic()
        elif time.monotonic() - stable_since > 3:
            return
        time.sleep(0.5)


def snapshot(proc: subprocess.Popen[bytes], workers: int, label: str) -> dict[str, Any]:
    row: dict[str, Any] = {"workers": workers, "label": label, "master": rollup(proc.pid), "worker": [], "sandbox": []}
    for pid in children(proc.pid):
        row["worker"].append(rollup(pid))
        row["sandbox"] += [rollup(c) for c in children(pid)]
    row["total_pss_kb"] = sum(r.get("Pss", 0) for r in [row["master"], *row["worker"], *row["sandbox"]])
    return row


def reload(index: Path, port: int, workers: int, deadline: float) -> None:
    """Give the index a new generation (as a new build swapped in would) and wait until every worker serves it."""
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest["generation"] = f"bench-memory-{time.time():.0f}"
    tmp = index / ".manifest.bench.tmp"
    tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(tmp, index / "manifest.json")
    seen: set[int] = set()
    while time.monotonic() < deadline and len(seen) < workers:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            conn.request("GET", "/readyz")
            body = json.loads(conn.getresponse().read() or b"{}")
        finally:
            conn.close()
        if body.get("generation") == manifest["generation"]:
            seen.add(int(body["worker"]))
        time.sleep(0.1)
    if len(seen) < workers:
        raise SystemExit(f"not every worker reloaded ({len(seen)} of {workers}): is live reload on?")


def measure(index: Path, workers: int, code: Path, budget: float, with_reload: bool = False) -> list[dict[str, Any]]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "KGQA_INDEX_DIR": str(index),
        "KGQA_PORT": str(port),
        "KGQA_HOST": HOST,
        "KGQA_WORKERS": str(workers),
        "KGQA_PROXY": "off",
        "KGQA_RATE_LIMIT": "off",
        "KGQA_LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
    }
    cmd = [sys.executable, "-m", "api.cli", "serve", "--no-ingest"]
    proc = subprocess.Popen(cmd, env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + budget
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"kgqa serve stopped (exit {proc.returncode})")
            try:
                if request(port, "GET", "/readyz") == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit(f"kgqa serve with {workers} worker(s) not ready within {budget:.0f} s")
        for i in range(6 * workers):  # new connections: gunicorn spreads them over the workers
            request(port, "POST", "/api/v1/ask", {"question": QUESTIONS[i % len(QUESTIONS)]})
        settle(proc, deadline)
        rows = [snapshot(proc, workers, "loaded")]
        if with_reload:
            reload(index, port, workers, deadline)
            for i in range(6 * workers):
                request(port, "POST", "/api/v1/ask", {"question": QUESTIONS[i % len(QUESTIONS)]})
            time.sleep(25)  # the old engine's SPARQL sandbox is stopped after the longest request could end
            settle(proc, deadline)
            rows.append(snapshot(proc, workers, "after a reload"))
        return rows
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def mean(rows: list[dict[str, int]], key: str) -> float:
    return sum(r.get(key, 0) for r in rows) / max(1, len(rows)) / 1024


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| workers | state | master RSS / PSS MB | per worker RSS / PSS MB | per sandbox RSS / PSS MB "
        "| all processes PSS MB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        master = f"{r['master'].get('Rss', 0) / 1024:.0f} / {r['master'].get('Pss', 0) / 1024:.0f}"
        lines.append(
            f"| {r['workers']} | {r.get('label', 'loaded')} | {master} "
            f"| {mean(r['worker'], 'Rss'):.0f} / {mean(r['worker'], 'Pss'):.0f} "
            f"| {mean(r['sandbox'], 'Rss'):.0f} / {mean(r['sandbox'], 'Pss'):.0f} "
            f"| {r['total_pss_kb'] / 1024:.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--index", type=Path, default=ROOT / "data" / "index", help="built index folder")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (default 1 2 4)")
    p.add_argument("--code", type=Path, default=ROOT, help="checkout whose api.cli is run (default: this one)")
    p.add_argument("--budget", type=float, default=120.0, help="seconds allowed per worker count")
    p.add_argument("--reload", action="store_true", help="also measure after every worker reloaded the index")
    p.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = p.parse_args()
    if not (args.index / "manifest.json").exists():
        raise SystemExit(f"no index at {args.index}: run `kgqa ingest --out {args.index}` first")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kgqa-memory-") as tmp:
        index = args.index.resolve()
        if args.reload:  # the reload rewrites the manifest: of a copy, never of the index given
            index = Path(tmp) / "index"
            shutil.copytree(args.index, index)
        for n in args.workers:
            results += measure(index, n, args.code.resolve(), args.budget + (60 if args.reload else 0), args.reload)
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
