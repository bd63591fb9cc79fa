"""Ingest throughput: build the index of a notes folder into a temporary folder and say where the time goes.

Run: .venv/bin/python bench/ingest_bench.py [NOTES_DIR] [--runs 2] [--budget 900] [--incremental] [--json]

Each run is a fresh process (so the model load is counted and peak RSS is that build's own) that builds a
from-scratch index in a temporary folder, deleted afterwards; the notes folder is only read. Printed per run:
the time of each stage (scan, parse, services, facts, graph, embed, write), passages/s and tokens/s over the
whole build and over the embedding stage alone, and peak RSS. Tokens are the model's word pieces of the
embedded text (heading path + passage, truncated at the model's 256), counted after the build, outside the
timings.

``--ab`` compares the batching alone, in one process, so both sides see the same background load: the
passages of the first build embedded as before this change (chunks of 64 in document order, each padded to its
longest text) and as now (the whole set sorted by token length, batches of at most 64 texts and 8,192 padded
tokens), alternating old/new/old/new; passages/s, tokens/s and padded tokens of each.

``--incremental`` then measures re-ingest on a copy of the folder in a temporary folder: one file changed
(one line appended), and one file deleted (needs two or more files), each printing the change report
(passages re-embedded vs reused) and seconds. Copy only folders you may copy (e.g. the repository's own).

Bounded: every build runs under ``--budget`` seconds (the child is killed past it) and ``--runs`` is at most 5.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STAGES = ("scan", "parse", "services", "facts", "extract", "graph", "embed", "write")


def count_tokens(index_dir: Path) -> int:
    """Word pieces the model sees for every passage of a built index (what embedding costs)."""
    from tokenizers import Tokenizer

    from kg.embed import model_path
    from kg.model import Passage

    folder = model_path(os.environ.get("KGQA_MODEL", ""))
    max_len = json.loads((folder / "sentence_bert_config.json").read_text()).get("max_seq_length", 256)
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=int(max_len))
    with (index_dir / "passages.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    texts = [Passage(**{**row, "section": tuple(row["section"])}).context_text() for row in rows]
    return sum(len(e.ids) for e in tok.encode_batch(texts))


def child(notes: Path, index: Path) -> None:
    """One build in this process; prints a JSON line with the report, tokens and peak RSS."""
    from ingest.pipeline import build_index
    from kg.settings import Settings

    settings = Settings.from_env(notes_dir=str(notes), index_dir=str(index))
    start = time.perf_counter()
    report = build_index(settings, progress=False)
    wall = time.perf_counter() - start
    out: dict[str, Any] = {
        "wall_s": wall,
        "timings_s": report.timings_s,
        "counts": report.counts,
        "changes": getattr(report, "changes", {}),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    out["tokens"] = count_tokens(index)
    print("RESULT " + json.dumps(out))


def ab_child(index: Path, rounds: int) -> None:
    """Old against new batching on the same texts, alternating; prints a JSON line."""
    import numpy as np

    from kg.embed_onnx import OnnxEmbedder, ingest_threads
    from kg.model import Passage

    with (index / "passages.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    texts = [Passage(**{**r, "section": tuple(r["section"])}).context_text() for r in rows]
    emb = OnnxEmbedder.from_model(threads=ingest_threads())
    enc = emb.tokenizer.encode_batch(texts)
    lengths = [len(e.ids) for e in enc]

    def run(batches: list[list[int]]) -> tuple[float, int]:
        start, padded = time.perf_counter(), 0
        for idx in batches:
            width = max(lengths[i] for i in idx)
            padded += width * len(idx)
            ids = np.full((len(idx), width), emb.pad_id, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, : lengths[i]] = enc[i].ids
                mask[row, : lengths[i]] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            emb.session.run(None, {k: feeds[k] for k in emb.inputs})
        return time.perf_counter() - start, padded

    old = [list(range(i, min(i + 64, len(texts)))) for i in range(0, len(texts), 64)]
    new = emb.buckets(lengths, 64)
    result: dict[str, Any] = {"passages": len(texts), "tokens": sum(lengths), "old": [], "new": []}
    for _ in range(rounds):
        for name, batches in (("old", old), ("new", new)):
            seconds, padded = run(batches)
            result[name].append({"seconds": seconds, "padded_tokens": padded})
    print("RESULT " + json.dumps(result))


def run_child(notes: Path, index: Path, budget: float, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", str(notes), "--index", str(index), *extra]
    return run_result(cmd, budget, f"a build of {notes}")


def run_result(cmd: list[str], budget: float, what: str) -> dict[str, Any]:
    """Run a child process (killed past ``budget`` seconds) and return the JSON of its last ``RESULT`` line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=budget, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"{what} took longer than the budget of {budget:.0f} s") from None
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def describe(label: str, r: dict[str, Any]) -> str:
    t = r["timings_s"]
    passages = int(r["counts"].get("passages", 0))
    total = float(t.get("total", r["wall_s"]))
    embed = float(t.get("embed", 0.0))
    stages = ", ".join(f"{k} {float(t[k]):.2f}" for k in STAGES if k in t)
    lines = [
        f"{label}: {passages} passages, {r['tokens']} tokens, total {total:.1f} s (process {r['wall_s']:.1f} s)",
        f"  stages (s): {stages}",
        f"  whole build: {passages / total:.1f} passages/s, {r['tokens'] / total:.0f} tokens/s",
    ]
    if embed > 0:
        lines.append(f"  embedding:   {passages / embed:.1f} passages/s, {r['tokens'] / embed:.0f} tokens/s")
    if r.get("changes"):
        changes = {k: (len(v) if isinstance(v, list) else v) for k, v in r["changes"].items()}
        lines.append(f"  changes: {json.dumps(changes)}")
    lines.append(f"  peak RSS: {r['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)


def describe_ab(ab: dict[str, Any]) -> str:
    lines = [f"batching A/B on {ab['passages']} passages, {ab['tokens']} tokens (alternating, same process):"]
    for name in ("old", "new"):
        for i, r in enumerate(ab[name], 1):
            lines.append(
                f"  {name} #{i}: {r['seconds']:.1f} s, {ab['passages'] / r['seconds']:.1f} passages/s, "
                f"{ab['tokens'] / r['seconds']:.0f} tokens/s, {r['padded_tokens']} padded tokens"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notes_dir", nargs="?", default=str(ROOT / "data" / "notes"), help="notes folder to ingest")
    parser.add_argument("--runs", type=int, default=2, help="from-scratch builds (1-5; default 2)")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds allowed per build (default 900)")
    parser.add_argument("--incremental", action="store_true", help="also time one changed and one deleted file")
    parser.add_argument("--ab", action="store_true", help="also compare old and new batching, alternating")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--ab-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", help=argparse.SUPPRESS)
    args = parser.parse_args()
    notes = Path(args.notes_dir).resolve()
    if args.child and args.ab_child:
        ab_child(Path(args.index), rounds=max(1, min(5, args.runs)))
        return
    if args.child:
        child(notes, Path(args.index))
        return
    if not notes.is_dir():
        raise SystemExit(f"not a folder: {notes}")
    runs = max(1, min(5, args.runs))
    results: dict[str, Any] = {"notes": str(notes), "load_avg": os.getloadavg()[0], "runs": []}
    with tempfile.TemporaryDirectory(prefix="kgqa-ingest-bench-") as tmp:
        for i in range(runs):
            index = Path(tmp) / f"index-{i}"
            r = run_child(notes, index, args.budget)
            results["runs"].append(r)
            if not args.json:
                print(describe(f"run {i + 1}/{runs} (from scratch)", r), flush=True)
            if args.ab and i == 0:
                ab = run_child(notes, index, args.budget, ("--ab-child", "--runs", str(runs)))
                results["ab"] = ab
                if not args.json:
                    print(describe_ab(ab), flush=True)
            shutil.rmtree(index, ignore_errors=True)
        if args.incremental:
            results["incremental"] = incremental(notes, Path(tmp), args.budget, args.json)
    results["load_avg_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        start, end = results["load_avg"], results["load_avg_after"]
        print(f"load average (1 min): {start:.2f} at the start, {end:.2f} at the end")


def incremental(notes: Path, tmp: Path, budget: float, quiet: bool) -> dict[str, Any]:
    copy = tmp / "notes"
    shutil.copytree(notes, copy)
    index = tmp / "index-incremental"
    return {"initial": run_child(copy, index, budget), **change_and_delete(copy, index, budget, quiet)}


def change_and_delete(copy: Path, index: Path, budget: float, quiet: bool) -> dict[str, Any]:
    """On a notes folder that may be changed (a copy) whose index is built: append one line to the middle
    file and re-ingest, then delete the first file (or the last) and re-ingest; both reports and which files."""
    out: dict[str, Any] = {}
    files = sorted(p for p in copy.rglob("*") if p.is_file() and p.suffix in (".txt", ".md", ".markdown"))
    changed = files[len(files) // 2]
    with changed.open("a", encoding="utf-8") as fh:
        fh.write("\n- An extra line added by the ingest benchmark: up to 42 widgets per request.\n")
    out["changed_file"] = changed.relative_to(copy).as_posix()
    out["change_one"] = run_child(copy, index, budget)
    if not quiet:
        print(describe(f"changed one file ({out['changed_file']})", out["change_one"]), flush=True)
    if len(files) > 1:
        deleted = files[0] if files[0] != changed else files[-1]
        deleted.unlink()
        out["deleted_file"] = deleted.relative_to(copy).as_posix()
        out["delete_one"] = run_child(copy, index, budget)
        if not quiet:
            print(describe(f"deleted one file ({out['deleted_file']})", out["delete_one"]), flush=True)
    return out


if __name__ == "__main__":
    main()
