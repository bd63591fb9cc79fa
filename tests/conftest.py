"""Shared fixtures: one real index of the sample notes per test session (real model, rdflib, FAISS)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.pipeline import NOTE_SUFFIXES, BuildReport, build_index  # noqa: E402
from kg.manifest import verify_index  # noqa: E402
from kg.qa.engine import Engine  # noqa: E402
from kg.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "data" / "notes"
SAMPLE = NOTES / "aws-developer-associate-notes.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_script(path: str, name: str) -> Any:
    """A script of the project (``bench/losses.py``, ``scripts/fit.py``) loaded as module ``name``, registered in
    ``sys.modules`` so that its dataclasses can look themselves up."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    assert spec is not None and spec.loader is not None
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def index_without(index_dir: Path, tmp_path: Path, *names: str) -> Path:
    """A copy of the index without some of its files, checksums to match (as an older ingest wrote it)."""
    copy = tmp_path / "bare"
    shutil.copytree(index_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    for name in names:
        (copy / name).unlink()
        del manifest["sha256"][name]
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    verify_index(copy)
    return copy


def ingest_one(tmp_path: Path, name: str, text: str | bytes) -> tuple[Settings, BuildReport]:
    """One notes file of a format the pipeline reads, ingested: the index's settings and the build's report,
    which read the file."""
    assert name.endswith(NOTE_SUFFIXES), f"{name} has no notes suffix"
    notes = tmp_path / "notes"
    notes.mkdir()
    if isinstance(text, bytes):
        (notes / name).write_bytes(text)
    else:
        (notes / name).write_text(text, encoding="utf-8")
    settings = Settings(notes_dir=str(notes), index_dir=str(tmp_path / "index"))
    report = build_index(settings, progress=False)
    assert [(f.path, f.status) for f in report.files] == [(name, "ok")]
    return settings, report


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("index") / "index"
    build_index(Settings(notes_dir=str(NOTES), index_dir=str(out)), progress=False)
    return out


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return Settings(notes_dir=str(NOTES), index_dir=str(index_dir))


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Engine:
    return Engine.load(settings)


@pytest.fixture(scope="session")
def sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").split("\n")


def serve_in_thread(app: Any) -> Iterator[str]:
    """A real HTTP server for the app on a free loopback port, in a thread: yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def stop_process(proc: subprocess.Popen[Any], timeout: float = 20) -> None:
    """Stop a server the tests started: terminate, and kill it if it has not exited within ``timeout`` s."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
