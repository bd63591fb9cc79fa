"""Re-ingest from the per-file cache, with the real model: after files are changed, added or deleted, the index
equals a build of the same folder from scratch (passages, facts, services, the graph file, vector ids), only the
changed files are parsed again, and a file whose subject got another service id through another file's change
has its facts and triples redone."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef, namespace

import ingest.pipeline
import kg.counts
from ingest.filecache import ENTRIES, RECORD
from ingest.pipeline import BuildReport, build_index
from kg.counts import BM25_FILE, COUNTS
from kg.definitions import DEFINITIONS
from kg.graph import KGQA, build_graph
from kg.names import MENTIONS
from kg.qa.index import Index
from kg.settings import Settings
from kg.turtle import HEADER, turtle_part
from kg.vectors import FaissIndex

# "Amazon SQS" in a.md names the subject b.md shares: both get the id amazon-sqs; without it b.md's is sqs
QUEUES_A = "# Amazon SQS\n- Messages are kept for 4 days by default\n- Visibility timeout up to 12 hours\n"
QUEUES_B = "# SQS: Simple Queue Service\n- Maximum message size: 256 KB\n- Long polling waits up to 20 seconds\n"
TOPICS = 'SNS: Simple Notification Service\n- Up to 12,500,000 subscriptions per topic\n- A "quoted" \\ line\n'
STREAMS = "# Kinesis Data Streams\n\n| Item | Price |\n| --- | --- |\n| Shard hour | $0.015 per hour |\n"
FILES = {"a.md": QUEUES_A, "b.md": QUEUES_B, "notes/topics.txt": TOPICS, "notes/streams.md": STREAMS}


@pytest.fixture(autouse=True)
def _no_kgqa_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("KGQA_"):
            monkeypatch.delenv(name)


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def build(notes: Path, index: Path) -> BuildReport:
    return build_index(Settings(notes_dir=str(notes), index_dir=str(index)), progress=False)


def triples(data: bytes) -> set[tuple[object, object, object]]:
    return set(Graph().parse(data=data, format="turtle"))


def assert_same_index(index: Path, scratch: Path) -> None:
    for name in (
        "passages.jsonl",
        "facts.jsonl",
        "services.json",
        "graph.ttl",
        COUNTS,
        BM25_FILE,
        MENTIONS,
        DEFINITIONS,
    ):
        assert (index / name).read_bytes() == (scratch / name).read_bytes(), name
    assert triples((index / "graph.ttl").read_bytes()) == triples((scratch / "graph.ttl").read_bytes())
    assert FaissIndex.load(index).ids == FaissIndex.load(scratch).ids


def rename_subject(notes: Path) -> None:
    write(notes, {"a.md": QUEUES_A.replace("Amazon SQS", "Amazon SNS")})


EDITS: dict[str, tuple[Callable[[Path], None], int, bool]] = {
    # edit, files parsed again, whether an unchanged file's service ids change with it
    "change": (lambda n: write(n, {"notes/topics.txt": TOPICS + "- Message size up to 256 KB\n"}), 1, False),
    "add": (lambda n: write(n, {"lambda.md": "# AWS Lambda\n- Maximum execution time: 15 minutes\n"}), 1, False),
    "delete": (lambda n: (n / "notes/streams.md").unlink(), 0, False),
    "change moves a shared subject": (rename_subject, 1, True),
    "delete moves a shared subject": (lambda n: (n / "a.md").unlink(), 0, True),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_reingest_equals_a_build_from_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str) -> None:
    notes, index = tmp_path / "notes", tmp_path / "index"
    write(notes, FILES)
    first = build(notes, index)
    assert first.changes["files_parsed"] == len(FILES)
    before = {p.file: p.service for p in Index.load(index).passages}
    assert before["a.md"] == before["b.md"] == "amazon-sqs"

    change, parsed, moves = EDITS[edit]
    change(notes)
    seen: list[str] = []
    real_parse = ingest.pipeline.parse_bytes
    monkeypatch.setattr(ingest.pipeline, "parse_bytes", lambda data, rel: seen.append(rel) or real_parse(data, rel))
    counted: list[str] = []
    real_count = kg.counts.count_part
    monkeypatch.setattr(
        kg.counts, "count_part", lambda run, *a: counted.extend({p.file for p in run}) or real_count(run, *a)
    )
    report = build(notes, index)
    monkeypatch.undo()

    assert len(seen) == report.changes["files_parsed"] == parsed
    # the words are counted again only in the files whose passages' texts changed
    assert len(counted) == parsed
    assert set(seen) <= set(report.changes["files_changed"]) | set(report.changes["files_added"])
    after = {p.file: p.service for p in Index.load(index).passages}
    assert (after["b.md"] != before["b.md"]) == moves
    assert (report.changes["files_reextracted"] >= 1) == moves
    scratch = tmp_path / "scratch"
    assert build(notes, scratch).counts == report.counts
    assert_same_index(index, scratch)
    # a third build starts from the re-ingested index's cache and is up to date
    assert build(notes, index).up_to_date


def test_the_graph_file_holds_the_triples_of_build_graph(tmp_path: Path) -> None:
    notes, index = tmp_path / "notes", tmp_path / "index"
    write(notes, FILES)
    report = build(notes, index)
    loaded = Index.load(index)
    hashes = {f.path: f.sha256 for f in report.files}
    reference = build_graph(list(loaded.services.values()), loaded.passages, loaded.facts, hashes)
    expected = triples(reference.serialize(format="turtle").encode("utf-8"))  # as rdflib writes and reads it
    data = (index / "graph.ttl").read_bytes()
    assert triples(data) == expected
    assert len(expected) == report.counts["triples"]
    store = ox.Store()
    store.bulk_load(data, format=ox.RdfFormat.TURTLE)
    assert len(store) == report.counts["triples"]
    assert any(KGQA.hasPricing in t for t in expected)  # the table row's price is in the graph


def test_turtle_parts_write_literals_as_rdflib_does() -> None:
    s = URIRef("https://kgqa.dev/id/passage/p-1")
    odd = URIRef("https://kgqa.dev/id/file/a%20b/c.md")
    objects = [
        Literal('say "hi" \\ then\nnew line\r\tand tab, 𝛑, é'),
        Literal(12, datatype=namespace.XSD.integer),
        Literal(True),
        Literal(Decimal("100"), datatype=namespace.XSD.decimal),
        Literal(Decimal("0.0000001"), datatype=namespace.XSD.decimal),
        Literal(Decimal("12.5"), datatype=namespace.XSD.decimal),
        Literal("x", lang="en"),
        Literal("2024-01-01", datatype=namespace.XSD.date),
        odd,
    ]
    graph = Graph()
    for i, o in enumerate(objects):
        graph.add((s, KGQA[f"p{i}"], o))
    text, count = turtle_part(iter(graph))
    assert count == len(objects)
    assert triples((HEADER + text).encode("utf-8")) == triples(graph.serialize(format="turtle").encode("utf-8"))


def test_a_damaged_cache_entry_is_parsed_again(tmp_path: Path) -> None:
    notes, index = tmp_path / "notes", tmp_path / "index"
    write(notes, FILES)
    build(notes, index)
    assert len(list((index / ENTRIES).iterdir())) == len(FILES)
    record = json.loads((index / RECORD).read_text(encoding="utf-8"))["entries"]
    damaged = index / ENTRIES / f"{record['a.md']['key']}.json"
    data = damaged.read_bytes()
    assert b"4 days" in data
    os.unlink(damaged)  # a hard link shared with nothing else now, but never edit a build's file in place
    damaged.write_bytes(data.replace(b"days", b"dayz"))
    write(notes, {"notes/topics.txt": TOPICS + "- Message size up to 256 KB\n"})
    report = build(notes, index)
    assert report.changes["files_parsed"] == 2  # the changed file and the one whose entry did not match
    assert not any("dayz" in p.text for p in Index.load(index).passages)
    scratch = tmp_path / "scratch"
    build(notes, scratch)
    assert_same_index(index, scratch)
