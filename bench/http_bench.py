"""HTTP latency and throughput of POST /api/v1/ask under `kgqa serve` (gunicorn), on loopback only.

For each worker count (``--workers``, default 1 and 2) it starts ``.venv/bin/kgqa serve --port <free port>
--no-ingest`` with KGQA_INDEX_DIR and KGQA_WORKERS set, waits (bounded) until /readyz answers 200 on several
fresh connections and a warm-up round has gone through every worker, then runs a bounded load client: Python
threads, one http.client connection each (reused while the server keeps it open), POSTing the dev questions
round-robin, at each concurrency level (``--concurrency``, default 1 and 4) for a fixed number of requests
(``--requests``, default 300). The whole measurement is bounded by ``--budget`` seconds (default 120); a level
cut short says so. The server is always stopped at the end.

Note: each worker caches query embeddings by question text, so after the first pass over the 118 dev
questions most requests reuse an embedding; bench/answer_bench.py measures the uncached cost.

Run: .venv/bin/python bench/http_bench.py [--requests 300] [--json] (build the index first: kgqa ingest).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from stats import percentile  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def load_questions(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(str(json.loads(line)["question"]))
    if not out:
        raise SystemExit(f"no questions in {path}")
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """`kgqa serve` as a child process in its own session, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, kgqa: Path, index_dir: Path, workers: int, log_path: Path) -> None:
        self.port = free_port()
        self.workers = workers
        self.log_path = log_path
        env = {
            **os.environ,
            "KGQA_INDEX_DIR": str(index_dir),
            "KGQA_WORKERS": str(workers),
            "KGQA_HOST": HOST,
            "KGQA_LOG_LEVEL": "WARNING",
            "KGQA_RATE_LIMIT": "off",  # the limiter (120 a minute by default) would answer most of the load with 429
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(kgqa), "serve", "--host", HOST, "--port", str(self.port), "--no-ingest"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def wait_ready(self, timeout: float) -> float:
        """Seconds until /readyz gave 200 on 2*workers fresh connections in a row; raises on timeout."""
        start = time.monotonic()
        streak = 0
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kgqa serve exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, _ = self.get("/readyz")
            except OSError:
                status = 0
            streak = streak + 1 if status == 200 else 0
            if streak >= 2 * self.workers:
                return time.monotonic() - start
            time.sleep(0.05 if status == 200 else 0.2)
        raise TimeoutError(f"/readyz not ready after {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn master: graceful stop of its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the session this script created for it
                self.proc.wait(timeout=5)
        self.log.close()


def load(
    port: int, questions: list[str], concurrency: int, n_requests: int, deadline: float, offset: int = 0
) -> dict[str, Any]:
    """n_requests POST /api/v1/ask over `concurrency` threads, stopping early at `deadline` (monotonic)."""
    lock = threading.Lock()
    counter = [0]
    latencies: list[float] = []
    errors: list[str] = []
    connects = [0]

    def next_index() -> int | None:
        with lock:
            if counter[0] >= n_requests or time.monotonic() >= deadline:
                return None
            counter[0] += 1
            return counter[0] - 1

    def client() -> None:
        conn: http.client.HTTPConnection | None = None
        try:
            while (i := next_index()) is not None:
                body = json.dumps({"question": questions[(offset + i) % len(questions)]}).encode()
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
                    with lock:
                        connects[0] += 1
                t = time.perf_counter()
                try:
                    conn.request(
                        "POST",
                        "/api/v1/ask",
                        body=body,
                        headers={"Content-Type": "application/json", "Connection": "keep-alive"},
                    )
                    resp = conn.getresponse()
                    data = resp.read()
                    ms = (time.perf_counter() - t) * 1000
                    if resp.status != 200:
                        with lock:
                            errors.append(f"HTTP {resp.status}: {data[:120]!r}")
                        continue
                    if resp.will_close:  # gunicorn's sync worker closes after each response
                        conn.close()
                        conn = None
                    with lock:
                        latencies.append(ms)
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    if conn is not None:
                        conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    threads = [threading.Thread(target=client, name=f"load-{k}") for k in range(concurrency)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - start
    return {
        "concurrency": concurrency,
        "requested": n_requests,
        "completed": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:3],
        "connections": connects[0],
        "cut_short": counter[0] < n_requests,
        "elapsed_s": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 2) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        "max_ms": round(max(latencies), 2) if latencies else 0.0,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    questions = load_questions(Path(args.qa))
    index_dir = Path(args.index or os.environ.get("KGQA_INDEX_DIR") or ROOT / "data" / "index").resolve()
    kgqa = Path(args.kgqa)
    if not kgqa.exists():
        raise SystemExit(f"{kgqa} not found: create the virtualenv first (make install)")
    deadline = time.monotonic() + args.budget
    results: dict[str, Any] = {
        "index_dir": str(index_dir),
        "requests_per_level": args.requests,
        "budget_s": args.budget,
        "runs": [],
    }
    logdir = Path(tempfile.mkdtemp(prefix="kgqa-http-bench-"))
    for workers in args.workers:
        if time.monotonic() >= deadline:
            results["runs"].append({"workers": workers, "skipped": "time budget used up"})
            continue
        server = Server(kgqa, index_dir, workers, logdir / f"serve-w{workers}.log")
        try:
            start_s = server.wait_ready(min(args.ready_timeout, max(1.0, deadline - time.monotonic())))
            # warm-up: every worker loads and runs a few questions before the clock starts
            warm = load(
                server.port, questions, max(4, 2 * workers), 10 * workers * 2, deadline, offset=len(questions) // 2
            )
            levels = []
            for c in args.concurrency:
                levels.append(load(server.port, questions, c, args.requests, deadline))
            results["runs"].append(
                {
                    "workers": workers,
                    "port": server.port,
                    "ready_s": round(start_s, 2),
                    "warmup_errors": warm["errors"],
                    "levels": levels,
                }
            )
        finally:
            server.stop()
    results["logs"] = str(logdir)
    return results


def markdown(r: dict[str, Any]) -> str:
    out = [
        f"POST /api/v1/ask on {HOST}, {r['requests_per_level']} requests per level, dev questions in turn",
        "",
        "| workers | concurrency | done | errors | req/s | p50 ms | p95 ms | p99 ms | mean ms | max ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for run_ in r["runs"]:
        if "skipped" in run_:
            notes.append(f"workers={run_['workers']}: skipped ({run_['skipped']})")
            continue
        notes.append(f"workers={run_['workers']}: ready after {run_['ready_s']} s")
        for lv in run_["levels"]:
            cut = " (cut short by the time budget)" if lv["cut_short"] else ""
            out.append(
                f"| {run_['workers']} | {lv['concurrency']} | {lv['completed']}{cut} | {lv['errors']} | "
                f"{lv['rps']:.1f} | {lv['p50_ms']:.1f} | {lv['p95_ms']:.1f} | {lv['p99_ms']:.1f} | "
                f"{lv['mean_ms']:.1f} | {lv['max_ms']:.1f} |"
            )
            if lv["errors"]:
                notes.append(f"  c={lv['concurrency']} errors, e.g. {lv['error_samples']}")
            notes.append(
                f"  c={lv['concurrency']}: {lv['connections']} connection(s) for "
                f"{lv['completed'] + lv['errors']} requests"
            )
    out += ["", *notes, f"server logs: {r['logs']}"]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Latency and requests/s of POST /api/v1/ask under `kgqa serve`, on 127.0.0.1.",
        epilog="Build the index first: .venv/bin/kgqa ingest",
    )
    parser.add_argument("--index", default=None, help="index folder (default: KGQA_INDEX_DIR or data/index)")
    parser.add_argument(
        "--qa",
        default=str(ROOT / "data" / "eval" / "qa_dev.jsonl"),
        help="questions to send, JSON lines (default: data/eval/qa_dev.jsonl)",
    )
    parser.add_argument("--kgqa", default=str(ROOT / ".venv" / "bin" / "kgqa"), help="the kgqa executable")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="KGQA_WORKERS values to test, one server each (default: 1 2)",
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 4], help="client threads per level (default: 1 4)"
    )
    parser.add_argument("--requests", type=int, default=300, help="requests per level (default: 300)")
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="bound on the whole run in seconds, server start-up included (default: 120)",
    )
    parser.add_argument(
        "--ready-timeout", type=float, default=60.0, help="longest wait for /readyz per server in seconds (default: 60)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args(argv)
    if args.requests < 1 or min(args.concurrency) < 1 or min(args.workers) < 1:
        parser.error("--requests, --concurrency and --workers must be at least 1")
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
