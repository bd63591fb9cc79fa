"""Precision and recall of ingest.extract against the hand labels in tests/fixtures/extraction_labels.jsonl.

Run: .venv/bin/python bench/extraction_eval.py [--labels PATH] [--quiet]

A predicted fact matches a gold one when it comes from the passage holding the gold line, has the same kind
and, when the gold has a value, a value equal within 1e-9. Only passages holding a labelled line are scored:
every fact extracted from them that matches no gold fact is a false positive.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.extract import extract_facts  # noqa: E402
from kg.model import Fact, FactKind, Passage, content_id  # noqa: E402

KINDS = tuple(FactKind)


@dataclass(frozen=True)
class Gold:
    file: str
    line: int
    kind: str | None
    value: float | None
    unit: str | None
    service: str | None


def load_labels(path: Path) -> list[Gold]:
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        row = json.loads(raw)
        out.append(
            Gold(
                row["file"],
                int(row["line"]),
                row.get("kind"),
                row.get("value"),
                row.get("unit"),
                row.get("service_hint"),
            )
        )
    return out


def _fallback_parse(path: Path, root: Path) -> list[Passage]:
    """One passage per non-blank line, for when ingest.parser is missing (it is written in parallel)."""
    rel = path.relative_to(root).as_posix()
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip().removeprefix("- ").strip()
        if text and text != "-":
            pid = content_id(rel, n, n, text, prefix="p-")
            out.append(Passage(id=pid, file=rel, line_start=n, line_end=n, text=text, section=()))
    return out


def passages_of(path: Path) -> list[Passage]:
    try:
        from ingest.parser import parse_file
    except ImportError:
        return _fallback_parse(path, path.parent)
    return parse_file(path, path.parent)


def _matches(fact: Fact, gold: Gold) -> bool:
    if fact.kind != gold.kind:
        return False
    if gold.value is None:
        return True
    return fact.value is not None and abs(fact.value - float(gold.value)) < 1e-9


@dataclass
class Result:
    tp: Counter
    fn: Counter
    fp: Counter
    misses: list[tuple[Gold, str]]
    false_pos: list[tuple[str, int, Fact, str]]


def evaluate(labels: list[Gold]) -> Result:
    res = Result(Counter(), Counter(), Counter(), [], [])
    by_file: dict[str, list[Gold]] = defaultdict(list)
    for g in labels:
        by_file[g.file].append(g)
    for file, golds in sorted(by_file.items()):
        passages = passages_of(ROOT / file)
        by_passage: dict[str, list[Gold]] = defaultdict(list)
        holder: dict[str, Passage] = {}
        for g in golds:
            p = next((p for p in passages if p.line_start <= g.line <= p.line_end), None)
            if p is None:
                if g.kind:
                    res.fn[g.kind] += 1
                    res.misses.append((g, "<no passage>"))
                continue
            by_passage[p.id].append(g)
            holder[p.id] = p
        for pid, gs in by_passage.items():
            p = holder[pid]
            predicted = extract_facts(p, p.service or "unknown")
            _score(res, file, p, [g for g in gs if g.kind], predicted)
    return res


def _score(res: Result, file: str, p: Passage, golds: list[Gold], predicted: list[Fact]) -> None:
    left = list(predicted)
    # Gold facts with a value first: a value-less gold must not take the fact a valued one needs.
    for g in sorted(golds, key=lambda g: g.value is None):
        hit = next((f for f in left if _matches(f, g)), None)
        if hit is not None and g.kind:
            res.tp[g.kind] += 1
            left.remove(hit)
        elif g.kind:
            res.fn[g.kind] += 1
            res.misses.append((g, p.text))
    for f in left:
        res.fp[f.kind] += 1
        res.false_pos.append((file, p.line_start, f, p.text))


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def report(res: Result, quiet: bool = False) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for kind in (*KINDS, "overall"):
        if kind == "overall":
            tp, fn, fp = sum(res.tp.values()), sum(res.fn.values()), sum(res.fp.values())
        else:
            tp, fn, fp = res.tp[kind], res.fn[kind], res.fp[kind]
        table[kind] = {"precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn), "tp": tp, "fp": fp, "fn": fn}
    print(f"{'kind':<9} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for kind, row in table.items():
        print(f"{kind:<9} {row['precision']:>9.3f} {row['recall']:>7.3f} {row['tp']:>4} {row['fp']:>4} {row['fn']:>4}")
    if not quiet:
        print(f"\nmisses ({len(res.misses)}):")
        for g, text in res.misses:
            print(f"  {Path(g.file).name}:{g.line} {g.kind} {g.value} {g.unit or ''} | {text[:100]}")
        print(f"\nfalse positives ({len(res.false_pos)}):")
        for file, line, f, text in res.false_pos:
            print(f"  {Path(file).name}:{line} {f.kind} {f.value} {f.unit or ''} [{f.label}] | {text[:90]}")
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=ROOT / "tests/fixtures/extraction_labels.jsonl")
    ap.add_argument("--quiet", action="store_true", help="only the table, no misses or false positives")
    args = ap.parse_args(argv)
    labels = load_labels(args.labels)
    facts = [g for g in labels if g.kind]
    print(
        f"{len(facts)} labelled facts, {len(labels) - len(facts)} no-fact lines, "
        f"{len({g.service for g in facts})} services, {len({g.file for g in labels})} files\n"
    )
    report(evaluate(labels), quiet=args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
