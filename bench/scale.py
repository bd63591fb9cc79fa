"""Scale: ingest, load, answer and re-ingest against corpus size, beside a plain bm25s + FAISS peer.

Run: .venv/bin/python bench/scale.py [--corpus DIR] [--sizes 1,10,all] [--rounds 3] [--budget 1500]
                                      [--work DIR] [--reuse] [--json FILE] [--plot docs/scale.png]

The corpus (default ``../shared/corpus/awsdocs``, three AWS developer guides) is only read. A size is a multiple
of the sample notes' 1,466 lines: whole files are taken in a fixed order (``sqs/``, then ``lambda/``, then
``dynamodb/``, each sorted by path) until that many lines are reached, and copied into ``WORK/xSIZE/notes``
(a temporary folder unless ``--work``; deleted afterwards unless ``--work`` was given); ``all`` takes the whole
corpus (1,009 files, 126,055 lines counted as Python reads them: ×86). For each size, one run of each step,
every step a fresh process:

1. ingest from scratch (``bench/ingest_bench.py``'s child): time per stage, peak RSS, passages, tokens;
   the size of the index folder on disk;
2. ``Engine.load`` time, then ``answer()`` p50/p95 over the fixed questions of ``bench/scale_questions.txt``
   (each call with the engine's embedding cache emptied, so every call embeds its question, as
   ``bench/answer_bench.py``'s "new question"), and the RSS of the serving process;
3. the peer, in the same process over the same passages: bm25s (Snowball stemmer, English stop words) and a
   FAISS flat inner-product index of the same embedder's vectors, fused by reciprocal rank; its build time
   (tokenise + BM25 index, embedding, FAISS add) and query p50/p95 (query embedded by the engine's encoder,
   top 10 of each, fused). Above ``--peer-embed-max`` passages the peer does not embed the passages again: it
   takes kgqa's vectors from the index and its embedding time is the same run's kgqa embed stage (same
   embedder, same batching), marked "reused";
4. re-ingest after appending one line to one file, then after deleting one file (``ingest_bench``'s
   ``change_and_delete``), on the copy.

The 1-minute load average is recorded before and after each step: the machine may be shared. ``--reuse`` takes
a build already in ``WORK/xSIZE`` (its ``build.json``) instead of building again. Bounded: each child process is
killed past ``--budget`` seconds, ``--rounds`` is at most 10, and at most 6 sizes are run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from ingest_bench import STAGES, change_and_delete, run_child, run_result  # noqa: E402
from stats import percentile  # noqa: E402

SAMPLE_LINES = 1466  # data/notes, the "1x"
GUIDES = ("sqs", "lambda", "dynamodb")
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "awsdocs"
QUESTIONS = ROOT / "bench" / "scale_questions.txt"
TARGETS = {  # the scale issue's, for the whole corpus
    "ingest_s": 600.0,
    "peak_rss_mb": 2048.0,
    "change_one_s": 10.0,
    "delete_one_s": 5.0,
    "answer_p50_ms": 15.0,
    "answer_p95_ms": 50.0,
    "engine_load_s": 5.0,
}


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def line_count(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def select_files(corpus: Path, lines: float) -> list[tuple[Path, int]]:
    """Whole files in a fixed order (guide by guide, by path) until ``lines`` lines are reached (all for inf)."""
    chosen: list[tuple[Path, int]] = []
    total = 0
    for guide in GUIDES:
        for path in sorted((corpus / guide).rglob("*.md")):
            if total >= lines:
                return chosen
            n = line_count(path)
            chosen.append((path, n))
            total += n
    return chosen


def copy_files(corpus: Path, files: list[tuple[Path, int]], dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    for path, _ in files:
        target = dest / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def read_questions(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def summary_ms(samples: list[float]) -> dict[str, float]:
    return {"n": len(samples), "p50": round(percentile(samples, 50), 3), "p95": round(percentile(samples, 95), 3)}


def rss_mb() -> float:
    """Current resident set of this process, MB (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def query_child(index_dir: Path, questions: list[str], rounds: int, peer_embed: bool) -> dict[str, Any]:
    """Engine.load, answer() latency, then the bm25s + FAISS peer over the same passages; one process."""
    import bm25s
    import faiss
    import numpy as np
    import Stemmer

    from ingest.pipeline import embed_passages, load_vector_cache, vector_identity
    from kg.qa.answer import vector_fn
    from kg.qa.engine import Engine
    from kg.settings import Settings

    settings = Settings.from_env(index_dir=str(index_dir))
    out: dict[str, Any] = {"rss_before_load_mb": round(rss_mb(), 1)}
    t = time.perf_counter()
    engine = Engine.load(settings)
    out["engine_load_s"] = round(time.perf_counter() - t, 3)
    out["rss_after_load_mb"] = round(rss_mb(), 1)
    for q in questions[:5]:  # warm-up: allocators, regex caches, the ONNX session
        engine.answer(q)
    samples: list[float] = []
    abstained = 0
    for r in range(rounds):
        for q in questions:
            engine.embed = vector_fn(engine.embedder)  # a new question: its embedding is computed
            t = time.perf_counter()
            ans = engine.answer(q)
            samples.append((time.perf_counter() - t) * 1000)
            if r == 0 and ans.abstained:
                abstained += 1
    out["answer_ms"] = summary_ms(samples)
    out["answer_kinds_abstained"] = abstained
    out["serving_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    # the peer: the same passages (as the engine loaded them), the same embedder
    passages = engine.index.passages
    texts = [p.context_text() for p in passages]
    stemmer = Stemmer.Stemmer("english")
    peer: dict[str, Any] = {"passages": len(texts)}
    t = time.perf_counter()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    peer["bm25_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    if peer_embed:
        vectors = embed_passages(passages, settings, progress=False).vectors
        peer["embed"] = "computed"
    else:
        cache = load_vector_cache(index_dir, vector_identity(settings))
        vectors = embed_passages(passages, settings, progress=False, cache=cache).vectors
        peer["embed"] = "reused"
    peer["embed_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    peer["faiss_s"] = round(time.perf_counter() - t, 3)

    def peer_query(q: str, k: int = 10) -> list[int]:
        qvec = np.asarray(engine.embedder.encode([q]), dtype=np.float32)
        _, dense = flat.search(qvec, k)
        docs, _ = bm25.retrieve(bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False), k=k,
                                show_progress=False)  # fmt: skip
        fused: dict[int, float] = {}
        for ranking in (dense[0].tolist(), docs[0].tolist()):
            for rank, i in enumerate(ranking):
                if i >= 0:
                    fused[int(i)] = fused.get(int(i), 0.0) + 1.0 / (60 + rank)
        return sorted(fused, key=lambda i: -fused[i])[:k]

    for q in questions[:5]:
        peer_query(q)
    peer_samples: list[float] = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            peer_query(q)
            peer_samples.append((time.perf_counter() - t) * 1000)
    peer["query_ms"] = summary_ms(peer_samples)
    out["peer"] = peer
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def run_size(size: str, args: argparse.Namespace, work: Path, questions_file: Path) -> dict[str, Any]:
    corpus = Path(args.corpus)
    label = "all" if size == "all" else f"x{float(size):g}"
    files = select_files(corpus, float("inf") if size == "all" else float(size) * SAMPLE_LINES)
    lines = sum(n for _, n in files)
    folder = work / label
    notes, index = folder / "notes", folder / "index"
    x = round(lines / SAMPLE_LINES, 1)
    res: dict[str, Any] = {"label": label, "files": len(files), "lines": lines, "x_sample": x}
    saved = folder / "build.json"
    if args.reuse and saved.exists() and (index / "manifest.json").exists():
        build = json.loads(saved.read_text(encoding="utf-8"))
        if build.get("files") != len(files) or build.get("lines") != lines:
            raise SystemExit(f"{saved} is of another selection: run without --reuse")
        res["build_reused"] = True
    else:
        copy_files(corpus, files, notes)
        shutil.rmtree(index, ignore_errors=True)
        start = loadavg()
        result = run_child(notes, index, args.budget)
        build = {"files": len(files), "lines": lines, "result": result, "loadavg": [start, loadavg()]}
        saved.write_text(json.dumps(build, indent=1), encoding="utf-8")
    res["ingest"] = build["result"]
    res["ingest_loadavg"] = build["loadavg"]
    res["index_mb"] = round(folder_bytes(index) / 1e6, 1)
    print(f"{label}: {len(files)} files, {lines} lines, ingest {build['result']['timings_s']['total']:.1f} s "
          f"(load {build['loadavg']})", flush=True)  # fmt: skip

    passages = int(build["result"]["counts"].get("passages", 0))
    cmd = [sys.executable, __file__, "--query-child", str(index), "--questions", str(questions_file),
           "--rounds", str(args.rounds)]  # fmt: skip
    if passages > args.peer_embed_max:
        cmd.append("--peer-reuse")
    start = loadavg()
    res["query"] = run_result(cmd, args.budget, f"the load and answer run of {label}")
    res["query_loadavg"] = [start, loadavg()]
    if res["query"]["peer"]["embed"] == "reused":
        res["query"]["peer"]["embed_s"] = round(float(build["result"]["timings_s"]["embed"]), 3)
    print(f"{label}: load {res['query']['engine_load_s']} s, answer {res['query']['answer_ms']}, "
          f"peer {res['query']['peer']}", flush=True)  # fmt: skip

    if not args.no_reingest:
        start = loadavg()
        res["reingest"] = change_and_delete(notes, index, args.budget, quiet=True)
        res["reingest"].pop("initial", None)
        res["reingest_loadavg"] = [start, loadavg()]
        print(f"{label}: change one {res['reingest']['change_one']['wall_s']:.1f} s, delete one "
              f"{res['reingest'].get('delete_one', {}).get('wall_s', 0):.1f} s", flush=True)  # fmt: skip
    return res


def peer_build_s(p: dict[str, Any]) -> float:
    return float(p["bm25_s"]) + float(p["embed_s"]) + float(p["faiss_s"])


def markdown(results: list[dict[str, Any]]) -> str:
    heads = [f"{r['label']}: ×{r['x_sample']:g} ({r['lines']:,} lines, {r['files']} files)" for r in results]
    rows: list[tuple[str, list[str], str]] = []

    def add(label: str, values: list[str], target: str = "") -> None:
        rows.append((label, values, target))

    ing = [r["ingest"] for r in results]
    add("passages / facts", [f"{i['counts']['passages']:,} / {i['counts']['facts']:,}" for i in ing])
    add("tokens embedded", [f"{i['tokens']:,}" for i in ing])
    add(
        "**ingest, from scratch**",
        [f"**{i['timings_s']['total']:.1f} s**" for i in ing],
        f"≤ {TARGETS['ingest_s']:.0f} s",
    )
    for st in STAGES:
        add(f"  {st}", [f"{float(i['timings_s'].get(st, 0)):.2f} s" for i in ing])
    add("**peak RSS, ingest**", [f"**{i['peak_rss_mb']:.0f} MB**" for i in ing], f"≤ {TARGETS['peak_rss_mb']:.0f} MB")
    add("load average, ingest (start → end)", [f"{r['ingest_loadavg'][0]} → {r['ingest_loadavg'][1]}" for r in results])
    add("index size on disk", [f"{r['index_mb']:.1f} MB" for r in results])
    q = [r["query"] for r in results]
    add("**Engine.load**", [f"**{x['engine_load_s']:.2f} s**" for x in q], f"≤ {TARGETS['engine_load_s']:.0f} s")
    add(
        "**answer() p50 / p95**",
        [f"**{x['answer_ms']['p50']:.1f} / {x['answer_ms']['p95']:.1f} ms**" for x in q],
        f"≤ {TARGETS['answer_p50_ms']:.0f} / ≤ {TARGETS['answer_p95_ms']:.0f} ms",
    )
    add("questions abstained (of 30)", [str(x["answer_kinds_abstained"]) for x in q])
    add(
        "RSS after Engine.load / peak while answering",
        [f"{x['rss_after_load_mb']:.0f} / {x['serving_peak_rss_mb']:.0f} MB" for x in q],
    )
    add("peer build: bm25s + embedding + FAISS flat", [
        f"{peer_build_s(x['peer']):.1f} s ({x['peer']['bm25_s']:.1f} + {x['peer']['embed_s']:.1f}"
        f"{'*' if x['peer']['embed'] == 'reused' else ''} + {x['peer']['faiss_s']:.2f})" for x in q
    ])  # fmt: skip
    add(
        "peer query p50 / p95",
        [f"{x['peer']['query_ms']['p50']:.1f} / {x['peer']['query_ms']['p95']:.1f} ms" for x in q],
    )
    add("load average, load + answer + peer", [f"{r['query_loadavg'][0]} → {r['query_loadavg'][1]}" for r in results])
    if all("reingest" in r for r in results):
        re = [r["reingest"] for r in results]
        add(
            "**re-ingest, one line appended to one file**",
            [f"**{x['change_one']['wall_s']:.1f} s** ({x['change_one']['changes'].get('vectors_embedded', 0)} embedded)"
             for x in re],
            f"≤ {TARGETS['change_one_s']:.0f} s",
        )  # fmt: skip
        add(
            "**re-ingest, one file deleted**",
            [f"**{x['delete_one']['wall_s']:.1f} s**" if "delete_one" in x else "–" for x in re],
            f"≤ {TARGETS['delete_one_s']:.0f} s",
        )
        add("load average, re-ingest", [f"{r['reingest_loadavg'][0]} → {r['reingest_loadavg'][1]}" for r in results])
    out = [
        "| measure | " + " | ".join(heads) + " | target (whole corpus) |",
        "| --- | " + " | ".join("---:" for _ in heads) + " | --- |",
    ]
    out += [f"| {label} | " + " | ".join(vals) + f" | {target} |" for label, vals, target in rows]
    return "\n".join(out)


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = [r["lines"] for r in results]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.6))
    ingest = [float(r["ingest"]["timings_s"]["total"]) for r in results]
    embed = [float(r["ingest"]["timings_s"].get("embed", 0)) for r in results]
    peer = [peer_build_s(r["query"]["peer"]) for r in results]
    a.plot(lines, ingest, "o-", label="kgqa ingest (from scratch)")
    a.plot(lines, embed, "s--", label="  of which embedding")
    a.plot(lines, peer, "^-", label="peer build (bm25s + embed + FAISS)")
    if all("reingest" in r for r in results):
        a.plot(lines, [r["reingest"]["change_one"]["wall_s"] for r in results], "d-", label="re-ingest, 1 file changed")
    a.axhline(TARGETS["ingest_s"], color="grey", ls=":", label="target: whole corpus ≤ 600 s")
    a.set(xscale="log", yscale="log", xlabel="corpus lines", ylabel="seconds", title="Ingest time")
    a.legend(fontsize=8)
    b.plot(lines, [r["query"]["answer_ms"]["p50"] for r in results], "o-", label="answer() p50")
    b.plot(lines, [r["query"]["answer_ms"]["p95"] for r in results], "o--", label="answer() p95")
    b.plot(lines, [r["query"]["peer"]["query_ms"]["p50"] for r in results], "^-", label="peer p50")
    b.plot(lines, [r["query"]["peer"]["query_ms"]["p95"] for r in results], "^--", label="peer p95")
    b.axhline(TARGETS["answer_p50_ms"], color="grey", ls=":", label="target p50 15 ms")
    b.axhline(TARGETS["answer_p95_ms"], color="grey", ls="-.", label="target p95 50 ms")
    b.set(xscale="log", yscale="log", xlabel="corpus lines", ylabel="ms", title="Query latency")
    b.legend(fontsize=8)
    c.plot(lines, [r["ingest"]["peak_rss_mb"] for r in results], "o-", label="peak RSS, ingest")
    c.plot(lines, [r["query"]["serving_peak_rss_mb"] for r in results], "s-", label="peak RSS, load + answer")
    c.plot(lines, [r["index_mb"] for r in results], "^-", label="index on disk")
    c.axhline(TARGETS["peak_rss_mb"], color="grey", ls=":", label="target: peak RSS ≤ 2048 MB")
    c.set(xscale="log", xlabel="corpus lines", ylabel="MB", title="Memory and disk")
    c.legend(fontsize=8)
    for ax in (a, b, c):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("kgqa against corpus size (awsdocs slices; one run per size, shared 2-core machine)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="folder with sqs/, lambda/, dynamodb/")
    parser.add_argument("--sizes", default="1,10,all", help="multiples of the 1,466 sample lines, or all (1,10,all)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the questions (1-10; default 3)")
    parser.add_argument("--questions", default=str(QUESTIONS), help="question list, one a line")
    parser.add_argument("--budget", type=float, default=1500.0, help="seconds allowed per child process")
    parser.add_argument("--peer-embed-max", type=int, default=10000, help="above this many passages the peer "
                        "reuses kgqa's vectors instead of embedding again (default 10000)")  # fmt: skip
    parser.add_argument("--work", help="keep the copies and indexes here (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="take builds already in --work")
    parser.add_argument("--no-reingest", action="store_true", help="skip the changed/deleted file re-ingests")
    parser.add_argument("--json", help="write the results as JSON to this file")
    parser.add_argument("--plot", help="write a PNG of time and memory against size (matplotlib)")
    parser.add_argument("--from-json", help="print the table (and --plot) from a saved --json file; run nothing")
    parser.add_argument("--query-child", help=argparse.SUPPRESS)
    parser.add_argument("--peer-reuse", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rounds = max(1, min(10, args.rounds))
    if args.query_child:
        questions = read_questions(Path(args.questions))
        print("RESULT " + json.dumps(query_child(Path(args.query_child), questions, rounds, not args.peer_reuse)))
        return
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text(encoding="utf-8"))["sizes"]
    else:
        args.rounds = rounds
        sizes = [s.strip() for s in args.sizes.split(",") if s.strip()][:6]
        for s in sizes:
            if s != "all" and not s.replace(".", "", 1).isdigit():
                raise SystemExit(f"--sizes: a number or 'all', not {s!r}")
        if not (Path(args.corpus) / GUIDES[0]).is_dir():
            raise SystemExit(f"not the awsdocs corpus (no {GUIDES[0]}/): {args.corpus}")
        questions_file = Path(args.questions).resolve()
        tmp = None if args.work else tempfile.mkdtemp(prefix="kgqa-scale-")
        work = Path(args.work or str(tmp))
        work.mkdir(parents=True, exist_ok=True)
        results = []
        try:
            for size in sizes:
                results.append(run_size(size, args, work, questions_file))
                if args.json:  # after every size, so a later failure keeps what was measured
                    doc = {"sizes": results, "targets": TARGETS, "cpus": os.cpu_count()}
                    Path(args.json).write_text(json.dumps(doc, indent=1), encoding="utf-8")
        finally:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
    print(markdown(results))
    if args.plot:
        plot(results, Path(args.plot))


if __name__ == "__main__":
    main()
