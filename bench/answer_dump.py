"""Dump the engine's answers to JSON, and compare two dumps: a performance change must not change any answer.

For every question: the answer text, whether it abstained, the confidence (full float precision), the kind,
the citations, the facts, the SPARQL and the confidence signals. ``timings_ms`` is left out (it differs run to
run); everything else must be byte-for-byte the same before and after a change that only makes answering faster.

Run:
  .venv/bin/python bench/answer_dump.py --corpora data/eval/corpora.json --cache .cache/fit --out before.json
  .venv/bin/python bench/answer_dump.py --index DIR --questions bench/scale_questions.txt --out before-x86.json
  .venv/bin/python bench/answer_dump.py --compare before.json after.json

``--corpora`` answers every question set of every corpus (indexes built into ``--cache``, a no-op when the
notes are unchanged, as ``kgqa eval --corpora``); ``--index`` answers one question list (one a line, ``#``
comments skipped, or a JSON-lines QA file) on a built index. ``--compare`` exits 1 when the dumps differ and
names the first differing questions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def read_questions(path: Path) -> list[str]:
    """Questions of a JSON-lines QA file (``question`` field) or of a plain list, one a line."""
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    if path.suffix == ".jsonl":
        return [str(json.loads(ln)["question"]) for ln in lines if ln]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def answers(engine: Any, questions: list[str]) -> list[dict[str, Any]]:
    out = []
    for q in questions:
        signals: dict[str, float] = {}
        ans = engine.answer(q, signals_out=signals)
        doc = ans.to_json()
        doc.pop("timings_ms", None)
        doc["confidence"] = repr(ans.confidence)  # unrounded: the slightest change shows
        doc["signals"] = {k: repr(v) for k, v in sorted(signals.items())}
        out.append(doc)
    return out


def dump_corpora(corpora: Path, cache: Path) -> dict[str, Any]:
    from api.corpora import corpus_engine, load_corpora
    from kg.settings import Settings

    settings = Settings.from_env()
    root, entries = load_corpora(corpora)
    doc: dict[str, Any] = {}
    for corpus in entries:
        engine = corpus_engine(settings, root, corpus, cache)
        try:
            questions = [q for qa in corpus["qa"] for q in read_questions(root / qa)]
            doc[corpus["name"]] = answers(engine, questions)
        finally:
            engine.close()
        print(f"{corpus['name']}: {len(doc[corpus['name']])} answers", file=sys.stderr, flush=True)
    return doc


def dump_index(index: Path, questions: Path) -> dict[str, Any]:
    from kg.qa.engine import Engine
    from kg.settings import Settings

    engine = Engine.load(Settings.from_env(index_dir=str(index)))
    try:
        return {index.name: answers(engine, read_questions(questions))}
    finally:
        engine.close()


def compare(before: Path, after: Path) -> int:
    a = json.loads(before.read_text(encoding="utf-8"))
    b = json.loads(after.read_text(encoding="utf-8"))
    differing: list[str] = []
    total = 0
    for name in sorted(set(a) | set(b)):
        left, right = a.get(name, []), b.get(name, [])
        if len(left) != len(right):
            differing.append(f"{name}: {len(left)} answers before, {len(right)} after")
            continue
        for x, y in zip(left, right, strict=True):
            total += 1
            if x != y:
                keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                differing.append(f"{name}: {x.get('question')!r} differs in {', '.join(keys)}")
    if differing:
        print(f"{len(differing)} of {total} answers differ:")
        for line in differing[:20]:
            print("  " + line)
        return 1
    print(f"identical: {total} answers in {len(a)} sets")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, help="corpora file (data/eval/corpora.json)")
    parser.add_argument("--cache", type=Path, default=Path(".cache/eval"), help="index folder for --corpora")
    parser.add_argument("--index", type=Path, help="a built index folder")
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "scale_questions.txt")
    parser.add_argument("--out", type=Path, help="write the dump here (default: standard output)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"), help="compare two dumps")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    if bool(args.corpora) == bool(args.index):
        parser.error("give exactly one of --corpora, --index (or --compare)")
    doc = dump_corpora(args.corpora, args.cache) if args.corpora else dump_index(args.index, args.questions)
    text = json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
