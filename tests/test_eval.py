"""`kgqa eval` on the development set: the scoring itself, and a floor under answer quality for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.model import Answer, Citation
from kg.qa.engine import Engine
from kg.qa.evaluate import answer_correct, citation_hit, format_report, load_qa, run_eval

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "data" / "eval" / "qa_dev.jsonl"
# Reached on the development set with the fitted ranking and confidence (make fit; the development set is
# in the training split): answer accuracy 0.93, citation@1 0.95, abstention recall 0.60, false abstention
# 0.02. The fitted threshold trades some abstention on this set for fewer false abstentions on notes it
# was not fitted on (docs/calibration.md). The floor sits a few questions under, so a regression fails the
# build while a one-question wobble does not.
FLOOR = {"answer_accuracy": 0.89, "citation_at_1": 0.91, "abstention_recall": 0.5}
CEILING = {"false_abstention": 0.07}


def test_scoring_follows_the_dev_set_rules() -> None:
    item = {
        "answers": ["up to 5 LSI"],
        "type": "number",
        "source_lines": [1064],
        "source_file": "aws-developer-associate-notes.txt",
    }
    cite = Citation("aws-developer-associate-notes.txt", (1064, 1064), "", "")
    right = Answer("q", "Can have up to 5 LSI’s per table", False, 0.9, (cite,))
    assert answer_correct(item, right)  # curly quotes folded, case ignored
    assert not answer_correct(item, Answer("q", right.answer, True, 0.1, (cite,)))  # abstained
    assert not answer_correct(item, Answer("q", "x" * 401 + " up to 5 LSI", False, 0.9))  # too long
    assert citation_hit(item, (cite,), 1)
    off = Citation("aws-developer-associate-notes.txt", (1065, 1070), "", "")
    assert not citation_hit(item, (off, cite), 1) and citation_hit(item, (off, cite), 3)
    listing = {"answers": ["SQS", "SNS"], "type": "list"}
    assert not answer_correct(listing, Answer("q", "SQS only", False, 0.9))
    assert answer_correct(listing, Answer("q", "SQS; SNS", False, 0.9))


def test_bad_qa_file_is_a_clear_error(tmp_path: Path) -> None:
    from kg.errors import BadRequest

    bad = tmp_path / "qa.jsonl"
    bad.write_text('{"question": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(BadRequest, match="qa.jsonl:2"):
        load_qa(bad)
    with pytest.raises(BadRequest, match="not found"):
        load_qa(tmp_path / "missing.jsonl")


@pytest.mark.slow
def test_dev_set_quality_floor(engine: Engine) -> None:
    report = run_eval(engine, DEV, baselines=True)
    ours = report["ours"]
    text = format_report(report)
    for metric, floor in FLOOR.items():
        assert ours[metric] >= floor, f"{metric} fell to {ours[metric]} (floor {floor})\n{text}"
    for metric, ceiling in CEILING.items():
        assert ours[metric] <= ceiling, f"{metric} rose to {ours[metric]} (ceiling {ceiling})\n{text}"
    # the graph and the fusion must beat each plain retriever they are built from
    assert ours["answer_accuracy"] > report["bm25"]["answer_accuracy"] + 0.2
    assert ours["answer_accuracy"] > report["dense"]["answer_accuracy"] + 0.2
    assert len(report["failures"]) == round(
        (1 - ours["answer_accuracy"]) * ours["answerable"] + (1 - ours["abstention_recall"]) * ours["unanswerable"]
    )
    json.dumps(report)
