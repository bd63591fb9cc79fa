"""``bench/losses.py``: where questions are lost, by the confidence or before it."""

from __future__ import annotations

from typing import Any

from tests.conftest import load_script


def _losses():  # type: ignore[no-untyped-def]
    return load_script("bench/losses.py", "kgqa_losses")


def _row(kind: str, answerable: bool, right: bool, confidence: float, gold_rank: int = 1) -> dict[str, Any]:
    return {"type": kind, "answerable": answerable, "right": right, "confidence": confidence, "gold_rank": gold_rank}


def test_the_questions_lost_are_told_apart_by_the_confidence_and_before_it() -> None:
    rows = [
        _row("number", True, True, 0.9),  # answered right
        _row("number", True, True, 0.2),  # right, withheld: the confidence's loss
        _row("number", True, False, 0.8, 3),  # wrong with abstention off: lost before the confidence, by the ranking
        _row("list", True, False, 0.1),  # ... abstained on, still lost before it; the gold line first: composition
        _row("feature", True, False, 0.9, 6),  # the gold line ranked sixth
        _row("feature", True, False, 0.9, 0),  # ... or not among the candidates at all
        _row("unanswerable", False, False, 0.1),  # abstained on: handled right
        _row("unanswerable", False, False, 0.7),  # answered: the confidence's loss
    ]
    counts = _losses().losses(rows, 0.5)
    assert counts == {
        "questions": 8,
        "answerable": 6,
        "right, abstention off": 2,
        "handled right": 2,
        "best a confidence can do": 4,
        "confidence: right answers withheld": 1,
        "confidence: unanswerable answered": 1,
        "before it: answerable, wrong with abstention off": 4,
        "... gold line first": 1,
        "... gold line 2nd to 5th": 1,
        "... gold line 6th or lower": 1,
        "... gold line not among the candidates": 1,
    }
    # what the confidence falls short of its best is exactly what it loses
    assert counts["best a confidence can do"] - counts["handled right"] == 2
    # a threshold of 0 answers everything: nothing withheld, every unanswerable question answered
    assert _losses().losses(rows, 0.0)["confidence: unanswerable answered"] == 2


def test_the_report_counts_every_kind_apart() -> None:
    rows = [_row("number", True, True, 0.9), _row("list", True, False, 0.9), _row("unanswerable", False, False, 0.1)]
    text = _losses().report(rows, 0.5)
    header = next(line for line in text.splitlines() if line.startswith("|  |"))
    assert header == "|  | all | list | number | unanswerable |"
    assert "| handled right | 2 | 0 | 1 | 1 |" in text


def test_each_question_is_read_at_its_own_threshold_unless_one_is_given() -> None:
    # the engine abstains under 0.4 on a number question and under 0.2 on a feature question
    rows = [
        {**_row("number", True, True, 0.3), "threshold": 0.4},  # withheld at its kind's threshold
        {**_row("feature", True, True, 0.3), "threshold": 0.2},  # answered at its kind's
        {**_row("unanswerable", False, False, 0.3), "threshold": 0.4},  # abstained on
        {**_row("unanswerable", False, False, 0.3), "threshold": 0.2},  # answered
    ]
    own = _losses().losses(rows)
    assert own["handled right"] == 2
    assert own["confidence: right answers withheld"] == 1
    assert own["confidence: unanswerable answered"] == 1
    # one threshold for every question, as given
    assert _losses().losses(rows, 0.25)["confidence: right answers withheld"] == 0
    assert _losses().losses(rows, 0.25)["confidence: unanswerable answered"] == 2
    assert _losses().report(rows).startswith("Thresholds 0.2, 0.4.")
