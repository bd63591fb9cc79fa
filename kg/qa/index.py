"""A built index loaded into memory: passages, services, facts, triple store, vector index and BM25."""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from kg.counts import build_bm25, count_words, passage_terms, read_counts
from kg.definitions import read_definitions
from kg.errors import IndexCorrupt, IndexNotReady
from kg.manifest import MANIFEST, recover_interrupted_swap, verify_index
from kg.model import Fact, Passage, Service
from kg.names import read_mentions, text_key
from kg.qa.lexicon import Lexicon
from kg.text import stem, terms
from kg.triples import TripleStore, open_store
from kg.vectors import LinePieces, VectorIndex, open_vectors, read_line_pieces, read_line_vectors, required_files
from kg.vocab import STOPWORDS

log = logging.getLogger(__name__)
OPENING_WORD = re.compile(r"[a-z0-9@/_-]+")  # a passage's first words name what it is about
REQUIRED = ("manifest.json", "passages.jsonl", "services.json", "facts.jsonl", "graph.ttl")


def missing_parts(index_dir: Path, vector_store: str = "") -> list[str]:
    """The index files that are not there, with the vector store's own (vectors.faiss, vectors.milvus.json):
    an index built for another KGQA_VECTOR_STORE misses the configured store's file."""
    if not index_dir.is_dir():
        return [f"index folder {index_dir} (run `kgqa ingest`)"]
    return [name for name in (*REQUIRED, *required_files(vector_store)) if not (index_dir / name).exists()]


def vectors_url(vector_store: str, folder: Path) -> str:
    return vector_store or f"faiss://{folder}"


MIN_SHORT = 3  # letters of the shortest word taken as an abbreviation ("doc", "env", "rev")


def term_key(term: str) -> str:
    """Words sharing their first six letters count as one ("subscribers" / "subscriptions")."""
    return term[:6] if len(term) >= 6 and term.isalpha() else term


def common_words(model: str = "") -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary: a list of ordinary English."""
    try:
        from kg.embed import model_path

        vocab = model_path(model) / "vocab.txt"
        words = vocab.read_text(encoding="utf-8").split()
    except Exception:  # another kind of model: no list, every unknown word counts the same
        return frozenset()
    return frozenset(w for w in words if w.isalpha() and len(w) > 2)


def section_key(p: Passage) -> tuple[str, tuple[str, ...]]:
    """The subject's heading and the topic under it: chapter titles above the subject do not count."""
    start = max(p.subject_depth - 1, 0)
    return (p.file, p.section[start : start + 2])


class PassageFamilies(Mapping[str, frozenset[str]]):
    """Unit families of the quantities each passage states, read from its text when first asked for: only
    the passages a question ranks need them."""

    def __init__(self, by_id: dict[str, Passage]) -> None:
        self._by_id = by_id
        self._known: dict[str, frozenset[str]] = {}

    def __getitem__(self, pid: str) -> frozenset[str]:
        found = self._known.get(pid)
        if found is None:
            from kg.units import labelled_families, parse_quantity, without_dates

            p = self._by_id[pid]  # KeyError: not a passage of this index
            read = parse_quantity(without_dates(p.text), p.decimal_comma)
            found = self._known[pid] = frozenset(q.family for q in read) | labelled_families(p.text)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)


def _passage(d: dict[str, Any]) -> Passage:
    d["section"] = tuple(d.get("section") or ())
    return Passage(**d)


@dataclass
class Index:
    folder: Path
    manifest: dict[str, Any]
    passages: list[Passage]
    services: dict[str, Service]
    facts: list[Fact]
    store: TripleStore
    vectors: VectorIndex
    lexicon: Lexicon
    bm25: Any
    graph_ttl: bytes = b""  # the verified Turtle the store was loaded from (SPARQL sandboxes load it too)
    by_id: dict[str, Passage] = field(default_factory=dict)
    position: dict[str, int] = field(default_factory=dict)
    facts_by_passage: dict[str, list[Fact]] = field(default_factory=dict)
    passage_vectors: np.ndarray | None = None
    line_vectors: np.ndarray | None = None  # kg.vectors.LINE_VECTORS; None for an index built before them
    line_pieces: LinePieces | None = None  # kg.vectors.LINE_PIECES; None for an index built without them
    _keys: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    _words: dict[str, frozenset[str]] = field(default_factory=dict)
    # services named anywhere in a passage's section: notes about CloudFormation may sit under "CICD"
    section_services: dict[tuple[str, tuple[str, ...]], set[str]] = field(default_factory=dict)
    # unit families of the quantities each passage states (time, size, money, count ...)
    families: Mapping[str, frozenset[str]] = field(default_factory=dict)
    first_under: dict[str, str] = field(default_factory=dict)  # first passage under a heading → heading
    openers: dict[str, list[str]] = field(default_factory=dict)  # stem of a passage's opening word(s) → ids
    opening: dict[str, str] = field(default_factory=dict)  # service id → first content passage of its notes
    # definition key → the passages holding it (kg.definitions, found at ingest); None: an index without them
    definers: dict[str, list[str]] | None = None
    # look-up tables the answering code derives from the above on first use (same for every question)
    derived: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls, folder: Path, store_url: str = "", model: str = "", vector_store: str = "", *, recover: bool = True
    ) -> Index:
        """Load and verify the index in ``folder``. ``recover`` puts back the previous index of a build that
        died mid-swap; a running server reloading a new build passes False, as a build may be swapping now."""
        if recover:
            recover_interrupted_swap(folder)
        missing = missing_parts(folder, vector_store)
        if missing:
            raise IndexNotReady("index not ready, missing: " + ", ".join(missing))
        manifest = verify_index(folder)
        try:
            with (folder / "passages.jsonl").open(encoding="utf-8") as fh:
                passages = [_passage(json.loads(line)) for line in fh if line.strip()]
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorrupt(f"index file passages.jsonl cannot be read: {exc}", file="passages.jsonl") from exc
        try:
            services = {
                d["id"]: Service(**{**d, "aliases": tuple(d.get("aliases", ()))})
                for d in json.loads((folder / "services.json").read_text(encoding="utf-8"))
            }
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexCorrupt(f"index file services.json cannot be read: {exc}", file="services.json") from exc
        try:
            with (folder / "facts.jsonl").open(encoding="utf-8") as fh:
                facts = [Fact(**json.loads(line)) for line in fh if line.strip()]
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorrupt(f"index file facts.jsonl cannot be read: {exc}", file="facts.jsonl") from exc
        graph_ttl = (folder / "graph.ttl").read_bytes()
        store = open_store(store_url)
        try:
            store.load_turtle(graph_ttl)
        except (OSError, ValueError, SyntaxError) as exc:
            raise IndexCorrupt(f"index file graph.ttl cannot be loaded: {exc}", file="graph.ttl") from exc
        vector_file = required_files(vector_store)[0]
        try:
            vectors = open_vectors(vector_store, folder)
            # every passage's vector, in passage order: the dense score of any candidate is one product
            ids = [p.id for p in passages]
            passage_vectors = vectors.fetch(ids) if ids else None
            line_vectors = read_line_vectors(folder, len(passages))
            line_pieces = read_line_pieces(folder, len(passages))
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise IndexCorrupt(
                f"the vectors of index file {vector_file} cannot be loaded from {vectors_url(vector_store, folder)}: "
                f"{exc!r}; run `kgqa ingest --force` to rebuild them",
                file=vector_file,
            ) from exc
        # the corpus counts and the BM25 index, as ingest wrote them; else counted here (an older index)
        counted = read_counts(folder, manifest)
        if counted is None:
            folded, tokens = passage_terms(passages)
            counted = (count_words(passages, folded, tokens), build_bm25(tokens))
            del folded, tokens
        counts, bm25 = counted
        lexicon = Lexicon(list(services.values()), passages, common_words(model), counts=counts)
        index = cls(
            folder=folder,
            manifest=manifest,
            passages=passages,
            services=services,
            facts=facts,
            store=store,
            vectors=vectors,
            lexicon=lexicon,
            bm25=bm25,
            graph_ttl=graph_ttl,
        )
        index.by_id = {p.id: p for p in passages}
        index.position = {p.id: i for i, p in enumerate(passages)}
        by_passage: dict[str, list[Fact]] = defaultdict(list)
        for f in facts:
            by_passage[f.passage].append(f)
        index.facts_by_passage = dict(by_passage)
        for prev, p in zip(passages, passages[1:], strict=False):
            if prev.is_heading and not p.is_heading and prev.file == p.file:
                index.first_under[p.id] = prev.text
                if len(prev.section) == max(prev.subject_depth, 1) and p.service:
                    index.opening.setdefault(p.service, p.id)
        # the services each passage names: found at ingest (mentions.json), or here for an index without them
        recorded = read_mentions(folder, list(services.values())) or {}
        for p in passages:
            toks = [m.group(0) for m in islice(OPENING_WORD.finditer(p.text.lower()), 4)]
            for tok in {stem(t) for t in toks if t not in STOPWORDS}:
                index.openers.setdefault(tok, []).append(p.id)
            named = index.section_services.setdefault(section_key(p), set())
            context = p.context_text()
            mentioned = recorded.get(text_key(context)) if recorded else None
            if mentioned is None:
                mentioned = [m.service for m in lexicon.service_names.mentions(context)]
            named.update(mentioned)
        index.definers = read_definitions(folder, passages)
        index.families = PassageFamilies(index.by_id)
        index.passage_vectors = passage_vectors
        index.line_vectors = line_vectors
        index.line_pieces = line_pieces
        if line_vectors is None and passages:
            log.warning(
                "index %s has no vectors of the lines alone (built before them): confidences run low until "
                "`kgqa ingest` rebuilds it",
                folder,
            )
        log.info("loaded index %s: %d passages, %d facts", folder, len(passages), len(facts))
        return index

    def span(self, first: Passage, last: Passage) -> tuple[Passage, ...]:
        """The passages from first to last, in file order."""
        return tuple(self.passages[self.position[first.id] : self.position[last.id] + 1])

    def passage_keys(self, p: Passage) -> tuple[frozenset[str], frozenset[str]]:
        """A passage's term keys (text; headings and list lead), computed once: coverage runs per query."""
        keys = self._keys.get(p.id)
        if keys is None:
            keys = (
                frozenset(term_key(t) for t in terms(p.text)),
                frozenset(term_key(t) for t in terms(" ".join([*p.local_section, p.lead]))),
            )
            self._keys[p.id] = keys
        return keys

    def passage_words(self, p: Passage) -> frozenset[str]:
        """A passage's term keys, text and headings together, computed once."""
        found = self._words.get(p.id)
        if found is None:
            body, head = self.passage_keys(p)
            found = self._words[p.id] = body | head
        return found


__all__ = ["Index", "missing_parts", "MANIFEST"]
