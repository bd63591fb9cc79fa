"""Fit the map of question vectors (``kg/qa/question_map.py``): step 0 of ``make fit``.

For every answerable train question: its vector as the engine's model embeds it, the vectors of every passage
of its notes, and which of them hold a gold line. The map ``W = I + D`` is fitted so that a softmax over the
passages of the same notes, of the similarities of ``W q`` (unit length) to them divided by a temperature,
gives the gold passages the largest share: the loss is minus the log of that share, averaged over questions,
plus ``l2`` times the squared entries of ``D`` (the map stays near the identity, where the model's own reading
is kept). L-BFGS from the identity, a fixed number of steps.

The temperature and the penalty are chosen from ``TEMPERATURES`` × ``PENALTIES`` by held-out top-1 hits: the
train corpora are dealt into ``FOLDS`` groups, each group's questions read by the map fitted on the others, a
hit when the nearest passage to the mapped question holds a gold line. The maps fitted without each group are
kept too: the rest of the fit reads a train corpus's questions with the map fitted without it (cross-fitting,
as the ranking is), so the ranking and the confidence learn how the map behaves on notes it was not fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from api.corpora import corpus_engine
from kg.qa.calibrate import Calibration
from kg.qa.evaluate import holds_gold, load_qa
from kg.qa.question_map import QuestionMap
from kg.settings import Settings

TEMPERATURES = (0.02, 0.03, 0.05)  # softmax temperatures tried; the data picks one
PENALTIES = (0.01, 0.03, 0.1)  # penalties on the squared change from the identity tried; the data picks one
FOLDS = 5  # groups of train corpora for the held-out choice and the cross-fitting
STEPS = 60  # L-BFGS steps of each fit


@dataclass
class Corpus:
    """One train corpus's answerable questions: their vectors, its passages' vectors, and which passages
    hold each question's gold lines (a question with none among the passages is left out)."""

    name: str
    questions: np.ndarray  # (m, d)
    passages: np.ndarray  # (n, d)
    gold: np.ndarray  # (m, n) bool


def corpus_data(corpus: dict[str, Any], cache: Path, root: Path, calibration: Calibration) -> Corpus:
    """What the map is fitted on, of one corpus: questions embedded by the engine's own model."""
    engine = corpus_engine(Settings.from_env(), root, corpus, cache, calibration=calibration, question_map=None)
    index = engine.index
    passages = np.asarray(index.vectors.fetch([p.id for p in index.passages]), dtype=np.float32)
    texts, gold = [], []
    for qa in corpus["qa"]:
        for item in load_qa(root / qa):
            if not item.get("source_lines") or not item.get("answers"):
                continue
            hits = [holds_gold(item, p) for p in index.passages]
            if any(hits):
                texts.append(item["question"])
                gold.append(hits)
    dim = passages.shape[1] if passages.ndim == 2 else 0
    questions = (
        np.stack([np.asarray(engine.embed(t), dtype=np.float32) for t in texts])
        if texts
        else np.zeros((0, dim), np.float32)
    )
    return Corpus(corpus["name"], questions, passages, np.array(gold, dtype=bool).reshape(len(texts), -1))


def fit_map(data: list[Corpus], temperature: float, l2: float) -> np.ndarray:
    """The matrix ``W`` fitted on these corpora (module docstring); the same data give the same matrix."""
    import torch

    torch.manual_seed(0)
    dim = data[0].questions.shape[1]
    eye = torch.eye(dim, dtype=torch.float64)
    blocks = [
        (
            torch.from_numpy(c.questions.astype(np.float64)),
            torch.from_numpy(c.passages.astype(np.float64)),
            torch.from_numpy(c.gold),
        )
        for c in data
        if len(c.questions)
    ]
    count = sum(len(q) for q, _, _ in blocks)
    change = torch.zeros((dim, dim), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([change], max_iter=STEPS, line_search_fn="strong_wolfe", history_size=20)

    def closure() -> Any:
        optimiser.zero_grad()
        loss = l2 * (change * change).sum()
        for q, p, g in blocks:
            z = torch.nn.functional.normalize(q @ (eye + change).T, dim=1)
            s = (z @ p.T) / temperature
            loss = loss + (torch.logsumexp(s, 1) - torch.logsumexp(s.masked_fill(~g, float("-inf")), 1)).sum() / count
        loss.backward()
        return loss

    optimiser.step(closure)
    return (eye + change.detach()).numpy().astype(np.float32)


def top1(data: list[Corpus], matrix: np.ndarray | None) -> int:
    """Questions whose nearest passage (by the mapped vector; None: the model's own) holds a gold line."""
    hits = 0
    for c in data:
        if not len(c.questions):
            continue
        q = c.questions if matrix is None else c.questions @ matrix.T
        best = np.argmax(q @ c.passages.T, axis=1)
        hits += int(c.gold[np.arange(len(best)), best].sum())
    return hits


def folds(names: list[str]) -> dict[str, int]:
    """Each train corpus's group: the sorted names dealt in turn."""
    return {name: i % FOLDS for i, name in enumerate(sorted(names))}


@dataclass
class MapFit:
    """The map fitted on every train corpus, the one each train corpus is read with (fitted without its group),
    and how the setting was chosen."""

    final: QuestionMap
    without: dict[str, QuestionMap]
    temperature: float
    l2: float
    held_out: dict[str, int]  # held-out top-1 hits of each setting tried, "none" without a map
    questions: int

    def meta(self) -> dict[str, Any]:
        return {
            "model": "W = I + D over the packaged model's question vectors: softmax over each question's notes' "
            "passages of the similarity of W q (unit length) over a temperature, minus the log of the gold "
            f"passages' share, L2 penalty on D; L-BFGS, {STEPS} steps, from the identity",
            "temperature": self.temperature,
            "l2": self.l2,
            "rule": f"most held-out top-1 hits over {FOLDS} groups of train corpora, each read by the map fitted on "
            f"the others, of {self.questions} answerable train questions",
            "held_out_top1": self.held_out,
        }


def fit_question_map(data: list[Corpus], progress: bool = True) -> MapFit:
    """The setting of most held-out top-1 hits (the smoother on ties: larger temperature and penalty), the
    maps fitted without each group at it, and the map fitted on every train corpus."""
    group = folds([c.name for c in data])
    held: dict[tuple[float, float], int] = {}
    best: tuple[int, tuple[float, float]] | None = None  # the most hits so far (on ties, the smoother setting)
    kept: dict[int, np.ndarray] = {}  # ... and its group maps: those of a setting that loses are dropped
    for temperature, l2 in product(TEMPERATURES, PENALTIES):
        maps: dict[int, np.ndarray] = {}
        hits = 0
        for k in range(FOLDS):
            maps[k] = fit_map([c for c in data if group[c.name] != k], temperature, l2)
            hits += top1([c for c in data if group[c.name] == k], maps[k])
        if best is None or (hits, (temperature, l2)) > best:
            best, kept = (hits, (temperature, l2)), maps
        held[temperature, l2] = hits
        if progress:
            print(f"question map: temperature {temperature}, l2 {l2}: {hits} held-out top-1 hits", flush=True)
    assert best is not None  # the grids are not empty
    temperature, l2 = best[1]
    return MapFit(
        final=QuestionMap(fit_map(data, temperature, l2)),
        without={c.name: QuestionMap(kept[group[c.name]]) for c in data},
        temperature=temperature,
        l2=l2,
        held_out={"none": top1(data, None), **{f"{t} / {p}": h for (t, p), h in held.items()}},
        questions=sum(len(c.questions) for c in data),
    )
