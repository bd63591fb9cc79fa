"""The embedded vector index: FAISS exact inner product, its files in the index folder.

vectors.faiss (an IndexFlatIP), vector_ids.json (passage id of each row) and vector_files.json (notes
file of each row). Upserts replace rows in place and deletions compact the rows, so search stays exact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from kg.vectors import checked_upsert

_SCAN_PARTS = 1  # how many parts one exact scan is split into, each on a thread of its own
_scan_pool: tuple[int, ThreadPoolExecutor] | None = None


def set_search_threads(threads: int) -> None:
    """How many threads one vector search uses (0: one per core). A process-wide setting.

    One question is one exact scan (a matrix-vector product): split into that many row ranges, each a
    one-thread BLAS product on a thread of its own. BLAS's own threads are not used: they spin between calls,
    and on a busy machine that spinning takes the core from the next question's embedding (at ×86 with two
    other processes busy: 30 ms a question against 25 ms with one thread; split in two on our threads, 26-29 ms;
    on a quiet machine 14 ms against 16 ms with one thread, docs/benchmarks.md). With one BLAS thread a
    row's score is the same however the rows are split, so the result does not depend on the cores."""
    global _SCAN_PARTS
    from threadpoolctl import threadpool_limits

    _SCAN_PARTS = threads if threads > 0 else (os.cpu_count() or 1)
    threadpool_limits(1, user_api="blas")


def _scan_threads() -> ThreadPoolExecutor:
    """This process's threads for the parts of a scan (made again in a forked worker: threads do not survive
    a fork)."""
    global _scan_pool
    if _scan_pool is None or _scan_pool[0] != os.getpid():
        _scan_pool = (os.getpid(), ThreadPoolExecutor(max_workers=8, thread_name_prefix="kgqa-scan"))
    return _scan_pool[1]


def scan(matrix: np.ndarray, vector: np.ndarray, parts: int = 1) -> np.ndarray:
    """``matrix @ vector`` (float32), its rows split into ``parts`` ranges computed on threads of their own."""
    q = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
    n = matrix.shape[0]
    parts = max(1, min(parts, n // 4096 or 1))  # a small index is one product: a thread costs more than it saves
    if parts == 1:
        return matrix @ q  # type: ignore[no-any-return]
    out = np.empty(n, dtype=np.float32)
    # whole blocks of 64 rows: BLAS kernels take rows in small groups and a group cut in two would be summed
    # by another path (another rounding)
    bounds = [min(n, (n * i // parts) // 64 * 64) for i in range(parts)] + [n]

    def part(i: int) -> None:
        np.matmul(matrix[bounds[i] : bounds[i + 1]], q, out=out[bounds[i] : bounds[i + 1]])

    waits = [_scan_threads().submit(part, i) for i in range(1, parts)]
    part(0)
    for w in waits:
        w.result()
    return out


def top_rows(scores: np.ndarray, k: int) -> list[int]:
    """The rows of the ``k`` highest scores, best first; equal scores in row order (so the same scores
    always give the same rows, whichever way a selection algorithm splits ties)."""
    n = len(scores)
    if k < n:
        cut = np.partition(scores, n - k)[n - k]  # the k-th highest score
        rows = np.flatnonzero(scores >= cut)
    else:
        rows = np.arange(n)
    return [int(r) for r in rows[np.lexsort((rows, -scores[rows]))][:k]]


class FaissIndex:
    FILE = "vectors.faiss"
    IDS = "vector_ids.json"
    FILES = "vector_files.json"

    def __init__(self, index: Any, ids: list[str], files: list[str] | None = None, folder: Path | None = None) -> None:
        self.index = index  # a faiss.IndexFlatIP, or None until the first upsert gives the dimension
        self.ids = ids
        self.files = list(files) if files is not None else [""] * len(ids)
        self.folder = folder
        self.url = f"faiss://{folder / self.FILE}" if folder else "faiss://"
        self._rows = {pid: row for row, pid in enumerate(ids)}

    @classmethod
    def build(cls, vectors: np.ndarray, ids: list[str], files: Sequence[str] | None = None) -> FaissIndex:
        index = cls(None, [])
        index.upsert(ids, vectors, files if files is not None else [""] * len(ids))
        return index

    @classmethod
    def open(cls, folder: Path) -> FaissIndex:
        """The index saved in ``folder``, or an empty one that ``save`` will write there."""
        if (folder / cls.FILE).exists():
            return cls.load(folder)
        return cls(None, [], folder=folder)

    @classmethod
    def load(cls, folder: Path) -> FaissIndex:
        import faiss

        index = faiss.read_index(str(folder / cls.FILE))
        ids = json.loads((folder / cls.IDS).read_text(encoding="utf-8"))
        files_path = folder / cls.FILES
        files = json.loads(files_path.read_text(encoding="utf-8")) if files_path.exists() else None
        if index.ntotal != len(ids) or (files is not None and len(files) != len(ids)):
            raise ValueError(f"{cls.FILE} holds {index.ntotal} vectors but {cls.IDS} names {len(ids)} passages")
        return cls(index, ids, files, folder)

    def save(self, folder: Path | None = None) -> None:
        import faiss

        folder = folder or self.folder
        if folder is None:
            raise ValueError("FaissIndex.save needs a folder: this index was built in memory")
        index = self.index if self.index is not None else faiss.IndexFlatIP(0)
        faiss.write_index(index, str(folder / self.FILE))
        (folder / self.IDS).write_text(json.dumps(self.ids), encoding="utf-8")
        (folder / self.FILES).write_text(json.dumps(self.files), encoding="utf-8")

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        k = max(0, min(k, len(self.ids)))
        if k == 0:
            return []
        scores = scan(self._rows_matrix(), vector, _SCAN_PARTS)
        return [(self.ids[r], float(scores[r])) for r in top_rows(scores, k)]

    def _rows_matrix(self) -> np.ndarray:
        """The index's vectors as a (rows, dim) array: a view of FAISS's own storage, no copy. Taken anew
        for each search, since an upsert may move the storage.

        One question is one matrix-vector product (``scan``, BLAS sgemv): FAISS's own search for a single query
        is a loop of its own on one thread, no faster than one BLAS thread, and cannot be split across threads."""
        import faiss

        return faiss.rev_swig_ptr(self.index.get_xb(), self.index.ntotal * self.index.d).reshape(  # type: ignore[no-any-return]
            self.index.ntotal, self.index.d
        )

    def vector(self, row: int) -> np.ndarray:
        return self.index.reconstruct(row)  # type: ignore[no-any-return]

    def fetch(self, ids: Sequence[str]) -> np.ndarray:
        if not ids:
            return np.zeros((0, self.index.d if self.index is not None else 0), dtype=np.float32)
        if list(ids) == self.ids:  # the whole index in row order, as the answering code loads it
            return self.index.reconstruct_n(0, len(self.ids))  # type: ignore[no-any-return]
        rows = [self._rows[pid] for pid in ids]  # KeyError names the missing passage
        return np.vstack([self.index.reconstruct(r) for r in rows])

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, files: Sequence[str]) -> None:
        import faiss

        vectors = checked_upsert(ids, vectors, files)
        if self.index is None:
            self.index = faiss.IndexFlatIP(int(vectors.shape[1]))
        last = {pid: i for i, pid in enumerate(ids)}  # an id given twice: its last vector wins
        order = sorted(last.values())
        replaced = [i for i in order if ids[i] in self._rows]
        added = [i for i in order if ids[i] not in self._rows]
        if replaced:  # an IndexFlat cannot overwrite a row: rebuild it from its rows with these replaced
            matrix = self.index.reconstruct_n(0, self.index.ntotal)
            for i in replaced:
                row = self._rows[ids[i]]
                matrix[row] = vectors[i]
                self.files[row] = files[i]
            self.index.reset()
            self.index.add(np.ascontiguousarray(matrix))
        if added:
            self.index.add(vectors[added])
            for i in added:
                self._rows[ids[i]] = len(self.ids)
                self.ids.append(ids[i])
                self.files.append(files[i])

    def delete(self, ids: Sequence[str]) -> int:
        rows = sorted({self._rows[pid] for pid in ids if pid in self._rows})
        if not rows:
            return 0
        self.index.remove_ids(np.asarray(rows, dtype=np.int64))  # an IndexFlat keeps the order of the rest
        gone = set(rows)
        self.ids = [pid for row, pid in enumerate(self.ids) if row not in gone]
        self.files = [f for row, f in enumerate(self.files) if row not in gone]
        self._rows = {pid: row for row, pid in enumerate(self.ids)}
        return len(rows)

    def delete_file(self, file: str) -> int:
        return self.delete([pid for pid, f in zip(self.ids, self.files, strict=True) if f == file])
