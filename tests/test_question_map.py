"""The fitted map of question vectors: reading, storing, fitting (real torch L-BFGS) and the engine's use of it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kg.errors import ConfigError
from kg.qa.engine import Engine
from kg.qa.question_map import QUESTION_MAP, QuestionMap, load_question_map, question_map_for, save_question_map
from kg.qa.retrieve import RANKING
from scripts.question_map_fit import Corpus, fit_map, fit_question_map, folds, top1


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def test_a_mapped_vector_is_unit_length_and_a_vector_of_another_size_is_left_alone() -> None:
    qmap = QuestionMap(np.diag([2.0, 1.0, 1.0]).astype(np.float32))
    v = _unit(np.array([1.0, 1.0, 0.0]))
    mapped = qmap.apply(v)
    assert mapped.dtype == np.float32
    assert np.linalg.norm(mapped) == pytest.approx(1.0, abs=1e-6)
    assert mapped[0] > mapped[1]  # the first direction weighs twice
    other = np.ones(4, dtype=np.float32)
    assert qmap.apply(other) is other
    assert np.allclose(QuestionMap(np.eye(3, dtype=np.float32)).apply(v), v, atol=1e-7)


def test_a_map_is_stored_byte_for_byte_and_a_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    matrix = np.arange(9, dtype=np.float32).reshape(3, 3)
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    save_question_map(QuestionMap(matrix), a)
    save_question_map(QuestionMap(matrix.astype(np.float64)), b)
    assert a.read_bytes() == b.read_bytes()
    loaded = load_question_map(a)
    assert loaded is not None and np.array_equal(loaded.matrix, matrix)
    assert load_question_map(tmp_path / "none.npy") is None
    bad = tmp_path / "bad.npy"
    np.save(bad, np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ConfigError, match="square"):
        load_question_map(bad)
    assert question_map_for("/some/other/model", a) is None  # fitted for the packaged model only
    assert question_map_for("", a) is loaded


def _corpus(name: str, seed: int, bend: np.ndarray, questions: int = 40, passages: int = 30) -> Corpus:
    """Notes whose questions are their gold passage seen through ``bend`` (the wording gap), with noise."""
    rng = np.random.default_rng(seed)
    p = _unit(rng.normal(size=(passages, bend.shape[0])))
    gold = rng.integers(0, passages, size=questions)
    q = _unit(p[gold] @ bend.T + 0.25 * rng.normal(size=(questions, bend.shape[0])))
    return Corpus(name, q, p, np.eye(passages, dtype=bool)[gold])


def test_the_fitted_map_brings_questions_of_unseen_notes_nearer_their_passages() -> None:
    dim = 8
    rng = np.random.default_rng(7)
    bend = np.eye(dim) + 0.9 * rng.normal(size=(dim, dim))  # every corpus's questions are worded the same way
    train = [_corpus(f"t{i}", i, bend) for i in range(6)]
    held = [_corpus(f"h{i}", 100 + i, bend) for i in range(3)]
    matrix = fit_map(train, temperature=0.1, l2=0.001)
    assert matrix.shape == (dim, dim) and matrix.dtype == np.float32
    assert top1(held, matrix) > top1(held, None) + 10  # of 120 held-out questions
    assert np.array_equal(matrix, fit_map(train, temperature=0.1, l2=0.001))  # deterministic
    # a strong penalty keeps the model's own reading
    assert np.abs(fit_map(train, temperature=0.1, l2=1e4) - np.eye(dim)).max() < 1e-3


def test_the_setting_is_chosen_on_held_out_groups_and_each_corpus_gets_the_map_fitted_without_it() -> None:
    rng = np.random.default_rng(3)
    bend = np.eye(6) + 0.9 * rng.normal(size=(6, 6))
    data = [_corpus(f"c{i}", i, bend, questions=20, passages=15) for i in range(10)]
    group = folds([c.name for c in data])
    assert sorted(group.values()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    fitted = fit_question_map(data, progress=False)
    assert set(fitted.without) == {c.name for c in data}
    # corpora of one group share the map fitted without that group, other groups have another one
    assert fitted.without["c0"] is not fitted.without["c1"]
    assert np.array_equal(fitted.without["c0"].matrix, fitted.without["c5"].matrix)
    # ... and it is the map of the chosen setting, not of another one tried
    others = [c for c in data if group[c.name] != group["c0"]]
    assert np.array_equal(fitted.without["c0"].matrix, fit_map(others, fitted.temperature, fitted.l2))
    best = fitted.held_out[f"{fitted.temperature} / {fitted.l2}"]
    assert best == max(v for k, v in fitted.held_out.items() if k != "none")
    assert best > fitted.held_out["none"]
    assert fitted.meta()["temperature"] == fitted.temperature


def test_the_engine_reads_questions_through_the_map_it_is_given(engine: Engine) -> None:
    dim = engine.index.vectors.fetch([engine.index.passages[0].id]).shape[1]
    flip = np.eye(dim, dtype=np.float32)
    flip[0, 0] = -1.0  # a map that visibly changes the vector
    mapped = Engine(engine.settings, engine.index, engine.embedder, engine.calibration, QuestionMap(flip))
    raw = Engine(engine.settings, engine.index, engine.embedder, engine.calibration, None)
    q = "what is the max lambda timeout"
    own = engine.embedder.encode([q])[0]
    assert np.allclose(raw.embed(q), own)  # type: ignore[operator]
    assert np.allclose(mapped.embed(q), flip @ own / np.linalg.norm(own), atol=1e-6)  # type: ignore[operator]


def test_a_committed_map_comes_with_the_ranking_weights_fitted_over_it(engine: Engine) -> None:
    """``make fit --question-map`` writes both; ``make fit`` without it removes the map, since its weights are
    fitted on the model's own question vectors."""
    meta = json.loads(RANKING.read_text(encoding="utf-8")).get("question_map")
    qmap = load_question_map()
    assert (qmap is None) == (meta is None)
    assert (engine.question_map is None) == (qmap is None)
    if qmap is not None:
        assert qmap.matrix.shape == (384, 384)  # the packaged model's vectors
        assert meta["held_out_top1"][f"{meta['temperature']} / {meta['l2']}"] >= meta["held_out_top1"]["none"]
        assert QUESTION_MAP.stat().st_size == 384 * 384 * 4 + 128  # float32 and the .npy header
