"""Where questions are lost: by the confidence, or before it by the ranking and the answer composition.

Every question of every corpus (of one split) is answered with abstention off, then read at the engine's
abstention threshold for the kind of answer it asked for. A confidence that knew which answers are right would
answer exactly those and abstain on everything else; the count it would handle right (the right answers with
abstention off and the unanswerable questions) bounds what any confidence can reach over this ranking. What the
shipped confidence falls short of it is lost by the confidence (right answers withheld, unanswerable questions
answered); the answerable questions answered wrong even with abstention off are lost before it. Those are told
apart by where the first candidate holding a gold line ranks among the candidates the answer was composed from:
first (the composition lost it), second to fifth, sixth or lower (the ranking did), or not among them (the
search did not find it).

Run:
  .venv/bin/python bench/losses.py --corpora data/eval/corpora.json --cache .cache/fit --split train

Read the train split only when deciding anything (``docs/evaluation.md``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from fit import handled_right  # noqa: E402  (the measure the fit chooses by)


def losses(rows: list[dict[str, Any]], threshold: float | None = None) -> dict[str, int]:
    """The questions, the right answers and the questions handled right, the best a confidence can do, and the
    losses, from rows of ``answerable``, ``right`` (with abstention off), ``confidence``, ``gold_rank`` (where
    the first candidate holding a gold line ranks, from 1; 0 when none does) and ``threshold`` (the one the
    engine abstains under for the row's question), each row read at its own or at ``threshold`` when given."""
    ts = [r["threshold"] if threshold is None else threshold for r in rows]
    answered = [r for r, t in zip(rows, ts, strict=True) if r["confidence"] >= t]
    wrong = [r for r in rows if r["answerable"] and not r["right"]]
    unanswerable = sum(1 for r in rows if not r["answerable"])
    right = sum(1 for r in rows if r["right"])
    return {
        "questions": len(rows),
        "answerable": len(rows) - unanswerable,
        "right, abstention off": right,
        "handled right": handled_right([r["confidence"] for r in rows], rows, ts),
        "best a confidence can do": right + unanswerable,
        "confidence: right answers withheld": sum(
            1 for r, t in zip(rows, ts, strict=True) if r["right"] and r["confidence"] < t
        ),
        "confidence: unanswerable answered": sum(1 for r in answered if not r["answerable"]),
        "before it: answerable, wrong with abstention off": len(wrong),
        "... gold line first": sum(1 for r in wrong if r["gold_rank"] == 1),
        "... gold line 2nd to 5th": sum(1 for r in wrong if 2 <= r["gold_rank"] <= 5),
        "... gold line 6th or lower": sum(1 for r in wrong if r["gold_rank"] > 5),
        "... gold line not among the candidates": sum(1 for r in wrong if not r["gold_rank"]),
    }


def answer_rows(corpora: Path, cache: Path, split: str) -> list[dict[str, Any]]:
    """Every question of the split's corpora answered with abstention off, with the threshold the engine
    abstains under for it."""
    from api.corpora import split_questions
    from kg.qa.answer import Rankings, abstain_threshold, retrieve
    from kg.qa.evaluate import answer_correct, holds_gold
    from kg.settings import Settings

    settings = Settings.from_env()
    rows = []
    for _, engine, item in split_questions(settings, corpora, cache, split):
        rankings: Rankings = {}
        read: dict[str, float] = {}
        ans = engine.answer(item["question"], threshold=0.0, rankings=rankings, signals_out=read)
        # the candidates the answer was composed from, as answer() ranked them (read from its rankings)
        ranked = retrieve(engine.index, engine.embed, ans.question, rankings=rankings)[0].ranked
        gold = next((i for i, c in enumerate(ranked, 1) if holds_gold(item, c.passage)), 0)  # 0: none
        answerable = bool(item.get("answers"))
        rows.append(
            {
                "type": item.get("type", ""),
                "answerable": answerable,
                "right": answerable and answer_correct(item, ans),
                "confidence": ans.confidence,
                "gold_rank": gold,
                "threshold": abstain_threshold(engine.calibration, settings.abstain_threshold, read),
            }
        )
    return rows


def report(rows: list[dict[str, Any]], threshold: float | None = None) -> str:
    """The counts, for all questions and by labelled kind, as a Markdown table (each row read at its own
    threshold, or at ``threshold`` when given)."""
    kinds = sorted(Counter(r["type"] for r in rows))
    table = {
        "all": losses(rows, threshold),
        **{k: losses([r for r in rows if r["type"] == k], threshold) for k in kinds},
    }
    head = ["", *table]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join([name, *(str(t[name]) for t in table.values())]) + " |" for name in table["all"]]
    used = sorted({r["threshold"] for r in rows} if threshold is None else {threshold})
    return f"Thresholds {', '.join(map(str, used))}.\n\n" + "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=ROOT / "data/eval/corpora.json", help="a corpora file")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache/eval", help="indexes of the corpora")
    ap.add_argument("--split", default="train", help="the corpora of this split (default: train)")
    args = ap.parse_args()
    print(report(answer_rows(args.corpora, args.cache, args.split)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
