"""Shared fixtures: one real index of the sample notes per test session (real model, rdflib, FAISS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.pipeline import build_index  # noqa: E402
from kg.qa.engine import Engine  # noqa: E402
from kg.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "data" / "notes"
SAMPLE = NOTES / "aws-developer-associate-notes.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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
