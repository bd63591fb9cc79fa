"""Learned term weights as ranking signals, measured outside the fit on the train split.

The coverage signals weigh each word of a question by its idf alone. But some words of a question are seldom in
the line that answers it ("final", "value", "exactly", "meaning"), and others are in every candidate of the pool
(the name of what the notes are about) and tell none of them apart. For each question term this bench counts,
over the train questions of the other corpus groups, how often a passage holding a gold line covers it (P: in
its text or headings) and how much more often than the pool's other candidates do (D), each smoothed toward the
mean over all terms by ``smoothing`` questions' worth. From them, two signals of each candidate: the share of
the question's idf x P weight it covers, and the share of its idf x max(D, 0) weight.

It prints the answerable train questions whose first candidate holds a gold line, each corpus ranked by the
listwise weights fitted without it (as ``make fit`` measures the ranking), at each penalty of the fit's grid:
with the committed signals only, and with the two added at each smoothing. Nothing here changes the engine.

Run:
  .venv/bin/python bench/term_weights.py --corpora data/eval/corpora.json --cache .cache/fit

Read the train split only when deciding anything (``docs/evaluation.md``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread a process: the fits run side by side
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from fit import L2_GRID, fit_ranking_loco  # noqa: E402  (the ranking fit, measured as make fit measures it)

SMOOTHING = (2.0, 5.0, 20.0)  # questions' worth of the mean each term's counts are drawn toward
GROUPS = 10  # corpus groups the term weights are cross-fitted over

Row = dict[str, Any]  # corpus, keys: [(term key, idf)], candidates: [(ranking signals, holds gold, keys covered)]
Stats = tuple[dict[str, float], dict[str, float], float, float]  # P and D by term, and their means


def collect(corpus: dict[str, Any], cache: Path, root: Path) -> list[Row]:
    """One row per answerable question with a gold line among its candidates (at the fitted pool size)."""
    from fit import NEUTRAL

    from api.corpora import corpus_engine
    from kg.qa.answer import rank
    from kg.qa.evaluate import holds_gold, load_qa
    from kg.qa.retrieve import RANK_FEATURES, coverage_weights, pool_size
    from kg.settings import Settings

    engine = corpus_engine(Settings.from_env(), root, corpus, cache, calibration=NEUTRAL, question_map=None)
    index, out = engine.index, []
    for qa in corpus["qa"]:
        for item in load_qa(root / qa):
            if not item.get("source_lines") or not item.get("answers"):
                continue
            scored = rank(index, engine.embed, item["question"], (1.0,) * len(RANK_FEATURES), pool_size())
            keys = [(key, w) for key, w, _ in coverage_weights(index, scored.query)]
            cands = []
            for c in scored.ranked:
                body, head = index.passage_keys(c.passage)
                covered = frozenset(k for k, _ in keys if k in body or k in head)
                cands.append((list(c.features), holds_gold(item, c.passage), covered))
            if any(hit for _, hit, _ in cands):
                out.append({"corpus": corpus["name"], "keys": keys, "candidates": cands})
    return out


def term_stats(rows: list[Row], smoothing: float) -> Stats:
    """P (a gold passage covers the term) and D (P less the share of the other candidates that cover it) for
    every term of the rows' questions, each drawn toward its mean over all terms by ``smoothing``."""
    asked: dict[str, float] = defaultdict(float)
    gold: dict[str, float] = defaultdict(float)
    other: dict[str, float] = defaultdict(float)
    for r in rows:
        right = [c for _, hit, c in r["candidates"] if hit]
        wrong = [c for _, hit, c in r["candidates"] if not hit]
        for key, _ in r["keys"]:
            asked[key] += 1
            gold[key] += any(key in c for c in right)
            other[key] += sum(key in c for c in wrong) / max(1, len(wrong))
    total = sum(asked.values()) or 1.0
    p0, o0 = sum(gold.values()) / total, sum(other.values()) / total
    p = {k: (gold[k] + smoothing * p0) / (n + smoothing) for k, n in asked.items()}
    d = {k: p[k] - (other[k] + smoothing * o0) / (n + smoothing) for k, n in asked.items()}
    return p, d, p0, p0 - o0


def term_signals(row: Row, stats: Stats) -> list[list[float]]:
    """Each candidate's share of the question's idf x P weight and of its idf x max(D, 0) weight it covers."""
    p, d, p0, d0 = stats
    weights = [(key, w * p.get(key, p0), w * max(d.get(key, d0), 0.0)) for key, w in row["keys"]]
    total_p = sum(wp for _, wp, _ in weights) or 1.0
    total_d = sum(wd for _, _, wd in weights) or 1.0
    return [
        [
            sum(wp for key, wp, _ in weights if key in covered) / total_p,
            sum(wd for key, _, wd in weights if key in covered) / total_d,
        ]
        for _, _, covered in row["candidates"]
    ]


def cross_fitted(rows: list[Row], smoothing: float, groups: int = GROUPS) -> list[list[list[float]]]:
    """Each row's term signals, from term weights counted without its corpus's group."""
    names = sorted({r["corpus"] for r in rows})
    group = {name: i % groups for i, name in enumerate(names)}
    out: list[list[list[float]]] = [[] for _ in rows]
    for g in range(groups):
        stats = term_stats([r for r in rows if group[r["corpus"]] != g], smoothing)
        for i, r in enumerate(rows):
            if group[r["corpus"]] == g:
                out[i] = term_signals(r, stats)
    return out


def ranking_rows(rows: list[Row], extra: list[list[list[float]]] | None) -> list[Row]:
    """The rows as the ranking fit reads them, with the extra signals after the committed ones."""
    return [
        {
            "corpus": r["corpus"],
            "candidates": [
                (feats + (extra[i][j] if extra else []), hit) for j, (feats, hit, _) in enumerate(r["candidates"])
            ],
        }
        for i, r in enumerate(rows)
    ]


def loco_hits(rows: list[Row]) -> dict[float, int]:
    """At each penalty of the fit's grid, the questions whose first candidate holds a gold line, each corpus
    ranked by weights fitted without it (``make fit``'s own leave-one-corpus-out measure)."""
    return {l2: round(share * len(rows)) for l2, share in fit_ranking_loco(rows)[2].items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=ROOT / "data/eval/corpora.json", help="a corpora file")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache/fit", help="indexes of the corpora")
    ap.add_argument("--split", default="train", help="the corpora of this split (default: train)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: %(default)s)")
    args = ap.parse_args()
    from api.corpora import load_corpora

    root, entries = load_corpora(args.corpora)
    corpora = [c for c in entries if c["split"] == args.split]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max(1, args.jobs), mp_context=ctx) as ex:
        rows = [
            r for part in ex.map(collect, corpora, [args.cache] * len(corpora), [root] * len(corpora)) for r in part
        ]
        variants = {"committed signals": ranking_rows(rows, None)}
        for s in SMOOTHING:
            variants[f"+ term weights, smoothing {s:g}"] = ranking_rows(rows, cross_fitted(rows, s))
        found = dict(zip(variants, ex.map(loco_hits, variants.values()), strict=True))
    print(
        f"{len(corpora)} {args.split} corpora, {len(rows)} answerable questions with a gold line among the candidates."
    )
    print("First candidate holds a gold line, leave-one-corpus-out:\n")
    print("| signals | " + " | ".join(f"l2 {l2:g}" for l2 in L2_GRID) + " |")
    print("| --- |" + " --- |" * len(L2_GRID))
    for name in variants:
        print(f"| {name} | " + " | ".join(str(found[name][l2]) for l2 in L2_GRID) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
