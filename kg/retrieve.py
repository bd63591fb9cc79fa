"""Hybrid retrieval: keyword (BM25), dense (FAISS) and graph (SPARQL) candidates, scored together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from kg.graph import PREFIXES, service_uri
from kg.index import Index
from kg.model import Fact, Passage
from kg.question import Query
from kg.text import stem, terms, words

NUMBER_IN_TEXT = re.compile(r"\d")
PRICE_WORDS = re.compile(
    r"\$|\bcents?\b|\bfree\b|\bcosts?\b|\bpay\b|\bprice\b|\bpricing\b|\bcharge|\bdiscount|\bcheap|\bexpensive|"
    r"\bbilled\b|\bbilling\b|%",
    re.I,
)
KIND_FACTS = {"number": ("Limit", "Pricing"), "pricing": ("Pricing", "Limit")}


@dataclass
class Candidate:
    passage: Passage
    dense: float = 0.0
    keyword: float = 0.0
    coverage: float = 0.0
    service: float = 0.5
    kind_fit: float = 0.0
    fact: float = 0.0
    facts: list[Fact] = field(default_factory=list)
    score: float = 0.0


def keyword_scores(index: Index, text: str) -> np.ndarray:
    toks = terms(text)
    if not toks:
        return np.zeros(len(index.passages), dtype=np.float32)
    return np.asarray(index.bm25.get_scores(toks), dtype=np.float32)


def sparql_facts(index: Index, query: Query) -> tuple[str, list[dict[str, object]]]:
    """Facts of the services asked about, read from the graph with SPARQL (units in base form)."""
    services: set[str] = set()
    for sid in query.services:
        services |= index.lexicon.family(sid)
    if not services:
        return "", []
    kinds = KIND_FACTS.get(query.kind, ("Limit", "Pricing", "Feature"))
    preds = " ".join(f"kgqa:has{'Feature' if k == 'Feature' else k}" for k in kinds)
    values = " ".join(f"<{service_uri(s)}>" for s in sorted(services))
    unit_filter = ""
    if query.unit_family and query.kind == "number":
        from ingest.units import BASE_UNITS

        base = BASE_UNITS.get(query.unit_family)
        if base:
            unit_filter = f'\n  FILTER (!BOUND(?baseUnit) || ?baseUnit = "{base}")'
    sparql = f"""{PREFIXES}SELECT ?fact ?service ?label ?value ?unit ?baseValue ?baseUnit ?passage WHERE {{
  VALUES ?service {{ {values} }}
  VALUES ?has {{ {preds} }}
  ?service ?has ?fact .
  ?fact rdfs:label ?label ; kgqa:source ?passage .
  OPTIONAL {{ ?fact kgqa:value ?value }}
  OPTIONAL {{ ?fact kgqa:unit ?unit }}
  OPTIONAL {{ ?fact kgqa:baseValue ?baseValue }}
  OPTIONAL {{ ?fact kgqa:baseUnit ?baseUnit }}{unit_filter}
}}
ORDER BY ?fact
LIMIT 500"""
    return sparql, index.store.select(sparql)


def coverage(index: Index, query: Query, p: Passage) -> float:
    """Share of the question's idf weight found in the passage (its heading counts half)."""
    wanted = [t for t in query.terms if t not in query.service_terms] or list(query.terms)
    if not wanted:
        return 0.0
    body = set(terms(p.text))
    head = set(terms(" ".join(p.section)))
    total = got = 0.0
    for t in wanted:
        w = index.lexicon.idf(t) if index.lexicon.known(t) else index.lexicon.idf("__unknown__")
        total += w
        if t in body:
            got += w
        elif t in head:
            got += 0.5 * w
    return got / total if total else 0.0


def service_fit(index: Index, query: Query, p: Passage) -> float:
    if not query.services:
        return 0.5
    family: set[str] = set()
    for sid in query.services:
        family |= index.lexicon.family(sid)
    if p.service in family:
        return 1.0
    named = {m.service for m in index.lexicon.mentions(p.text)}
    return 0.7 if named & family else 0.0


def kind_fit(query: Query, p: Passage, facts: list[Fact]) -> float:
    text = p.text
    if query.kind == "number":
        return 1.0 if NUMBER_IN_TEXT.search(text) else 0.0
    if query.kind == "pricing":
        return 1.0 if PRICE_WORDS.search(text) or any(f.kind == "Pricing" for f in facts) else 0.0
    if query.kind == "definition":
        s = text.lower()
        named = [m.phrase for m in query.mentions] or query.terms[:1]
        return 1.0 if any(s.startswith(n.lower()) for n in named) or re.match(r"^[^:]{1,40}:", text) else 0.3
    return 0.5


def fact_fit(query: Query, facts: list[Fact]) -> float:
    best = 0.0
    qset = set(query.terms)
    for f in facts:
        label_terms = {stem(w) for w in words(f.label)}
        overlap = len(label_terms & qset) / max(1, len(label_terms))
        unit_ok = 1.0
        if query.unit_family and f.base_unit:
            from ingest.units import BASE_UNITS

            unit_ok = 1.0 if BASE_UNITS.get(query.unit_family) == f.base_unit else 0.3
        best = max(best, overlap * unit_ok)
    return best


def candidates(
    index: Index, query: Query, qvec: np.ndarray, fact_rows: list[dict[str, object]], k: int = 40
) -> list[Candidate]:
    text = " ".join(
        [query.normalised, *(n for s in query.services for n in index.lexicon.expansions(s))]
    )
    kw = keyword_scores(index, text)
    kw_max = float(kw.max()) if kw.size and kw.max() > 0 else 1.0
    dense_hits = index.vectors.search(qvec, k)
    pool: dict[str, Candidate] = {}
    for pid, score in dense_hits:
        pool[pid] = Candidate(index.by_id[pid], dense=score)
    for i in np.argsort(-kw)[:k]:
        if kw[i] <= 0:
            break
        pid = index.passages[int(i)].id
        pool.setdefault(pid, Candidate(index.passages[int(i)]))
    fact_passages = {str(r["passage"]).rsplit("/", 1)[-1] for r in fact_rows}
    for pid in fact_passages:
        if pid in index.by_id:
            pool.setdefault(pid, Candidate(index.by_id[pid]))
    assert index.passage_vectors is not None
    for pid, c in pool.items():
        row = index.position[pid]
        c.dense = float(index.passage_vectors[row] @ qvec)
        c.keyword = float(kw[row]) / kw_max
        c.facts = index.facts_by_passage.get(pid, []) if pid in fact_passages else []
        c.coverage = coverage(index, query, c.passage)
        c.service = service_fit(index, query, c.passage)
        c.kind_fit = kind_fit(query, c.passage, c.facts)
        c.fact = fact_fit(query, c.facts) if c.facts else 0.0
        c.score = (
            0.55 * c.dense
            + 0.30 * c.keyword
            + 0.55 * c.coverage
            + 0.30 * c.service
            + 0.12 * c.kind_fit
            + 0.20 * c.fact
            - (0.15 if c.passage.is_heading else 0.0)
        )
    # ties broken by position, so the same index and question always give the same order
    return sorted(pool.values(), key=lambda c: (-round(c.score, 9), index.position[c.passage.id]))
