"""Should passages and queries use int8 (dynamically quantised) ONNX weights? Measures both criteria.

Run: .venv/bin/python bench/int8_eval.py [--corpora NAME ...] [--budget 1800] [--json]

1. Vector agreement: every passage of the sample notes (data/notes) embedded with the float ONNX model and with
   the int8 one; the cosine between the two vectors of each passage: min, 1st percentile, mean.
2. Answer quality: every corpus of data/eval/corpora.json (the sample's sets include data/eval/qa_dev.jsonl) is
   ingested twice into a temporary folder, with KGQA_EMBED_BACKEND=onnx and =onnx-int8 (queries then use the
   same weights as the passages), and each of its QA sets is scored with `kgqa eval`'s scorer (no baselines):
   answer accuracy and citation@1, float against int8, in points.

Adoption rule (the scale issue): int8 only if every set stays within 1 point and the cosine is >= 0.99 for every
passage. Bounded: stops with what it has measured once --budget seconds have passed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import build_index  # noqa: E402
from kg.embed_onnx import OnnxEmbedder, ingest_threads  # noqa: E402
from kg.model import Passage  # noqa: E402
from kg.qa.engine import Engine  # noqa: E402
from kg.qa.evaluate import run_eval  # noqa: E402
from kg.settings import Settings  # noqa: E402


def passages(index: Path) -> list[Passage]:
    with (index / "passages.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [Passage(**{**r, "section": tuple(r["section"])}) for r in rows]


def cosine(texts: list[str]) -> dict[str, float]:
    fp32 = OnnxEmbedder.from_model(threads=ingest_threads()).encode(texts)
    int8 = OnnxEmbedder.from_model(quantize=True, threads=ingest_threads()).encode(texts)
    cos = (fp32 * int8).sum(axis=1)
    return {
        "passages": len(texts),
        "min": float(cos.min()),
        "p1": float(np.percentile(cos, 1)),
        "mean": float(cos.mean()),
        "below_0.99": int((cos < 0.99).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="*", help="names from data/eval/corpora.json (default: all)")
    parser.add_argument("--budget", type=float, default=1800.0, help="stop after this many seconds (default 1800)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    deadline = time.monotonic() + args.budget
    corpora = json.loads((ROOT / "data/eval/corpora.json").read_text(encoding="utf-8"))["corpora"]
    if args.corpora:
        corpora = [c for c in corpora if c["name"] in args.corpora]
    out: dict[str, Any] = {"sets": []}
    with tempfile.TemporaryDirectory(prefix="kgqa-int8-") as tmp:
        for corpus in corpora:
            for backend in ("onnx", "onnx-int8"):
                if time.monotonic() > deadline:
                    out["stopped"] = f"budget of {args.budget:.0f} s reached"
                    break
                settings = Settings(
                    notes_dir=str(ROOT / corpus["notes"]),
                    index_dir=str(Path(tmp) / f"{corpus['name']}-{backend}"),
                    embed_backend=backend,
                )
                build_index(settings, progress=False)
                if corpus["name"] == "sample" and backend == "onnx":
                    texts = [p.context_text() for p in passages(Path(settings.index_dir))]
                    out["cosine"] = cosine(texts)
                    if not args.json:
                        print("cosine float vs int8 over the sample passages: " + json.dumps(out["cosine"]))
                engine = Engine.load(settings)
                for qa in corpus["qa"]:
                    ours = run_eval(engine, ROOT / qa, baselines=False)["ours"]
                    row = {
                        "corpus": corpus["name"],
                        "qa": qa,
                        "backend": backend,
                        "questions": ours["questions"],
                        "answer_accuracy": ours["answer_accuracy"],
                        "citation_at_1": ours["citation_at_1"],
                    }
                    out["sets"].append(row)
                    if not args.json:
                        print(json.dumps(row), flush=True)
    table = {}
    for row in out["sets"]:
        table.setdefault(row["qa"], {})[row["backend"]] = row
    out["deltas"] = []
    for qa, pair in table.items():
        if len(pair) == 2:
            f, q = pair["onnx"], pair["onnx-int8"]
            out["deltas"].append(
                {
                    "qa": qa,
                    "accuracy_float": f["answer_accuracy"],
                    "accuracy_int8": q["answer_accuracy"],
                    "delta_points": round((q["answer_accuracy"] - f["answer_accuracy"]) * 100, 2),
                }
            )
    within = all(abs(d["delta_points"]) <= 1.0 for d in out["deltas"])
    cos_ok = out.get("cosine", {}).get("min", 0.0) >= 0.99
    out["adopt_int8"] = bool(within and cos_ok and "stopped" not in out)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for d in out["deltas"]:
            acc = f"float {d['accuracy_float']:.3f}  int8 {d['accuracy_int8']:.3f}"
            print(f"{d['qa']}: {acc}  ({d['delta_points']:+.1f} pt)")
        print(f"adopt int8: {out['adopt_int8']} (every set within 1 pt: {within}; min cosine >= 0.99: {cos_ok})")


if __name__ == "__main__":
    main()
