"""Incremental ingest with the real model: a changed, added or deleted file re-embeds only the passages whose
embedded text changed, deletes cascade to passages, facts, vectors and triples, and the result equals a
from-scratch build."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from api.cli import main
from ingest.pipeline import BuildReport, build_index
from kg.manifest import verify_index
from kg.model import Passage
from kg.settings import Settings
from kg.vectors import FaissIndex, read_line_pieces

QUEUES = (
    "SQS: Simple Queue Service\n"
    "- Default retention of messages: 4 days, maximum of 14 days\n"
    "- Limitation of 256 KB per message sent\n"
    "- Long polling waits up to 20 seconds\n"
    "SQS Pricing\n"
    "- Standard queue: $0.40 per 1 million requests\n"
)
TOPICS = "# SNS: Simple Notification Service\n- Up to 12,500,000 subscriptions per topic\n- Message size up to 256 KB\n"
STREAMS = "Kinesis Data Streams\n- Shard hour: $0.015 per hour\n- Retention up to 365 days\n"
FILES = {"queues.md": QUEUES, "topics.txt": TOPICS, "streams.txt": STREAMS}


@pytest.fixture(autouse=True)
def _no_kgqa_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("KGQA_"):
            monkeypatch.delenv(name)


def write_notes(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def build(notes: Path, index: Path, **kwargs: bool) -> BuildReport:
    return build_index(Settings(notes_dir=str(notes), index_dir=str(index)), progress=False, **kwargs)


def passages(index: Path) -> list[Passage]:
    with (index / "passages.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [Passage(**{**r, "section": tuple(r["section"])}) for r in rows]


def facts(index: Path) -> set[str]:
    return set((index / "facts.jsonl").read_text(encoding="utf-8").splitlines())


def vectors(index: Path) -> tuple[list[str], np.ndarray]:
    vi = FaissIndex.load(index)
    return vi.ids, vi.index.reconstruct_n(0, len(vi.ids))


def assert_same_as_from_scratch(notes: Path, index: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    report = build(notes, scratch)
    assert report.changes["vectors_reused"] == 0
    assert [p.id for p in passages(index)] == [p.id for p in passages(scratch)]
    ids, vecs = vectors(index)
    scratch_ids, scratch_vecs = vectors(scratch)
    assert ids == scratch_ids
    np.testing.assert_allclose(vecs, scratch_vecs, atol=1e-6, rtol=0)
    pieces, scratch_pieces = (read_line_pieces(i, len(ids)) for i in (index, scratch))
    assert pieces is not None and scratch_pieces is not None
    np.testing.assert_array_equal(pieces.starts, scratch_pieces.starts)  # each passage's own pieces, reused or not
    np.testing.assert_allclose(
        pieces.codes * pieces.scales[:, None], scratch_pieces.codes * scratch_pieces.scales[:, None], atol=0.01
    )
    assert facts(index) == facts(scratch)
    assert isomorphic(Graph().parse(index / "graph.ttl"), Graph().parse(scratch / "graph.ttl"))


@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path, BuildReport]:
    notes = write_notes(tmp_path / "notes", FILES)
    index = tmp_path / "index"
    report = build(notes, index)
    return notes, index, report


def test_first_build_embeds_every_passage(built: tuple[Path, Path, BuildReport]) -> None:
    _notes, index, report = built
    n = len(passages(index))
    assert report.changes["files_added"] == sorted(FILES)
    assert report.changes["passages_added"] == n and report.changes["passages_removed"] == 0
    assert report.changes["vectors_embedded"] == n and report.changes["vectors_reused"] == 0
    assert report.changes["tokens_embedded"] > n  # every passage is several word pieces


def test_changing_one_line_embeds_only_that_passage(built: tuple[Path, Path, BuildReport], tmp_path: Path) -> None:
    notes, index, _ = built
    before = {p.context_text() for p in passages(index)}
    (notes / "queues.md").write_text(QUEUES.replace(": 4 days", ": 5 days"), encoding="utf-8")
    report = build(notes, index)
    after = passages(index)
    changed = [p for p in after if p.context_text() not in before]
    assert [p.text for p in changed] == ["Default retention of messages: 5 days, maximum of 14 days"]
    assert report.changes["files_changed"] == ["queues.md"]
    assert report.changes["files_added"] == [] and report.changes["files_deleted"] == []
    assert report.changes["vectors_embedded"] == 1
    assert report.changes["vectors_reused"] == len(after) - 1
    assert report.changes["passages_added"] == 1 and report.changes["passages_removed"] == 1
    assert report.changes["facts_added"] >= 1 and report.changes["facts_removed"] >= 1
    verify_index(index)  # checksums cover the vector cache too
    assert_same_as_from_scratch(notes, index, tmp_path)


def test_renaming_a_heading_re_embeds_the_passages_under_it(
    built: tuple[Path, Path, BuildReport], tmp_path: Path
) -> None:
    notes, index, _ = built
    (notes / "streams.txt").write_text(STREAMS.replace("Kinesis Data Streams", "Amazon Kinesis"), encoding="utf-8")
    report = build(notes, index)
    streams = [p for p in passages(index) if p.file == "streams.txt"]
    # the heading path is part of what is embedded: every passage of the file has new text
    assert report.changes["vectors_embedded"] == len(streams) == 3
    assert report.changes["vectors_reused"] == len(passages(index)) - 3
    assert_same_as_from_scratch(notes, index, tmp_path)


def test_adding_a_file_embeds_only_its_passages(built: tuple[Path, Path, BuildReport], tmp_path: Path) -> None:
    notes, index, _ = built
    write_notes(notes, {"lambda.md": "# AWS Lambda\n- Maximum execution time: 15 minutes\n"})
    report = build(notes, index)
    added = [p for p in passages(index) if p.file == "lambda.md"]
    assert report.changes["files_added"] == ["lambda.md"]
    assert report.changes["vectors_embedded"] == len(added) == report.changes["passages_added"]
    assert_same_as_from_scratch(notes, index, tmp_path)


def test_deleting_a_file_cascades(built: tuple[Path, Path, BuildReport], tmp_path: Path) -> None:
    notes, index, _ = built
    gone = {p.id for p in passages(index) if p.file == "topics.txt"}
    assert gone
    (notes / "topics.txt").unlink()
    report = build(notes, index)
    assert report.changes["files_deleted"] == ["topics.txt"]
    assert report.changes["passages_removed"] == len(gone) and report.changes["passages_added"] == 0
    assert report.changes["facts_removed"] >= 1 and report.changes["facts_added"] == 0
    assert report.changes["vectors_embedded"] == 0
    left = passages(index)
    assert all(p.file != "topics.txt" for p in left)
    ids, _ = vectors(index)
    assert not gone & set(ids) and len(ids) == len(left)
    cache = json.loads((index / "vector_cache.json").read_text(encoding="utf-8"))
    # no vector of the deleted file kept: one row per text embedded, a line with its headings or alone
    assert len(cache["keys"]) == len({p.context_text() for p in left} | {p.text for p in left})
    assert all(json.loads(line)["passage"] not in gone for line in facts(index))

    graph = Graph().parse(index / "graph.ttl")
    citing = graph.query(
        """SELECT ?s ?p ?o WHERE { ?s ?p ?o .
             FILTER(CONTAINS(STR(?s), "topics.txt") || CONTAINS(STR(?o), "topics.txt")) }"""
    )
    assert list(citing) == []
    orphans = graph.query(
        """PREFIX kgqa: <https://kgqa.dev/ontology#>
           SELECT ?fact WHERE { ?fact kgqa:source ?p . FILTER NOT EXISTS { ?p a kgqa:Passage } }"""
    )
    assert list(orphans) == []
    sns = graph.query(
        """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
           SELECT ?s WHERE { ?s rdfs:label ?l . FILTER(CONTAINS(?l, "SNS")) }"""
    )
    assert list(sns) == []
    assert_same_as_from_scratch(notes, index, tmp_path)


def test_a_damaged_vector_cache_is_not_trusted(built: tuple[Path, Path, BuildReport]) -> None:
    notes, index, _ = built
    cache = index / "vector_cache.npy"
    data = bytearray(cache.read_bytes())
    data[-8:] = b"\x00\x00\x80\x7f" * 2  # two floats turned into infinities
    cache.write_bytes(bytes(data))
    report = build(notes, index)
    assert "vector_cache.npy" in report.rebuilt_because
    assert report.changes["vectors_reused"] == 0
    assert report.changes["vectors_embedded"] == len(passages(index))
    _ids, vecs = vectors(index)
    assert np.isfinite(vecs).all()


def test_force_embeds_everything_again(built: tuple[Path, Path, BuildReport]) -> None:
    notes, index, _ = built
    report = build(notes, index, force=True)
    assert report.changes["files_added"] == report.changes["files_changed"] == report.changes["files_deleted"] == []
    assert report.changes["passages_added"] == report.changes["passages_removed"] == 0
    assert report.changes["vectors_reused"] == 0
    assert report.changes["vectors_embedded"] == len(passages(index))


def test_vectors_of_another_backend_are_not_reused(built: tuple[Path, Path, BuildReport]) -> None:
    # int8 weights give other vectors (cosine ~0.94-0.97 to float): a switch re-embeds every passage
    notes, index, _ = built
    settings = Settings(notes_dir=str(notes), index_dir=str(index), embed_backend="onnx-int8")
    report = build_index(settings, progress=False, force=False)
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"].endswith("+int8") and manifest["embedder"].endswith("|int8")
    assert report.changes["vectors_reused"] == 0
    assert report.changes["vectors_embedded"] == len(passages(index))


def test_cli_prints_what_changed(built: tuple[Path, Path, BuildReport], capsys: pytest.CaptureFixture[str]) -> None:
    notes, index, _ = built
    (notes / "queues.md").write_text(QUEUES.replace("20 seconds", "25 seconds"), encoding="utf-8")
    (notes / "topics.txt").unlink()
    assert main(["ingest", str(notes), "--out", str(index), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "files: 0 added, 1 changed (queues.md), 1 deleted (topics.txt)" in out
    assert "passages: +1 -4" in out  # one changed line, three passages of topics.txt
    assert "vectors: 1 embedded, 1 of lines alone (" in out and "reused" in out
    assert " in " in out.splitlines()[0] and out.splitlines()[0].endswith(" s")
