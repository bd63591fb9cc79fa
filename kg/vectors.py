"""The vector index protocol and the factory that picks a backend from a URL.

Empty (or ``faiss://``): FAISS embedded in the process, its files in the index folder (the default).
``milvus-lite:///path/file.db`` or a path ending in ``.db``: Milvus Lite on a local file (one process at a time).
``http://host:19530`` (or ``https://``): a Milvus server or cluster, shared by every API replica.

Passage vectors are unit length, so inner product and cosine similarity are the same number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from kg.errors import ConfigError


class VectorIndex(Protocol):
    """Passage vectors, each stored under its passage id with the notes file it came from."""

    url: str  # where the vectors live, for messages and logs

    def __len__(self) -> int:
        """How many passage vectors are stored."""
        ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k stored passages nearest to a unit query vector as (passage id, cosine similarity), best
        first; fewer when the index holds fewer (none when it is empty or k <= 0)."""
        ...

    def fetch(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of these passages, one row each in the order given (float32).
        Raises KeyError naming a passage id that is not stored."""
        ...

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, files: Sequence[str]) -> None:
        """Store one vector per passage id (rows of ``vectors``), with its notes file; an id already
        stored gets the new vector and file, replacing the old one."""
        ...

    def delete(self, ids: Sequence[str]) -> int:
        """Remove these passages (ids not stored are ignored); how many were removed."""
        ...

    def delete_file(self, file: str) -> int:
        """Remove every passage of one notes file (path relative to the notes folder); how many."""
        ...

    def save(self) -> None:
        """Make every change durable and visible to other readers of the same index (FAISS: writes the
        files into the index folder; Milvus: flushes and records the collection in the folder)."""
        ...


FAISS_SCHEMES = ("", "faiss://")


def vector_kind(url: str) -> str:
    """'faiss' or 'milvus' for a KGQA_VECTOR_STORE value; ConfigError listing the valid forms otherwise."""
    url = (url or "").strip()
    if url in FAISS_SCHEMES:
        return "faiss"
    if url.startswith(("milvus-lite://", "http://", "https://")) or (url.endswith(".db") and "://" not in url):
        return "milvus"
    raise ConfigError(
        f"KGQA_VECTOR_STORE={url!r} is not a supported vector store URL; use '' or 'faiss://' (embedded FAISS, "
        "files in the index folder), 'milvus-lite:///path/file.db' or a path ending in '.db' (Milvus Lite on a "
        "local file), or 'http://host:19530' (a Milvus server or cluster)"
    )


def required_files(url: str) -> tuple[str, ...]:
    """The index folder's files that the configured vector store needs (missing: the index is not built
    for this store)."""
    if vector_kind(url) == "faiss":
        from kg.vectors_faiss import FaissIndex

        return (FaissIndex.FILE,)
    from kg.vectors_milvus import MilvusIndex

    return (MilvusIndex.META,)


def open_vectors(url: str, folder: Path, name: str = "") -> VectorIndex:
    """The vector index of the index folder ``folder`` in the store ``url`` (empty: embedded FAISS).

    A folder that holds no vectors yet opens an empty index to fill with ``upsert`` and ``save``; with
    Milvus, that is a new collection named after ``name`` (default: the folder's name)."""
    kind = vector_kind(url)
    if kind == "faiss":
        from kg.vectors_faiss import FaissIndex

        return FaissIndex.open(folder)
    from kg.vectors_milvus import MilvusIndex

    return MilvusIndex(url.strip(), folder, name or folder.name)


def retire_vectors(url: str, keep: Sequence[Path]) -> None:
    """After a rebuild: drop the vector collections of earlier builds of the same index but those of the
    ``keep`` folders (the new index and the one replicas may still serve). FAISS: nothing to do, its files
    went with their folders."""
    if vector_kind(url) == "faiss":
        return
    from kg.vectors_milvus import retire

    retire(url.strip(), keep)


def checked_upsert(ids: Sequence[str], vectors: np.ndarray, files: Sequence[str]) -> np.ndarray:
    """The vectors of an upsert as a float32 matrix, one row per id and per file (else a ValueError)."""
    matrix = np.ascontiguousarray(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
    if len(matrix) != len(ids):
        raise ValueError(f"upsert got {len(ids)} ids but {len(matrix)} vectors")
    if len(files) != len(ids):
        raise ValueError(f"upsert got {len(ids)} ids but {len(files)} files")
    return matrix


# Each passage's own text embedded without its headings, in passage order: read beside the vector index, which
# holds the vectors search uses (of the text with its headings). Half precision: one product per answer reads it.
LINE_VECTORS = "line_vectors.npy"


def write_line_vectors(folder: Path, vectors: np.ndarray) -> None:
    with (folder / LINE_VECTORS).open("wb") as fh:
        np.save(fh, np.ascontiguousarray(vectors, dtype=np.float16))


def read_line_vectors(folder: Path, passages: int) -> np.ndarray | None:
    """The line vectors of an index of ``passages`` passages; None when the index has none (built before them)."""
    path = folder / LINE_VECTORS
    if not path.exists():
        return None
    vectors = np.load(path, allow_pickle=False)
    if vectors.ndim != 2 or vectors.shape[0] != passages:
        raise ValueError(f"{LINE_VECTORS} holds {vectors.shape[0]} rows for {passages} passages")
    return vectors


# Each passage's own text as the model read it, word piece by word piece (its markers left out), in passage
# order: 8-bit codes, one scale for each piece, and where each passage's pieces start (passages + 1 offsets).
# Read memory-mapped: an answer reads the pieces of one passage.
LINE_PIECES = "line_pieces.npy"
LINE_PIECE_SCALES = "line_piece_scales.npy"
LINE_PIECE_STARTS = "line_piece_starts.npy"


@dataclass(frozen=True)
class LinePieces:
    """The word pieces of every passage's own text (``kg.embed.Pieces`` in 8 bits, stored together)."""

    codes: np.ndarray  # int8 (all pieces, dim)
    scales: np.ndarray  # float32 (all pieces,)
    starts: np.ndarray  # int64 (passages + 1,): passage i's pieces are rows starts[i]:starts[i + 1]

    def of(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage ``i``'s pieces: (int8 codes, float32 scales)."""
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        return self.codes[a:b], self.scales[a:b]


def write_line_pieces(folder: Path, pieces: list[tuple[np.ndarray, np.ndarray]], dim: int) -> None:
    """Each passage's (int8 codes, scales), in passage order, written row by row (no copy of them all joined)."""
    from numpy.lib.format import open_memmap

    starts = np.zeros(len(pieces) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(c) for c, _ in pieces])
    total = int(starts[-1])
    codes = open_memmap(folder / LINE_PIECES, mode="w+", dtype=np.int8, shape=(total, dim))
    scales = np.empty(total, dtype=np.float32)
    for (c, s), a in zip(pieces, starts[:-1], strict=True):
        codes[a : a + len(c)] = c
        scales[a : a + len(c)] = s
    codes.flush()
    del codes
    for name, array in ((LINE_PIECE_SCALES, scales), (LINE_PIECE_STARTS, starts)):
        with (folder / name).open("wb") as fh:
            np.save(fh, array)


def read_line_pieces(folder: Path, passages: int) -> LinePieces | None:
    """The line pieces of an index of ``passages`` passages, memory-mapped; None when the index has none."""
    if not (folder / LINE_PIECES).exists():
        return None
    codes = np.load(folder / LINE_PIECES, mmap_mode="r", allow_pickle=False)
    scales = np.load(folder / LINE_PIECE_SCALES, allow_pickle=False)
    starts = np.load(folder / LINE_PIECE_STARTS, allow_pickle=False)
    if starts.shape != (passages + 1,) or codes.ndim != 2 or not len(codes) == len(scales) == int(starts[-1]):
        raise ValueError(f"{LINE_PIECES} does not hold the pieces of {passages} passages")
    return LinePieces(codes, scales, starts)


from kg.vectors_faiss import FaissIndex  # noqa: E402  (re-exported: the default backend)

__all__ = [
    "LINE_PIECES",
    "LINE_PIECE_SCALES",
    "LINE_PIECE_STARTS",
    "LINE_VECTORS",
    "LinePieces",
    "VectorIndex",
    "open_vectors",
    "read_line_pieces",
    "read_line_vectors",
    "retire_vectors",
    "required_files",
    "vector_kind",
    "write_line_pieces",
    "write_line_vectors",
    "FaissIndex",
]
