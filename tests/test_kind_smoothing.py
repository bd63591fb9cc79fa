"""``bench/kind_smoothing.py``: one smoothing of the abstention thresholds a kind, against make fit's one for all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import load_script


@pytest.fixture(scope="module")
def fit() -> Any:
    return load_script("scripts/fit.py", "kgqa_fit_for_smoothing")


@pytest.fixture(scope="module")
def bench() -> Any:
    return load_script("bench/kind_smoothing.py", "kgqa_kind_smoothing")


COUNTS = {None: (100, 40), "number": (30, 20), "multi_hop": (20, 1), "list": (50, 19)}


def test_one_smoothing_for_every_kind_is_the_same_given_as_a_number_or_for_each_kind(fit: Any) -> None:
    for m in (0, 10, 300):
        assert fit._thresholds(COUNTS, {None: m}) == fit._thresholds(COUNTS, m)


def test_a_kind_s_own_smoothing_moves_only_its_threshold(fit: Any) -> None:
    overall, shared = fit._thresholds(COUNTS, {None: 10})
    same, own = fit._thresholds(COUNTS, {None: 10, "multi_hop": 0})
    assert own["multi_hop"] == round((1 / 20) / (1 + 1 / 20), 4)  # its own share: 1 unanswerable of 20 wrong
    assert own["multi_hop"] < shared["multi_hop"] < overall == same  # drawn toward the overall 0.4 / 1.4
    assert {k: v for k, v in own.items() if k != "multi_hop"} == {k: v for k, v in shared.items() if k != "multi_hop"}


def test_the_count_reads_each_corpus_at_thresholds_counted_without_it(fit: Any) -> None:
    def row(corpus: str, right: bool, answerable: bool) -> dict[str, Any]:
        return {"corpus": corpus, "right": right, "answerable": answerable}

    # corpus a: two wrong answers to questions the notes do not answer; b: one right answer, one wrong
    rows = [row("a", False, False), row("a", False, False), row("b", True, True), row("b", False, True)]
    split = fit.LeftOut([0.5, 0.2, 0.6, 0.1], rows)
    # b read at thresholds from a's wrong answers alone: every one unanswerable, u = 1, t = 0.5
    assert split.handled(["b"], {None: 0}) == 1  # the right answer at 0.6 >= 0.5
    # a read at b's: no unanswerable among its wrong answers, t = 0: both answered, neither handled right
    assert split.handled(["a"], {None: 0}) == 0


def test_each_kind_chooses_its_smoothing_on_its_own_rows(fit: Any, bench: Any) -> None:
    from kg.qa.calibrate import FEATURES

    def row(corpus: str, kind: str, right: bool, answerable: bool) -> dict[str, Any]:
        signals = [0.0] * len(FEATURES)
        signals[FEATURES.index(f"kind_{kind}")] = 1.0  # the kind the question asks for, as the engine reads it
        return {"corpus": corpus, "right": right, "answerable": answerable, "signals": signals}

    # two-step answers: wrong ones are to answerable questions, the right ones have a low confidence (0.1);
    # figures: the wrong answers are to questions the notes do not answer, at 0.4; plenty of those, so the
    # share over all kinds is high
    kinds = [("multi_hop", True, True, 0.1), ("multi_hop", False, True, 0.05)] + [("number", False, False, 0.4)] * 3
    kinds += [("number", True, True, 0.6)]
    rows = [row(c, k, r, a) for c in "abc" for k, r, a, _ in kinds]
    left = fit.LeftOut([p for _ in "abc" for *_, p in kinds], rows)
    chosen = bench.best_each(left, ["a", "b"], "c")
    # a two-step question is best answered at its own threshold (0: no unanswerable ones among its wrong
    # answers), which only the least smoothing keeps under 0.1; figures gain nothing from any, so the most
    assert chosen == {"multi_hop": 0, "number": 1000}
    for kind, m in chosen.items():  # no other smoothing of the grid handles more of that kind's rows
        assert all(
            left.handled(["a", "b"], m, "c", kind) >= left.handled(["a", "b"], o, "c", kind) for o in fit.SMOOTHING_GRID
        )
    assert bench.best_one(left, ["a", "b"], "c") in fit.SMOOTHING_GRID
