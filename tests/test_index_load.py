"""Loading an index fast must not change what it holds: the services each passage names (found at ingest,
or at load for an index without them), the corpus counts and BM25 index (written at ingest, or counted at load),
unit families, and the definition candidates of a question."""

from __future__ import annotations

import json
import random
import shutil
import unicodedata
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from kg.manifest import verify_index
from kg.names import MENTIONS
from kg.qa import retrieve
from kg.qa.answer import answer, rank
from kg.qa.engine import Engine
from kg.qa.index import Index
from kg.qa.pieces import piece_match
from kg.qa.question import analyse
from kg.text import stem
from kg.units import parse_quantity, without_dates
from kg.vectors import LINE_PIECE_SCALES, LINE_PIECE_STARTS, LINE_PIECES, LINE_VECTORS
from tests.conftest import index_without

STRONG = (retrieve.DEFINES, retrieve.DEFINES_NAMED)  # the definition signals that make a candidate


def test_ingest_records_what_passages_name_and_load_agrees_without_it(index_dir: Path, tmp_path: Path) -> None:
    assert MENTIONS in json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))["sha256"]
    recorded = Index.load(index_dir)
    found_at_load = Index.load(index_without(index_dir, tmp_path, MENTIONS))
    assert recorded.section_services == found_at_load.section_services
    assert any(recorded.section_services.values())  # the sample notes name services under their headings


def test_mentions_written_by_other_code_are_not_trusted(index_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    doc = json.loads((copy / MENTIONS).read_text(encoding="utf-8"))
    doc["logic"] = "another-version"
    doc["texts"] = dict.fromkeys(doc["texts"], ["no-such-service"])
    (copy / MENTIONS).write_text(json.dumps(doc), encoding="utf-8")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    from kg.manifest import file_sha256

    manifest["sha256"][MENTIONS] = file_sha256(copy / MENTIONS)
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    loaded = Index.load(copy)
    assert not any("no-such-service" in named for named in loaded.section_services.values())
    assert loaded.section_services == Index.load(index_dir).section_services


def test_unit_families_read_on_demand_match_the_text(engine: Engine) -> None:
    index = engine.index
    for p in index.passages[:200]:
        read = parse_quantity(without_dates(p.text), p.decimal_comma)
        assert index.families[p.id] == frozenset(q.family for q in read)
    assert index.families.get("not-a-passage", frozenset({"x"})) == frozenset({"x"})
    assert len(index.families) == len(index.passages)


def test_each_passage_has_the_vector_of_its_own_text_beside_that_of_its_context(engine: Engine) -> None:
    index = engine.index
    assert index.line_vectors is not None and index.passage_vectors is not None
    assert index.line_vectors.shape == index.passage_vectors.shape
    headed = [p for p in index.passages if p.local_section][:8]
    assert headed
    for p in headed:
        row = index.position[p.id]
        own = np.asarray(engine.embed(unicodedata.normalize("NFKC", p.text)))  # type: ignore[operator]
        line = index.line_vectors[row].astype(np.float32)
        assert float(own @ line) > 0.999  # stored in half precision
        assert float(index.passage_vectors[row] @ line) < 0.999  # not the vector of the line with its headings


def test_the_best_candidate_reads_how_near_the_question_its_own_text_is(engine: Engine) -> None:
    question = "what is the max lambda timeout"
    scored = rank(engine.index, engine.embed, question)
    best = scored.ranked[0]
    assert engine.index.line_vectors is not None
    line = engine.index.line_vectors[engine.index.position[best.passage.id]].astype(np.float32)
    qvec = np.asarray(engine.embed(engine.index.lexicon.normalise(question)[0]))  # type: ignore[operator]
    assert best.line_dense == pytest.approx(float(qvec @ line), abs=1e-6)
    assert best.line_dense > 0.3 and all(c.line_dense == 0.0 for c in scored.ranked[1:])


def test_an_index_built_before_line_vectors_loads_and_says_to_rebuild(
    index_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bare = index_without(index_dir, tmp_path, LINE_VECTORS)
    with caplog.at_level("WARNING", logger="kg.qa.index"):
        loaded = Index.load(bare)
    assert loaded.line_vectors is None
    assert "no vectors of the lines alone" in caplog.text and "kgqa ingest" in caplog.text


def _definition_candidates_one_by_one(index: Index, defined: list[str], services: tuple[str, ...]) -> list[str]:
    """definition_candidates as written first: every opener and every heading tried with the patterns."""
    out = []
    service_openers = {index.opening.get(sid, "") for sid in services} - {""}
    for term in defined:
        key = stem(term.split()[0]) if term.split() else ""
        for pid in index.openers.get(key, ()):
            if retrieve.defines(term, index.by_id[pid].text.lower()) in STRONG:
                out.append(pid)
    for pid, heading in index.first_under.items():
        if retrieve.names_term(heading, defined) or pid in service_openers:
            out.append(pid)
    return list(dict.fromkeys(out))[: retrieve.DEFINITION_POOL]


def test_definition_candidates_are_those_of_every_pattern_on_every_passage(engine: Engine) -> None:
    index = engine.index
    questions = [json.loads(line)["question"] for line in Path("data/eval/qa_dev.jsonl").read_text().splitlines()]
    found = 0
    for q in questions:
        query = analyse(q, index.lexicon)
        defined = retrieve.defined_terms(index, query)  # of every question, not only definition ones
        want = _definition_candidates_one_by_one(index, defined, query.services)
        assert retrieve.definition_candidates(index, defined, query.services) == want, q
        found += len(want)
    assert found > 0


def test_strong_definition_test_agrees_with_the_patterns_on_odd_texts() -> None:
    rng = random.Random(7)
    words = ["is", "are", "called", "the", "a", "an", "foo", "foos", "bar", ":", "(", ")", "-", "=", "means",
             "this", "that", "it", "declares", "thefoo", "foo's", "that's", "\x00"]  # fmt: skip
    gaps = [" ", "  ", "\t", "\n", "", " : "]
    for term in ("foo", "foo bar", "a foo"):
        for _ in range(300):
            lows = [
                "".join(rng.choice(words) + rng.choice(gaps) for _ in range(rng.randint(0, 8)))
                for _ in range(rng.randint(1, 10))
            ]
            starts, at = [], 0
            for low in lows:
                starts.append(at)
                at += len(low) + 1
            joined = "" if any("\x00" in low for low in lows) else "\x00".join(lows)
            want = [i for i, low in enumerate(lows) if retrieve.defines(term, low) in STRONG]
            sites = retrieve._definition_sites(lows)
            assert retrieve._strongly_defining(term, lows, joined, starts, sites) == want, (term, lows)


def test_ingest_takes_unchanged_passages_from_the_previous_build(index_dir: Path, tmp_path: Path) -> None:
    from kg.names import text_key, write_mentions
    from kg.text import words

    index = Index.load(index_dir)
    passages, services = index.passages, list(index.services.values())
    previous = tmp_path / "previous"
    previous.mkdir()
    write_mentions(previous, passages, services)
    doc = json.loads((previous / MENTIONS).read_text(encoding="utf-8"))
    assert doc["texts"] == json.loads((index_dir / MENTIONS).read_text(encoding="utf-8"))["texts"]
    # mark one passage's entry: a build from the same code and names takes it as it is
    marked = text_key(passages[0].context_text())
    doc["texts"][marked] = ["taken-from-previous"]
    (previous / MENTIONS).write_text(json.dumps(doc), encoding="utf-8")
    again = tmp_path / "again"
    again.mkdir()
    write_mentions(again, passages, services, previous)
    assert json.loads((again / MENTIONS).read_text(encoding="utf-8"))["texts"][marked] == ["taken-from-previous"]

    # a name added: the passages holding its words are read again, the others taken as they are
    def with_alias(alias: str) -> dict[str, list[str]]:
        renamed = [*services[1:], replace(services[0], aliases=(*services[0].aliases, alias))]
        out = tmp_path / alias.replace(" ", "-")
        out.mkdir()
        write_mentions(out, passages, renamed, previous)
        texts: dict[str, list[str]] = json.loads((out / MENTIONS).read_text(encoding="utf-8"))["texts"]
        # the same, passing over the files none of whose words could match the new name
        write_mentions(out, passages, renamed, previous, vocabularies)
        assert json.loads((out / MENTIONS).read_text(encoding="utf-8"))["texts"] == texts
        return texts

    vocabularies: dict[str, set[str]] = {}
    for p in passages:
        vocabularies.setdefault(p.file, set()).update(words(p.context_text()))

    assert with_alias("Zzyzx Qwv")[marked] == ["taken-from-previous"]
    first_word = words(passages[0].context_text())[0]
    assert with_alias(first_word)[marked] != ["taken-from-previous"]
    # a name of several words is looked for only in the texts holding all of its words ("Amazon DescribeTables"
    # is not looked for wherever "Amazon" is), and the texts come out as a build without a previous one
    second_word = words(passages[0].context_text())[1]
    assert with_alias(f"{first_word} Zzyzx")[marked] == ["taken-from-previous"]
    assert with_alias(f"{first_word} {second_word}")[marked] != ["taken-from-previous"]
    alias = next(  # two plain words another passage holds side by side
        f"{a} {b}"
        for a, b in (pair for p in passages[1:] for pair in pairwise(words(p.context_text())))
        if a.isalpha() and b.isalpha() and len(a) > 6 and len(b) > 6 and second_word not in (a, b)
    )
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    write_mentions(fresh, passages, [*services[1:], replace(services[0], aliases=(*services[0].aliases, alias))])
    want = json.loads((fresh / MENTIONS).read_text(encoding="utf-8"))["texts"]
    got = with_alias(alias)
    assert any(services[0].id in v and services[0].id not in doc["texts"].get(k, []) for k, v in want.items())
    assert {k: v for k, v in got.items() if k != marked} == {k: v for k, v in want.items() if k != marked}
    # names only removed: only the texts that named their service are read again
    dropped = [replace(services[0], aliases=()), *services[1:]]
    assert services[0].aliases
    out = tmp_path / "dropped"
    out.mkdir()
    write_mentions(out, passages, dropped, previous)
    texts = json.loads((out / MENTIONS).read_text(encoding="utf-8"))["texts"]
    assert texts[marked] == ["taken-from-previous"]
    fresh = tmp_path / "dropped-fresh"
    fresh.mkdir()
    write_mentions(fresh, passages, dropped)
    want = json.loads((fresh / MENTIONS).read_text(encoding="utf-8"))["texts"]
    assert {k: v for k, v in texts.items() if k != marked} == {k: v for k, v in want.items() if k != marked}
    original = json.loads((index_dir / MENTIONS).read_text(encoding="utf-8"))["texts"]
    assert any(want[k] != original[k] for k in want), "the aliases dropped named nothing: no test"
    # a service whose names all moved to a new id (a component under another parent): its passages say the
    # new id, and nothing is matched again
    old_id = next(sid for sids in doc["texts"].values() for sid in sids if sid != "taken-from-previous")
    moved = [replace(s, id="moved-" + s.id) if s.id == old_id else s for s in services]
    out = tmp_path / "moved"
    out.mkdir()
    write_mentions(out, passages, moved, previous)
    texts = json.loads((out / MENTIONS).read_text(encoding="utf-8"))["texts"]
    assert texts[marked] == ["taken-from-previous"]
    assert not any(old_id in sids for sids in texts.values())
    assert any("moved-" + old_id in sids for sids in texts.values())


def test_counts_written_at_ingest_are_the_ones_load_would_count(index_dir: Path, tmp_path: Path) -> None:
    from kg.counts import BM25_FILE, COUNTS, read_counts

    assert read_counts(index_dir, verify_index(index_dir)) is not None  # ingest wrote them, and they are used
    recorded = Index.load(index_dir)
    counted = Index.load(index_without(index_dir, tmp_path, COUNTS, BM25_FILE))
    for name in ("df", "bigrams", "vocab", "proper", "n_docs", "proper_by_len"):
        assert getattr(recorded.lexicon, name) == getattr(counted.lexicon, name), name
    assert recorded.bm25.vocab_dict == counted.bm25.vocab_dict
    for p in recorded.passages[:: max(1, len(recorded.passages) // 40)]:
        query = [t for t in recorded.lexicon.df if t in p.text.lower()][:6] or ["lambda"]
        assert np.array_equal(recorded.bm25.get_scores(query), counted.bm25.get_scores(query))
    assert recorded.bm25.get_scores(["queue"]).max() > 0  # the sample notes are about queues, among others


def test_counts_of_other_passages_are_not_used(index_dir: Path, tmp_path: Path) -> None:
    from kg.counts import COUNTS, read_counts
    from kg.manifest import file_sha256

    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    doc = json.loads((copy / COUNTS).read_text(encoding="utf-8"))
    doc["passages"] = "0" * 64  # counted from another passages.jsonl
    doc["df"] = dict.fromkeys(doc["df"], 1)
    (copy / COUNTS).write_text(json.dumps(doc), encoding="utf-8")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["sha256"][COUNTS] = file_sha256(copy / COUNTS)
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert read_counts(copy, verify_index(copy)) is None
    assert Index.load(copy).lexicon.df == Index.load(index_dir).lexicon.df


def test_each_passage_keeps_the_word_pieces_of_its_own_text(engine: Engine, index_dir: Path) -> None:
    index = engine.index
    assert index.line_pieces is not None and LINE_PIECES in verify_index(index_dir)["sha256"]
    assert len(index.line_pieces.starts) == len(index.passages) + 1
    for p in [p for p in index.passages if p.local_section][:8]:
        codes, scales = index.line_pieces.of(index.position[p.id])
        own = engine.embed.pieces(unicodedata.normalize("NFKC", p.text))  # type: ignore[attr-defined]
        assert codes.dtype == np.int8 and len(codes) == len(own.names) > 0
        assert ((codes * scales[:, None]) * own.vectors).sum(axis=1).min() > 0.999  # stored in 8 bits


def test_the_answer_reads_the_question_matched_piece_by_piece_against_its_top_passage(engine: Engine) -> None:
    question = "what is the max lambda timeout"
    read: dict[str, float] = {}
    engine.answer(question, signals_out=read)
    scored = rank(engine.index, engine.embed, question)
    assert engine.index.line_pieces is not None
    q = engine.embed.pieces(scored.query.normalised)  # type: ignore[attr-defined]
    top = engine.index.line_pieces.of(engine.index.position[scored.ranked[0].passage.id])
    assert (read["piece_mean"], read["piece_least"]) == pytest.approx(piece_match(q, *top), abs=1e-6)
    assert read["piece_mean"] > 0.4 and read["piece_least"] <= read["piece_mean"]
    unrelated = piece_match(engine.embed.pieces("how tall is mount everest"), *top)  # type: ignore[attr-defined]
    assert unrelated[0] < read["piece_mean"] - 0.1
    assert piece_match(engine.embed.pieces("what is it?"), *top) == (0.0, 0.0)  # type: ignore[attr-defined]


def test_an_index_built_without_pieces_loads_and_reads_no_match(
    engine: Engine, index_dir: Path, tmp_path: Path
) -> None:
    bare = Index.load(index_without(index_dir, tmp_path, LINE_PIECES, LINE_PIECE_SCALES, LINE_PIECE_STARTS))
    assert bare.line_pieces is None
    read: dict[str, float] = {}
    answer(bare, engine.embed, "what is the max lambda timeout", signals_out=read)
    assert read["piece_mean"] == 0.0 and read["piece_least"] == 0.0
