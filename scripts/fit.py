"""Fit the ranking weights, the answer confidence and the abstention threshold (``make fit``).

Every corpus of ``data/eval/corpora.json`` is ingested (into ``.cache/fit``, a no-op when unchanged). Only
the train split is fitted on:

0. **Question map**, with ``--question-map`` only (measured and not kept: ``docs/evaluation.md``): a matrix
   read over every question's vector, fitted so that the mapped vector sits nearer the passages holding the
   question's gold lines than the other passages of its notes; its temperature and penalty chosen by held-out
   top-1 hits over groups of train corpora (``scripts/question_map_fit.py``). The steps below read a train
   corpus's questions with the map fitted without its group, the test split's with the one fitted on every
   train corpus. → ``kg/qa/question_map.npy`` (how: ``kg/qa/ranking.json``); without the option, a map file
   left by an earlier fit is removed, since the weights fitted now do not read questions through it.
1. **Ranking**: for every answerable question, the signals of each candidate passage and whether it holds a
   gold line; a listwise linear model (a softmax over each question's candidates, its loss minus the log of what
   the right passages get) gives the weights of the fused score, its penalty chosen by leave-one-corpus-out
   top-1 hits. → ``kg/qa/ranking.json``
2. **Confidence**: every question answered with abstention off, recording the signals the confidence reads
   and whether the answer is right; a train corpus is ranked by weights fitted on the other train corpora
   (cross-fitting: the confidence learns how a ranking behaves on notes it was not fitted on); a logistic
   model, its regularisation chosen by leave-one-corpus-out log loss, its abstention thresholds the confidence
   from which answering handles a question right more often than abstaining, one for each kind of answer asked
   for (``kind_thresholds``: how often a wrong answer is to a question the notes do not answer differs by kind),
   each drawn toward the one over all questions by a smoothing chosen by leave-one-corpus-out. Two
   of its signals are logistic models of the question's words, fitted on the train questions first: whether
   the answer is a figure, and whether the notes hold an answer at all. → ``kg/qa/calibration.json``

Between the two, **the two-step hand-over** (``Bridge``: how what the first step of a two-step question finds is
passed to its second step, and how many of the first step's best passages are followed, the reading whose two
steps rank their passages highest together kept) is chosen from ``BRIDGE_GRID`` by the most train two-step questions
answered right, each train corpus answered with the ranking weights fitted without it; the confidence is then collected
with it (a train corpus with the hand-over chosen without it). → ``kg/qa/ranking.json``

All steps run once for each pool size of ``POOL_GRID`` (passages taken from each of the vector and the keyword
search); the pool kept is the one whose leave-one-corpus-out probabilities and thresholds handle the most train
questions right (the smaller on ties), stored with the ranking weights.

``--only-bridge`` refits the hand-over alone, every train corpus answered with the committed ranking weights and
pool; the ranking and the confidence stay as they are (for a change to two-step answering that computes no new
signal).

The per-corpus figures (fitted, leave-one-corpus-out, test) go to ``docs/calibration.md``; the rows fitted on
stay in the cache for inspection, one file per split (``train-candidates.json``, ``train-signals.json``; the
test split's beside them, never to be read for fitting). Deterministic: same code and data, same files.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.corpora import corpus_engine, corpus_settings, load_corpora  # noqa: E402
from ingest.pipeline import build_index  # noqa: E402
from kg.errors import ConfigError, KgqaError  # noqa: E402
from kg.model import QuestionKind  # noqa: E402
from kg.qa.answer import Rankings, rank  # noqa: E402
from kg.qa.calibrate import (  # noqa: E402
    CALIBRATION,
    FEATURES,
    Calibration,
    asked_kind,
    question_words,
    word_signals,
    words_probability,
)
from kg.qa.engine import Engine  # noqa: E402
from kg.qa.evaluate import answer_correct, ece, holds_gold, load_qa, reliability  # noqa: E402
from kg.qa.question import analyse  # noqa: E402
from kg.qa.question_map import QUESTION_MAP, QuestionMap, question_map_for, save_question_map  # noqa: E402
from kg.qa.retrieve import (  # noqa: E402
    BRIDGE_GRID,
    RANK_FEATURES,
    RANKING,
    Bridge,
    load_bridge,
    load_ranking,
    load_weights,
)
from kg.settings import Settings  # noqa: E402
from scripts.question_map_fit import MapFit, corpus_data, fit_question_map  # noqa: E402

NEUTRAL = Calibration(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES), (0.0,) * len(FEATURES), 0.0, 0.0)
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # regularisation strengths of the confidence tried; the data picks one
# How far each kind's abstention threshold is drawn toward the one over all questions, as a count of wrong answers
# at the overall share of unanswerable questions added to the kind's own; the data picks one
SMOOTHING_GRID = (0, 10, 30, 100, 300, 1000)
L2_GRID = (1e-6, 1e-5, 1e-4)  # penalties on the squared ranking weights tried; the data picks one
# Pool sizes tried; the data picks one. 60 handled 4 more of 905 train questions than 40 on eighteen corpora,
# but at x86 (126,055 lines) it took answer() p50 to 15.8 ms against the 15 ms target (13.8 ms with 40):
# the grid stops where the latency target does (docs/benchmarks.md).
POOL_GRID = (20, 30, 40)
# The corpora fitted on (their train split) and reported on by default: the notes corpora. Real documentation
# (data/eval/corpora_docs.json) can be added with a second --corpora; it needs folders outside the project.
CORPORA = (ROOT / "data" / "eval" / "corpora.json",)


def load_all(paths: list[Path]) -> tuple[Path, list[dict[str, Any]]]:
    """The corpora of several corpora files, their notes and question sets made absolute (so one root serves
    all); a corpus whose notes folder is absent is an error, since fitting without it would write other files."""
    corpora: list[dict[str, Any]] = []
    for path in paths:
        root, found = load_corpora(path)
        for c in found:
            notes = root / c["notes"]
            if not notes.is_dir():
                raise ConfigError(f"{path}: the notes of {c['name']} are not on this machine ({notes})")
            corpora.append({**c, "notes": str(notes), "qa": [str(root / q) for q in c["qa"]]})
    names = [c["name"] for c in corpora]
    if len(set(names)) != len(names):
        raise ConfigError(f"corpus names repeat across {', '.join(map(str, paths))}")
    return ROOT, corpora


def _engine(corpus: dict[str, Any], cache: Path, root: Path, qmap: QuestionMap | None) -> Engine:
    # abstention is off while fitting: the calibration is not read
    return corpus_engine(Settings.from_env(), root, corpus, cache, calibration=NEUTRAL, question_map=qmap)


def collect_candidates(
    corpus: dict[str, Any], cache: Path, root: Path, pool: int, qmap: QuestionMap | None
) -> list[dict[str, Any]]:
    """One row per answerable question: each candidate's ranking signals and whether it holds a gold line, its
    question read through ``qmap``."""
    engine = _engine(corpus, cache, root, qmap)
    out = []
    for qa in corpus["qa"]:
        for item in load_qa(root / qa):
            if not item.get("source_lines") or not item.get("answers"):
                continue
            # the signals do not depend on the weights: any will do, even before a first fit
            scored = rank(engine.index, engine.embed, item["question"], (1.0,) * len(RANK_FEATURES), pool)
            cands = [(list(c.features), holds_gold(item, c.passage)) for c in scored.ranked]
            if any(hit for _, hit in cands):
                out.append({"corpus": corpus["name"], "id": item.get("id"), "candidates": cands})
    return out


def fit_ranking(rows: list[dict[str, Any]], l2: float) -> tuple[float, ...]:
    """The ranking weights, L1-normalised, of ``listwise`` fitted on these rows."""
    w = listwise(rows, l2)
    return tuple(float(v) for v in w / np.abs(w).sum())


def listwise(rows: list[dict[str, Any]], l2: float) -> np.ndarray:
    """Listwise linear model: each question's candidates compete in one softmax over their scores, and the loss
    is minus the log of the share the question's right passages get (the top-one loss of ListNet), averaged over
    questions, plus ``l2`` times the squared weights. Strictly convex, fitted by L-BFGS from zero: the same
    rows give the same weights. Unlike a pairwise model, every question counts once however many
    candidates it has, and what is fitted is which passage comes first, as the answer reads it."""
    from scipy.optimize import minimize

    x = np.array([f for r in rows for f, _ in r["candidates"]], dtype=float)
    right = np.array([hit for r in rows for _, hit in r["candidates"]], dtype=bool)
    question = np.repeat(np.arange(len(rows)), [len(r["candidates"]) for r in rows])
    n = len(rows)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = x @ w
        top = np.full(n, -np.inf)
        np.maximum.at(top, question, s)
        e = np.exp(s - top[question])
        every, good = np.zeros(n), np.zeros(n)
        np.add.at(every, question, e)
        np.add.at(good, question, np.where(right, e, 0.0))
        value = float(np.log(every).sum() - np.log(good).sum()) / n + l2 * float(w @ w)
        share = e / every[question] - np.where(right, e / good[question], 0.0)
        return value, (share @ x) / n + 2 * l2 * w

    return np.asarray(minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 5000}).x)


def top1_hits(rows: list[dict[str, Any]], weights: tuple[float, ...]) -> float:
    """Share of questions whose best-scored candidate holds a gold line (first in list order on ties)."""
    hits = 0
    for r in rows:
        scores = [float(np.dot(weights, f)) for f, _ in r["candidates"]]
        best = max(range(len(scores)), key=lambda i: (round(scores[i], 9), -i))
        hits += bool(r["candidates"][best][1])
    return hits / max(1, len(rows))


def fit_ranking_loco(
    rows: list[dict[str, Any]],
) -> tuple[tuple[float, ...], float, dict[float, float], dict[str, tuple[float, ...]]]:
    """The weights fitted on all rows with the penalty of the best leave-one-corpus-out top-1, that penalty, the
    top-1 of every one tried, and for each corpus the weights fitted without it (for the cross-fitting)."""
    names = sorted({r["corpus"] for r in rows})
    loco: dict[float, float] = {}
    without: dict[float, dict[str, tuple[float, ...]]] = {}
    for l2 in L2_GRID:
        hits = 0.0
        without[l2] = {}
        for name in names:
            held = [r for r in rows if r["corpus"] == name]
            without[l2][name] = fit_ranking([r for r in rows if r["corpus"] != name], l2)
            hits += top1_hits(held, without[l2][name]) * len(held)
        loco[l2] = hits / len(rows)
    best = max(L2_GRID, key=lambda l2: (round(loco[l2], 9), l2))
    return fit_ranking(rows, best), best, loco, without[best]


BRIDGES = tuple(Bridge(*values) for values in product(*(BRIDGE_GRID[f] for f in Bridge._fields)))  # every setting


def bridge_hits(
    corpus: dict[str, Any], cache: Path, root: Path, weights: tuple[float, ...], pool: int, qmap: QuestionMap | None
) -> list[dict[Bridge, bool]]:
    """For each answerable question of the corpus that is answered in two steps: whether its answer (abstention
    off) is right with each hand-over of the grid."""
    engine = _engine(corpus, cache, root, qmap)
    lexicon = engine.index.lexicon
    out = []
    for qa in corpus["qa"]:
        for item in load_qa(root / qa):
            q = item["question"]
            if not item.get("answers"):
                continue
            query = analyse(q, lexicon, lexicon.normalise(q))
            if query.kind is not QuestionKind.MULTI_HOP or not query.clauses:
                continue
            # every hand-over ranks the question and its first clause alike, and many hand the same words on
            rankings: Rankings = {}
            out.append(
                {
                    b: answer_correct(
                        item, engine.answer(q, threshold=0.0, weights=weights, pool=pool, bridge=b, rankings=rankings)
                    )
                    for b in BRIDGES
                }
            )
    return out


def best_bridge(hits: list[dict[Bridge, bool]]) -> Bridge:
    """The hand-over answering the most of these questions right; on ties the one handing over least (the
    shortest labels, fewest words and names)."""
    return max(BRIDGES, key=lambda b: (sum(h[b] for h in hits), [-v for v in b]))


def fit_bridge_loco(by_corpus: dict[str, list[dict[Bridge, bool]]]) -> tuple[Bridge, dict[str, Bridge], int, int]:
    """The hand-over chosen on all train corpora; for each corpus the one chosen without it; how many two-step
    questions each corpus's left-out choice answers right; and how many the full choice does."""
    every = [h for hits in by_corpus.values() for h in hits]
    best = best_bridge(every)
    without = {name: best_bridge([h for n, hs in by_corpus.items() if n != name for h in hs]) for name in by_corpus}
    loco = sum(h[without[name]] for name, hits in by_corpus.items() for h in hits)
    return best, without, loco, sum(h[best] for h in every)


def collect(
    corpus: dict[str, Any],
    cache: Path,
    root: Path,
    weights: tuple[float, ...] | None,
    pool: int,
    bridge: Bridge | None,
    qmap: QuestionMap | None,
) -> list[dict[str, Any]]:
    """One row per question: signals, whether the never-abstaining answer is right, and labels; ranked by
    ``weights`` (None: the fitted ones) over pools of ``pool`` passages, two-step questions handed over by
    ``bridge`` (None: the fitted one), questions read through ``qmap``."""
    engine = _engine(corpus, cache, root, qmap)
    rows = []
    for qa in corpus["qa"]:
        for item in load_qa(root / qa):
            sig: dict[str, float] = {}
            ans = engine.answer(
                item["question"], threshold=0.0, signals_out=sig, weights=weights, pool=pool, bridge=bridge
            )
            rows.append(
                {
                    "corpus": corpus["name"],
                    "id": item.get("id"),
                    "type": item.get("type"),
                    "answerable": bool(item.get("answers")),
                    "right": bool(item.get("answers")) and answer_correct(item, ans),
                    "question": item["question"],
                    "figure": any(ch.isdigit() for a in item.get("answers") or [] for ch in a),
                    "signals": [sig.get(f, 0.0) for f in FEATURES],
                }
            )
    return rows


def _words_data(rows: list[dict[str, Any]], vocab: list[str]) -> Any:
    from scipy.sparse import lil_matrix

    col = {w: j for j, w in enumerate(vocab)}
    x = lil_matrix((len(rows), len(vocab)))
    for i, r in enumerate(rows):
        for w in question_words(r["question"]):
            if w in col:
                x[i, col[w]] = 1.0
    return x.tocsr()


# What each words model predicts from a question's words, and of which train questions: whether an expected
# answer is a figure (holds a digit), of the answerable questions; whether the notes answer it, of all.
WORDS_LABELS = {"figure": lambda r: r["answerable"], "answerable": lambda r: True}


def fit_words(rows: list[dict[str, Any]], c: float, label: str = "figure") -> dict[str, float]:
    """Which words of a question tell ``label`` (``WORDS_LABELS``): a logistic model over the questions it is
    fitted on, of the words of the questions of three corpora at least (a word of one set of notes says
    nothing of others). Returns the nonzero weights, the intercept under ""."""
    from sklearn.linear_model import LogisticRegression

    rows = [r for r in rows if WORDS_LABELS[label](r)]
    corpora_of: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        for w in question_words(r["question"]):
            corpora_of[w].add(r["corpus"])
    vocab = sorted(w for w, seen in corpora_of.items() if len(seen) >= 3)
    y = np.array([r[label] for r in rows], dtype=int)
    model = LogisticRegression(C=c, max_iter=5000).fit(_words_data(rows, vocab), y)
    rounded = {w: round(float(v), 4) for w, v in zip(vocab, model.coef_[0], strict=True)}
    return {"": round(float(model.intercept_[0]), 4), **{w: v for w, v in rounded.items() if v}}


def fit_words_loco(train: list[dict[str, Any]], label: str = "figure") -> tuple[float, dict[str, dict[str, float]]]:
    """A words model's regularisation, by leave-one-corpus-out log loss over the train questions it reads,
    and for each train corpus the model fitted without it."""
    names = sorted({r["corpus"] for r in train})
    read = [r for r in train if WORDS_LABELS[label](r)]
    losses, without = {}, {}
    for c in C_GRID:
        models = {n: fit_words([r for r in train if r["corpus"] != n], c, label) for n in names}
        probs = [words_probability(models[r["corpus"]], r["question"]) for r in read]
        losses[c] = log_loss(probs, read, label=label)
        without[c] = models
    best = min(C_GRID, key=lambda c: (losses[c], c))
    return best, without[best]


def with_word_signals(
    rows: list[dict[str, Any]], figure_words: dict[str, float], answerable_words: dict[str, float]
) -> list[dict[str, Any]]:
    """The rows with the signals the words models give (``word_signals``)."""
    cal = replace(NEUTRAL, figure_words=figure_words, answerable_words=answerable_words)
    at = {name: i for i, name in enumerate(FEATURES)}
    out = []
    for r in rows:
        sig = list(r["signals"])
        for name, value in word_signals(cal, r["question"], {"numberless": sig[at["numberless"]]}).items():
            sig[at[name]] = value
        out.append({**r, "signals": sig})
    return out


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


def row_signals(row: dict[str, Any]) -> dict[str, float]:
    """A row's signals by name, as the engine hands them to the calibration."""
    return dict(zip(FEATURES, row["signals"], strict=True))


def probabilities(cal: Calibration, rows: list[dict[str, Any]]) -> list[float]:
    return [cal.probability(row_signals(r)) for r in rows]


def out_of_corpus(rows: list[dict[str, Any]], c: float) -> list[float]:
    """Each corpus's probabilities from a model fitted on the other corpora."""
    probs = [0.0] * len(rows)
    for name in sorted({r["corpus"] for r in rows}):
        model = fit_model([r for r in rows if r["corpus"] != name], c)
        for i, r in enumerate(rows):
            if r["corpus"] == name:
                probs[i] = probabilities(model, [r])[0]
    return probs


def log_loss(probs: list[float], rows: list[dict[str, Any]], label: str = "right") -> float:
    """Mean log loss of ``probs`` against each row's ``label`` (whether the answer is right, by default)."""
    p = np.clip(np.array(probs), 1e-6, 1 - 1e-6)
    y = np.array([r[label] for r in rows], dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def row_kind(row: dict[str, Any]) -> str | None:
    """The kind of answer a row's question asked for, read from its signals as the engine reads it (None for a
    row without them)."""
    return asked_kind(row_signals(row)) if "signals" in row else None


Counts = dict[str | None, tuple[int, int]]  # by kind asked for (None: every kind): wrong answers, unanswerable ones


def _counts(rows: list[dict[str, Any]]) -> Counts:
    """The answers wrong with abstention off, and how many of them are to unanswerable questions, by kind."""
    out: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if not r["right"]:
            for key in {None, row_kind(r)}:
                out[key][0] += 1
                out[key][1] += not r["answerable"]
    return {k: (w, u) for k, (w, u) in out.items()}


def _less(a: Counts, b: Counts) -> Counts:
    return {k: (w - b.get(k, (0, 0))[0], u - b.get(k, (0, 0))[1]) for k, (w, u) in a.items()}


def _break_even(share: float) -> float:
    return round(share / (1 + share), 4)


Smoothing = float | dict[str | None, float]  # one for every kind, or one for each kind (None: the rest's)


def _thresholds(counts: Counts, smoothing: Smoothing) -> tuple[float, dict[str, float]]:
    """The threshold over all questions, and each kind's drawn toward it by ``smoothing`` wrong answers (one
    number for every kind, or a number for each kind with None's for a kind not named)."""
    wrong, unanswerable = counts.get(None, (0, 0))
    overall = unanswerable / max(1, wrong)

    def weight(kind: str) -> float:
        return smoothing if not isinstance(smoothing, dict) else smoothing.get(kind, smoothing.get(None, 0.0))

    by_kind = {
        kind: _break_even((u + weight(kind) * overall) / max(1e-9, w + weight(kind)))
        for kind, (w, u) in counts.items()
        if kind is not None
    }
    return _break_even(overall), by_kind


def decision_threshold(rows: list[dict[str, Any]]) -> float:
    """The confidence from which answering handles a question right more often than abstaining. An answer of
    confidence p (a calibrated probability) is right with probability p; an abstention is right when the
    notes do not say, which on the training questions is so for a share u of the answers that are wrong
    (abstention off), so about u (1 - p). Answering wins from p = u (1 - p), at t = u / (1 + u). A ratio of
    two large counts, t is steady, where the count of questions handled right is flat over a wide range of
    thresholds and its best point moves with single questions."""
    return _thresholds(_counts(rows), 0)[0]


def kind_thresholds(rows: list[dict[str, Any]], smoothing: float) -> dict[str, float]:
    """The abstention threshold for each kind of answer asked for: ``decision_threshold``'s rule within the
    kind, u_k the share of unanswerable questions among its wrong answers, drawn toward the share over all
    questions as if ``smoothing`` more wrong answers at that share were counted (unsmoothed, a kind the training
    questions rarely ask of notes that lack the answer, such as a two-step question, gets a threshold near 0)."""
    return _thresholds(_counts(rows), smoothing)[1]


class LeftOut:
    """Rows with their leave-one-corpus-out probabilities, counted handled right with each corpus read at
    abstention thresholds counted without it."""

    def __init__(self, probs: list[float], rows: list[dict[str, Any]]) -> None:
        self.probs, self.rows = probs, rows
        self.kinds = [row_kind(r) for r in rows]
        self.by: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            self.by[r["corpus"]].append(i)
        self.every = _counts(rows)
        self.own = {name: _counts([rows[i] for i in idx]) for name, idx in self.by.items()}

    def handled(self, names: list[str], smoothing: Smoothing, without: str | None = None, kind: Any = ...) -> int:
        """The rows of corpora ``names`` (of ``kind`` only, unless ...) handled right, each corpus read at
        thresholds counted without it (and without corpus ``without``)."""
        n = 0
        for name in names:
            counts = _less(self.every, self.own[name])
            if without is not None:
                counts = _less(counts, self.own[without])
            overall, by_kind = _thresholds(counts, smoothing)
            idx = [i for i in self.by[name] if kind is ... or self.kinds[i] == kind]
            ts = [by_kind.get(self.kinds[i] or "", overall) for i in idx]
            n += handled_right([self.probs[i] for i in idx], [self.rows[i] for i in idx], ts)
        return n


def fit_thresholds(probs: list[float], rows: list[dict[str, Any]]) -> tuple[int, dict[str, float], dict[int, int], int]:
    """The smoothing of the kinds' thresholds, chosen by the most rows handled right with each corpus read at
    thresholds counted without it (the more smoothing on ties); the kinds' thresholds counted on all rows;
    that count for each smoothing tried; and the leave-one-corpus-out count, each corpus read at thresholds
    counted without it, with the smoothing chosen without it."""
    left = LeftOut(probs, rows)

    def best(names: list[str], without: str | None = None) -> int:
        return max(SMOOTHING_GRID, key=lambda m: (left.handled(names, m, without), m))

    names = sorted(left.by)
    curve = {m: left.handled(names, m) for m in SMOOTHING_GRID}
    chosen = max(SMOOTHING_GRID, key=lambda m: (curve[m], m))
    loco = sum(left.handled([name], best([c for c in names if c != name], name)) for name in names)
    return chosen, kind_thresholds(rows, chosen), curve, loco


def row_thresholds(cal: Calibration, rows: list[dict[str, Any]]) -> list[float]:
    """Each row's abstention threshold: the calibration's for the kind its question asked for."""
    return [cal.threshold_for(row_signals(r)) for r in rows]


def figures(probs: list[float], rows: list[dict[str, Any]], ts: list[float]) -> dict[str, float]:
    """Answer accuracy, abstention recall and false abstention of ``rows`` read at their thresholds ``ts``, and
    the calibration error of ``probs``."""
    ans = [(p, r, t) for p, r, t in zip(probs, rows, ts, strict=True) if r["answerable"]]
    una = [(p, t) for p, r, t in zip(probs, rows, ts, strict=True) if not r["answerable"]]
    return {
        "questions": len(rows),
        "answer_accuracy": round(sum(1 for p, r, t in ans if r["right"] and p >= t) / max(1, len(ans)), 3),
        "abstention_recall": round(sum(1 for p, t in una if p < t) / max(1, len(una)), 3),
        "false_abstention": round(sum(1 for p, _, t in ans if p < t) / max(1, len(ans)), 3),
        "ece": round(ece(probs, [r["right"] for r in rows]), 3),
    }


@dataclass
class Fitted:
    """Everything fitted at one pool size, and how it did on the train split."""

    pool: int
    cand_rows: list[dict[str, Any]]
    cand_train: list[dict[str, Any]]  # the train split's rows of cand_rows: what the ranking was fitted on
    weights: tuple[float, ...]
    rank_l2: float
    loco_rank: dict[float, float]
    bridge: Bridge
    bridge_figures: dict[str, int]  # two-step train questions: count, right with the choice, left-out choices
    rows: list[dict[str, Any]]
    train: list[dict[str, Any]]
    test: list[dict[str, Any]]
    losses: dict[float, float]
    oof: list[float]
    calibration: Calibration
    handled: int  # train questions handled right on leave-one-corpus-out probabilities and thresholds
    handled_overall: int  # ... read at the threshold over all kinds instead of the kind's
    smoothing_curve: dict[int, int]  # train questions handled right (thresholds counted without each corpus)


def fit_pool(corpora: list[dict[str, Any]], cache: Path, root: Path, pool: int, maps: MapFit | None) -> Fitted:
    split = {c["name"]: c["split"] for c in corpora}
    # a train corpus's questions are read by the question map fitted without it, the test split's by the final one
    qmap = {c["name"]: maps.without.get(c["name"], maps.final) if maps else None for c in corpora}
    # 1. ranking weights, from the train split's candidates
    cand_rows: list[dict[str, Any]] = []
    for corpus in corpora:
        print(f"pool {pool}: ranking {corpus['name']} ...", flush=True)
        cand_rows += collect_candidates(corpus, cache, root, pool, qmap[corpus["name"]])
    cand_train = [r for r in cand_rows if split[r["corpus"]] == "train"]
    weights, rank_l2, loco_rank, ranked_without = fit_ranking_loco(cand_train)
    # 2. the two-step hand-over, each train corpus ranked by the weights fitted without it
    hits: dict[str, list[dict[Bridge, bool]]] = {}
    for corpus in corpora:
        if split[corpus["name"]] == "train":
            print(f"pool {pool}: two-step questions of {corpus['name']} ...", flush=True)
            hits[corpus["name"]] = bridge_hits(
                corpus, cache, root, ranked_without[corpus["name"]], pool, qmap[corpus["name"]]
            )
    bridge, bridged_without, bridge_loco, bridge_right = fit_bridge_loco(hits)
    bridge_figures = {"questions": sum(map(len, hits.values())), "right": bridge_right, "left_out": bridge_loco}
    # 3. confidence, under the new ranking. A train corpus is answered with ranking weights fitted without it
    # (cross-fitting), so the confidence learns how far to trust a ranking on notes it was not fitted on, as
    # every user's notes are; the test split is answered with these weights, as the service will.
    rows: list[dict[str, Any]] = []
    for corpus in corpora:
        print(f"pool {pool}: answering {corpus['name']} ...", flush=True)
        name = corpus["name"]
        rows += collect(
            corpus, cache, root, ranked_without.get(name, weights), pool, bridged_without.get(name, bridge), qmap[name]
        )
    # the words models (does the question ask for a figure; do the notes answer it): a train corpus's questions
    # read by the models fitted without it, the test split's by the ones fitted on every train corpus
    train = [r for r in rows if split[r["corpus"]] == "train"]
    c_words, words_without = fit_words_loco(train, "figure")
    figure_words = fit_words(train, c_words, "figure")
    c_answerable, answerable_without = fit_words_loco(train, "answerable")
    answerable_words = fit_words(train, c_answerable, "answerable")
    by_corpus: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_corpus[r["corpus"]].append(r)
    rows = [
        r
        for c in corpora
        for r in with_word_signals(
            by_corpus[c["name"]],
            words_without.get(c["name"], figure_words),
            answerable_without.get(c["name"], answerable_words),
        )
    ]
    train = [r for r in rows if split[r["corpus"]] == "train"]
    test = [r for r in rows if split[r["corpus"]] == "test"]
    losses = {c: log_loss(out_of_corpus(train, c), train) for c in C_GRID}
    c_best = min(C_GRID, key=lambda c: (losses[c], c))
    oof = out_of_corpus(train, c_best)
    threshold = decision_threshold(train)
    smoothing, thresholds, smoothing_curve, handled = fit_thresholds(oof, train)
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
            "threshold_rule": "answer when the confidence p is at least u (1 - p), u the share of unanswerable "
            "questions among the training answers that are wrong with abstention off: t = u / (1 + u); by the kind "
            "of answer asked for (thresholds), u counted among that kind's wrong answers with `smoothing` more "
            "at the share over all kinds; threshold: over all kinds, for a kind the train questions never asked",
            "smoothing": smoothing,
            "smoothing_rule": "most train questions handled right, each corpus read at thresholds counted without "
            "it (the more smoothing on ties), of " + ", ".join(f"{m}: {n}" for m, n in smoothing_curve.items()),
            "figurewords_probability": "logistic regression over the words of the answerable train questions used in "
            "three train corpora at least: is an expected answer a figure (holds a digit)",
            "figure_words_C": c_words,
            "answerablewords_probability": "logistic regression over the words of the train questions used in three "
            "train corpora at least: do the notes answer it",
            "answerable_words_C": c_answerable,
        },
        figure_words=figure_words,
        answerable_words=answerable_words,
        thresholds=thresholds,
    )
    return Fitted(
        pool,
        cand_rows,
        cand_train,
        weights,
        rank_l2,
        loco_rank,
        bridge,
        bridge_figures,
        rows,
        train,
        test,
        losses,
        oof,
        final,
        handled,
        handled_right(oof, train, threshold),
        smoothing_curve,
    )


def handled_right(probs: list[float], rows: list[dict[str, Any]], t: float | list[float]) -> int:
    """Questions answered right, or abstained on when the notes do not say, each read at threshold ``t`` (or at
    its own, a list of one for each row)."""
    ts = t if isinstance(t, list) else [t] * len(rows)
    return sum(
        1 for p, r, t in zip(probs, rows, ts, strict=True) if (r["right"] and p >= t) or (not r["answerable"] and p < t)
    )


BRIDGE_LINE = "Two-step hand-over: "  # how the report's line on the hand-over opens


def bridge_rule(figures: dict[str, int]) -> str:
    """How the hand-over was chosen, as the ranking file's meta tells it."""
    return (
        "most train two-step questions answered right (abstention off) over the grid "
        + json.dumps(BRIDGE_GRID)
        + f": {figures['right']} of {figures['questions']}; each corpus left out of the choice: {figures['left_out']}"
    )


def bridge_line(bridge: Bridge, figures: dict[str, int]) -> str:
    """The report's line on the two-step hand-over."""
    return (
        f"{BRIDGE_LINE}labels of up to {bridge.label_words} words name the thing the first step found, else its "
        f"{bridge.new_words} rarest new words; the second step gets the first {bridge.names} of the names; the first "
        f"step's {bridge.readings} best passages are each followed and the reading whose two steps rank their "
        f"passages highest together kept. Chosen from {len(BRIDGES)} settings by the train two-step questions "
        f"answered right: {figures['right']} of {figures['questions']} ({figures['left_out']} with each corpus left "
        "out of the choice)."
    )


def refit_bridge(corpora: list[dict[str, Any]], cache: Path, root: Path, ranking: Path, report: Path) -> int:
    """The two-step hand-over alone refitted (``--only-bridge``): every train corpus is answered with the committed
    ranking weights and pool, which stay as they are, as does the confidence; the hand-over is written into
    ``ranking`` and its line of ``report``."""
    weights, pool = load_ranking()
    hits: dict[str, list[dict[Bridge, bool]]] = {}
    for corpus in corpora:
        if corpus["split"] == "train":
            print(f"two-step questions of {corpus['name']} ...", flush=True)
            hits[corpus["name"]] = bridge_hits(
                corpus, cache, root, weights, pool, question_map_for(Settings.from_env().model)
            )
    bridge, _, left_out, right = fit_bridge_loco(hits)
    figures = {"right": right, "questions": sum(map(len, hits.values())), "left_out": left_out}
    alone = f"refitted alone on the committed ranking weights, over {len(hits)} train corpora"
    doc = json.loads(RANKING.read_text(encoding="utf-8"))
    doc["bridge"] = bridge._asdict()
    doc["meta"]["bridge_rule"] = f"{bridge_rule(figures)}; {alone}"
    ranking.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    load_ranking.cache_clear()
    load_bridge.cache_clear()
    line = f"{bridge_line(bridge, figures)} {alone[0].upper()}{alone[1:]}."
    if report.exists():
        text = report.read_text(encoding="utf-8").split("\n")
        text = [line if t.startswith(BRIDGE_LINE) else t for t in text]
        report.write_text("\n".join(text), encoding="utf-8")
    print(line)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--corpora",
        type=Path,
        action="append",
        help="a corpora file; give it again for more (default: "
        + " and ".join(str(p.relative_to(ROOT)) for p in CORPORA)
        + ")",
    )
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "fit", help="indexes of the corpora")
    ap.add_argument("--out", type=Path, default=CALIBRATION, help="the calibration file to write")
    ap.add_argument("--ranking", type=Path, default=RANKING, help="the ranking weights file to write")
    ap.add_argument(
        "--question-map",
        action="store_true",
        help=f"also fit the map of question vectors (step 0) and write it to {QUESTION_MAP.relative_to(ROOT)}; "
        "measured and not kept by default (docs/evaluation.md)",
    )
    ap.add_argument("--report", type=Path, default=ROOT / "docs" / "calibration.md")
    ap.add_argument(
        "--pools",
        default=",".join(map(str, POOL_GRID)),
        help="pool sizes to try, comma-separated (default: %(default)s; one size skips the choice)",
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="pool sizes fitted at once, each in its own process (default: the machine's cores, %(default)s); "
        "the files written are the same for any number",
    )
    ap.add_argument(
        "--only-bridge",
        action="store_true",
        help="refit only the two-step hand-over, on the committed ranking weights and pool (the confidence is kept)",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    try:
        pools = sorted({int(k) for k in args.pools.split(",")})
        if not pools or pools[0] < 1:
            raise ValueError
    except ValueError:
        ap.error(f"--pools wants positive whole numbers, comma-separated, got {args.pools!r}")
    try:
        root, corpora = load_all(args.corpora or list(CORPORA))
    except KgqaError as exc:
        ap.error(str(exc))
    if args.only_bridge:
        return refit_bridge(corpora, args.cache, root, args.ranking, args.report)
    try:
        previous: tuple[float, ...] | None = load_weights()
    except ConfigError:  # fitted on other signals than the code now computes
        previous = None
    # 0. the question map, from the train split's questions and passages (every index built first)
    maps = None
    if args.question_map:
        maps = fit_question_map([corpus_data(c, args.cache, root, NEUTRAL) for c in corpora if c["split"] == "train"])
    jobs = max(1, min(args.jobs, len(pools)))
    if jobs == 1:
        fits = {k: fit_pool(corpora, args.cache, root, k, maps) for k in pools}
    else:
        # every index built first, one at a time, so that the processes only read them
        for corpus in corpora:
            build_index(corpus_settings(Settings.from_env(), root, corpus, args.cache), progress=False)
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as ex:
            futures = {k: ex.submit(fit_pool, corpora, args.cache, root, k, maps) for k in pools}
            fits = {k: f.result() for k, f in futures.items()}
    best = fits[max(pools, key=lambda k: (fits[k].handled, -k))]
    # kept for inspection, one file per split, so that reading the train rows never takes in the test split's
    split = {c["name"]: c["split"] for c in corpora}
    for name in sorted(set(split.values())):
        for kind, rows in (("candidates", best.cand_rows), ("signals", best.rows)):
            mine = [r for r in rows if split[r["corpus"]] == name]
            (args.cache / f"{name}-{kind}.json").write_text(json.dumps(mine), encoding="utf-8")
    ranking_doc = {
        "features": list(RANK_FEATURES),
        "weights": list(best.weights),
        "pool": best.pool,
        "bridge": best.bridge._asdict(),
        "meta": {
            "model": "listwise linear model (softmax over each question's candidates, top-one loss, L2 penalty), "
            "weights L1-normalised",
            "l2": best.rank_l2,
            "pool_rule": "most train questions handled right on leave-one-corpus-out probabilities and thresholds by "
            "kind, of the pools " + ", ".join(f"{k}: {fits[k].handled}" for k in pools),
            "train_corpora": sorted({r["corpus"] for r in best.cand_train}),
            "train_questions": len(best.cand_train),
            "bridge_rule": bridge_rule(best.bridge_figures),
        },
    }
    # the map is written, or an earlier one removed, with the weights fitted over it: never one without the other
    if maps:
        ranking_doc["question_map"] = maps.meta()
        save_question_map(maps.final, QUESTION_MAP)
    else:
        QUESTION_MAP.unlink(missing_ok=True)  # the weights fitted now read the model's own question vectors
    args.ranking.write_text(json.dumps(ranking_doc, indent=1) + "\n", encoding="utf-8")
    args.out.write_text(json.dumps(best.calibration.to_json(), indent=1) + "\n", encoding="utf-8")
    load_ranking.cache_clear()
    load_bridge.cache_clear()
    pool_line = (
        f"\nPool size {best.pool} (passages taken from each of the vector and the keyword search; train questions "
        "handled right on leave-one-corpus-out probabilities and thresholds by kind: "
        + ", ".join(f"{k}: {fits[k].handled} of {len(fits[k].train)}" for k in pools)
        + "; read at the threshold over all kinds instead of the kind's: "
        + ", ".join(f"{k}: {fits[k].handled_overall}" for k in pools)
        + ").\n"
    )
    report = (
        _report(corpora, best.rows, best.train, best.test, best.calibration, best.oof, best.losses)
        + pool_line
        + (f"\n{map_line(maps)}" if maps else "")
        + "\n"
        + bridge_line(best.bridge, best.bridge_figures)
        + "\n"
        + _rank_report(corpora, best.cand_rows, previous, best.weights, best.rank_l2, best.loco_rank)
    )
    args.report.write_text(report, encoding="utf-8")
    print(report)
    return 0


def map_line(maps: MapFit) -> str:
    """The report's line on the question map."""
    tried = ", ".join(f"{k}: {v}" for k, v in maps.held_out.items())
    return (
        f"Question map: temperature {maps.temperature}, penalty {maps.l2}, chosen by held-out top-1 hits of the "
        f"nearest passage over {maps.questions} answerable train questions (temperature / penalty: hits; none is "
        f"the model's own vectors): {tried}.\n"
    )


def _rank_report(corpora, rows, previous, weights, l2, loco) -> str:  # type: ignore[no-untyped-def]
    lines = [
        "",
        "## Ranking",
        "",
        f"Listwise linear model (top-one loss), L2 penalty {l2} (leave-one-corpus-out top-1 hits on the train split: "
        + ", ".join(f"{k}: {v:.3f}" for k, v in loco.items())
        + "). Top-1 hits: the best-scored passage holds a gold line (answerable questions whose candidates "
        "hold one).",
        "",
        "| corpus | split | questions | top-1 before (previous weights) | top-1 fitted |",
        "| --- | --- | --- | --- | --- |",
    ]
    for corpus in corpora:
        sub = [r for r in rows if r["corpus"] == corpus["name"]]
        before = f"{top1_hits(sub, previous):.3f}" if previous else "–"
        fitted = f"{top1_hits(sub, weights):.3f}"
        lines.append(f"| {corpus['name']} | {corpus['split']} | {len(sub)} | {before} | {fitted} |")
    lines += ["", "| signal | previous weight | fitted weight |", "| --- | --- | --- |"]
    shown = previous or (None,) * len(RANK_FEATURES)
    lines += [
        f"| {n} | {'–' if p is None else f'{p:+.3f}'} | {w:+.3f} |"
        for n, p, w in zip(RANK_FEATURES, shown, weights, strict=True)
    ]
    return "\n".join(lines) + "\n"


def _report(corpora, rows, train, test, final, oof, losses) -> str:  # type: ignore[no-untyped-def]
    fit_probs = probabilities(final, rows)
    ts = row_thresholds(final, rows)
    by: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by[r["corpus"]].append(i)
    oof_by = {id(r): p for r, p in zip(train, oof, strict=True)}
    lines = [
        "# Calibration",
        "",
        "Written by `make fit` (`scripts/fit.py`): the answer confidence is a logistic model over the signals in",
        "`kg/qa/calibrate.py`, fitted on the **train** corpora only; the abstention threshold is where answering",
        "and abstaining handle a question right equally often: an answer of confidence p is right with probability",
        "p, an abstention about u (1 - p), u the share of unanswerable questions among the training answers that",
        "are wrong with abstention off, so t = u / (1 + u). A train corpus's",
        "questions are answered with ranking weights",
        "fitted on the other train corpora (cross-fitting), so for train corpora *fitted* means the confidence",
        "fitted on all train corpora over a ranking that did not see the corpus, and *left out* means both fitted",
        "without it; `kgqa eval --corpora` gives the shipped engine's figures. Figures here count",
        "an answer right when it contains an expected string (the `kgqa eval` rule); the citations are not",
        "affected by calibration (`kgqa eval` reports them).",
        "",
        f"Regularisation C = {final.meta['C']} (leave-one-corpus-out log loss: "
        + ", ".join(f"{c}: {v:.3f}" for c, v in losses.items())
        + f"); threshold over all kinds {final.threshold:.4f}, by kind in the table below the weights.",
        "",
        "| corpus | split | questions | answer acc (fitted) | answer acc (left out) | abstention recall "
        "| false abstention | ECE |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in corpora:
        idx = by[c["name"]]
        sub = [rows[i] for i in idx]
        f = figures([fit_probs[i] for i in idx], sub, [ts[i] for i in idx])
        left = figures([oof_by[id(r)] for r in sub], sub, [ts[i] for i in idx]) if c["split"] == "train" else f
        lines.append(
            f"| {c['name']} | {c['split']} | {f['questions']} | {f['answer_accuracy']} | {left['answer_accuracy']} "
            f"| {left['abstention_recall']} | {left['false_abstention']} | {left['ece']} |"
        )
    test_probs = probabilities(final, test)
    ft = figures(test_probs, test, row_thresholds(final, test))
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
    counts = _counts(train)
    lines += [
        "",
        f"Abstention thresholds by the kind of answer asked for (smoothing {final.meta['smoothing']}: "
        + final.meta["smoothing_rule"]
        + "):",
        "",
        "| kind asked for | train answers wrong with abstention off | of them unanswerable | threshold |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {kind} | {counts.get(kind, (0, 0))[0]} | {counts.get(kind, (0, 0))[1]} | {t:.4f} |"
        for kind, t in sorted(final.thresholds.items())
    ]
    lines.append(f"| (all kinds) | {counts[None][0]} | {counts[None][1]} | {final.threshold:.4f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
