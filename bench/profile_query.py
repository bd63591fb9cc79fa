"""Where Engine.load and answer() spend their time: cProfile of one load and of a fixed question list.

Run: .venv/bin/python bench/profile_query.py --index DIR [--questions FILE] [--top 25]
     [--sort cumulative|tottime] [--save PREFIX]

``--questions``: a list, one a line (default bench/scale_questions.txt), or a QA ``.jsonl`` file.

Prints the load time and the answer() time (each without the profiler, then under it), and the top functions
of each profile. ``--save PREFIX`` also writes ``PREFIX.load.prof`` and ``PREFIX.answer.prof`` (pstats files).
The profiler slows Python code several times over, so read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def report(prof: cProfile.Profile, sort: str, top: int) -> str:
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats(sort).print_stats(top)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="a built index folder")
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "scale_questions.txt")
    parser.add_argument("--top", type=int, default=25, help="functions shown per profile")
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"))
    parser.add_argument("--save", help="write PREFIX.load.prof and PREFIX.answer.prof")
    args = parser.parse_args()

    from answer_dump import read_questions

    from kg.qa.answer import vector_fn
    from kg.qa.engine import Engine
    from kg.settings import Settings

    settings = Settings.from_env(index_dir=str(args.index))
    questions = read_questions(args.questions)
    print(f"load average {os.getloadavg()[0]:.2f}")

    t = time.perf_counter()
    Engine.load(settings).close()
    print(f"Engine.load {time.perf_counter() - t:.2f} s (no profiler)")
    load_prof = cProfile.Profile()
    t = time.perf_counter()
    load_prof.enable()
    engine = Engine.load(settings)
    load_prof.disable()
    print(f"Engine.load {time.perf_counter() - t:.2f} s (profiled)")

    for q in questions[:5]:
        engine.answer(q)  # warm-up: regex caches, the ONNX session
    t = time.perf_counter()
    for q in questions:
        engine.embed = vector_fn(engine.embedder)
        engine.answer(q)
    print(f"answer() {(time.perf_counter() - t) * 1000 / len(questions):.1f} ms a question (no profiler)")
    answer_prof = cProfile.Profile()
    t = time.perf_counter()
    for q in questions:
        engine.embed = vector_fn(engine.embedder)
        answer_prof.enable()
        engine.answer(q)
        answer_prof.disable()
    print(f"answer() {(time.perf_counter() - t) * 1000 / len(questions):.1f} ms a question (profiled)")
    print(f"load average {os.getloadavg()[0]:.2f}")
    engine.close()
    if args.save:
        load_prof.dump_stats(f"{args.save}.load.prof")
        answer_prof.dump_stats(f"{args.save}.answer.prof")
    print("\n== Engine.load ==\n" + report(load_prof, args.sort, args.top))
    print("\n== answer() ==\n" + report(answer_prof, args.sort, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
