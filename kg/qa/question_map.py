"""A fitted map of question vectors toward the passages that answer them.

A question and the line that answers it are worded differently ("how long can a function run" against
"timeout: 15 min max"), and the embedding model places them further apart than the question's wording is from
lines that merely repeat it. ``make fit`` fits a square matrix ``W`` (the identity plus a penalised change) so
that, over the train corpora, a question's vector read as ``W q`` is nearer the passages holding its gold lines
than the other passages of the same notes (``scripts/question_map_fit.py``). Only the question's vector is
mapped: the passage vectors of an index stay as ingest wrote them, so a refit needs no re-ingest.

The matrix is stored as ``question_map.npy`` beside the ranking weights; how it was fitted is told in
``ranking.json`` (``question_map``). It is read only with the embedding model it was fitted for, the packaged
one: another model's vectors live in another space.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kg.errors import ConfigError

QUESTION_MAP = Path(__file__).with_name("question_map.npy")


@dataclass(frozen=True, eq=False)
class QuestionMap:
    """``matrix`` (d × d): a question's vector ``v`` is read as ``matrix @ v``, scaled to unit length."""

    matrix: np.ndarray

    def apply(self, vector: np.ndarray) -> np.ndarray:
        """The mapped vector, unit length, float32; a vector of another dimension is returned as it is."""
        if vector.shape != (self.matrix.shape[1],):
            return vector
        mapped = self.matrix @ vector.astype(np.float32)
        norm = float(np.linalg.norm(mapped))
        return (mapped / norm).astype(np.float32) if norm > 0 else vector


def save_question_map(qmap: QuestionMap, path: Path = QUESTION_MAP) -> None:
    """Write the matrix as a float32 ``.npy`` file (the same matrix gives the same bytes)."""
    np.save(path, np.ascontiguousarray(qmap.matrix, dtype=np.float32), allow_pickle=False)


@lru_cache(maxsize=4)
def load_question_map(path: Path = QUESTION_MAP) -> QuestionMap | None:
    """The fitted map, or None when none has been fitted (every question read as the model embeds it)."""
    if not path.is_file():
        return None
    matrix = np.load(path, allow_pickle=False)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or not np.isfinite(matrix).all():
        raise ConfigError(f"{path} is not a square matrix of finite numbers: run `make fit`")
    return QuestionMap(matrix.astype(np.float32))


def question_map_for(model: str, path: Path = QUESTION_MAP) -> QuestionMap | None:
    """The map to read questions with under embedding model ``model`` (the setting: empty is the packaged
    model, the one the map was fitted for); None for any other model."""
    return load_question_map(path) if not model else None
