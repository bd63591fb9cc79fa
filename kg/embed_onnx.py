"""ONNX Runtime query embedder: the same vectors as ``TorchEmbedder`` at a fraction of the latency.

The transformer, mean pooling and L2 normalisation are exported once from the local sentence-transformers
folder into a per-user cache (no network, no pre-built ONNX file needed), then served with onnxruntime on
the CPU. Tokenisation uses the model's own ``tokenizer.json`` so token ids match sentence-transformers.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from kg.embed import Pieces, model_name, model_path, text_pieces

log = logging.getLogger(__name__)

# Bump when the exported graph changes (wrapper, opset) so stale cache entries are not reused.
EXPORT_VERSION = 2  # 2: each word piece's vector beside the pooled one
OPSET = 17
# Measured on the 2-core target (bench/embed_bench.py): one short query p50 ~3.0 ms with 2 threads vs
# ~4.9 ms with 1. Several processes sharing the 2 cores (e.g. gunicorn workers) may prefer threads=1.
THREADS = max(1, min(2, os.cpu_count() or 1))
# Passages are embedded in batches of at most this many texts and at most BATCH_TOKENS padded tokens.
BATCH_SIZE = 64
BATCH_TOKENS = 8192


def ingest_threads() -> int:
    """Intra-op threads for bulk embedding: every core this process may run on (one process, one session)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_cache_dir(folder: Path) -> Path:
    """~/.cache/kgqa/onnx/<key>: the key changes when the model folder or its weights change."""
    weights = folder / "model.safetensors"
    if not weights.exists():
        weights = folder / "pytorch_model.bin"
    st = weights.stat()
    key = f"{folder.resolve()}|{st.st_size}|{st.st_mtime_ns}|v{EXPORT_VERSION}"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "kgqa" / "onnx" / hashlib.sha256(key.encode()).hexdigest()[:16]


def _atomic_target(target: Path) -> Path:
    """A fresh temp path beside ``target``, so os.replace is an atomic rename on the same filesystem."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a cache shared by a service user must stay readable
    return Path(tmp)


def export_onnx(folder: Path, target: Path) -> list[str]:
    """Export transformer + mean pooling + normalisation to ``target``, with the transformer's vector of each
    word piece as a second output (``pieces``, read only when asked for); returns the graph's input names."""
    import torch
    from transformers import AutoModel

    # Eager attention: the SDPA path decides on masking with Python branches that tracing would freeze.
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")

    class Pooled(torch.nn.Module):
        """What sentence-transformers' Pooling(mean) + Normalize compute, inside the graph."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            tokens = self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state
            mask = inputs[1].unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1), tokens

    # Trace with a padded batch so the attention mask is a real input, not a constant folded away.
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    example = (ids, (ids != 0).long(), torch.zeros_like(ids))[: len(names)]
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "pieces"]} | {"embedding": {0: "batch"}}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _atomic_target(target)
    try:
        # TracerWarnings flag shape checks that hold for any (batch, sequence); they would only alarm users.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pooled().eval(),
                example,
                str(tmp),
                input_names=names,
                output_names=["embedding", "pieces"],
                dynamic_axes=axes,
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return names


def external_weights(source: Path) -> Path:
    """A copy of ``source`` with its weights in a separate file (``<name>.mmap.onnx.data``) beside it.

    onnxruntime memory-maps weights kept in such a file instead of copying them into each process's heap, so
    the float weights (87 MB for all-MiniLM-L6-v2) are one shared copy in the page cache for every server
    worker (measured: docs/benchmarks.md, "Memory per worker"). The same graph and numbers as ``source``."""
    import onnx

    target = source.with_name(source.stem + ".mmap.onnx")
    data = target.name + ".data"
    if target.exists() and (target.parent / data).exists():
        return target
    tmp_dir = Path(tempfile.mkdtemp(prefix=".mmap-", dir=source.parent))
    try:
        model = onnx.load(str(source))
        onnx.save_model(model, str(tmp_dir / target.name), save_as_external_data=True, location=data)
        for name in (data, target.name):  # the weights first: the graph file is the sign both are there
            os.chmod(tmp_dir / name, 0o644)
            os.replace(tmp_dir / name, target.parent / name)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return target


def quantize_onnx(source: Path, target: Path) -> None:
    """Dynamic int8 weights (needs the ``onnx`` package, which onnxruntime.quantization imports)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise RuntimeError("int8 quantisation needs the 'onnx' package: pip install onnx") from exc
    tmp = _atomic_target(target)
    try:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class OnnxEmbedder:
    """Embedder protocol over an onnxruntime session; rows are L2-normalised float32."""

    def __init__(self, onnx_file: Path, folder: Path, name: str, threads: int = THREADS) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.path = onnx_file
        self.name = name
        self.tokens = 0  # word pieces embedded so far (padding excluded): what ingest reports as tokens/s
        max_len = json.loads((folder / "sentence_bert_config.json").read_text()).get("max_seq_length", 256)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json ships with truncation 128 and fixed padding; sentence-transformers uses
        # max_seq_length and pads to the longest text in the batch. Padding is done here, per bucket.
        self.tokenizer.enable_truncation(max_length=int(max_len))
        self.pad_id = int((self.tokenizer.padding or {}).get("pad_id", 0))
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    @classmethod
    def from_model(
        cls,
        configured: str = "",
        cache_dir: Path | None = None,
        *,
        quantize: bool = False,
        threads: int = THREADS,
    ) -> OnnxEmbedder:
        folder = model_path(configured)
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(folder)
        fp32 = cache / "model.onnx"
        if not fp32.exists():
            log.info("exporting %s to ONNX at %s (one-off)", folder, fp32)
            export_onnx(folder, fp32)
        onnx_file = fp32
        if not quantize:
            try:
                onnx_file = external_weights(fp32)  # weights memory-mapped: shared by every process using them
            except Exception as exc:  # e.g. a read-only cache: the weights are then copied into this process
                log.warning("cannot write the memory-mappable copy of %s (%s); loading it whole", fp32, exc)
        name = model_name(configured)
        if quantize:
            onnx_file = cache / "model.int8.onnx"
            name += "+int8"  # other vectors: an index built with them must not reuse float ones
            if not onnx_file.exists():
                quantize_onnx(fp32, onnx_file)
        return cls(onnx_file, folder, name, threads)

    def buckets(self, lengths: list[int], batch_size: int) -> list[list[int]]:
        """Row indices grouped into batches of similar token length: sorted by length, each batch closed at
        ``batch_size`` texts or ``BATCH_TOKENS`` padded tokens, so a short text is never padded to a long one
        (attention is quadratic in the padded length) and a batch of long texts stays small."""
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            # sorted ascending: the new text is the longest, so the padded size is len * its length
            if current and (len(current) >= batch_size or (len(current) + 1) * lengths[i] > BATCH_TOKENS):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches

    def _runs(self, texts: list[str], outputs: list[str], batch_size: int, progress: bool) -> Iterator[Any]:
        """(row indices, their encodings, the graph's ``outputs``) for each length bucket of ``texts``."""
        enc = self.tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in enc]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding passages", unit="passage")
        for idx in self.buckets(lengths, max(1, batch_size)):
            width = max(lengths[i] for i in idx)
            ids = np.full((len(idx), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = lengths[i]
                ids[row, :n] = enc[i].ids
                mask[row, :n] = 1
                types[row, :n] = enc[i].type_ids
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            yield idx, [enc[i] for i in idx], self.session.run(outputs, {k: feeds[k] for k in self.inputs})
            if bar is not None:
                bar.update(len(idx))
        if bar is not None:
            bar.close()
        self.tokens += sum(lengths)

    def encode(self, texts: list[str], *, batch_size: int = BATCH_SIZE, progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for idx, _, (vectors,) in self._runs(texts, ["embedding"], batch_size, progress):
            out[idx] = vectors
        return out

    def encode_pieces(
        self, texts: list[str], *, int8: bool = False, batch_size: int = BATCH_SIZE, progress: bool = False
    ) -> tuple[np.ndarray, list[Pieces]]:
        """``encode``'s vectors and each text's word pieces (``Pieces``; in 8 bits with ``int8``), one pass."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        pieces: list[Pieces | None] = [None] * len(texts)
        for idx, encs, (vectors, rows) in self._runs(texts, ["embedding", "pieces"], batch_size, progress):
            out[idx] = vectors
            for row, (i, e) in enumerate(zip(idx, encs, strict=True)):
                pieces[i] = text_pieces(e.tokens, rows[row, : len(e.ids)], int8)
        return out, [p for p in pieces if p is not None]
