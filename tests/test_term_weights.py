"""``bench/term_weights.py``: term weights counted from where the gold passages are, and the signals read from them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import load_script


def _bench():  # type: ignore[no-untyped-def]
    return load_script("bench/term_weights.py", "kgqa_term_weights")


def _row(corpus: str, keys: list[tuple[str, float]], candidates: list[tuple[bool, set[str]]]) -> dict[str, Any]:
    return {"corpus": corpus, "keys": keys, "candidates": [([0.0], hit, frozenset(c)) for hit, c in candidates]}


# "final" is never in a gold passage; "cooldown" always is, and in no other candidate; "dash" is in every one
ROWS = [
    _row("a", [("dash", 1.0), ("cooldown", 2.0), ("final", 1.0)], [(True, {"dash", "cooldown"}), (False, {"dash"})]),
    _row("b", [("dash", 1.0), ("cooldown", 2.0)], [(False, {"dash"}), (True, {"dash", "cooldown"}), (False, {"dash"})]),
    _row("c", [("final", 1.0), ("dash", 1.0)], [(True, {"dash"}), (False, {"dash", "final"})]),
]


def test_term_weights_count_how_often_gold_passages_cover_a_term_and_how_much_more_than_the_others() -> None:
    p, d, p0, d0 = _bench().term_stats(ROWS, 0.0)  # no smoothing: the counts as they are
    assert p == {"dash": 1.0, "cooldown": 1.0, "final": 0.0}
    assert d["dash"] == pytest.approx(0.0)  # in every candidate: tells none apart
    assert d["cooldown"] == pytest.approx(1.0)
    assert d["final"] == pytest.approx(-0.5)  # more often in the other candidates than in the gold ones
    assert p0 == pytest.approx(5 / 7)  # 5 of the 7 terms asked are covered by a gold passage
    assert d0 == pytest.approx(p0 - 4 / 7)


def test_smoothing_draws_a_term_toward_the_mean_and_unseen_terms_get_it() -> None:
    bench = _bench()
    p, _, p0, _ = bench.term_stats(ROWS, 2.0)
    assert p0 < p["cooldown"] < 1.0 and 0.0 < p["final"] < p0
    row = _row("z", [("unseen", 1.0), ("cooldown", 1.0)], [(True, {"unseen"}), (False, {"cooldown"})])
    stats = bench.term_stats(ROWS, 0.0)
    signals = bench.term_signals(row, stats)
    # P shares: unseen gets the mean p0, cooldown 1.0; D shares: unseen gets d0, cooldown 1.0
    _, _, p0, d0 = stats
    assert signals[0] == pytest.approx([p0 / (p0 + 1.0), d0 / (d0 + 1.0)])
    assert signals[1] == pytest.approx([1.0 / (p0 + 1.0), 1.0 / (d0 + 1.0)])


def test_signals_are_cross_fitted_without_the_corpus_group() -> None:
    bench = _bench()
    # "final" is covered by the gold passage only in corpus c: counted with c, it lifts c's gold candidate
    rows = [*ROWS[:2], _row("c", [("final", 1.0), ("dash", 1.0)], [(True, {"dash", "final"}), (False, {"dash"})])]
    in_sample = bench.term_signals(rows[2], bench.term_stats(rows, 0.0))
    assert in_sample[0][0] == pytest.approx(1.0) and in_sample[1][0] == pytest.approx(1.0 / 1.5)
    # each corpus its own group: c's signals come from a and b alone, where "final" is never gold (P 0)
    crossed = bench.cross_fitted(rows, 0.0, groups=3)
    assert crossed[2][0][0] == pytest.approx(1.0) and crossed[2][1][0] == pytest.approx(1.0)
    assert crossed[0] == bench.term_signals(rows[0], bench.term_stats(rows[1:], 0.0))
