"""Live reload on the real served stack: `kgqa serve` with 2 gunicorn workers over a temporary index, clients
asking all the time, while `kgqa ingest` builds changed notes into the same index folder. No request fails,
every worker switches to the new build (answers cite the new notes, /readyz names the new generation), and a
corrupt new build is refused while the build loaded before keeps answering."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from ingest.pipeline import build_index
from kg.manifest import MANIFEST
from kg.settings import Settings
from tests.conftest import stop_process

ROOT = Path(__file__).resolve().parents[1]
PROSE = Path(__file__).resolve().parent / "fixtures" / "notes_prose"
NEW_FILE = "08-quokka-queue.md"
NEW_NOTES = (
    "# Quokka Queue\n\nQuokka Queue is a managed message queue service.\n\n"
    "- Maximum message retention: 23 days\n- Maximum message size: 512 KB\n"
)
NEW_QUESTION = "what is the maximum message retention of quokka queue"
OLD_QUESTION = "what are the default ports of redis and memcached"
GENERATION = "KGQA-Index-Generation"

pytestmark = pytest.mark.slow


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    notes: Path
    index: Path

    def workers(self) -> set[int]:
        """The gunicorn worker processes: python children of the serve process (with no proxy in front)."""
        found = set()
        for pid in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split():
            if b"api.cli" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(int(pid))
        return found


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def readyz(base: str) -> dict[str, Any]:
    """/readyz on a new connection, so that successive calls reach different workers."""
    reply = requests.get(f"{base}/readyz", timeout=30, headers={"Connection": "close"})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def every_worker(server: Server, done: Any, budget_s: float) -> dict[int, dict[str, Any]]:
    """/readyz of every worker once ``done(body)`` holds for each (or fail after budget_s)."""
    workers, seen = server.workers(), {}
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        body = readyz(server.base)
        if done(body):
            seen[body["worker"]] = body
            if set(seen) >= workers:
                return seen
        time.sleep(0.05)
    raise AssertionError(f"not every worker got there within {budget_s} s: {sorted(seen)} of {sorted(workers)}")


def notes_and_index(root: Path) -> tuple[Path, Path]:
    notes, index = root / "notes", root / "index"
    notes.mkdir()
    for name in ("01-route-53.md", "07-elasticache.md"):
        shutil.copy(PROSE / name, notes / name)
    build_index(Settings(notes_dir=str(notes), index_dir=str(index)), progress=False)
    return notes, index


def start_server(notes: Path, index: Path, workers: int, *args: str, **env_extra: str) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "KGQA_NOTES_DIR": str(notes),
        "KGQA_INDEX_DIR": str(index),
        "KGQA_PORT": str(port),
        "KGQA_WORKERS": str(workers),
        "KGQA_PROXY": "off",
        "KGQA_RATE_LIMIT": "off",
        "KGQA_RELOAD_CHECK_MS": "200",
        "HF_HUB_OFFLINE": "1",
        **env_extra,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--no-ingest", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    srv = Server(proc, f"http://127.0.0.1:{port}", notes, index)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"{srv.base}/readyz", timeout=10).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("kgqa serve did not become ready")
        every_worker(srv, lambda body: body["status"] == "ready", 90)  # every worker has loaded the index
    except BaseException:
        stop_process(srv.proc)
        raise
    return srv


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    notes, index = notes_and_index(tmp_path_factory.mktemp("reload"))
    srv = start_server(notes, index, 2)
    yield srv
    stop_process(srv.proc)


@dataclass
class Load:
    """What the client threads saw: every request with its time, outcome and the build that answered."""

    results: list[tuple[float, str, str, str]] = field(default_factory=list)  # (t, kind, outcome, generation)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failures(self) -> list[tuple[float, str, str, str]]:
        return [r for r in self.results if r[2] != "ok"]

    def between(self, start: float, end: float) -> int:
        return sum(1 for r in self.results if start <= r[0] <= end)


def client(base: str, load: Load, until: float, offset: int) -> None:
    """Ask the new question, an old one, and /readyz in turn, each on a new connection (so both workers serve)."""
    i = offset
    while time.monotonic() < until:
        kind = ("new", "old", "ready")[i % 3]
        i += 1
        t = time.monotonic()
        try:
            if kind == "ready":
                reply = requests.get(f"{base}/readyz", timeout=30, headers={"Connection": "close"})
                generation = reply.json().get("generation", "") if reply.status_code == 200 else ""
            else:
                question = NEW_QUESTION if kind == "new" else OLD_QUESTION
                reply = requests.post(
                    f"{base}/api/v1/ask", json={"question": question}, timeout=30, headers={"Connection": "close"}
                )
                generation = reply.headers.get(GENERATION, "")
            if reply.status_code != 200:
                outcome = f"HTTP {reply.status_code}: {reply.text[:200]}"
            elif kind == "new":  # which notes answered: the new file, or (before the reload) not in the notes
                body = reply.json()
                cites_new = bool(body["citations"]) and body["citations"][0]["source"] == NEW_FILE
                outcome = "ok" if generation else "no generation header"
                kind = "new:" + ("23 days" if cites_new and "23 days" in body["answer"] else "other")
            else:
                outcome = "ok"
        except (requests.RequestException, ValueError) as exc:
            outcome, generation = f"{type(exc).__name__}: {exc}", ""
        with load.lock:
            load.results.append((t, kind, outcome, generation))


def _ingest(server: Any) -> subprocess.CompletedProcess[str]:
    """`kgqa ingest` of the server's notes into its index folder, as an operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", str(server.notes), "--out", str(server.index), "--quiet"],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_reingest_under_load_switches_every_worker_without_a_failed_request(server: Server) -> None:
    before = every_worker(server, lambda body: body["status"] == "ready", 30)
    old_generation = {body["generation"] for body in before.values()}
    assert len(old_generation) == 1
    load, start = Load(), time.monotonic()
    until = start + 15
    stop_at = [until + 30]  # the clients run at least 15 s, and on until every worker has switched

    def bounded_client(n: int) -> None:
        client(server.base, load, until, n)
        while time.monotonic() < stop_at[0]:
            client(server.base, load, min(stop_at[0], time.monotonic() + 0.5), n)

    threads = [threading.Thread(target=bounded_client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)  # steady traffic on the old build first
    (server.notes / NEW_FILE).write_text(NEW_NOTES, encoding="utf-8")
    ingest_started = time.monotonic()
    ingest = _ingest(server)
    swapped = time.monotonic()
    assert ingest.returncode == 0, ingest.stderr
    # the moment the new folder was renamed into place (its ctime), on the monotonic clock
    renamed = server.index.stat().st_ctime - time.time() + time.monotonic()
    new_generation = json.loads((server.index / MANIFEST).read_text(encoding="utf-8"))["generation"]
    assert new_generation not in old_generation
    after = every_worker(server, lambda body: body["generation"] == new_generation, 60)
    switched = time.monotonic()
    stop_at[0] = max(until, switched + 1)
    for t in threads:
        t.join(timeout=90)

    failures = load.failures()
    during = load.between(ingest_started, switched)
    asked_new = [r for r in load.results if r[1].startswith("new")]
    first_new = min(r[0] for r in load.results if r[3] == new_generation)
    last_old = max(r[0] for r in load.results if r[3] in old_generation)
    print(
        f"\nlive reload: {len(load.results)} requests in {time.monotonic() - start:.1f} s; {during} from the start "
        f"of the ingest ({swapped - ingest_started:.1f} s) until /readyz of every worker named the new build "
        f"({switched - swapped:.1f} s after the ingest ended); both builds answering for "
        f"{max(0.0, last_old - first_new):.2f} s ({load.between(first_new, last_old)} requests); first answer "
        f"from the new build {first_new - renamed:.2f} s and last from the old {last_old - renamed:.2f} s after "
        f"the swap; "
        f"{len(failures)} failed"
    )
    assert not failures, failures[:5]
    assert during > 0
    # every answer came from one build or the other, and each build answered as its notes say
    assert {r[3] for r in asked_new} <= old_generation | {new_generation}
    assert all(r[1] == "new:other" for r in asked_new if r[3] in old_generation)
    assert all(r[1] == "new:23 days" for r in asked_new if r[3] == new_generation)
    assert any(r[3] == new_generation for r in asked_new) and any(r[3] in old_generation for r in asked_new)
    assert set(after) == server.workers() and len(after) == 2
    assert all("warnings" not in body for body in after.values())
    # and from now on every worker answers from the new notes
    for _ in range(6):
        reply = requests.post(
            f"{server.base}/api/v1/ask", json={"question": NEW_QUESTION}, timeout=30, headers={"Connection": "close"}
        )
        assert reply.status_code == 200 and reply.headers[GENERATION] == new_generation
        assert "23 days" in reply.json()["answer"] and reply.json()["citations"][0]["source"] == NEW_FILE


def test_a_corrupt_new_build_is_refused_and_the_loaded_one_keeps_answering(server: Server) -> None:
    serving = readyz(server.base)["generation"]
    # a broken build swapped in: its graph does not match the checksum its manifest records
    broken = server.index.with_name("broken-build")
    shutil.copytree(server.index, broken)
    with (broken / "graph.ttl").open("ab") as fh:
        fh.write(b"\n<urn:x> <urn:y> <urn:z> .\n")
    manifest = json.loads((broken / MANIFEST).read_text(encoding="utf-8"))
    manifest["generation"] = "broken-1"
    (broken / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    old = server.index.with_name("index.old")
    os.replace(server.index, old)
    os.replace(broken, server.index)
    shutil.rmtree(old)

    refused = every_worker(server, lambda body: body.get("refused_generation") == "broken-1", 60)
    for body in refused.values():
        assert body["status"] == "ready" and body["generation"] == serving
        assert any("broken-1 was refused" in w and "graph.ttl" in w for w in body["warnings"]), body["warnings"]
    for _ in range(4):  # still answering, from the build loaded before
        reply = requests.post(
            f"{server.base}/api/v1/ask", json={"question": NEW_QUESTION}, timeout=30, headers={"Connection": "close"}
        )
        assert reply.status_code == 200 and reply.headers[GENERATION] == serving
        assert "23 days" in reply.json()["answer"]

    # the next good build is taken again
    rebuilt = _ingest(server)
    assert rebuilt.returncode == 0, rebuilt.stderr
    good = json.loads((server.index / MANIFEST).read_text(encoding="utf-8"))["generation"]
    healed = every_worker(server, lambda body: body["generation"] == good, 60)
    assert all("refused_generation" not in body and "warnings" not in body for body in healed.values())


def test_serve_watch_reingests_changed_notes_and_answers_from_them(tmp_path: Path) -> None:
    notes, index = notes_and_index(tmp_path)
    srv = start_server(notes, index, 1, "--watch", KGQA_WATCH_INTERVAL_S="0.3")
    try:
        first = readyz(srv.base)["generation"]
        (notes / NEW_FILE).write_text(NEW_NOTES, encoding="utf-8")
        deadline, body = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            reply = requests.post(f"{srv.base}/api/v1/ask", json={"question": NEW_QUESTION}, timeout=30)
            assert reply.status_code == 200
            body = reply.json()
            if reply.headers[GENERATION] != first:
                break
            time.sleep(0.3)
        assert "23 days" in body["answer"] and body["citations"][0]["source"] == NEW_FILE, body
        assert readyz(srv.base)["files"] == 3
    finally:
        stop_process(srv.proc)


def test_the_watcher_sees_every_kind_of_notes_file_ingest_reads(tmp_path: Path) -> None:
    from api.serve import notes_stamp
    from ingest.pipeline import NOTE_SUFFIXES

    for suffix in NOTE_SUFFIXES:
        (tmp_path / f"notes{suffix}").write_text("= Title\n\nsome notes\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "draft.md").write_text("# draft\n", encoding="utf-8")
    seen = {Path(path).name for path, _size, _mtime in notes_stamp(tmp_path)}
    assert seen == {f"notes{suffix}" for suffix in NOTE_SUFFIXES}
    under_hidden = tmp_path / ".config" / "notes"
    under_hidden.mkdir(parents=True)
    (under_hidden / "a.md").write_text("# a\n", encoding="utf-8")
    assert [Path(p).name for p, _s, _m in notes_stamp(under_hidden)] == ["a.md"], "only hidden parts inside count"
    assert notes_stamp(tmp_path / "missing") == ()
