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
import tempfile
import warnings
from pathlib import Path

import numpy as np

from kg.embed import model_name, model_path

log = logging.getLogger(__name__)

# Bump when the exported graph changes (wrapper, opset) so stale cache entries are not reused.
EXPORT_VERSION = 1
OPSET = 17
# Measured on the 2-core target (bench/embed_bench.py): one short query p50 ~3.0 ms with 2 threads vs
# ~4.9 ms with 1. Several processes sharing the 2 cores (e.g. gunicorn workers) may prefer threads=1.
THREADS = max(1, min(2, os.cpu_count() or 1))


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
    """Export transformer + mean pooling + normalisation to ``target``; returns the graph's input names."""
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

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            tokens = self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state
            mask = inputs[1].unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    # Trace with a padded batch so the attention mask is a real input, not a constant folded away.
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    example = (ids, (ids != 0).long(), torch.zeros_like(ids))[: len(names)]
    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"embedding": {0: "batch"}}
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
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return names


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
        max_len = json.loads((folder / "sentence_bert_config.json").read_text()).get("max_seq_length", 256)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json ships with truncation 128 and fixed padding; sentence-transformers uses
        # max_seq_length and pads to the longest text in the batch, so do the same.
        self.tokenizer.enable_truncation(max_length=int(max_len))
        pad = self.tokenizer.padding or {}
        self.tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
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
        cls, configured: str = "", cache_dir: Path | None = None, *, quantize: bool = False, threads: int = THREADS
    ) -> OnnxEmbedder:
        folder = model_path(configured)
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(folder)
        fp32 = cache / "model.onnx"
        if not fp32.exists():
            log.info("exporting %s to ONNX at %s (one-off)", folder, fp32)
            export_onnx(folder, fp32)
        onnx_file = fp32
        if quantize:
            onnx_file = cache / "model.int8.onnx"
            if not onnx_file.exists():
                quantize_onnx(fp32, onnx_file)
        return cls(onnx_file, folder, model_name(configured), threads)

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Sort by length so each batch pads to similar lengths; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = self.tokenizer.encode_batch([texts[i] for i in idx])
            feeds = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            out[idx] = self.session.run(None, {k: feeds[k] for k in self.inputs})[0]
            if progress:
                log.info("embedded %d/%d", min(start + batch_size, len(order)), len(order))
        return out
