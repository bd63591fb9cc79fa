"""Hybrid retrieval: keyword (BM25), dense (FAISS) and graph (SPARQL) candidates, scored together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from kg.graph import PREFIXES, service_uri
from kg.index import Index, section_key
from kg.model import Fact, Passage
from kg.question import Query
from kg.text import stem, terms, words

NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_-])\d")  # a quantity, not the 3 of S3
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
    if index.section_services.get(section_key(p), set()) & family:
        return 0.8
    return 0.0


YEAR = re.compile(r"\b(?:19|20)\d\d\b")
ASKS_WHEN = re.compile(r"^\s*when\s+(?:was|were|did|is|does)\b|\b(?:what|which) year\b", re.I)
MONEY = re.compile(r"\$\s?\d|\d\s?(?:cents?|usd|dollars?)\b", re.I)


def defined_terms(query: Query) -> list[str]:
    """What a definition question asks about: the named service, else its content words."""
    names = [m.phrase for m in query.mentions]
    rest = [w for w in re.findall(r"[a-z0-9@/_-]+", query.normalised.lower()) if stem(w) in query.terms]
    return [n for n in names + rest if n]


def kind_fit(query: Query, p: Passage, facts: list[Fact]) -> float:
    """How well a passage has the shape of the answer wanted: a number, a price, a definition."""
    text = p.text
    if query.kind == "number":
        if ASKS_WHEN.search(query.normalised):
            return 1.0 if YEAR.search(text) else 0.0
        return 1.0 if NUMBER_IN_TEXT.search(text) else 0.0
    if query.kind == "pricing":
        if MONEY.search(text) or any(f.kind == "Pricing" and f.unit == "USD" for f in facts):
            return 1.0
        return 0.6 if PRICE_WORDS.search(text) else 0.0
    if query.kind == "definition":
        low = text.lower()
        for term in defined_terms(query):
            t = re.escape(term.lower())
            if re.match(rf"^(?:(?:an?|the|that's an?|that's)\s+)?{t}\w*(?:\s*\([^)]*\))?\s*(?::|is\b|are\b|means\b|=)",
                        low):
                return 1.0
            if re.search(rf"\b{t}\w*\s+(?:is|are|means)\s+(?:an?|the)\b", low):
                return 0.9
        return 0.3
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
            + (0.30 if query.kind in ("number", "pricing", "definition") else 0.1) * c.kind_fit
            + 0.20 * c.fact
            - (0.15 if c.passage.is_heading else 0.0)
        )
    # ties broken by position, so the same index and question always give the same order
    return sorted(pool.values(), key=lambda c: (-round(c.score, 9), index.position[c.passage.id]))
