"""``bench/line_match.py``: the question matched piece by piece against a line, on the real model's pieces."""

from __future__ import annotations

import numpy as np
import pytest

from kg.vocab import STOPWORDS
from tests.conftest import load_script

STOP = frozenset(STOPWORDS)


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    return load_script("bench/line_match.py", "kgqa_line_match")


@pytest.fixture(scope="module")
def pieces(bench):  # type: ignore[no-untyped-def]
    return bench.token_vectors(
        [
            "what is the max lambda timeout?",
            "Lambda functions: timeout max 15 minutes (900 seconds), default 3 s",
            "S3 bucket names are global and must be DNS compliant",
        ]
    )


def test_content_pieces_drop_markers_punctuation_and_whole_stop_words(bench, pieces) -> None:  # type: ignore[no-untyped-def]
    names, vectors = pieces[0]
    kept = [names[i] for i in bench.content_pieces(names, STOP)]
    # "timeout" is read as "time ##out": both stay, although "out" alone is a stop word
    assert kept == ["max", "lambda", "time", "##out"]
    assert vectors.shape == (len(names), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_line_saying_the_question_matches_better_than_one_that_does_not(bench, pieces) -> None:  # type: ignore[no-untyped-def]
    said = bench.match(pieces[0], pieces[1], STOP)
    unsaid = bench.match(pieces[0], pieces[2], STOP)
    assert said[0] > unsaid[0] + 0.2
    assert said[1] > unsaid[1]
    assert said[2] < unsaid[2]
    assert all(0.0 <= s <= 1.0 for s in said[2:])


def test_stored_forms_stay_near_the_model_s(bench, pieces) -> None:  # type: ignore[no-untyped-def]
    full = bench.match(pieces[0], pieces[1], STOP)
    assert bench.match(pieces[0], pieces[1], STOP, int8=True)[0] == pytest.approx(full[0], abs=0.01)
    basis = bench.principal_axes(pieces, 8)
    assert basis[0].shape == (384,) and basis[1].shape == (384, 8)
    assert bench.match(pieces[0], pieces[1], STOP, keep=3)[0] <= full[0] + 1e-6  # fewer pieces, no better match


def test_nothing_to_match_reads_zero(bench, pieces) -> None:  # type: ignore[no-untyped-def]
    stops = bench.token_vectors(["what is it?", ""])
    assert bench.match(stops[0], pieces[1], STOP) == [0.0, 0.0, 0.0]
    assert bench.match(pieces[0], stops[1], STOP) == [0.0, 0.0, 0.0]


def test_a_long_text_has_one_name_for_each_vector_the_model_gives(bench) -> None:  # type: ignore[no-untyped-def]
    [(names, vectors)] = bench.token_vectors(["timeout " * 400])
    assert len(names) == len(vectors) < 400


def test_a_stored_form_replaces_the_built_in_columns_only(bench) -> None:  # type: ignore[no-untyped-def]
    from kg.qa.calibrate import FEATURES

    rows = [{"corpus": "a", "signals": [float(i) for i in range(len(FEATURES))]}]
    [got] = bench.with_match(rows, [[0.9, 0.4]])
    mean, least = FEATURES.index("piece_mean"), FEATURES.index("piece_least")
    assert (got["signals"][mean], got["signals"][least]) == (0.9, 0.4)
    assert [v for i, v in enumerate(got["signals"]) if i not in (mean, least)] == [
        v for i, v in enumerate(rows[0]["signals"]) if i not in (mean, least)
    ]
    assert rows[0]["signals"][mean] == float(mean)  # the rows given are left as they were
