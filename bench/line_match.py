"""The question matched piece by piece against the answer's own text (``kg.qa.pieces``, built into the
confidence as ``piece_mean`` and ``piece_least``): what the stored form of the pieces costs or keeps, and the
match as a ranking signal, measured outside the fit, on the train split only.

The index keeps each passage's pieces in 8 bits on the model's 384 dimensions. This script reads the question and
the first citation's text through the model piece by piece (torch, float) and recomputes the two confidence signals
in other stored forms: as the model gives them, the first 64 pieces only, in 8 bits, on the 64 principal axes of
the train lines' pieces, and on those axes in 8 bits (what a smaller index would keep); and without the match (both
signals 0). Each form replaces the two built-in columns of the rows ``make fit`` kept
(``CACHE/train-signals.json``, whose words models' signals were fitted without each corpus); the confidence is
refitted with each corpus left out in turn (``make fit``'s ``out_of_corpus``) at each regularisation of the fit's
grid, and at the one with the least leave-one-corpus-out log loss, train questions are counted handled right as the
fit counts them (thresholds by kind, the smoothing chosen without each corpus).

With ``--index DIR``, what the pieces cost on a built index: the pieces of every passage's own text, their size
in 8 bits on 384 dimensions and on 64 axes, and the time the query encoder (ONNX, as ``answer()`` loads it)
takes to read one passage's own text.

With ``--ranking``, each candidate's match (the question against the candidate's own text, read by the model)
as a ranking signal: right passage first, each corpus ranked by ``make fit``'s listwise weights fitted without
it, with the committed ranking signals and with the match added.

Run (after ``scripts/fit.py --cache CACHE``, which writes ``CACHE/train-signals.json``):
  .venv/bin/python bench/line_match.py --corpora data/eval/corpora.json --cache .cache/fit
  .venv/bin/python bench/line_match.py --index data/index
  .venv/bin/python bench/line_match.py --corpora data/eval/corpora.json --cache .cache/fit --ranking

Read the train split only when deciding anything (``docs/evaluation.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from fit import (  # noqa: E402  (the fit's own grids, threshold rule, loss and fits)
    C_GRID,
    fit_ranking_loco,
    fit_thresholds,
    log_loss,
    out_of_corpus,
)

from kg.qa.calibrate import FEATURES  # noqa: E402
from kg.qa.pieces import content_pieces  # noqa: E402  (the engine's own choice of a question's pieces)

BUILT_IN = [FEATURES.index("piece_mean"), FEATURES.index("piece_least")]  # the confidence's columns of the match

LOW = 0.6  # a piece "not said" in the line below this cosine (the second variant's share)
KEEP = 64  # pieces of a line kept in the truncated variant
AXES = 64  # principal axes of the projected variant


def answer_lines(corpora: Path, cache: Path, read: str = "line") -> list[dict[str, Any]]:
    """Every train question answered with abstention off: its corpus, question and the text read against it:
    the first citation's (``line``) or the own text of the passage it cites (``passage``, what an index keeps
    for each passage)."""
    from api.corpora import split_questions
    from kg.settings import Settings

    out = []
    for corpus, engine, item in split_questions(Settings.from_env(), corpora, cache, "train"):
        ans = engine.answer(item["question"], threshold=0.0)
        first = ans.citations[0] if ans.citations else None
        line = "" if first is None else first.text
        if read == "passage" and first is not None and first.passage_id in engine.index.by_id:
            line = engine.index.by_id[first.passage_id].text
        out.append({"corpus": corpus["name"], "question": item["question"], "line": line})
    return out


def token_vectors(texts: list[str]) -> list[tuple[list[str], np.ndarray]]:
    """Each text's pieces and their contextual vectors (the markers included), unit length."""
    from sentence_transformers import SentenceTransformer

    from kg.embed import model_path

    model = SentenceTransformer(str(model_path()), device="cpu")
    tok = model.tokenizer
    out = []
    vecs = model.encode(texts, output_value="token_embeddings", batch_size=64, convert_to_numpy=False)
    for text, v in zip(texts, vecs, strict=True):
        ids = tok(text, truncation=True, max_length=model.max_seq_length)["input_ids"]  # as the model read it
        m = v.numpy().astype(np.float32)
        out.append((tok.convert_ids_to_tokens(ids), m / np.linalg.norm(m, axis=1, keepdims=True)))
    return out


def match(
    q: tuple[list[str], np.ndarray],
    line: tuple[list[str], np.ndarray],
    stopwords: frozenset[str],
    keep: int | None = None,
    basis: tuple[np.ndarray, np.ndarray] | None = None,
    int8: bool = False,
) -> list[float]:
    """The mean, the least and the share under ``LOW`` of the question's content pieces' best cosines against
    the line's pieces (markers left out); zeros for a question of no content pieces or an empty line."""
    idx = content_pieces(q[0], stopwords)
    lv = line[1][1:-1][:keep]
    if not idx or not len(lv):
        return [0.0, 0.0, 0.0]
    qv = q[1][idx]
    if basis is not None:
        mean, axes = basis
        qv, lv = (qv - mean) @ axes, (lv - mean) @ axes
        qv = qv / np.linalg.norm(qv, axis=1, keepdims=True)
        lv = lv / np.linalg.norm(lv, axis=1, keepdims=True)
    if int8:  # each piece's vector scaled to its largest value, as an index would keep it
        step = np.abs(lv).max(axis=1, keepdims=True) / 127
        lv = np.round(lv / step) * step
    best = (qv @ lv.T).max(axis=1)
    return [float(best.mean()), float(best.min()), float((best < LOW).mean())]


def principal_axes(lines: list[tuple[list[str], np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the first ``n`` principal axes of the lines' pieces (markers left out)."""
    x = np.concatenate([v[1:-1] for _, v in lines if len(v) > 2])
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean, vt[:n].T


def measure(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The regularisation of least leave-one-corpus-out log loss, that loss, and train questions handled right
    as make fit counts them (its smoothing curve and the count with the smoothing chosen without each corpus)."""
    losses = {c: (probs := out_of_corpus(rows, c), log_loss(probs, rows)) for c in C_GRID}
    c = min(C_GRID, key=lambda k: (losses[k][1], k))
    smoothing, _, curve, loco = fit_thresholds(losses[c][0], rows)
    return {"c": c, "log_loss": round(losses[c][1], 4), "smoothing": smoothing, "curve": curve, "handled": loco}


def with_match(rows: list[dict[str, Any]], values: list[list[float]]) -> list[dict[str, Any]]:
    """``rows`` with the confidence's two columns of the match (mean, least) replaced by ``values``."""
    out = []
    for r, v in zip(rows, values, strict=True):
        sig = list(r["signals"])
        for col, x in zip(BUILT_IN, v, strict=True):
            sig[col] = x
        out.append({**r, "signals": sig})
    return out


def index_costs(folder: Path, rounds: int = 3) -> str:
    """The pieces of every passage's own text in the index at ``folder``, what keeping them would take, and the
    query encoder's time for one passage's own text (each passage once a round, after one warm-up pass)."""
    import time

    from kg.qa.engine import query_embedder
    from kg.qa.index import Index
    from kg.settings import Settings

    texts = [p.text for p in Index.load(folder).passages]
    embedder = query_embedder(Settings.from_env())
    tokenizer = embedder.tokenizer if hasattr(embedder, "session") else None
    if tokenizer is None:
        raise SystemExit("the ONNX query encoder did not load: this measures its time")
    pieces = np.array([len(e.ids) - 2 for e in tokenizer.encode_batch(texts)])
    for t in texts:
        embedder.encode([t])
    times = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter()
            embedder.encode([t])
            times.append((time.perf_counter() - start) * 1000)
    kept = int(np.minimum(pieces, KEEP).sum())
    return "\n".join(
        [
            f"{len(texts)} passages, {int(pieces.sum())} pieces in their own texts ({pieces.mean():.1f} a passage, "
            f"p95 {np.percentile(pieces, 95):.0f}); the first {KEEP} of each: {kept}",
            f"kept in 8 bits with one scale a piece: {kept * (384 + 4) / 1e6:.1f} MB on 384 dimensions, "
            f"{kept * (AXES + 4) / 1e6:.1f} MB on {AXES} axes",
            f"one passage's own text through the query encoder: p50 {np.percentile(times, 50):.2f} ms, "
            f"p95 {np.percentile(times, 95):.2f} ms ({len(times)} reads)",
        ]
    )


def ranking_rows(corpora: Path, cache: Path) -> list[dict[str, Any]]:
    """make fit's ranking rows (each answerable train question with a gold line among its candidates: every
    candidate's ranking signals and whether it holds a gold line), at the committed pool, with the question and
    each candidate's own text."""
    from api.corpora import split_questions
    from kg.qa.answer import rank
    from kg.qa.evaluate import holds_gold
    from kg.qa.retrieve import RANK_FEATURES
    from kg.settings import Settings

    pool = json.loads((ROOT / "kg" / "qa" / "ranking.json").read_text(encoding="utf-8"))["pool"]
    out = []
    for corpus, engine, item in split_questions(Settings.from_env(), corpora, cache, "train"):
        if not item.get("source_lines") or not item.get("answers"):
            continue
        scored = rank(engine.index, engine.embed, item["question"], (1.0,) * len(RANK_FEATURES), pool)
        cands = [(list(c.features), holds_gold(item, c.passage), c.passage.text) for c in scored.ranked]
        if any(hit for _, hit, _ in cands):
            out.append({"corpus": corpus["name"], "question": item["question"], "candidates": cands})
    return out


def ranking_gain(corpora: Path, cache: Path, stop: frozenset[str]) -> str:
    """Right passage first with each corpus ranked by weights fitted without it (make fit's listwise ranking),
    with the committed ranking signals and with each candidate's match added."""
    rows = ranking_rows(corpora, cache)
    texts = sorted({t for r in rows for _, _, t in r["candidates"]})
    pieces = dict(zip(texts, token_vectors(texts), strict=True))
    questions = token_vectors([r["question"] for r in rows])
    out = []
    for label, signals in (("committed signals", 0), ("+ mean", 1), ("+ mean, least, share under 0.6", 3)):
        fit_rows = [
            {
                "corpus": r["corpus"],
                "candidates": [(f + match(q, pieces[t], stop)[:signals], hit) for f, hit, t in r["candidates"]],
            }
            for r, q in zip(rows, questions, strict=True)
        ]
        _, l2, loco, _ = fit_ranking_loco(fit_rows)
        out.append(f"{label}: right passage first {round(loco[l2] * len(rows))} of {len(rows)} (penalty {l2})")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=ROOT / "data/eval/corpora.json", help="a corpora file")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache/fit", help="make fit's cache (its indexes and rows)")
    ap.add_argument(
        "--read",
        choices=("line", "passage"),
        default="line",
        help="the text matched: the answer's first citation (default) or the own text of the passage it cites",
    )
    ap.add_argument("--index", type=Path, help="measure what the pieces would cost on this built index instead")
    ap.add_argument("--ranking", action="store_true", help="measure each candidate's match as a ranking signal instead")
    args = ap.parse_args()
    if args.index:
        print(index_costs(args.index))
        return 0
    from kg.vocab import STOPWORDS

    if args.ranking:
        print(ranking_gain(args.corpora, args.cache, frozenset(STOPWORDS)))
        return 0

    rows = json.loads((args.cache / "train-signals.json").read_text(encoding="utf-8"))
    answered = answer_lines(args.corpora, args.cache, args.read)
    if [(r["corpus"], r["question"]) for r in rows] != [(a["corpus"], a["question"]) for a in answered]:
        raise SystemExit("train-signals.json holds other questions than the corpora file: run make fit on it first")
    questions = token_vectors([r["question"] for r in rows])
    lines = token_vectors([a["line"] for a in answered])
    stop = frozenset(STOPWORDS)
    basis = principal_axes(lines, AXES)
    variants: dict[str, dict[str, Any]] = {
        "as the model gives them": {},
        f"first {KEEP} pieces": {"keep": KEEP},
        "8-bit": {"int8": True},
        f"{AXES} principal axes": {"basis": basis},
        f"{AXES} principal axes, 8-bit": {"basis": basis, "int8": True},
    }
    print(f"{len(rows)} train questions; built in (the index's 8-bit pieces): {measure(rows)}")
    print(f"without the match: {measure(with_match(rows, [[0.0, 0.0]] * len(rows)))}")
    for name, kw in variants.items():
        m = [match(q, line, stop, **kw)[:2] for q, line in zip(questions, lines, strict=True)]
        print(f"{name}: {measure(with_match(rows, m))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
