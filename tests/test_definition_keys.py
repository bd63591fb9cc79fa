"""Definition keys (found at ingest) narrow down the lines a defined term is tried on, never change which
lines define it: every line a strong definition pattern matches holds the keys of the term's words."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from kg.definitions import ALWAYS, DEFINITIONS, definition_keys, strong_patterns, term_keys, write_definitions
from kg.manifest import file_sha256
from kg.qa import retrieve
from kg.qa.engine import Engine
from kg.qa.index import Index
from kg.qa.question import analyse
from tests.conftest import index_without

STRONG = (retrieve.DEFINES, retrieve.DEFINES_NAMED)


def _selected(term: str, low: str) -> bool:
    wanted = term_keys(term)
    assert wanted is not None, term
    (start, marked), after, before = wanted
    keys = definition_keys(low)
    return (start in keys and marked in keys) or after in keys or before in keys or ALWAYS in keys


def test_the_answering_patterns_are_the_ones_the_keys_were_made_for() -> None:
    for term in ("queue", "dead-letter queue", "lambda@edge", "a b c", "c++"):
        strong = [p.pattern for p, signal in retrieve._definition_patterns(term) if signal in STRONG]
        assert tuple(strong) == strong_patterns(term), term


def test_every_line_a_strong_pattern_matches_holds_the_terms_keys() -> None:
    rng = random.Random(11)
    words = ["is", "are", "called", "known as", "named", "the", "a", "an", "foo", "foos", "fooes", "bar", "bars",
             ":", "(", ")", "(x y)", "-", "–", "=", "means", "stands for", "this", "that", "it", "provides",
             "declares", "lets", "thefoo", "foo's", "that's", "this is", "foo-bar", "x.foo", "é"]  # fmt: skip
    gaps = [" ", "  ", "\t", "\n", "", " : ", ", "]
    ways: set[int] = set()
    for term in ("foo", "foo bar", "a foo", "foo-bar", "bar foo", "é"):
        for _ in range(3000):
            pick = [*words, *[term] * 8]  # the term itself often, as lines defining it hold it
            low = "".join(rng.choice(pick) + rng.choice(gaps) for _ in range(rng.randint(1, 9)))
            if retrieve.defines(term, low) in STRONG:
                assert _selected(term, low), (term, low)
                strong = [p for p, signal in retrieve._definition_patterns(term) if signal in STRONG]
                ways.update(i for i, p in enumerate(strong) if p.search(low))
    assert ways == set(range(len(strong_patterns("foo"))))  # the lines define the terms in every strong way


def test_terms_the_keys_cannot_select_lines_for_are_tried_on_every_opener() -> None:
    for term in ("", "c++", "(foo)", "foo  bar", "foo\tbar", " foo"):
        assert term_keys(term) is None, term


def test_definition_candidates_with_and_without_the_keys_are_the_same(
    engine: Engine, index_dir: Path, tmp_path: Path
) -> None:
    keyed = engine.index
    assert keyed.definers is not None  # ingest wrote definitions.json, and load read it
    bare = Index.load(index_without(index_dir, tmp_path, DEFINITIONS))
    assert bare.definers is None
    questions = [json.loads(line)["question"] for line in Path("data/eval/qa_dev.jsonl").read_text().splitlines()]
    found = 0
    for q in questions:
        query = analyse(q, keyed.lexicon)
        defined = retrieve.defined_terms(keyed, query)
        want = retrieve.definition_candidates(bare, defined, query.services)
        assert retrieve.definition_candidates(keyed, defined, query.services) == want, q
        found += len(want)
    assert found > 0


def test_keys_written_by_other_code_are_not_used(index_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    doc = json.loads((copy / DEFINITIONS).read_text(encoding="utf-8"))
    doc["logic"] = "another-version"
    (copy / DEFINITIONS).write_text(json.dumps(doc), encoding="utf-8")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["sha256"][DEFINITIONS] = file_sha256(copy / DEFINITIONS)
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert Index.load(copy).definers is None


def test_ingest_takes_unchanged_texts_keys_from_the_previous_build(index_dir: Path, tmp_path: Path) -> None:
    index = Index.load(index_dir)
    previous = tmp_path / "previous"
    previous.mkdir()
    write_definitions(previous, index.passages)
    doc = json.loads((previous / DEFINITIONS).read_text(encoding="utf-8"))
    assert doc == json.loads((index_dir / DEFINITIONS).read_text(encoding="utf-8"))
    marked = next(iter(doc["texts"]))
    doc["texts"][marked] = ["^taken-from-previous"]
    (previous / DEFINITIONS).write_text(json.dumps(doc), encoding="utf-8")
    again = tmp_path / "again"
    again.mkdir()
    write_definitions(again, index.passages, previous)
    assert json.loads((again / DEFINITIONS).read_text(encoding="utf-8"))["texts"][marked] == ["^taken-from-previous"]
