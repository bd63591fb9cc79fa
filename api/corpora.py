"""``kgqa eval --corpora``: every notes corpus of a corpora file ingested and evaluated, per corpus and pooled.

The corpora file (``data/eval/corpora.json``) lists each corpus's notes folder, question sets and split
(train: fitted on by ``make fit``; test: never fitted on). Indexes are built into a cache folder, a no-op
when the notes are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from ingest.pipeline import build_index
from kg.errors import BadRequest
from kg.qa.calibrate import Calibration
from kg.qa.engine import Engine, query_embedder
from kg.qa.evaluate import load_qa, pool, reliability, run_eval
from kg.qa.question_map import QuestionMap
from kg.settings import Settings


def load_corpora(path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The folder the corpora's paths are relative to (``root``, relative to the file), and the corpora."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        corpora = doc["corpora"]
        missing = [c.get("name", i) for i, c in enumerate(corpora) if not {"name", "notes", "qa", "split"} <= set(c)]
        if missing:
            raise ValueError(f"corpora {missing} lack one of name, notes, qa, split")
        return (path.parent / doc.get("root", ".")).resolve(), list(corpora)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadRequest(
            f"{path} is not a corpora file (a JSON object with 'corpora': name, notes, qa, split): {exc}",
            code="bad_corpora",
        ) from exc


def corpus_settings(settings: Settings, root: Path, corpus: dict[str, Any], cache: Path) -> Settings:
    """The settings of one corpus: its notes, and its index in ``cache/<name>``."""
    return settings.with_(notes_dir=str((root / corpus["notes"]).resolve()), index_dir=str(cache / corpus["name"]))


def corpus_engine(
    settings: Settings,
    root: Path,
    corpus: dict[str, Any],
    cache: Path,
    calibration: Calibration | None = None,
    question_map: QuestionMap | None | Literal["fitted"] = "fitted",
) -> Engine:
    """The engine over one corpus's notes, its index built into ``cache/<name>`` (a no-op when unchanged);
    ``calibration`` and ``question_map`` replace the fitted ones (for fitting). Every corpus engine of a
    process shares one question embedder for each model setting (``shared_embedder``)."""
    here = corpus_settings(settings, root, corpus, cache)
    build_index(here, progress=False)
    return Engine.load(here, calibration, embedder=shared_embedder(here), question_map=question_map)


def split_questions(
    settings: Settings, path: Path, cache: Path, split: str
) -> Iterator[tuple[dict[str, Any], Engine, dict[str, Any]]]:
    """Every question of the corpora of one split of the corpora file at ``path``, in file order: the corpus, its
    engine (``corpus_engine``, one for each corpus) and the question's item."""
    root, corpora = load_corpora(path)
    for corpus in (c for c in corpora if c["split"] == split):
        engine = corpus_engine(settings, root, corpus, cache)
        for qa in corpus["qa"]:
            for item in load_qa(root / qa):
                yield corpus, engine, item


_EMBEDDERS: dict[tuple[str, str, int], Any] = {}


def shared_embedder(settings: Settings) -> Any:
    """The question embedder of these settings' model, backend and threads, loaded once in this process: the
    corpora differ in their notes and index, not in the model that reads their questions."""
    key = (settings.model, settings.embed_backend, settings.embed_threads)
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = query_embedder(settings)
    return _EMBEDDERS[key]


def evaluate_corpora(settings: Settings, path: Path, cache: Path, baselines: bool = False) -> dict[str, Any]:
    """Per-corpus reports, pooled figures per split and the reliability of each split."""
    root, corpora = load_corpora(path)
    reports = []
    for corpus in corpora:
        engine = corpus_engine(settings, root, corpus, cache)
        report = run_eval(engine, [root / q for q in corpus["qa"]], baselines=baselines)
        reports.append({"name": corpus["name"], "split": corpus["split"], **report})
    splits = sorted({r["split"] for r in reports}, key=lambda s: (s != "train", s))
    pooled = {s: pool([r for r in reports if r["split"] == s]) for s in splits}
    tables = {}
    for s in splits:
        points = [p for r in reports if r["split"] == s for p in r["calibration_points"]]
        tables[s] = reliability([p for p, _ in points], [bool(y) for _, y in points])
    return {"corpora": reports, "pooled": pooled, "reliability": tables}
