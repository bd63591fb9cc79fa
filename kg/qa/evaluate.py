"""``kgqa eval``: answer accuracy, citation@k, abstention and latency on a QA set, beside BM25 and dense baselines.

Scoring follows the development set's README: an answer is right when it is not an abstention, has at most
400 characters and contains one of the expected strings (all of them for ``list`` questions), compared
case-insensitively with curly quotes folded; citation@k is right when one of the first k citations covers a
gold line in a file of the same name.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from kg.errors import BadRequest
from kg.model import Answer, Citation, Passage
from kg.text import fold_quotes

MAX_SCORED_ANSWER = 400


def fold(s: str) -> str:
    return fold_quotes(s).lower()


def load_qa(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BadRequest(f"QA file not found: {path}", code="qa_missing")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise BadRequest(f"{path}:{n}: not valid JSON ({exc})", code="qa_invalid") from exc
        if not isinstance(item, dict) or "question" not in item:
            raise BadRequest(f"{path}:{n}: each line needs an object with a 'question'", code="qa_invalid")
        items.append(item)
    return items


def answer_correct(item: dict[str, Any], ans: Answer) -> bool:
    expected = [fold(a) for a in item.get("answers", [])]
    if not expected or ans.abstained or len(ans.answer) > MAX_SCORED_ANSWER:
        return False
    text = fold(ans.answer)
    hits = [a in text for a in expected]
    return all(hits) if item.get("type") == "list" else any(hits)


def holds_gold(item: dict[str, Any], p: Passage) -> bool:
    """Whether the passage holds one of the question's gold lines, in its source file when it names one: a right
    passage for the fit (ranking candidates, the question map)."""
    gold = item.get("source_lines") or []
    return p.file == item.get("source_file", p.file) and any(p.line_start <= g <= p.line_end for g in gold)


def citation_hit(item: dict[str, Any], citations: Sequence[Citation], k: int) -> bool:
    gold = set(item.get("source_lines", []))
    name = PurePosixPath(item.get("source_file", "")).name
    for c in citations[:k]:
        if PurePosixPath(c.source).name == name and any(c.lines[0] <= g <= c.lines[1] for g in gold):
            return True
    return False


def score(items: list[dict[str, Any]], answers: list[Answer], latencies: list[float]) -> dict[str, Any]:
    answerable = [(i, a) for i, a in zip(items, answers, strict=True) if i.get("answers")]
    unanswerable = [(i, a) for i, a in zip(items, answers, strict=True) if not i.get("answers")]
    by_type: dict[str, list[bool]] = defaultdict(list)
    for i, a in zip(items, answers, strict=True):
        by_type[i.get("type", "?")].append(a.abstained if not i.get("answers") else answer_correct(i, a))

    def share(xs: list[bool]) -> float:
        return round(sum(xs) / len(xs), 4) if xs else 0.0

    lat = sorted(latencies)
    return {
        "questions": len(items),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answer_accuracy": share([answer_correct(i, a) for i, a in answerable]),
        "citation_at_1": share([citation_hit(i, a.citations, 1) for i, a in answerable]),
        "citation_at_3": share([citation_hit(i, a.citations, 3) for i, a in answerable]),
        "abstention_recall": share([a.abstained for _, a in unanswerable]),
        "false_abstention": share([a.abstained for _, a in answerable]),
        "latency_ms_p50": round(statistics.median(lat), 2) if lat else 0.0,
        "latency_ms_p95": round(float(np.percentile(lat, 95)), 2) if lat else 0.0,
        "by_type": {t: share(v) for t, v in sorted(by_type.items())},
    }


def _run(items: list[dict[str, Any]], fn: Callable[[str], Answer]) -> tuple[list[Answer], list[float]]:
    answers, latencies = [], []
    for item in items:
        t = time.perf_counter()
        answers.append(fn(item["question"]))
        latencies.append((time.perf_counter() - t) * 1000)
    return answers, latencies


def baseline_fn(engine: Any, mode: str) -> Callable[[str], Answer]:
    """Top passage as the answer, never abstaining: the plain retrievers the graph has to beat."""
    from kg.qa.answer import vector_fn
    from kg.qa.retrieve import keyword_scores

    index = engine.index
    # the model's own vectors: without a fitted question map they are the engine's (embedded once for both)
    embed = engine.embed if engine.question_map is None else vector_fn(engine.embedder)

    def run(question: str) -> Answer:
        if mode == "bm25":
            scores = keyword_scores(index, question)
            order = [int(i) for i in np.argsort(-scores, kind="stable")[:5]]
            ps = [index.passages[i] for i in order]
        else:
            ps = [index.by_id[pid] for pid, _ in index.vectors.search(embed(question), 5)]  # type: ignore[operator]
        cites = tuple(Citation(p.file, (p.line_start, p.line_end), p.heading, p.text) for p in ps)
        return Answer(question, ps[0].text if ps else "", False, 0.0, cites)

    return run


def run_eval(engine: Any, qa_file: Path | Sequence[Path], baselines: bool = True) -> dict[str, Any]:
    files = [qa_file] if isinstance(qa_file, Path) else list(qa_file)
    items = [item for f in files for item in load_qa(f)]
    qa_file = files[0] if len(files) == 1 else Path(", ".join(str(f) for f in files))
    engine.answer("warm up")  # the first call pays one-off costs that are not per-question latency
    answers, lat = _run(items, engine.answer)
    report: dict[str, Any] = {"qa_file": str(qa_file), "ours": score(items, answers, lat)}
    # calibration: how sure the engine is against how often its answer, abstention off, is right
    probes = [engine.answer(i["question"], threshold=0.0) for i in items]
    probs = [a.confidence for a in probes]
    right = [bool(i.get("answers")) and answer_correct(i, a) for i, a in zip(items, probes, strict=True)]
    report["ours"]["ece"] = round(ece(probs, right), 4)
    report["calibration_points"] = [[round(p, 4), r] for p, r in zip(probs, right, strict=True)]
    report["reliability"] = [
        {"from": lo, "questions": n, "mean_confidence": round(m, 4), "share_right": round(acc, 4)}
        for lo, n, m, acc in reliability(probs, right)
    ]
    if baselines:
        for mode in ("bm25", "dense"):
            b_answers, b_lat = _run(items, baseline_fn(engine, mode))
            report[mode] = score(items, b_answers, b_lat)
    report["failures"] = [
        {
            "id": i.get("id"),
            "type": i.get("type"),
            "question": i["question"],
            "expected": i.get("answers", []) or "(abstain)",
            "got": a.answer,
            "abstained": a.abstained,
            "confidence": a.confidence,
            "cited": [f"{c.source}:{c.lines[0]}-{c.lines[1]}" for c in a.citations[:3]],
            "gold_lines": i.get("source_lines", []),
        }
        for i, a in zip(items, answers, strict=True)
        if not (answer_correct(i, a) if i.get("answers") else a.abstained)
    ]
    return report


def format_report(report: dict[str, Any]) -> str:
    systems = [s for s in ("ours", "bm25", "dense") if s in report]
    metrics = [
        ("answer accuracy", "answer_accuracy"),
        ("citation@1", "citation_at_1"),
        ("citation@3", "citation_at_3"),
        ("abstention recall", "abstention_recall"),
        ("false abstention", "false_abstention"),
        ("latency p50 (ms)", "latency_ms_p50"),
        ("latency p95 (ms)", "latency_ms_p95"),
    ]
    names = {"ours": "kgqa", "bm25": "BM25 only", "dense": "dense only"}
    lines = [f"{report['ours']['questions']} questions from {report['qa_file']}", ""]
    lines.append(f"| {'metric':<22} | " + " | ".join(f"{names[s]:>10}" for s in systems) + " |")
    lines.append("|" + "-" * 24 + "|" + "|".join("-" * 12 for _ in systems) + "|")
    for label, key in metrics:
        lines.append(f"| {label:<22} | " + " | ".join(f"{report[s][key]:>10}" for s in systems) + " |")
    types = sorted(report["ours"]["by_type"])
    for t in types:
        label = f"  {t}" + (" (abstained)" if t == "unanswerable" else "")
        lines.append(f"| {label:<22} | " + " | ".join(f"{report[s]['by_type'].get(t, 0):>10}" for s in systems) + " |")
    if "ece" in report["ours"]:
        lines += [
            "",
            f"Calibration: ECE {report['ours']['ece']} (10 bins; confidence vs. answer right, abstention off)",
        ]
        lines += ["", "| confidence | questions | mean confidence | share right |", "|---|---|---|---|"]
        for r in report.get("reliability", []):
            lo = r["from"]
            lines.append(
                f"| {lo:.1f}-{lo + 0.1:.1f} | {r['questions']} | {r['mean_confidence']:.3f} | {r['share_right']:.3f} |"
            )
    fails = report.get("failures", [])
    lines += ["", f"{len(fails)} question(s) not answered right by kgqa:"]
    for f in fails:
        lines.append(f"- [{f['id']} {f['type']}] {f['question']}")
        lines.append(f"    expected {f['expected']}; got {f['got'][:140]!r} (conf {f['confidence']:.2f})")
        lines.append(f"    cited {', '.join(f['cited'])}; gold lines {f['gold_lines']}")
    return "\n".join(lines)


def ece(probs: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: the confidence-weighted gap between how sure and how often right,
    over equal-width bins of confidence."""
    if not probs:
        return 0.0
    total = 0.0
    for _lo, n, mean, acc in reliability(probs, right, bins):
        total += n * abs(mean - acc)
    return total / len(probs)


def reliability(probs: Sequence[float], right: Sequence[bool], bins: int = 10) -> list[tuple[float, int, float, float]]:
    """(bin start, questions, mean confidence, share right) for each non-empty bin of confidence."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(p, y) for p, y in zip(probs, right, strict=True) if lo <= p < hi or (b == bins - 1 and p >= 1.0)]
        if sel:
            out.append((lo, len(sel), sum(p for p, _ in sel) / len(sel), sum(1 for _, y in sel if y) / len(sel)))
    return out


def format_corpora_report(report: dict[str, Any]) -> str:
    """Per-corpus figures, pooled figures per split, and the test split's reliability table."""
    keys = ["answer_accuracy", "citation_at_1", "citation_at_3", "abstention_recall", "false_abstention", "ece"]
    head = (
        "| corpus | split | questions | answer acc | citation@1 | citation@3 | abstention recall | false abst | ECE |"
    )
    lines = [head, "|" + "---|" * 9]
    for c in report["corpora"]:
        o = c["ours"]
        lines.append(
            f"| {c['name']} | {c['split']} | {o['questions']} | " + " | ".join(f"{o[k]:.2f}" for k in keys) + " |"
        )
    for split, pooled in report["pooled"].items():
        lines.append(
            f"| **all {split}** | {split} | {pooled['questions']} | "
            + " | ".join(f"{pooled[k]:.2f}" for k in keys)
            + " |"
        )
    for split, table in report["reliability"].items():
        lines += ["", f"Reliability, {split} split (10 bins; confidence vs. answer right, abstention off):", ""]
        lines += ["| confidence | questions | mean confidence | share right |", "|---|---|---|---|"]
        for lo, n, mean, acc in table:
            lines.append(f"| {lo:.1f}-{lo + 0.1:.1f} | {n} | {mean:.3f} | {acc:.3f} |")
    return "\n".join(lines)


def pool(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Figures over several corpora's questions together (each question counts once)."""
    ans = sum(r["ours"]["answerable"] for r in reports)
    una = sum(r["ours"]["unanswerable"] for r in reports)

    def mean(key: str, weight: str) -> float:
        total = sum(r["ours"][weight] for r in reports)
        return round(sum(r["ours"][key] * r["ours"][weight] for r in reports) / total, 4) if total else 0.0

    points = [p for r in reports for p in r.get("calibration_points", [])]
    return {
        "questions": ans + una,
        "answer_accuracy": mean("answer_accuracy", "answerable"),
        "citation_at_1": mean("citation_at_1", "answerable"),
        "citation_at_3": mean("citation_at_3", "answerable"),
        "abstention_recall": mean("abstention_recall", "unanswerable"),
        "false_abstention": mean("false_abstention", "answerable"),
        "ece": round(ece([p for p, _ in points], [bool(y) for _, y in points]), 4),
    }
