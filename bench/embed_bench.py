"""Single-query embedding latency: sentence-transformers (torch) vs onnxruntime fp32 (vs int8).

Run: .venv/bin/python bench/embed_bench.py [--runs 200]. Exports into a throwaway cache so the export
time is measured too; prints p50/p95 in milliseconds and cosine agreement with torch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.embed import TorchEmbedder  # noqa: E402
from kg.embed_onnx import OnnxEmbedder  # noqa: E402

QUERY = "What does the citric acid cycle produce?"
CHECK = [QUERY, "Define entropy in thermodynamics.", "Ünïcödé: 細胞の呼吸", "word " * 300]


def timed(fn: Callable[[], object], runs: int, warmup: int = 20) -> tuple[float, float]:
    """p50 and p95 of fn() in ms, after warm-up (first calls pay allocator and kernel selection)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    torch_emb = TorchEmbedder()
    reference = torch_emb.encode(CHECK)
    rows = [("torch (sentence-transformers)", *timed(lambda: torch_emb.encode([QUERY]), args.runs), 1.0)]

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        OnnxEmbedder.from_model(cache_dir=Path(tmp))
        print(f"ONNX export + first load: {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        OnnxEmbedder.from_model(cache_dir=Path(tmp))
        print(f"cached load: {time.perf_counter() - start:.2f} s")
        variants = [
            ("onnx fp32, 1 thread", False, 1),
            ("onnx fp32, 2 threads", False, 2),
            ("onnx int8, 2 threads", True, 2),
        ]
        for label, quantize, threads in variants:
            try:
                emb = OnnxEmbedder.from_model(cache_dir=Path(tmp), quantize=quantize, threads=threads)
            except RuntimeError as exc:
                print(f"{label}: skipped ({exc})")
                continue
            cos = float((emb.encode(CHECK) * reference).sum(1).min())
            rows.append((label, *timed(partial(emb.encode, [QUERY]), args.runs), cos))

    print(f"\n{'backend':32} {'p50 ms':>8} {'p95 ms':>8} {'min cos':>8}")
    for label, p50, p95, cos in rows:
        print(f"{label:32} {p50:8.2f} {p95:8.2f} {cos:8.5f}")


if __name__ == "__main__":
    main()
