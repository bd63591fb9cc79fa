"""``bench/kind_smoothing.py``: one smoothing of the abstention thresholds a kind, against make fit's one for all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import load_script


@pytest.fixture(scope="module")
def bench() -> Any:
    return load_script("bench/kind_smoothing.py", "kgqa_kind_smoothing")


COUNTS = {None: (100, 40), "number": (30, 20), "multi_hop": (20, 1), "list": (50, 19)}


def test_one_smoothing_for_every_kind_is_make_fit_s_rule(bench: Any) -> None:
    fit = load_script("scripts/fit.py", "kgqa_fit_for_smoothing")
    for m in (0, 10, 300):
        overall, by_kind = fit._thresholds(COUNTS, m)
        got = bench.thresholds(COUNTS, {None: m})
        assert got[None] == overall and {k: v for k, v in got.items() if k is not None} == by_kind


def test_a_kind_s_own_smoothing_moves_only_its_threshold(bench: Any) -> None:
    shared = bench.thresholds(COUNTS, {None: 10})
    own = bench.thresholds(COUNTS, {None: 10, "multi_hop": 0})
    assert own["multi_hop"] == round((1 / 20) / (1 + 1 / 20), 4)  # its own share: 1 unanswerable of 20 wrong
    assert own["multi_hop"] < shared["multi_hop"] < own[None]  # drawn toward the overall 0.4 / 1.4
    assert {k: v for k, v in own.items() if k != "multi_hop"} == {k: v for k, v in shared.items() if k != "multi_hop"}


def test_the_count_reads_each_corpus_at_thresholds_counted_without_it(bench: Any) -> None:
    def row(corpus: str, right: bool, answerable: bool) -> dict[str, Any]:
        return {"corpus": corpus, "right": right, "answerable": answerable}

    # corpus a: two wrong answers to questions the notes do not answer; b: one right answer, one wrong
    rows = [row("a", False, False), row("a", False, False), row("b", True, True), row("b", False, True)]
    split = bench.Split(rows, [0.5, 0.2, 0.6, 0.1])
    # b read at thresholds from a's wrong answers alone: every one unanswerable, u = 1, t = 0.5
    assert split.handled(["b"], {None: 0}) == 1  # the right answer at 0.6 >= 0.5
    # a read at b's: no unanswerable among its wrong answers, t = 0: both answered, neither handled right
    assert split.handled(["a"], {None: 0}) == 0
