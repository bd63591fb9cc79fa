"""The question matched word piece by word piece against a passage's own text (late interaction, as ColBERT
scores, on the packaged model's contextual piece vectors, without training): for each of the question's content
pieces, its best cosine against the passage's pieces. What the confidence reads from it: the mean of those
(how much of the question the line says, in any words: "how far back" against "retention") and the least (the
part of the question the line says least: the asked figure a near miss lacks)."""

from __future__ import annotations

import numpy as np

from kg.embed import Pieces
from kg.vocab import STOPWORDS

_STOP = frozenset(STOPWORDS)


def content_pieces(names: tuple[str, ...] | list[str], stopwords: frozenset[str] = _STOP) -> list[int]:
    """The positions of a question's content pieces: not the model's markers, not punctuation, and not a stop
    word standing whole (a piece continued by the next, "time" of "time ##out", is kept)."""
    keep = []
    for i, p in enumerate(names):
        if p in ("[CLS]", "[SEP]") or not any(ch.isalnum() for ch in p):
            continue
        whole = not p.startswith("##") and not (i + 1 < len(names) and names[i + 1].startswith("##"))
        if whole and p in stopwords:
            continue
        keep.append(i)
    return keep


def piece_match(question: Pieces, codes: np.ndarray, scales: np.ndarray) -> tuple[float, float]:
    """(mean, least) over the question's content pieces of each one's best cosine against a text's pieces
    (8-bit ``codes`` times ``scales``); (0, 0) for a question of no content pieces or a text of none."""
    idx = content_pieces(question.names)
    if not idx or not len(codes):
        return 0.0, 0.0
    best = ((question.vectors[idx] @ np.asarray(codes, dtype=np.float32).T) * scales).max(axis=1)
    return float(best.mean()), float(best.min())
