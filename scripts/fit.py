"""Fit the answer confidence and the abstention threshold on the training corpora (``make fit``).

Every corpus of ``data/eval/corpora.json`` is ingested (into ``.cache/fit``, a no-op when unchanged) and
every question answered with abstention off, recording the signals the confidence reads and whether the
answer is right. A logistic model is fitted on the train split only: its regularisation chosen by
leave-one-corpus-out log loss, its abstention threshold as the one that handles the most training questions
right (answered correctly, or abstained when the notes do not say), judged on out-of-corpus probabilities.
The result goes to ``kg/qa/calibration.json``; the per-corpus figures (fit, leave-one-corpus-out, test) to
``docs/calibration.md``. Deterministic: same code and data, same file.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import build_index  # noqa: E402
from kg.qa.calibrate import CALIBRATION, FEATURES, Calibration  # noqa: E402
from kg.qa.engine import Engine  # noqa: E402
from kg.qa.evaluate import answer_correct, ece, load_qa, reliability  # noqa: E402
from kg.settings import Settings  # noqa: E402

NEUTRAL = Calibration(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES), (0.0,) * len(FEATURES), 0.0, 0.0)
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # regularisation strengths tried; the data picks one


def collect(corpus: dict[str, Any], cache: Path) -> list[dict[str, Any]]:
    """One row per question: signals, whether the never-abstaining answer is right, and labels."""
    notes, index_dir = ROOT / corpus["notes"], cache / corpus["name"]
    settings = Settings.from_env(notes_dir=str(notes), index_dir=str(index_dir))
    build_index(settings, progress=False)
    engine = Engine.load(settings, calibration=NEUTRAL)  # abstention is off: the calibration is not read
    rows = []
    for qa in corpus["qa"]:
        for item in load_qa(ROOT / qa):
            sig: dict[str, float] = {}
            ans = engine.answer(item["question"], threshold=0.0, signals_out=sig)
            rows.append(
                {
                    "corpus": corpus["name"],
                    "id": item.get("id"),
                    "type": item.get("type"),
                    "answerable": bool(item.get("answers")),
                    "right": bool(item.get("answers")) and answer_correct(item, ans),
                    "signals": [sig.get(f, 0.0) for f in FEATURES],
                }
            )
    return rows


def _xy(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([r["signals"] for r in rows], dtype=float), np.array([r["right"] for r in rows], dtype=int)


def fit_model(rows: list[dict[str, Any]], c: float) -> Calibration:
    from sklearn.linear_model import LogisticRegression

    x, y = _xy(rows)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    return Calibration(
        features=FEATURES,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        threshold=0.5,
    )


def probabilities(cal: Calibration, rows: list[dict[str, Any]]) -> list[float]:
    return [cal.probability(dict(zip(FEATURES, r["signals"], strict=True))) for r in rows]


def out_of_corpus(rows: list[dict[str, Any]], c: float) -> list[float]:
    """Each corpus's probabilities from a model fitted on the other corpora."""
    probs = [0.0] * len(rows)
    for name in sorted({r["corpus"] for r in rows}):
        model = fit_model([r for r in rows if r["corpus"] != name], c)
        for i, r in enumerate(rows):
            if r["corpus"] == name:
                probs[i] = probabilities(model, [r])[0]
    return probs


def log_loss(probs: list[float], rows: list[dict[str, Any]]) -> float:
    p = np.clip(np.array(probs), 1e-6, 1 - 1e-6)
    y = np.array([r["right"] for r in rows], dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def best_threshold(probs: list[float], rows: list[dict[str, Any]]) -> float:
    """The threshold that handles the most questions right; ties go to the middle of the best run."""
    candidates = sorted({0.0, *(round(p, 4) for p in probs)})
    scores = [
        sum(1 for p, r in zip(probs, rows, strict=True) if (r["right"] and p >= t) or (not r["answerable"] and p < t))
        for t in candidates
    ]
    best = max(scores)
    run = [t for t, s in zip(candidates, scores, strict=True) if s == best]
    return float(run[len(run) // 2])


def figures(probs: list[float], rows: list[dict[str, Any]], t: float) -> dict[str, float]:
    ans = [(p, r) for p, r in zip(probs, rows, strict=True) if r["answerable"]]
    una = [(p, r) for p, r in zip(probs, rows, strict=True) if not r["answerable"]]
    return {
        "questions": len(rows),
        "answer_accuracy": round(sum(1 for p, r in ans if r["right"] and p >= t) / max(1, len(ans)), 3),
        "abstention_recall": round(sum(1 for p, _ in una if p < t) / max(1, len(una)), 3),
        "false_abstention": round(sum(1 for p, _ in ans if p < t) / max(1, len(ans)), 3),
        "ece": round(ece(probs, [r["right"] for r in rows]), 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=ROOT / "data" / "eval" / "corpora.json")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "fit", help="indexes of the corpora")
    ap.add_argument("--out", type=Path, default=CALIBRATION, help="the calibration file to write")
    ap.add_argument("--report", type=Path, default=ROOT / "docs" / "calibration.md")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    corpora = json.loads(args.corpora.read_text(encoding="utf-8"))["corpora"]
    rows: list[dict[str, Any]] = []
    for corpus in corpora:
        print(f"answering {corpus['name']} ...", flush=True)
        rows += collect(corpus, args.cache)
    split = {c["name"]: c["split"] for c in corpora}
    train = [r for r in rows if split[r["corpus"]] == "train"]
    test = [r for r in rows if split[r["corpus"]] == "test"]
    losses = {c: log_loss(out_of_corpus(train, c), train) for c in C_GRID}
    c_best = min(C_GRID, key=lambda c: (losses[c], c))
    oof = out_of_corpus(train, c_best)
    threshold = best_threshold(oof, train)
    final = fit_model(train, c_best)
    final = Calibration(
        final.features,
        final.mean,
        final.scale,
        final.coef,
        final.intercept,
        threshold,
        meta={
            "model": "logistic regression over standardised signals (scikit-learn, lbfgs)",
            "C": c_best,
            "train_corpora": sorted({r["corpus"] for r in train}),
            "train_questions": len(train),
            "threshold_rule": "most training questions handled right, on leave-one-corpus-out probabilities",
        },
    )
    args.out.write_text(json.dumps(final.to_json(), indent=1) + "\n", encoding="utf-8")
    report = _report(corpora, rows, train, test, final, oof, losses)
    args.report.write_text(report, encoding="utf-8")
    print(report)
    return 0


def _report(corpora, rows, train, test, final, oof, losses) -> str:  # type: ignore[no-untyped-def]
    t = final.threshold
    fit_probs = probabilities(final, rows)
    by: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by[r["corpus"]].append(i)
    oof_by = {id(r): p for r, p in zip(train, oof, strict=True)}
    lines = [
        "# Calibration",
        "",
        "Written by `make fit` (`scripts/fit.py`): the answer confidence is a logistic model over the signals in",
        "`kg/qa/calibrate.py`, fitted on the **train** corpora only; the abstention threshold is the one that",
        "handles the most training questions right on leave-one-corpus-out probabilities. Figures here count",
        "an answer right when it contains an expected string (the `kgqa eval` rule); the citations are not",
        "affected by calibration (`kgqa eval` reports them).",
        "",
        f"Regularisation C = {final.meta['C']} (leave-one-corpus-out log loss: "
        + ", ".join(f"{c}: {v:.3f}" for c, v in losses.items())
        + f"); threshold {t:.4f}.",
        "",
        "| corpus | split | questions | answer acc (fitted) | answer acc (left out) | abstention recall "
        "| false abstention | ECE |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in corpora:
        idx = by[c["name"]]
        sub = [rows[i] for i in idx]
        f = figures([fit_probs[i] for i in idx], sub, t)
        left = figures([oof_by[id(r)] for r in sub], sub, t) if c["split"] == "train" else f
        lines.append(
            f"| {c['name']} | {c['split']} | {f['questions']} | {f['answer_accuracy']} | {left['answer_accuracy']} "
            f"| {left['abstention_recall']} | {left['false_abstention']} | {left['ece']} |"
        )
    test_probs = probabilities(final, test)
    ft = figures(test_probs, test, t)
    lines += [
        "",
        f"Test split ({ft['questions']} questions, never used for fitting): answer accuracy {ft['answer_accuracy']}, "
        f"abstention recall {ft['abstention_recall']}, false abstention {ft['false_abstention']}, ECE {ft['ece']}.",
        "",
        "Reliability on the test split (10 bins of confidence):",
        "",
        "| confidence | questions | mean confidence | share right |",
        "| --- | --- | --- | --- |",
    ]
    for lo, n, mean, acc in reliability(test_probs, [r["right"] for r in test]):
        lines.append(f"| {lo:.1f}–{lo + 0.1:.1f} | {n} | {mean:.3f} | {acc:.3f} |")
    lines += ["", "Fitted weights (on standardised signals):", "", "| signal | weight |", "| --- | --- |"]
    lines += [f"| {f} | {w:+.3f} |" for f, w in zip(final.features, final.coef, strict=True)]
    lines.append(f"| (intercept) | {final.intercept:+.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
