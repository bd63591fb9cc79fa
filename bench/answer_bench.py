"""Latency of Engine.answer() on the development questions, with a per-stage breakdown.

Loads the Engine once (timed), measures the cold first call, warms up, then answers every question of the
QA set ``--rounds`` times and prints p50/p95/p99/mean/max in milliseconds as Markdown tables (``--json`` for
machine-readable output). Two answer() figures are given:

* ``answer() new question``: the engine's embedding cache is emptied before each call, so every call pays
  for the query embedding, as a question nobody asked before does (this is the figure to hold against the
  target: p50 <= 15 ms, p95 <= 40 ms);
* ``answer() repeated question``: the engine as it is, whose embedding cache (keyed by text) serves every
  round after the first.

The breakdown re-runs the steps of kg.qa.answer.answer() one by one with the same functions (question analysis,
query embedding with ``engine.embedder.encode`` so no cache hides it, SPARQL facts, candidate scoring,
confidence, composition with citations) and times each; multi-hop questions add their extra hops to the same
stages. The staged run's answers are checked against engine.answer() so the replica does not drift. The
replica runs the steps one after another; engine.answer() embeds the question on another thread while it
analyses the question and reads the facts and keyword passages (kg.qa.answer.rank), so its total is less
than the sum of the stages.

Run: .venv/bin/python bench/answer_bench.py [--rounds 5] [--backend onnx|torch] [--index DIR] [--json]
(build the index first: .venv/bin/kgqa ingest).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_t_import = time.perf_counter()
from stats import percentile  # noqa: E402  (bench/ is on sys.path when a script runs)

from kg.qa.answer import (  # noqa: E402
    NOT_IN_NOTES,
    Scored,
    _citations,
    _dropped_rise,
    _fact_refs,
    abstain_threshold,
    check_question,
    confidence,
    two_steps,
    vector_fn,
)
from kg.qa.calibrate import signals, word_signals  # noqa: E402
from kg.qa.compose import compose  # noqa: E402
from kg.qa.engine import Engine  # noqa: E402
from kg.qa.evaluate import load_qa  # noqa: E402
from kg.qa.question import analyse  # noqa: E402
from kg.qa.retrieve import candidates, pool_size, sparql_facts  # noqa: E402
from kg.settings import Settings  # noqa: E402

IMPORT_S = time.perf_counter() - _t_import

STAGES = ("analyse", "embed", "vector search", "sparql", "candidates", "confidence", "compose", "other")
STAGE_LABELS = {
    "analyse": "question analysis (kg.qa.question.analyse)",
    "embed": "query embeddings (embedder.encode, uncached; the question, then without the words its answer lacks)",
    "vector search": "nearest passages (index.vectors.search)",
    "sparql": "SPARQL fact query (kg.qa.retrieve.sparql_facts)",
    "candidates": "keyword search and candidate scoring (kg.qa.retrieve.candidates)",
    "confidence": "confidence signals and probability (kg.qa.calibrate.signals, kg.qa.answer.confidence)",
    "compose": "composition + citations (kg.qa.compose.compose, _citations)",
    "other": "checks, multi-hop bridge, fact refs",
}


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 50), 3),
        "p95": round(percentile(samples, 95), 3),
        "p99": round(percentile(samples, 99), 3),
        "mean": round(statistics.fmean(samples), 3) if samples else 0.0,
        "max": round(max(samples), 3) if samples else 0.0,
    }


def staged_answer(engine: Engine, question: str, acc: dict[str, float]) -> str:
    """kg.qa.answer.answer() step by step, adding each step's ms to acc; returns the answer text."""
    index, s = engine.index, engine.settings
    clock = time.perf_counter

    def timed(stage: str, fn: Any, *args: Any) -> Any:
        t = clock()
        out = fn(*args)
        acc[stage] += (clock() - t) * 1000
        return out

    def rank(text: str) -> Scored:
        query = timed("analyse", analyse, text, index.lexicon)
        qvec = timed("embed", lambda t: engine.embedder.encode([t])[0], query.normalised)
        hits = timed("vector search", index.vectors.search, qvec, pool_size())
        sparql, rows = timed("sparql", sparql_facts, index, query)
        ranked = timed("candidates", candidates, index, query, (qvec, hits), rows)
        return Scored(query, ranked, sparql)

    t0 = clock()
    q = check_question(question, s.max_question_chars)
    acc["other"] += (clock() - t0) * 1000
    scored = rank(q)
    asked = scored.query.kind
    # a two-step question: its steps' ranking is timed stage by stage, the hand-over between them as other
    staged, t = sum(acc.values()), clock()
    scored, hops = two_steps(index, rank, scored)
    acc["other"] += (clock() - t) * 1000 - (sum(acc.values()) - staged)
    ranked = scored.ranked
    facts = list(ranked[0].facts) if ranked else []
    composed = timed("compose", lambda: compose(index, scored.query, ranked, facts) if ranked else None)
    used = composed.passages if composed else ()
    read = timed("confidence", signals, index, scored.query, ranked, used, asked)
    # the question again without the words the answer does not say: its embedding timed as one, the rest as confidence
    t, embedded = clock(), acc["embed"]
    vector = lambda text: timed("embed", lambda x: engine.embedder.encode([x])[0], text)  # noqa: E731
    read["dropped_rise"] = _dropped_rise(index, vector, scored.query, ranked, used)
    acc["confidence"] += (clock() - t) * 1000 - (acc["embed"] - embedded)
    read.update(timed("confidence", word_signals, engine.calibration, q, read))
    conf = timed("confidence", confidence, scored, engine.calibration, read)
    threshold = abstain_threshold(engine.calibration, s.abstain_threshold, read)
    t = clock()
    if composed is None or conf < threshold:
        cited = _citations(index, scored.query, ranked, hops, s.top_k)
        text = NOT_IN_NOTES
        if cited:
            text += f" The nearest I found is in {cited[0].source}:{cited[0].lines[0]}-{cited[0].lines[1]}."
        facts = []
    else:
        text = composed.text
        _citations(index, scored.query, ranked, hops, s.top_k, composed.passages, composed.is_list, composed.revised)
    acc["compose"] += (clock() - t) * 1000
    timed("other", _fact_refs, index, facts)
    return text


def cpu_times() -> tuple[int, int]:
    """(total, steal) jiffies from /proc/stat; (0, 0) where there is none."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0, 0
    values = [int(x) for x in fields]
    return sum(values[:8]), values[7] if len(values) > 7 else 0


def code_fingerprint() -> str:
    """Short hash of the kg/ and ingest/ sources, to tell which code a result was measured on."""
    h = hashlib.sha256()
    for path in sorted([*ROOT.glob("kg/*.py"), *ROOT.glob("ingest/*.py")]):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    cpu_start = cpu_times()
    index_dir = args.index or os.environ.get("KGQA_INDEX_DIR") or str(ROOT / "data" / "index")
    settings = Settings.from_env(index_dir=index_dir, embed_backend=args.backend)
    items = load_qa(Path(args.qa))
    questions = [str(i["question"]) for i in items]

    t = time.perf_counter()
    engine = Engine.load(settings)
    load_s = time.perf_counter() - t
    embedder_kind = type(engine.embedder).__name__

    t = time.perf_counter()
    first = engine.answer(questions[0])
    cold_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    engine.answer(questions[1])
    second_ms = (time.perf_counter() - t) * 1000

    # warm-up: the first --warmup questions through both code paths (allocators, regex caches, onnx)
    for q in questions[: args.warmup]:
        engine.embed = vector_fn(engine.embedder)
        engine.answer(q)
        staged_answer(engine, q, defaultdict(float))

    # One loop, the three measurements interleaved question by question, so a change in background load
    # during the run weighs on all of them alike:
    #   new question: answer() with the embedding cache emptied, so the query is embedded;
    #   repeated question: answer() with a cache that already holds every question (filled below);
    #   staged: the same steps called one by one, each timed, embedding uncached.
    shared = vector_fn(engine.embedder)
    engine.embed = shared
    for q in questions:
        engine.answer(q)
    fresh: list[float] = []
    repeated: list[float] = []
    engine_timings: dict[str, list[float]] = defaultdict(list)
    stage_samples: dict[str, list[float]] = {s: [] for s in STAGES}
    staged_total: list[float] = []
    mismatches: list[str] = []
    for r in range(args.rounds):
        for q in questions:
            engine.embed = vector_fn(engine.embedder)
            t = time.perf_counter()
            ans = engine.answer(q)
            fresh.append((time.perf_counter() - t) * 1000)
            for k, v in (ans.timings_ms or {}).items():
                engine_timings[k].append(v)

            engine.embed = shared
            t = time.perf_counter()
            engine.answer(q)
            repeated.append((time.perf_counter() - t) * 1000)

            acc: dict[str, float] = defaultdict(float)
            t = time.perf_counter()
            text = staged_answer(engine, q, acc)
            staged_total.append((time.perf_counter() - t) * 1000)
            for s in STAGES:
                stage_samples[s].append(acc[s])
            if r == 0 and text != ans.answer:
                mismatches.append(q)

    cpu_end = cpu_times()
    total_j = cpu_end[0] - cpu_start[0]
    steal = round(100 * (cpu_end[1] - cpu_start[1]) / total_j, 2) if total_j else 0.0
    kinds: dict[str, int] = defaultdict(int)
    for q in questions:
        kinds[engine.answer(q).kind] += 1
    total_mean = sum(statistics.fmean(v) for v in stage_samples.values())
    fresh_sum = summary(fresh)
    return {
        "machine": {**machine_facts(), "loadavg_1m_at_start": round(load_before[0], 2), "cpu_steal_pct": steal},
        "code_fingerprint": code_fingerprint(),
        "settings": {
            "index_dir": settings.index_dir,
            "embed_backend": settings.embed_backend,
            "embedder": embedder_kind,
            "triple_store": settings.triple_store or "oxigraph (embedded)",
            "vector_store": settings.vector_store or "faiss (embedded)",
        },
        "qa_file": args.qa,
        "questions": len(questions),
        "question_kinds": dict(sorted(kinds.items())),
        "rounds": args.rounds,
        "import_s": round(IMPORT_S, 3),
        "engine_load_s": round(load_s, 3),
        "cold_first_call_ms": round(cold_ms, 3),
        "cold_first_call_question": first.question,
        "second_call_ms": round(second_ms, 3),
        "answer_new_question_ms": fresh_sum,
        "answer_repeated_question_ms": summary(repeated),
        "engine_timings_ms": {k: summary(v) for k, v in engine_timings.items()},
        "stages_ms": {
            s: {**summary(v), "share": round(statistics.fmean(v) / total_mean, 4) if total_mean else 0.0}
            for s, v in stage_samples.items()
        },
        "staged_total_ms": summary(staged_total),
        "staged_mismatches": mismatches,
        "target": {"p50_ms": 15, "p95_ms": 40, "met": fresh_sum["p50"] <= 15 and fresh_sum["p95"] <= 40},
    }


def machine_facts() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def markdown(r: dict[str, Any]) -> str:
    def row(label: str, s: dict[str, float]) -> str:
        return (
            f"| {label} | {s['n']} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.2f} | "
            f"{s['mean']:.2f} | {s['max']:.2f} |"
        )

    st = r["settings"]
    m = r["machine"]
    out = [
        f"answer() latency: {r['questions']} questions x {r['rounds']} rounds, backend {st['embed_backend']} "
        f"({st['embedder']}), index {st['index_dir']}",
        f"machine: {m['cpus']} CPUs, {m['cpu_model']}, Python {m['python']}; load average at start "
        f"{m['loadavg_1m_at_start']}, CPU steal during the run {m['cpu_steal_pct']}%; "
        f"code {r['code_fingerprint']}",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| import kg modules | {r['import_s'] * 1000:.0f} ms |",
        f"| Engine.load | {r['engine_load_s'] * 1000:.0f} ms |",
        f"| cold first answer() | {r['cold_first_call_ms']:.1f} ms |",
        f"| second answer() | {r['second_call_ms']:.1f} ms |",
        "",
        "| ms | n | p50 | p95 | p99 | mean | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        row("answer() new question (embedding uncached)", r["answer_new_question_ms"]),
        row("answer() repeated question (embedding cached)", r["answer_repeated_question_ms"]),
    ]
    for k, s in r["engine_timings_ms"].items():
        out.append(row(f"  timings_ms[{k!r}] (new question)", s))
    t = r["target"]
    out += [
        "",
        f"target p50 <= {t['p50_ms']} ms and p95 <= {t['p95_ms']} ms (new question): "
        f"{'met' if t['met'] else 'NOT met'}",
        "",
        "Stage breakdown (per question, summed over hops; the steps one after another, where answer() "
        "embeds the question while it analyses it and reads facts and keyword passages):",
        "",
        "| stage | p50 | p95 | p99 | mean | max | share of mean |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s, v in r["stages_ms"].items():
        out.append(
            f"| {STAGE_LABELS[s]} | {v['p50']:.3f} | {v['p95']:.3f} | {v['p99']:.3f} | "
            f"{v['mean']:.3f} | {v['max']:.3f} | {v['share'] * 100:.1f}% |"
        )
    s = r["staged_total_ms"]
    out.append(
        f"| **staged total** | {s['p50']:.3f} | {s['p95']:.3f} | {s['p99']:.3f} | {s['mean']:.3f} | "
        f"{s['max']:.3f} | 100% |"
    )
    kinds = ", ".join(f"{k} {n}" for k, n in r["question_kinds"].items())
    out += ["", f"question kinds: {kinds}"]
    if r["staged_mismatches"]:
        out.append(
            f"WARNING: the staged replica answered {len(r['staged_mismatches'])} question(s) "
            "differently from engine.answer(): the breakdown may not match answer()"
        )
    else:
        out.append("staged replica: same answers as engine.answer() for every question")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Latency of Engine.answer() over the dev questions, with a per-stage breakdown.",
        epilog="Build the index first: .venv/bin/kgqa ingest",
    )
    parser.add_argument("--index", default=None, help="index folder (default: KGQA_INDEX_DIR or data/index)")
    parser.add_argument(
        "--backend",
        choices=("onnx", "torch"),
        default=None,
        help="query embedding runtime (default: KGQA_EMBED_BACKEND or onnx)",
    )
    parser.add_argument(
        "--qa",
        default=str(ROOT / "data" / "eval" / "qa_dev.jsonl"),
        help="QA set (JSON lines; default: data/eval/qa_dev.jsonl)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="passes over the QA set (default: 5)")
    parser.add_argument("--warmup", type=int, default=30, help="questions answered before timing (default: 30)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
