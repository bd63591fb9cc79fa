"""The vector index protocol and its FAISS backend: passage vectors searchable by inner product."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class VectorIndex(Protocol):
    """Nearest passages to a normalised query vector. ``ids`` maps rows to passage ids."""

    ids: list[str]

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(passage id, cosine similarity) pairs, best first; never more than len(ids)."""
        ...


class FaissIndex:
    FILE = "vectors.faiss"
    IDS = "vector_ids.json"

    def __init__(self, index: Any, ids: list[str]) -> None:
        self.index = index
        self.ids = ids

    @classmethod
    def build(cls, vectors: np.ndarray, ids: list[str]) -> FaissIndex:
        import faiss

        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, list(ids))

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(folder / self.FILE))
        (folder / self.IDS).write_text(json.dumps(self.ids), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> FaissIndex:
        import faiss

        index = faiss.read_index(str(folder / cls.FILE))
        ids = json.loads((folder / cls.IDS).read_text(encoding="utf-8"))
        return cls(index, ids)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        k = max(0, min(k, len(self.ids)))
        if k == 0:
            return []
        q = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, rows = self.index.search(q, k)  # type: ignore[attr-defined]
        return [(self.ids[r], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]

    def vector(self, row: int) -> np.ndarray:
        return self.index.reconstruct(row)  # type: ignore[attr-defined]
