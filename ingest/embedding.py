"""Passage vectors for a build: reused by content hash from the previous index, the rest embedded in one call."""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.model import Passage
from kg.settings import Settings

log = logging.getLogger(__name__)

# Vectors by content hash of the embedded text (and the embedder): the next build embeds only new text.
VECTOR_CACHE = "vector_cache.npy"  # float32 rows
VECTOR_KEYS = "vector_cache.json"  # {"embedder": identity, "keys": [row key, ...]}


@dataclass
class Embedded:
    """The vectors of a build's passages (rows in passage order) and what producing them cost."""

    vectors: Any  # float32 (passages, dim)
    model: str
    dim: int
    identity: str  # what the cache keys include: model and backend
    keys: list[str]  # per passage: content hash of its embedded text under ``identity``
    line_vectors: Any = None  # float32 (passages, dim): each passage's own text, without its headings
    line_keys: list[str] = field(default_factory=list)  # per passage: content hash of that text
    # per passage: that text's word pieces in 8 bits (int8 codes, float32 scales); empty when the embedder
    # does not give pieces
    line_pieces: list[tuple[Any, Any]] = field(default_factory=list)
    embedded: int = 0  # distinct context texts run through the model
    lines_embedded: int = 0  # distinct own texts run through the model (not also a context text)
    reused: int = 0  # passages whose vector came from the previous index
    tokens: int = 0  # word pieces run through the model (0 when the embedder does not count them)


def vector_identity(settings: Settings) -> str:
    """What a cached vector depends on besides its text: the model and its weights' precision. The float ONNX
    and torch backends agree to cosine >= 0.9999998 (tests/test_embed_onnx.py), so they share vectors."""
    from kg.embed import model_name

    return f"{model_name(settings.model)}|{'int8' if settings.embed_backend == 'onnx-int8' else 'float'}"


def text_key(identity: str, text: str) -> str:
    return hashlib.sha256(f"{identity}\x1f{text}".encode()).hexdigest()[:32]


def load_vector_cache(index_dir: Path, identity: str) -> dict[str, Any]:
    """{text key: vector} of a verified index built by the same embedder; empty when there is none."""
    import numpy as np

    try:
        meta = json.loads((index_dir / VECTOR_KEYS).read_text(encoding="utf-8"))
        if meta.get("embedder") != identity:
            return {}
        vectors = np.load(index_dir / VECTOR_CACHE, allow_pickle=False)
    except (OSError, ValueError, AttributeError):
        return {}
    keys = meta.get("keys")
    if not isinstance(keys, list) or vectors.ndim != 2 or len(keys) != vectors.shape[0]:
        return {}
    return dict(zip((str(k) for k in keys), vectors, strict=True))


def load_piece_cache(index_dir: Path, identity: str) -> dict[str, tuple[Any, Any]]:
    """{own-text key: (int8 codes, scales)} of a verified index built by the same embedder, memory-mapped;
    empty when there is none."""
    from kg.vectors import read_line_pieces

    try:
        meta = json.loads((index_dir / VECTOR_KEYS).read_text(encoding="utf-8"))
        keys = meta.get("line_keys")
        if meta.get("embedder") != identity or not isinstance(keys, list):
            return {}
        pieces = read_line_pieces(index_dir, len(keys))
    except (OSError, ValueError, AttributeError):
        return {}
    return {} if pieces is None else {str(k): pieces.of(i) for i, k in enumerate(keys)}


def embed_passages(
    passages: list[Passage],
    settings: Settings,
    progress: bool,
    embedder_factory: Callable[[], Any] | None = None,
    cache: dict[str, Any] | None = None,
    piece_cache: dict[str, tuple[Any, Any]] | None = None,
) -> Embedded:
    """Vectors of every passage's context text, and of its own text alone (how near a question is to what the
    line itself says, its headings aside), and that own text's word pieces (how each part of a question is said
    in it): taken from ``cache`` (content hash -> vector) and ``piece_cache`` (content hash -> pieces) when the
    text was embedded before, else computed, each distinct text once, in one call so the embedder can batch by
    length. The embedder is not even loaded when everything is cached."""
    import numpy as np

    from kg.embed import model_name

    identity = vector_identity(settings)
    # embedded in the compatibility forms search reads ("T2" for "T²"), as questions are typed
    texts = [unicodedata.normalize("NFKC", p.context_text()) for p in passages]
    keys = [text_key(identity, t) for t in texts]
    lines = [unicodedata.normalize("NFKC", p.text) for p in passages]
    line_keys = [text_key(identity, t) for t in lines]
    cache = cache or {}
    piece_cache = piece_cache or {}
    own = set(line_keys)
    todo: dict[str, str] = {}  # key -> text, first occurrence order: texts whose vector is not cached
    todo_pieces: dict[str, str] = {}  # own texts whose pieces are not cached (run through the model with them)
    for key, text in zip([*keys, *line_keys], [*texts, *lines], strict=True):
        if key in own and key not in piece_cache:
            todo_pieces[key] = text
        elif key not in cache:
            todo[key] = text
    # the name the embedder reports (kg.embed_onnx adds "+int8"), for a build that does not load it
    name = model_name(settings.model) + ("+int8" if settings.embed_backend == "onnx-int8" else "")
    dim = int(len(next(iter(cache.values())))) if cache else 0
    tokens = 0
    fresh: dict[str, Any] = {}
    fresh_pieces: dict[str, tuple[Any, Any]] = {}
    if todo or todo_pieces or not passages:
        embedder = embedder_factory() if embedder_factory else _load_passage_embedder(settings)
        name, dim = embedder.name, int(embedder.dim)
        before = int(getattr(embedder, "tokens", 0))
        if todo_pieces and hasattr(embedder, "encode_pieces"):
            vecs, pieces = embedder.encode_pieces(list(todo_pieces.values()), int8=True, progress=progress)
            fresh_pieces = {k: (p.vectors, p.scales) for k, p in zip(todo_pieces, pieces, strict=True)}
            fresh = dict(zip(todo_pieces, np.asarray(vecs, dtype=np.float32), strict=True))
        else:  # an embedder without pieces: vectors only, and an index without line pieces
            todo = todo_pieces | todo
        vecs = embedder.encode(list(todo.values()), progress=progress) if todo else np.zeros((0, dim))
        tokens = int(getattr(embedder, "tokens", 0)) - before
        fresh.update(zip(todo, np.asarray(vecs, dtype=np.float32), strict=True))
    vectors, line_vectors = (np.empty((len(keys), dim), dtype=np.float32) for _ in range(2))
    for i, (k, lk) in enumerate(zip(keys, line_keys, strict=True)):  # row by row: stacking costs more
        vectors[i] = fresh[k] if k in fresh else cache[k]
        line_vectors[i] = fresh[lk] if lk in fresh else cache[lk]
    have = piece_cache | fresh_pieces
    line_pieces = [have[k] for k in line_keys] if all(k in have for k in line_keys) else []
    reused = sum(1 for k in keys if k not in fresh)
    embedded = {k for k in keys if k in fresh}
    return Embedded(
        vectors,
        name,
        dim,
        identity,
        keys,
        line_vectors,
        line_keys,
        line_pieces,
        embedded=len(embedded),
        lines_embedded=len({k for k in line_keys if k in fresh} - embedded),
        reused=reused,
        tokens=tokens,
    )


def _load_passage_embedder(settings: Settings) -> Any:
    from kg.embed import load_embedder
    from kg.embed_onnx import ingest_threads

    try:
        return load_embedder(settings.model, settings.embed_backend, threads=ingest_threads())
    except Exception as exc:  # the ONNX export is an optimisation; torch computes the same vectors
        if settings.embed_backend == "torch":
            raise
        log.warning("ONNX embedder unavailable (%s); embedding with torch", exc)
        return load_embedder(settings.model, "torch")
