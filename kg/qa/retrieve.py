"""Hybrid retrieval: keyword (BM25), dense (FAISS) and graph (SPARQL) candidates, scored together."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from kg.errors import ConfigError
from kg.graph import PREFIXES, service_uri
from kg.model import Fact, FactKind, Passage, QuestionKind
from kg.qa.index import Index, section_key, term_key
from kg.qa.question import Query
from kg.text import initials, stem, terms, words
from kg.units import BASE_UNITS
from kg.vocab import MEASURE_WORDS, PRICE_WORDS, word_pattern

NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_-])\d")  # a quantity, not the 3 of S3
# A line that talks about money: a currency sign, a percentage or a price word.
PRICE_CUE = re.compile(r"\$|%|" + word_pattern(PRICE_WORDS), re.I)
# How the signals add up to a passage's score: weights fitted by `make fit` (scripts/fit.py) on the training
# corpora, stored beside this module. The order of RANK_FEATURES is the order of the weights.
RANKING = Path(__file__).with_name("ranking.json")
RANK_FEATURES = (
    "dense",  # cosine similarity of question and passage
    "keyword",  # BM25, scaled to the best passage of the question
    "coverage",  # share of the question's terms the passage and its headings cover
    "service",  # agreement with the services asked about
    "kind_shaped",  # answer shape, when the question says what shape it wants (a number, a definition)
    "kind_other",  # answer shape, otherwise
    "fact",  # graph facts matching the asked label, bound and unit family
    "heading",  # the passage is a heading
)


@lru_cache(maxsize=4)
def load_weights(path: Path = RANKING) -> tuple[float, ...]:
    """The fitted ranking weights, in RANK_FEATURES order."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if tuple(doc["features"]) != RANK_FEATURES:
            raise ValueError("fitted on other features than this code computes")
        return tuple(float(w) for w in doc["weights"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the ranking weights {path}: {exc} (run `make fit`)") from exc


def rank_features(c: Candidate, shaped: bool) -> tuple[float, ...]:
    """A candidate's signals in RANK_FEATURES order."""
    return (
        c.dense,
        c.keyword,
        c.coverage,
        c.service,
        c.kind_fit if shaped else 0.0,
        0.0 if shaped else c.kind_fit,
        c.fact,
        1.0 if c.passage.is_heading else 0.0,
    )


# The facts a question kind reads from the graph, most fitting first; other kinds read all of them.
KIND_FACTS = {
    QuestionKind.NUMBER: (FactKind.LIMIT, FactKind.PRICING),
    QuestionKind.PRICING: (FactKind.PRICING, FactKind.LIMIT),
}


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
    features: tuple[float, ...] = ()  # the ranking signals, in RANK_FEATURES order


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
    kinds = KIND_FACTS.get(query.kind, tuple(FactKind))
    preds = " ".join(f"kgqa:has{k}" for k in kinds)
    values = " ".join(f"<{service_uri(s)}>" for s in sorted(services))
    unit_filter = ""
    if query.unit and query.unit_family and query.kind is QuestionKind.NUMBER:
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
    body, head = index.passage_keys(p)
    # a list is named by its lead ("Three architecture models:"): for a list question it counts in full
    head_weight = 1.0 if query.kind is QuestionKind.LIST else 0.5
    total = got = 0.0
    for t in wanted:
        w = index.lexicon.idf(t) if index.lexicon.known(t) else index.lexicon.idf("__unknown__")
        total += w
        if term_key(t) in body:
            got += w
        elif term_key(t) in head:
            got += head_weight * w
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


_DEFINITION_FRAME = re.compile(
    r"^(?:what(?:'s| is| are| was| were)|whats|define|definition of|meaning of|explain|describe)\s+"
    r"(?:an?\s+|the\s+)?(?P<phrase>.+?)\s*(?:\?|$)"
)
_DOES_FRAME = re.compile(r"^what (?:does|do)\s+(?:an?\s+|the\s+)?(?P<phrase>.+?)\s+(?:mean|stand for|do)\b")
_TRAILING = re.compile(r"\s+(?:in|of|for|on|with|at|from|used|mean|means)\b.*$")


def defined_terms(index: Index, query: Query) -> list[str]:
    """What a definition question asks about: the phrase after 'what is', and the names of the service
    it mentions (label and aliases, so 'CORS' also finds 'Cross Origin Resource Sharing')."""
    q = query.normalised.lower().strip().replace('"', "").replace("'", "'")
    out: list[str] = []
    # "In X-Ray sampling, what does the reservoir mean?": the frame may follow a leading clause
    q = re.sub(r"^[^,?]{3,60},\s*(?=what\b|define\b|explain\b)", "", q)
    m = _DOES_FRAME.match(q) or _DEFINITION_FRAME.match(q)
    if m:
        phrase = _TRAILING.sub("", m.group("phrase").strip(" '?")).strip(" '")
    else:  # "lambda layer definition": the words that are neither the service nor the frame
        phrase = " ".join(w for w in re.findall(r"[a-z0-9@/_-]+", q) if stem(w) in query.terms)
    if phrase:
        out.append(phrase)
        bare = phrase
        for mention in query.mentions:  # "iam roles" is defined under IAM as "Roles: ..."
            bare = re.sub(rf"\b{re.escape(mention.phrase)}\b", "", bare).strip()
        if bare and bare != phrase:
            out.append(bare)
    for mention in query.mentions:
        s = index.services.get(mention.service)
        out += [mention.phrase] + ([s.label, *s.aliases] if s else [])
    return [t.lower() for t in dict.fromkeys(out) if t]


def definition_candidates(index: Index, defined: list[str], services: tuple[str, ...] = ()) -> list[str]:
    """Passages that open with a defined term, and first lines under a heading that names it: where
    notes define things, whatever the retrievers rank first."""
    out = []
    # the first line of a service's own notes ("S3 Buckets" → "Amazon S3 allows people to store objects")
    service_openers = {index.opening.get(sid, "") for sid in services} - {""}
    for term in defined:
        key = stem(term.split()[0]) if term.split() else ""
        pids, lows, joined, starts = _openers_text(index, key)
        out += [pids[i] for i in _strongly_defining(term, lows, joined, starts)]  # _defines(term, low) >= 0.8
    # the first lines under a heading that names a term (names_term), looked up by what the heading names
    named = {pid for pid in service_openers if pid in index.first_under}
    by_key, by_stem = _first_under_keys(index)
    for t in defined:
        for h in (t, t + "s", t + "es"):
            named.update(by_key.get(h, ()))
        named.update(by_stem.get(t, ()))
    out += sorted(named, key=index.position.__getitem__)  # file order, as first_under is
    return list(dict.fromkeys(out))[:30]


def _openers_text(index: Index, key: str) -> tuple[list[str], list[str], str, list[int]]:
    """The passages opening with ``key`` (index.openers), their texts lowercased, those texts joined by NUL
    ("" when a text holds a NUL) and where each starts in the joined text. Built once per key and index."""
    cache: dict[str, tuple[list[str], list[str], str, list[int]]] = index.derived.setdefault("openers_text", {})
    found = cache.get(key)
    if found is None:
        pids = list(index.openers.get(key, ()))
        lows = [index.by_id[pid].text.lower() for pid in pids]
        starts, at = [], 0
        for low in lows:
            starts.append(at)
            at += len(low) + 1
        joined = "" if any("\x00" in low for low in lows) else "\x00".join(lows)
        found = cache[key] = (pids, lows, joined, starts)
    return found


def _first_under_keys(index: Index) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The first passages under headings, by what the heading names (heading_key) and by that key without
    its final s's: ``names_term`` as two look-ups instead of a pass over every heading. Built once per index."""
    keys = index.derived.get("first_under_keys")
    if keys is None:
        by_key: dict[str, list[str]] = {}
        by_stem: dict[str, list[str]] = {}
        for pid, heading in index.first_under.items():
            h = heading_key(heading)
            by_key.setdefault(h, []).append(pid)
            by_stem.setdefault(h.rstrip("s"), []).append(pid)
        keys = index.derived["first_under_keys"] = (by_key, by_stem)
    return keys  # type: ignore[no-any-return]


def names_term(heading: str, defined: list[str]) -> bool:
    """Whether a heading is about the term itself ("RDS: Relational ...", "What's AMI?", "ECS Clusters"),
    not a sub-topic of it ("RDS Security")."""
    h = heading_key(heading)
    return any(h in (t, t + "s", t + "es") or h.rstrip("s") == t for t in defined)


@lru_cache(maxsize=65536)
def heading_key(heading: str) -> str:
    """What a heading names, lowercased: "What's an AMI?" → "an ami", "RDS: Relational ..." → "rds".
    Cached: every definition question reads every first-line heading of the notes."""
    h = re.sub(r"^(?:what(?:'s| is| are)|about)\s+", "", heading.lower()).strip(" ?:")
    h = re.split(r"\s*[:(–—]\s*|\s+-\s+", h)[0].strip()
    return re.sub(r"^(?:aws|amazon)\s+", "", h)


@lru_cache(maxsize=4096)
def _definition_patterns(term: str) -> tuple[tuple[re.Pattern[str], float], ...]:
    """Ways notes define a term, strongest first; compiled once per term."""
    t = re.escape(term).replace("\\ ", "\\s+")
    lead = rf"^(?:(?:an?|the|that's an?|that's|this is an?)\s+)?{t}(?:e?s|'s)?(?:\s*\([^)]*\))?"
    return (
        (re.compile(lead + r"\s*(?::|–|—|-\s|=|\bmeans\b|\bstands for\b|\bis\s+(?:an?|the)\b)"), 1.0),
        # "This is called Long Polling": the line before says what it is
        (re.compile(rf"^(?:this|that|it)\s+is\s+(?:called|known as|named)\s+(?:an?\s+|the\s+)?{t}"), 1.0),
        # "Scale out (add EC2 instances) ...", "... you can use Lambda@Edge: deploy ..."
        (re.compile(lead + r"\s*\("), 0.85),
        # "One request per second is the reservoir, which ...": named at the end
        (re.compile(rf"\b(?:is|are)\s+(?:called\s+)?(?:the|an?)\s+{t}(?:e?s)?\b(?!\s+\w+\s+(?:is|are)\b)"), 0.85),
        (re.compile(rf"\b{t}\s*:\s"), 0.85),
        # "The Outputs section declares ...", "Cognito User Pools provide ..."
        (
            re.compile(
                lead + r"(?:\s+\w+)?\s+(?:declares?|defines?|describes?|represents?|lets|allows?|contains?|"
                r"holds?|provides?|enables?|gives?)\b"
            ),
            0.8,
        ),
        (re.compile(rf"\b{t}(?:e?s)?\s+(?:is|are|means)\s+(?:an?|the)\b"), 0.8),
        (re.compile(lead + r"\s+(?:is|are)\s+(?:an?\s+|the\s+)?\w+"), 0.6),
    )


def _defines(term: str, low: str) -> float:
    # the patterns go strongest first: the first that matches gives the best score
    for pattern, score in _definition_patterns(term):
        if pattern.search(low):
            return score
    return 0.0


class _Strong(NamedTuple):
    """The definition patterns of score >= 0.8 of one term, split by where they can match."""

    pieces: tuple[str, ...]  # the term's words: every pattern needs all of them in the text
    whole: re.Pattern[str]  # all of them as one pattern
    start: re.Pattern[str] | None  # those anchored at the start of the text ("^...")
    anywhere: re.Pattern[str] | None  # the others: none of them can match across a NUL


@lru_cache(maxsize=4096)
def _strong_definition(term: str) -> _Strong:
    strong = [pattern.pattern for pattern, score in _definition_patterns(term) if score >= 0.8]
    pieces = tuple(piece for piece in term.split(" ") if piece)
    whole = re.compile("|".join(f"(?:{p})" for p in strong))
    anchored = [p for p in strong if p.startswith("^")]
    # the others, checked to be of the shapes "\b{t}..." and "\b(?:is|are)...{t}...", which match nothing of
    # a NUL: run over NUL-joined texts they find exactly the texts where they match
    t = re.escape(term).replace("\\ ", "\\s+")
    rest = [p for p in strong if not p.startswith("^")]
    known = {rf"\b{t}\s*:\s", rf"\b{t}(?:e?s)?\s+(?:is|are|means)\s+(?:an?|the)\b",
             rf"\b(?:is|are)\s+(?:called\s+)?(?:the|an?)\s+{t}(?:e?s)?\b(?!\s+\w+\s+(?:is|are)\b)"}  # fmt: skip
    if "\x00" in term or not pieces or not anchored or not set(rest) <= known:
        return _Strong(pieces, whole, None, None)
    start = re.compile("|".join(f"(?:{p})" for p in anchored))
    anywhere = re.compile("|".join(f"(?:{p})" for p in rest)) if rest else None
    return _Strong(pieces, whole, start, anywhere)


def _strongly_defining(term: str, lows: list[str], joined: str, starts: list[int]) -> list[int]:
    """Which of ``lows`` (lowercased texts; ``joined`` and ``starts`` as _openers_text makes them) a pattern
    of score >= 0.8 matches, i.e. ``_defines(term, low) >= 0.8``, in order. Every such pattern needs all the
    term's words in the text: only the texts holding its longest word are tried, found by str.find."""
    strong = _strong_definition(term)
    word = max(strong.pieces, key=len, default="")
    if not joined or not word:  # a text holds a NUL, or the term has no words: each text is tried
        return [i for i, low in enumerate(lows) if all(p in low for p in strong.pieces) and strong.whole.search(low)]
    first = strong.pieces[0]
    hits = []
    i = 0
    while i < len(lows) and (at := joined.find(word, starts[i])) >= 0:
        i = bisect_right(starts, at) - 1
        low = lows[i]
        if strong.start is None:
            if all(p in low for p in strong.pieces) and strong.whole.search(low):
                hits.append(i)
        elif (
            # "^...": the term, an article or this/that/it first
            (low.startswith(first) or low[:1] in "tai") and strong.start.match(low)
        ) or (strong.anywhere is not None and strong.anywhere.search(low)):
            hits.append(i)
        i += 1
    return hits


HOW_TO = re.compile(
    r"^\s*how\s+(?:do|can|should|would)\s+(?:i|you|we)\s+(?P<verb>[a-z]+)|^\s*how\s+to\s+(?P<v2>[a-z]+)"
    r"|\bwhat\s+(?:should|can|do|must)\s+(?:i|you|we)\s+(?P<v3>do)\b",  # advice: "..., what should I do?"
    re.I,
)
INSTRUCTION = re.compile(
    r"^(?:(?:to|for)\s+[\w-]+(?:\s+[\w-]+)?,\s*)?"  # "To respond, use exponential backoff"
    r"(?:use|run|set|create|enable|add|increase|call|attach|configure|make|copy|install|"
    r"send|put|specify|choose|deploy|define|store|give|retry|enable)\b",
    re.I,
)


ASKS_WHERE = re.compile(r"^\s*where\b|\bwhere\s+(?:do|does|is|are|can|should|must|will)\b", re.I)
PLACE = re.compile(r"\b(?:in|to|into|at|on|from|inside|within)\s+(?:an?\s+|the\s+|your\s+)?[A-Z0-9][\w-]*")
ASKS_WHY = re.compile(r"\bwhy\b", re.I)
REASON = re.compile(
    r"\b(?:because|since|due to|so that|as a result|not|never|only|need to|needs to|must|unless|until)\b|n't\b", re.I
)


def kind_fit(index: Index, query: Query, p: Passage, facts: list[Fact], terms_defined: list[str]) -> float:
    """How well a passage has the shape of the answer wanted: a number, a price, a definition."""
    text = p.text
    families = index.families.get(p.id, frozenset())
    if query.kind is QuestionKind.NUMBER:
        if ASKS_WHEN.search(query.normalised):
            return 1.0 if YEAR.search(text) else 0.0
        if not NUMBER_IN_TEXT.search(text):
            return 0.0
        # numbers the extractor did not take as facts are examples and arithmetic, weaker answers
        fit = 1.0 if index.facts_by_passage.get(p.id) or IS_BOUND.search(text) else 0.8
        if query.unit_family and families:
            return fit if query.unit_family in families else 0.5
        return fit
    if query.kind is QuestionKind.PRICING:
        if MONEY.search(text) or any(f.kind is FactKind.PRICING and f.unit == "USD" for f in facts):
            return 1.0
        return 0.6 if PRICE_CUE.search(text) else 0.0
    if query.kind in (QuestionKind.FEATURE, QuestionKind.BEST_PRACTICE) and ASKS_WHERE.search(query.normalised):
        return 1.0 if PLACE.search(text) else 0.5  # "where ... uploaded?" wants "in S3"
    if query.kind in (QuestionKind.FEATURE, QuestionKind.BEST_PRACTICE) and ASKS_WHY.search(query.normalised):
        return 1.0 if REASON.search(text) else 0.5  # "why?" wants a cause or a condition
    howto = HOW_TO.search(query.normalised)
    if howto and query.kind in (QuestionKind.FEATURE, QuestionKind.BEST_PRACTICE):
        verb = stem((howto.group("verb") or howto.group("v2") or howto.group("v3")).lower())
        purpose = re.match(r"^(?:to|for)\s+([a-z]+)", text, re.I)
        if purpose and stem(purpose.group(1).lower()) == verb:
            return 1.0  # "To scale, just increase the task number"
        return 0.8 if INSTRUCTION.match(text) else 0.5
    if query.kind is QuestionKind.DEFINITION:
        low = text.lower()
        best = max((_defines(term, low) for term in terms_defined), default=0.0)
        # "what does CORS stand for": the passage that spells the short name out
        for mention in query.mentions:
            svc = index.services.get(mention.service)
            short = mention.phrase.replace(" ", "")
            longs = [
                n
                for n in ([svc.label, *svc.aliases] if svc else [])
                if len(n.split()) >= 2 and initials(n).lower() == short.lower()
            ]
            if short.isalnum() and len(short) <= 6 and any(n.lower() in low for n in longs):
                best = max(best, 0.9)
        # the first line under a heading that names the term usually says what it is
        heading = index.first_under.get(p.id, "")
        if heading and names_term(heading, terms_defined):
            best = max(best, 0.75)
        return max(best, 0.3)
    return 0.5


ASKS_BOUND = re.compile(
    r"\b(?:max|maximum|largest|longest|biggest|most|limit|up to|at most|min|minimum|at least)\b|"
    r"\bhow (?:long|many|much|big|large)\b.*\bcan\b",
    re.I,
)
ASKS_LOWER = re.compile(r"\b(?:min|minimum|smallest|least|at least|lowest|shortest)\b", re.I)
IS_BOUND = re.compile(
    r"\b(?:max|maximum|min|minimum|limit|up to|at most|at least|exceed|no more than|no less than)\b", re.I
)


def fact_fit(query: Query, facts: list[Fact]) -> float:
    """How well the graph's facts in a passage match: label words, unit family, and whether a bound
    (a maximum, a limit) was asked for and the fact is one."""
    best = 0.0
    qset = set(query.terms)
    if query.unit_family:  # "how big" asks for what a label calls "size"
        qset |= {stem(w) for w in MEASURE_WORDS.get(query.unit_family, "").split()}
    bound = bool(ASKS_BOUND.search(query.normalised))
    lower = bool(ASKS_LOWER.search(query.normalised))
    wanted = ("min", "range") if lower else ("max", "up to", "range")
    for f in facts:
        label_terms = _label_terms(f.label)
        overlap = len(label_terms & qset) / max(1, len(label_terms)) if label_terms else 0.0
        if bound and (f.qualifier in wanted or (f.qualifier is None and IS_BOUND.search(f.label))):
            overlap = min(1.0, overlap + 0.3)
        unit_ok = 1.0
        if query.unit_family and f.base_unit:
            unit_ok = 1.0 if BASE_UNITS.get(query.unit_family) == f.base_unit else 0.3
        best = max(best, overlap * unit_ok)
    return best


@lru_cache(maxsize=65536)
def _label_terms(label: str) -> frozenset[str]:
    """A fact label's stemmed words, bound words left out; computed once per label, not per question."""
    return frozenset(stem(w) for w in words(IS_BOUND.sub(" ", label)))


def candidates(
    index: Index,
    query: Query,
    qvec: np.ndarray,
    fact_rows: list[dict[str, object]],
    k: int = 40,
    weights: tuple[float, ...] | None = None,
) -> list[Candidate]:
    weights = weights or load_weights()
    text = " ".join([query.normalised, *(n for s in query.services for n in index.lexicon.expansions(s))])
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
    defined = defined_terms(index, query) if query.kind is QuestionKind.DEFINITION else []
    # the answer's shape weighs more when the question says what shape it wants
    shaped = query.kind in (QuestionKind.NUMBER, QuestionKind.PRICING, QuestionKind.DEFINITION) or bool(
        HOW_TO.search(query.normalised) or ASKS_WHERE.search(query.normalised) or ASKS_WHY.search(query.normalised)
    )
    for pid in definition_candidates(index, defined, query.services):
        pool.setdefault(pid, Candidate(index.by_id[pid]))
    for pid, c in pool.items():
        row = index.position[pid]
        c.dense = float(index.passage_vectors[row] @ qvec)
        c.keyword = float(kw[row]) / kw_max
        c.facts = index.facts_by_passage.get(pid, []) if pid in fact_passages else []
        c.coverage = coverage(index, query, c.passage)
        c.service = service_fit(index, query, c.passage)
        c.kind_fit = kind_fit(index, query, c.passage, c.facts, defined)
        c.fact = fact_fit(query, c.facts) if c.facts else 0.0
        c.features = rank_features(c, shaped)
        c.score = sum(w * x for w, x in zip(weights, c.features, strict=True))
    # ties broken by position, so the same index and question always give the same order
    return sorted(pool.values(), key=lambda c: (-round(c.score, 9), index.position[c.passage.id]))
