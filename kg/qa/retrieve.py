"""Hybrid retrieval: keyword (BM25), dense (FAISS) and graph (SPARQL) candidates, scored together."""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from kg.definitions import ALWAYS, strong_patterns, term_keys
from kg.errors import ConfigError
from kg.graph import PREFIXES, service_uri
from kg.model import Fact, FactKind, Passage, QuestionKind
from kg.qa.index import MIN_SHORT, Index, section_key, term_key
from kg.qa.question import Query
from kg.qa.revisions import marked_revisions
from kg.text import initials, item_label, stem, terms, words
from kg.units import BASE_UNITS, CURRENCIES, CURRENCY_SIGNS, DATE, family_of, spoken_quantities, without_dates
from kg.vocab import MEASURE_WORDS, PRICE_WORDS, STOP_INITIAL, STOPWORDS, word_pattern

NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_-])\d")  # a quantity, not the 3 of S3
# a quantity in words: "twice a day", "one month", "two further months", "every six hours"
COUNT_IN_WORDS = re.compile(
    r"\b(?:once|twice|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|ninety|hundred|a dozen)\s+(?:\w+\s+)?(?:a|an|per|times|seconds?|minutes?|hours?|days?|"
    r"weeks?|months?|years?)\b",
    re.I,
)
# the mark of a numbered point ("3.", "2.1", "a)", "iv.") at the start of a line: a position, not a quantity
OUTLINE_MARK = re.compile(r"^\s*(?:\d+[.)]|\(?[a-z][.)]|\(?[ivx]+[.)])\s+")  # not "3 duplicate ACKs"
# A line that talks about money: a currency sign, a percentage or a price word.
PRICE_CUE = re.compile(r"\$|%|" + word_pattern(PRICE_WORDS), re.I)
# How the signals add up to a passage's score: weights fitted by `make fit` (scripts/fit.py) on the training
# corpora, stored beside this module. Every signal is a measurement (a similarity, a share) or a yes/no
# observation about the passage; how much each counts is the fitted weight, none is set by hand. The order of
# RANK_FEATURES is the order of the weights.
RANKING = Path(__file__).with_name("ranking.json")
RANK_FEATURES = (
    "dense",  # cosine similarity of question and passage
    "keyword",  # BM25, scaled to the best passage of the question
    "coverage_body",  # share of the question's term weight (idf) the passage's own text covers
    "coverage_head",  # share covered only by its headings
    "coverage_head_list",  # the same, for a list question (a list is named by its lead)
    "coverage_short",  # share found only shortened or spelt out ("docs" / "documents"), in text or headings
    "coverage_label",  # share found in the label the line opens with ("modes" of "modes: evaluative, spot")
    "service_own",  # the passage belongs to a service the question names
    "service_section",  # its section names one
    "service_other",  # the question names a service and the passage belongs to another one
    # the answer's shape, observed only for the kinds of question that ask for it
    "number",  # a number is asked and the passage states one
    "bound",  # ... and states it as a limit (a fact of the graph, or a bound word)
    "unit_other",  # ... but only in other unit families than the one asked
    "year",  # "when was ..." and the passage names a year
    "money",  # a price is asked and the passage states an amount of money
    "price_word",  # ... or only talks about money (a percentage, a price word)
    "place",  # "where ..." and the passage names a place ("in S3")
    "reason",  # "why ..." and the passage gives a cause or a condition
    "purpose",  # "how do I X" and the passage opens with "to X"
    "instruction",  # "how do I ..." and the passage is an instruction
    "formula",  # "how is X calculated", "formula for X": the passage writes one ("X = A / B")
    "enumerates",  # a list is asked and the passage names three things or more in a row ("gzip, snappy, lz4")
    "opens_list",  # ... or opens a list: it ends with ':' or has items nested under it
    "defines",  # a definition is asked and the passage defines the term ("X: ...", "X means", "X is a")
    "defines_named",  # ... names it in a defining frame ("X (...)", "is the X", "X provides")
    "defines_loosely",  # ... says "X is/are ..."
    "spells_out",  # ... spells out the short name asked about
    "under_term",  # ... is the first line under a heading that names the term
    # graph facts on the passage that match the asked label, bound and unit family
    "fact_label",  # share of a fact label's words the question uses (best fact)
    "fact_bound",  # a bound (max, min) is asked and a fact is one
    "fact_unit_other",  # a unit family is asked and the facts are in another
    "heading",  # the passage is a heading
    "revision",  # the passage is marked as revising an earlier line ("UPDATE: now 64 GB", "EDIT 20-01-2025: -5 degC")
)
SHAPE_FEATURES = RANK_FEATURES[RANK_FEATURES.index("number") : RANK_FEATURES.index("under_term") + 1]
DEFINITION_FEATURES = RANK_FEATURES[RANK_FEATURES.index("defines") : RANK_FEATURES.index("under_term") + 1]
FACT_FEATURES = ("fact_label", "fact_bound", "fact_unit_other")


@lru_cache(maxsize=4)
def load_ranking(path: Path = RANKING) -> tuple[tuple[float, ...], int]:
    """The fitted ranking weights, in RANK_FEATURES order, and the fitted pool size: how many passages are
    taken from each of the vector and the keyword search."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if tuple(doc["features"]) != RANK_FEATURES:
            raise ValueError("fitted on other features than this code computes")
        pool = int(doc["pool"])
        if pool < 1:
            raise ValueError(f"pool {pool} is not a positive count")
        return tuple(float(w) for w in doc["weights"]), pool
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the ranking weights {path}: {exc} (run `make fit`)") from exc


class Bridge(NamedTuple):
    """How the first step of a two-step question hands what it found to the second (fitted, see ``make fit``)."""

    label_words: int  # the longest label of a line (in words) taken as the name of the thing it is about
    new_words: int  # the first step's rarest new words handed on when its passage names nothing
    names: int  # how many of the names found are added to the second step's question
    readings: int  # how many of the first step's best passages are followed (the best-ranked reading is kept)


# what make fit tries
BRIDGE_GRID = {"label_words": (2, 3, 4, 5, 6), "new_words": (1, 2, 3), "names": (1, 2, 3), "readings": (1, 2, 3)}


@lru_cache(maxsize=4)
def load_bridge(path: Path = RANKING) -> Bridge:
    """The fitted hand-over between the two steps of a two-step question."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))["bridge"]
        counts = [doc[k] for k in Bridge._fields]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in counts):
            raise ValueError(f"bridge {doc} holds a setting that is not a whole count of 1 or more")
        return Bridge(*counts)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the two-step hand-over of {path}: {exc} (run `make fit`)") from exc


def load_weights(path: Path = RANKING) -> tuple[float, ...]:
    """The fitted ranking weights, in RANK_FEATURES order."""
    return load_ranking(path)[0]


def pool_size(path: Path = RANKING) -> int:
    """The fitted number of passages taken from each of the vector and the keyword search."""
    return load_ranking(path)[1]


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
    signals: dict[str, float] = field(default_factory=dict)  # the observations of RANK_FEATURES beyond these two
    facts: list[Fact] = field(default_factory=list)
    score: float = 0.0
    kind_fit: float = 0.0  # what the answer's shape adds to the score (the fitted shape signals)
    fact: float = 0.0  # what the graph facts add to the score
    line_dense: float = 0.0  # cosine similarity of question and the passage's own text (the best one only)

    @property
    def features(self) -> tuple[float, ...]:
        """The ranking signals, in RANK_FEATURES order (what the ranker is fitted on)."""
        got = self.signals.get
        return (self.dense, self.keyword, *[got(n, 0.0) for n in RANK_FEATURES[2:]])

    def signal(self, name: str) -> float:
        return self.signals.get(name, 0.0)

    def has_any(self, names: tuple[str, ...]) -> bool:
        return any(self.signals.get(n, 0.0) for n in names)


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
    return sparql, _select(index, sparql)


SPARQL_KEPT = 256  # answers of this many distinct fact queries kept per loaded index


def _select(index: Index, sparql: str) -> list[dict[str, object]]:
    """``index.store.select(sparql)``, kept per loaded index: the query depends only on the services, the kind
    and the unit asked, which many questions share, and the graph does not change while an index is loaded
    (a new build is a new Index)."""
    kept: dict[str, list[dict[str, object]]] = index.derived.setdefault("sparql_rows", {})
    rows = kept.get(sparql)
    if rows is None:
        rows = index.store.select(sparql)
        if len(kept) >= SPARQL_KEPT:
            kept.clear()
        kept[sparql] = rows
    return list(rows)


def coverage(index: Index, query: Query, p: Passage) -> tuple[float, float, float]:
    """Shares of the question's idf weight found in the passage's text, found only in its headings, and
    found only shortened or spelt out ("docs" for "documents", "rev rec" for "revenue recognition")."""
    weighted = coverage_weights(index, query)
    if not weighted:
        return 0.0, 0.0, 0.0
    body, head = index.passage_keys(p)
    total = in_body = in_head = in_short = 0.0
    spelt: frozenset[str] | None = None
    for key, w, forms in weighted:
        total += w
        if key in body:
            in_body += w
        elif key in head:
            in_head += w
        elif forms and not forms.isdisjoint(index.passage_words(p)):
            in_short += w
        else:
            if spelt is None:
                spelt = _acronym_matches(index, query, p)
            if key in spelt:
                in_short += w
    return (in_body / total, in_head / total, in_short / total) if total else (0.0, 0.0, 0.0)


MAX_ACRONYM = 5  # letters of the longest acronym matched to the words it abbreviates ("cfr", "pip", "frc")


_PHRASE_BREAK = re.compile(r"[^\w\s'-]+|\s-+\s|_")  # punctuation ends a phrase; a hyphen inside a word does not


def _runs(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Runs of two to MAX_ACRONYM words that an acronym could abbreviate, with their initials: words of
    letters within one phrase, function words skipped inside ("time to live") and at neither end."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for phrase in _PHRASE_BREAK.split(text):
        out += _phrase_runs([w for tok in words(phrase) for w in tok.split("-") if w])
    return out


def _phrase_runs(toks: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    out: list[tuple[str, tuple[str, ...]]] = []
    for i, first in enumerate(toks):
        if not first.isalpha() or first in STOPWORDS:
            continue
        run, spelt = [first], first[0]  # the content words; the initials of all words ("ttl": time to live)
        for tok in toks[i + 1 : i + 2 * MAX_ACRONYM]:
            if not tok.isalpha() or (tok in STOPWORDS and tok not in STOP_INITIAL) or len(spelt) >= MAX_ACRONYM:
                break
            spelt += tok[0]
            if tok in STOP_INITIAL:
                continue
            run.append(tok)
            out += [(ini, tuple(run)) for ini in dict.fromkeys(("".join(w[0] for w in run), spelt))]
    return out


def _acronym_matches(index: Index, query: Query, p: Passage) -> frozenset[str]:
    """The question's term keys the passage holds as an acronym or spelt out: "cfr" where the line says
    "change failure rate", and "performance improvement plan" where it says "PIP"."""
    cache: dict[str, tuple[frozenset[str], frozenset[str]]] = index.derived.setdefault("acronym_runs", {})
    found = cache.get(p.id)
    if found is None:
        runs = [r for text in (*p.local_section, p.text) for r in _runs(text)]
        found = frozenset(ini for ini, _ in runs), frozenset(term_key(stem(t)) for t in words(p.text))
        cache[p.id] = found
    spelt_in_passage, passage_keys = found
    asked = query.normalised
    last = index.derived.get("acronym_question")
    if last is None or last[0] != asked:  # the question's side, found once per question, not per passage
        short = tuple((stem(t), term_key(stem(t))) for t in words(asked) if 2 <= len(t) <= MAX_ACRONYM)
        spelt = tuple((ini, frozenset(term_key(stem(w)) for w in run)) for ini, run in _runs(asked))
        last = (asked, short, spelt)
        index.derived["acronym_question"] = last
    _, short, spelt = last
    matched = {key for acronym, key in short if acronym in spelt_in_passage}
    for ini, keys in spelt:
        if ini in passage_keys:
            matched |= keys
    return frozenset(matched)


_LABEL = re.compile(r"^([^:=]{1,60}?)\s*(?::|=|->|→|\s[-–—]\s)\s*(?=\S)")  # "modes: ...", "GOGC=100 ..."


def line_label(text: str) -> str:
    """The label a line opens with, before its ':', '=', '->' or dash ("saber" of "saber: supe = I found
    out"), or ""."""
    m = _LABEL.match(text)
    return m.group(1).strip() if m else ""


def label_value(text: str) -> str:
    """What a line says after the label it opens with ("copper b/c ..." of "house wiring = copper b/c ..."),
    or ""."""
    m = _LABEL.match(text)
    return text[m.end() :] if m else ""


def label_signals(index: Index, query: Query, p: Passage) -> dict[str, float]:
    """The label a line opens with, before its ':', '=', '->' or dash (what the line is about, where the rest
    says what it is): the share of the question's term weight found in it."""
    label = "" if p.is_heading else line_label(p.text)
    if not label:
        return {}
    weighted = coverage_weights(index, query)
    total = sum(w for _, w, _ in weighted)
    if not total:
        return {}
    return {"coverage_label": weight_in(weighted, label) / total}


def weight_in(weighted: list[tuple[str, float, frozenset[str]]], text: str) -> float:
    """How much of the question's term weight (``coverage_weights``) the words of ``text`` carry."""
    keys = {term_key(t) for t in terms(text)}
    return sum(w for k, w, _ in weighted if k in keys)


def _shorter(key: str) -> set[str]:
    """The words a key could be shortened to ("doc", "docu", "docum" of "docume")."""
    return {key[:n] for n in range(MIN_SHORT, len(key))}


def shortened(key: str, keys: frozenset[str]) -> bool:
    """Whether one of ``keys`` is ``key`` shortened, or ``key`` is one of them shortened (a word of
    letters that starts the other: "doc" and "docume")."""
    if not key.isalpha() or len(key) < MIN_SHORT:
        return False
    longer = (k for k in keys if len(k) > len(key) and k.isalpha())
    return not _shorter(key).isdisjoint(keys) or any(k.startswith(key) for k in longer)


def _other_forms(index: Index, key: str) -> frozenset[str]:
    """The keys of the notes that are ``key`` shortened or that it shortens (``shortened``), found once per
    question in the notes' sorted keys."""
    if not key.isalpha() or len(key) < MIN_SHORT:
        return frozenset()
    keys: list[str] | None = index.derived.get("sorted_keys")  # type: ignore[assignment]
    if keys is None:
        keys = sorted({term_key(t) for t in index.lexicon.df if t.isalpha() and len(t) >= MIN_SHORT})
        index.derived["sorted_keys"] = keys
    forms = _shorter(key)
    i = bisect_left(keys, key)
    while i < len(keys) and keys[i].startswith(key):
        if keys[i] != key:
            forms.add(keys[i])
        i += 1
    return frozenset(forms)


def coverage_weights(index: Index, query: Query) -> list[tuple[str, float, frozenset[str]]]:
    """The question's terms coverage counts (term_key, idf weight, the notes' keys that are it shortened or
    spelt out): the same for every candidate passage, so found once per question (the last question's, kept
    in index.derived)."""
    asked = (query.terms, query.service_terms)
    last = index.derived.get("coverage_weights")
    if last is not None and last[0] == asked:
        return last[1]  # type: ignore[no-any-return]
    wanted = [t for t in query.terms if t not in query.service_terms] or list(query.terms)
    lexicon = index.lexicon
    weighted = [
        (key, lexicon.idf(t) if lexicon.known(t) else lexicon.idf("__unknown__"), _other_forms(index, key))
        for t in wanted
        for key in (term_key(t),)
    ]
    index.derived["coverage_weights"] = (asked, weighted)
    return weighted


def service_signals(index: Index, query: Query, p: Passage) -> tuple[bool, bool, bool]:
    """Whether the passage belongs to a service the question names, whether its section names one, and
    whether it belongs to another service instead."""
    if not query.services:
        return False, False, False
    family: set[str] = set()
    for sid in query.services:
        family |= index.lexicon.family(sid)
    if p.service in family:
        return True, False, False
    section = bool((index.section_services.get(section_key(p), set()) | _ancestor_services(index, p)) & family)
    return False, section, bool(p.service) and not section


def _ancestor_services(index: Index, p: Passage) -> frozenset[str]:
    """The services the headings above the passage's subject name ("Snowflake" over "MV / streams + tasks"):
    a subject nested in another's notes is part of them."""
    above = p.section[: max(p.subject_depth - 1, 0)]
    if not above:
        return frozenset()
    cache: dict[tuple[str, tuple[str, ...]], frozenset[str]] = index.derived.setdefault("ancestor_services", {})
    key = (p.file, above)
    found = cache.get(key)
    if found is None:
        found = frozenset(m.service for h in above for m in index.lexicon.service_names.mentions(h))
        cache[key] = found
    return found


YEAR = re.compile(r"\b1\d{3}\b|\b20\d\d\b")  # asked "when" or "what year": 1614 is one too


@lru_cache(maxsize=65536)
def states_number(text: str) -> bool:
    """Whether a line states a quantity: a number that is no outline mark, year or date ("(Eng. 1903)" does not
    say how much the rent was)."""
    text = OUTLINE_MARK.sub("", text, count=1)
    if NUMBER_IN_TEXT.search(text) is None:
        return COUNT_IN_WORDS.search(text) is not None or bool(spoken_quantities(text))
    return DATE.search(text) is None or NUMBER_IN_TEXT.search(without_dates(text)) is not None


ASKS_FORMULA = re.compile(r"\b(?:formula|equation|calculat\w*|computed|computing|work(?:ed)? out|derived?)\b", re.I)
# an expression: "= A / B", "= SLE x ARO", "A divided by B"
FORMULA = re.compile(
    r"=\s*[^=\s][^=]*?(?:[/*×÷^+]|\s[-x]\s|\b(?:divided by|times|multiplied by|minus|plus)\b)"
    r"|\b(?:divided by|multiplied by)\b",
    re.I,
)
ASKS_WHEN = re.compile(r"^\s*when\s+(?:was|were|did|is|does)\b|\b(?:what|which) year\b", re.I)
# a table cell under a money header ("$/credit: 4.00", "€/kWh: 0,27"): an amount whose currency is the header's
MONEY_HEADER = re.compile(rf"[{CURRENCY_SIGNS}][^\s:;\d]{{0,20}}:\s?\d")


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
    for term in dict.fromkeys(defined):  # a term named twice finds the same passages twice
        key = stem(term.split()[0]) if term.split() else ""
        keyed = _keyed_strongly_defining(index, term, key)  # DEFINES or DEFINES_NAMED
        if keyed is None:  # an index without definition keys, or a term they cannot select lines for
            pids, lows, joined, starts, sites = _openers_text(index, key)
            keyed = [pids[i] for i in _strongly_defining(term, lows, joined, starts, sites)]
        out += keyed
    # the first lines under a heading that names a term (names_term), looked up by what the heading names
    named = {pid for pid in service_openers if pid in index.first_under}
    by_key, by_stem = _first_under_keys(index)
    for t in defined:
        for h in (t, t + "s", t + "es"):
            named.update(by_key.get(h, ()))
        named.update(by_stem.get(t, ()))
    out += sorted(named, key=index.position.__getitem__)  # file order, as first_under is
    return list(dict.fromkeys(out))[:DEFINITION_POOL]


def _keyed_strongly_defining(index: Index, term: str, key: str) -> list[str] | None:
    """The passages opening with ``key`` (index.openers, in order) a strong definition pattern of ``term``
    matches, tried only on those whose definition keys (kg.definitions, found at ingest) hold the term's first
    or last word where the patterns need it; None when the index has no keys, the term's words cannot be keyed
    or the patterns are not the ones the keys were made for (the caller then tries every opener)."""
    wanted = term_keys(term)
    if index.definers is None or wanted is None or not _patterns_keyed(term):
        return None
    definers = index.definers
    sets: dict[str, frozenset[str]] = index.derived.setdefault("definer_sets", {})

    def having(k: str) -> frozenset[str]:
        found = sets.get(k)
        if found is None:
            if k not in definers:  # a question's word: not kept, so questions cannot grow the cache
                return frozenset()
            found = sets[k] = frozenset(definers[k])
        return found

    (start, marked), after, before = wanted
    tried = (having(start) & having(marked)) | having(after) | having(before) | having(ALWAYS)
    tried &= having_opener(index, key)
    strong = _strong_definition(term)
    hits = []
    for pid in sorted(tried, key=index.position.__getitem__):  # openers are in passage order
        low = index.by_id[pid].text.lower()
        if all(p in low for p in strong.pieces) and strong.whole.search(low):
            hits.append(pid)
    return hits


def having_opener(index: Index, key: str) -> frozenset[str]:
    """index.openers[key] as a set, made once per key and index."""
    sets: dict[str, frozenset[str]] = index.derived.setdefault("opener_sets", {})
    found = sets.get(key)
    if found is None:
        if key not in index.openers:  # a question's word: not kept, so questions cannot grow the cache
            return frozenset()
        found = sets[key] = frozenset(index.openers[key])
    return found


@lru_cache(maxsize=4096)
def _patterns_keyed(term: str) -> bool:
    """Whether the strong patterns of ``term`` are those kg.definitions' keys were made for."""
    strong = (pattern.pattern for pattern, signal in _definition_patterns(term) if signal in (DEFINES, DEFINES_NAMED))
    return tuple(strong) == strong_patterns(term)


def _openers_text(index: Index, key: str) -> tuple[list[str], list[str], str, list[int], list[Sites | None]]:
    """The passages opening with ``key`` (index.openers), their texts lowercased, those texts joined by NUL
    ("" when a text holds a NUL), where each starts in the joined text, and which could define a term after
    their start (``_definition_sites``). Built once per key and index."""
    cache: dict[str, tuple[list[str], list[str], str, list[int], list[Sites | None]]]
    cache = index.derived.setdefault("openers_text", {})
    found = cache.get(key)
    if found is None:
        pids = list(index.openers.get(key, ()))
        lows = [index.by_id[pid].text.lower() for pid in pids]
        starts, at = [], 0
        for low in lows:
            starts.append(at)
            at += len(low) + 1
        joined = "" if any("\x00" in low for low in lows) else "\x00".join(lows)
        found = cache[key] = (pids, lows, joined, starts, _definition_sites(lows))
    return found


# What every strong definition pattern not anchored at the start needs, whatever the term (the shapes
# _strong_definition accepts as "anywhere"): "term: ...", "term is a ...", "... is called the term". Most
# lines have none, and no pattern of a term is tried on them.
DEFINITION_SITE = re.compile(r"(:)\s|\b(?:is|are|means)\s+(?:called\s+)?(?:an?|the)\b")


class Sites(NamedTuple):
    """Where a text's DEFINITION_SITEs are: a term can end just before one, or (is/are a) start after one."""

    before: tuple[int, ...]  # where each site starts
    after: tuple[int, ...]  # where each "is/are/means (called) a/the" ends


def _definition_sites(lows: list[str]) -> list[Sites | None]:
    """The DEFINITION_SITEs of each of the lowercased texts ``lows`` (None: it has none, as most)."""
    out: list[Sites | None] = []
    for low in lows:
        found = list(DEFINITION_SITE.finditer(low))
        out.append(
            Sites(tuple(m.start() for m in found), tuple(m.end() for m in found if not m.group(1))) if found else None
        )
    return out


def _near_site(low: str, sites: Sites, first: str, last: str) -> bool:
    """Whether a term (its first and last words) can be where a pattern of _strong_definition's "anywhere"
    needs it: its last word (+ s/es) just before a site, past white space, or its first just after one."""
    for at in sites.before:
        head = low[:at].rstrip()
        if head.endswith(last) or head.endswith(last + "s") or head.endswith(last + "es"):
            return True
    for at in sites.after:
        if low[at : at + 1].isspace() and low[at:].lstrip().startswith(first):
            return True
    return False


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


# How strongly a line's wording defines a term, strongest first (the signal each one sets).
DEFINES, DEFINES_NAMED, DEFINES_LOOSELY = "defines", "defines_named", "defines_loosely"
DEFINITION_POOL = 30  # at most this many definition-shaped passages join the retrievers' candidates


@lru_cache(maxsize=4096)
def _definition_patterns(term: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Ways notes define a term, strongest first; compiled once per term."""
    t = re.escape(term).replace("\\ ", "\\s+")
    lead = rf"^(?:(?:an?|the|that's an?|that's|this is an?)\s+)?{t}(?:e?s|'s)?(?:\s*\([^)]*\))?"
    return (
        (re.compile(lead + r"\s*(?::|–|—|-\s|=|\bmeans\b|\bstands for\b|\bis\s+(?:an?|the)\b)"), DEFINES),
        # "This is called Long Polling": the line before says what it is
        (re.compile(rf"^(?:this|that|it)\s+is\s+(?:called|known as|named)\s+(?:an?\s+|the\s+)?{t}"), DEFINES),
        # "Scale out (add EC2 instances) ...", "... you can use Lambda@Edge: deploy ..."
        (re.compile(lead + r"\s*\("), DEFINES_NAMED),
        # "One request per second is the reservoir, which ...": named at the end
        (
            re.compile(rf"\b(?:is|are)\s+(?:called\s+)?(?:the|an?)\s+{t}(?:e?s)?\b(?!\s+\w+\s+(?:is|are)\b)"),
            DEFINES_NAMED,
        ),
        (re.compile(rf"\b{t}\s*:\s"), DEFINES_NAMED),
        # "The Outputs section declares ...", "Cognito User Pools provide ..."
        (
            re.compile(
                lead + r"(?:\s+\w+)?\s+(?:declares?|defines?|describes?|represents?|lets|allows?|contains?|"
                r"holds?|provides?|enables?|gives?)\b"
            ),
            DEFINES_NAMED,
        ),
        (re.compile(rf"\b{t}(?:e?s)?\s+(?:is|are|means)\s+(?:an?|the)\b"), DEFINES_NAMED),
        (re.compile(lead + r"\s+(?:is|are)\s+(?:an?\s+|the\s+)?\w+"), DEFINES_LOOSELY),
    )


def defines(term: str, low: str) -> str | None:
    """The strongest way the line defines the term (a signal name), or None."""
    if not all(piece in low for piece in _strong_definition(term).pieces):
        return None  # every pattern needs each of the term's words
    return next((signal for pattern, signal in _definition_patterns(term) if pattern.search(low)), None)


class _Strong(NamedTuple):
    """The definition patterns of one term that make a definition candidate (DEFINES, DEFINES_NAMED), split
    by where they can match."""

    pieces: tuple[str, ...]  # the term's words: every pattern needs all of them in the text
    whole: re.Pattern[str]  # all of them as one pattern
    start: re.Pattern[str] | None  # those anchored at the start of the text ("^...")
    anywhere: re.Pattern[str] | None  # the others: none of them can match across a NUL


@lru_cache(maxsize=4096)
def _strong_definition(term: str) -> _Strong:
    strong = [pattern.pattern for pattern, signal in _definition_patterns(term) if signal in (DEFINES, DEFINES_NAMED)]
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


def _strongly_defining(
    term: str, lows: list[str], joined: str, starts: list[int], sites: list[Sites | None]
) -> list[int]:
    """Which of ``lows`` (lowercased texts; ``joined``, ``starts`` and ``sites`` as _openers_text makes them) a pattern
    of _strong_definition matches (``defines(term, low) in (DEFINES, DEFINES_NAMED)``), in order. Every such
    pattern needs all the term's words in the text: only the texts holding its longest word are tried, found
    by str.find."""
    strong = _strong_definition(term)
    word = max(strong.pieces, key=len, default="")
    if not joined or not word:  # a text holds a NUL, or the term has no words: each text is tried
        return [i for i, low in enumerate(lows) if all(p in low for p in strong.pieces) and strong.whole.search(low)]
    first, last = strong.pieces[0], strong.pieces[-1]
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
        ) or (
            strong.anywhere is not None
            and (near := sites[i]) is not None
            and _near_site(low, near, first, last)
            and strong.anywhere.search(low) is not None
        ):
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


@lru_cache(maxsize=1024)
def _asks(pattern: re.Pattern[str], question: str) -> re.Match[str] | None:
    """``pattern.search(question)``, once per question: the signals read the question for every candidate."""
    return pattern.search(question)


def shape_signals(index: Index, query: Query, p: Passage, facts: list[Fact], terms_defined: list[str]) -> list[str]:
    """What the passage shows of the answer's shape the question wants: a number, a price, a place, a
    definition (the names of the shape signals that hold)."""
    text = p.text
    families = index.families.get(p.id, frozenset())
    kind = query.kind
    if _asks(ASKS_FORMULA, query.normalised):
        return ["formula"] if FORMULA.search(text) else []
    if kind is QuestionKind.NUMBER:
        if _asks(ASKS_WHEN, query.normalised):
            return ["year"] if YEAR.search(text) else []
        if not states_number(text):
            return []
        # numbers the extractor did not take as facts are examples and arithmetic, weaker answers
        out = ["number"] + (["bound"] if index.facts_by_passage.get(p.id) or IS_BOUND.search(text) else [])
        if query.unit_family and families and query.unit_family not in families:
            out.append("unit_other")
        return out
    if kind is QuestionKind.PRICING:
        if (
            MONEY_HEADER.search(text)
            or any(f.kind is FactKind.PRICING and f.unit in CURRENCIES for f in facts)
            or "money" in families  # an amount the units reader reads ("$0.20", "Rs. 50,000/-", "a hundred quid")
        ):
            return ["money"]
        return ["price_word"] if PRICE_CUE.search(text) else []
    if kind in (QuestionKind.FEATURE, QuestionKind.BEST_PRACTICE):
        if _asks(ASKS_WHERE, query.normalised):
            return ["place"] if PLACE.search(text) else []  # "where ... uploaded?" wants "in S3"
        if _asks(ASKS_WHY, query.normalised):
            return ["reason"] if REASON.search(text) else []  # "why?" wants a cause or a condition
        howto = _asks(HOW_TO, query.normalised)
        if howto:
            verb = stem((howto.group("verb") or howto.group("v2") or howto.group("v3")).lower())
            purpose = re.match(r"^(?:to|for)\s+([a-z]+)", text, re.I)
            if purpose and stem(purpose.group(1).lower()) == verb:
                return ["purpose"]  # "To scale, just increase the task number"
            return ["instruction"] if INSTRUCTION.match(text) else []
        return []
    if kind is QuestionKind.LIST:
        if enumerates(text) is not None:
            return ["enumerates"]
        return ["opens_list"] if opens_list(index, p) else []
    if kind is not QuestionKind.DEFINITION:
        return []
    low = text.lower()
    found = {defines(term, low) for term in terms_defined} - {None}
    if not found and any(" " in term for term in terms_defined):
        # "zombie process" defined as "zombie - ..." under a heading that says "process"
        above = set(terms(" ".join(p.section)))
        for term in terms_defined:
            *first, last = term.split() or [""]
            if first and stem(last) in above:
                found |= {defines(" ".join(first), low)} - {None}
    out = [s for s in (DEFINES, DEFINES_NAMED, DEFINES_LOOSELY) if s in found][:1]
    # "what does CORS stand for": the passage that spells the short name out
    for mention in query.mentions:
        short = mention.phrase.replace(" ", "")
        longs = _spelled_out(index, mention.service, short)
        if short.isalnum() and len(short) <= MAX_SHORT_NAME and any(n in low for n in longs):
            out.append("spells_out")
            break
    # the first line under a heading that names the term usually says what it is
    heading = index.first_under.get(p.id, "")
    if heading and names_term(heading, terms_defined):
        out.append("under_term")
    return out


_ITEMS_AFTER = re.compile(r"^[^:=]{1,60}(?::|=|->)\s*(?=\S)")  # "codecs: ", "B1 = 4 tests: " before the items
_SEPARATOR = re.compile(r"\s*(?:[,;|→⇒]|\s/\s|\band\b|\bor\b)\s*")  # "a → b → c": stages in a row


def enumerates(text: str) -> str | None:
    """The label before three short items or more in a row ("codecs" of "codecs: gzip, snappy, lz4, zstd";
    "" for a line of items only), or None when the line names no such items."""
    body = text
    while m := _ITEMS_AFTER.match(body):
        body = body[m.end() :]
    parts = [x for x in _SEPARATOR.split(re.sub(r"\([^)]*\)", "", body)) if x.strip()]
    if len(parts) >= 3 and sum(len(x.split()) <= 4 for x in parts) >= 3:
        return text[: len(text) - len(body)]
    return None


def opens_list(index: Index, p: Passage) -> bool:
    """The passage ends with ':' or the next one sits under it (a heading over items, an item with children)."""
    if p.text.rstrip().endswith(":"):
        return True
    i = index.position[p.id] + 1
    if i >= len(index.passages):
        return False
    nxt = index.passages[i]
    return nxt.file == p.file and not nxt.is_heading and bool(nxt.section) and names_items(nxt.section[-1], p)


def lead_label(p: Passage) -> str:
    """A line's words as a label of the lines under it (without the ':' that introduces them)."""
    return p.text.strip().rstrip(":").strip()


def names_items(label: str, p: Passage) -> bool:
    """Whether ``label``, the last heading of a line under ``p``, is how ``p`` names what sits under it: its
    words, or its head (``item_label``: "engine checks - WOBBLE" names its items "engine checks")."""
    return label == lead_label(p) or label == item_label(p.text.strip())


MAX_SHORT_NAME = 6  # letters of a short name that initials spell out ("CORS", "IAM"; not a word)


def _spelled_out(index: Index, service: str, short: str) -> tuple[str, ...]:
    """The service's names of two words or more whose initials spell ``short``, lowercased: the same for
    every candidate passage, so found once per name and index."""
    cache: dict[tuple[str, str], tuple[str, ...]] = index.derived.setdefault("spelled_out", {})
    found = cache.get((service, short))
    if found is None:
        svc = index.services.get(service)
        found = tuple(
            n.lower()
            for n in ([svc.label, *svc.aliases] if svc else [])
            if len(n.split()) >= 2 and initials(n).lower() == short.lower()
        )
        if len(cache) > 4096:  # phrases come from questions: keep the cache bounded
            cache.clear()
        cache[(service, short)] = found
    return found


ASKS_BOUND = re.compile(
    r"\b(?:max|maximum|largest|longest|biggest|most|limit|up to|at most|min|minimum|at least)\b|"
    r"\bhow (?:long|many|much|big|large)\b.*\bcan\b",
    re.I,
)
ASKS_LOWER = re.compile(r"\b(?:min|minimum|smallest|least|at least|lowest|shortest)\b", re.I)
IS_BOUND = re.compile(
    r"\b(?:max|maximum|min|minimum|limit|up to|at most|at least|exceed|no more than|no less than)\b", re.I
)


def fact_signals(query: Query, facts: list[Fact]) -> dict[str, float]:
    """How the graph's facts on a passage match the question: the best share of a fact label's words the
    question uses, whether a bound (a maximum, a limit) was asked and a fact is one, and whether a unit
    family was asked and the facts are all in another."""
    qset = set(query.terms)
    if query.unit_family:  # "how big" asks for what a label calls "size"
        qset |= {stem(w) for w in MEASURE_WORDS.get(query.unit_family, "").split()}
    bound = bool(_asks(ASKS_BOUND, query.normalised))
    lower = bool(_asks(ASKS_LOWER, query.normalised))
    wanted = ("min", "range") if lower else ("max", "up to", "range")
    label = 0.0
    is_bound = False
    units = [f.base_unit for f in facts if f.base_unit]
    for f in facts:
        label_terms = _label_terms(f.label)
        if label_terms:
            label = max(label, len(label_terms & qset) / len(label_terms))
        is_bound |= bound and (f.qualifier in wanted or (f.qualifier is None and bool(IS_BOUND.search(f.label))))
    unit_other = bool(query.unit_family and units and query.unit_family not in {family_of(u) for u in units})
    return {"fact_label": label, "fact_bound": float(is_bound), "fact_unit_other": float(unit_other)}


@lru_cache(maxsize=65536)
def _label_terms(label: str) -> frozenset[str]:
    """A fact label's stemmed words, bound words left out; computed once per label, not per question."""
    return frozenset(stem(w) for w in words(IS_BOUND.sub(" ", label)))


@lru_cache(maxsize=8)
def _slots(weights: tuple[float, ...]) -> dict[str, tuple[int, float, str]]:
    """Each ranking feature past dense and keyword: its position, its weight and its group (shape, fact or '')."""
    if len(weights) != len(RANK_FEATURES):
        raise ValueError(f"{len(weights)} ranking weights for {len(RANK_FEATURES)} features")
    group = {**dict.fromkeys(SHAPE_FEATURES, "shape"), **dict.fromkeys(FACT_FEATURES, "fact")}
    return {n: (i, w, group.get(n, "")) for i, (n, w) in enumerate(zip(RANK_FEATURES, weights, strict=True)) if i >= 2}


# The question's vector and its nearest passages: (vector, [(passage id, similarity)])
DenseHits = tuple[np.ndarray, list[tuple[str, float]]]


@dataclass
class Gathered:
    """The part of the pool that does not need the question's vector: the keyword, fact and definition
    passages with their signals read, and what the vector's passages will be read with. Gathered while the
    question is being embedded."""

    pool: dict[str, Candidate]
    kw: np.ndarray
    kw_max: float
    fact_passages: set[str]
    defined: list[str]


def gather(
    index: Index,
    query: Query,
    fact_rows: list[dict[str, object]],
    k: int | None = None,
    pause: Callable[[], None] | None = None,
) -> Gathered:
    """The ``k`` best passages by keyword, the passages of the SPARQL facts and the definition candidates,
    each with its signals read; ``pause`` is called between passages (to let another thread take the GIL)."""
    k = k or pool_size()
    text = " ".join([query.normalised, *(n for s in query.services for n in index.lexicon.expansions(s))])
    kw = keyword_scores(index, text)
    kw_max = float(kw.max()) if kw.size and kw.max() > 0 else 1.0
    fact_passages = {str(r["passage"]).rsplit("/", 1)[-1] for r in fact_rows}
    defined = defined_terms(index, query) if query.kind is QuestionKind.DEFINITION else []
    found = Gathered({}, kw, kw_max, fact_passages, defined)
    pids = [index.passages[int(i)].id for i in np.argsort(-kw)[:k] if kw[i] > 0]
    pids += [pid for pid in fact_passages if pid in index.by_id]
    pids += definition_candidates(index, defined, query.services)
    for pid in pids:
        _add(index, query, found, pid)
        if pause is not None:
            pause()
    return found


def _add(index: Index, query: Query, found: Gathered, pid: str) -> None:
    """Put the passage in the pool with its signals read (all but the vector similarity), once."""
    if pid in found.pool:
        return
    c = found.pool[pid] = Candidate(index.by_id[pid])
    c.keyword = float(found.kw[index.position[pid]]) / found.kw_max
    c.facts = index.facts_by_passage.get(pid, []) if pid in found.fact_passages else []
    listing = query.kind is QuestionKind.LIST
    body, head, short = coverage(index, query, c.passage)
    own, section, other = service_signals(index, query, c.passage)
    sig: dict[str, float] = {
        "coverage_body": body,
        "coverage_head": 0.0 if listing else head,
        "coverage_head_list": head if listing else 0.0,
        "coverage_short": short,
        **label_signals(index, query, c.passage),
        "service_own": float(own),
        "service_section": float(section),
        "service_other": float(other),
        "heading": float(c.passage.is_heading),
        "revision": float(pid in marked_revisions(index)),
    }
    sig.update(dict.fromkeys(shape_signals(index, query, c.passage, c.facts, found.defined), 1.0))
    if c.facts:
        sig.update(fact_signals(query, c.facts))
    c.signals = {n: v for n, v in sig.items() if v}


def candidates(
    index: Index,
    query: Query,
    dense: DenseHits,
    fact_rows: list[dict[str, object]],
    k: int | None = None,
    weights: tuple[float, ...] | None = None,
    gathered: Gathered | None = None,
) -> list[Candidate]:
    """The pool (the ``k`` nearest passages by vector and by keyword, the passages of the SPARQL facts and the
    definition candidates), each scored by the fitted weights, best first. ``gathered``: the part found
    without the vector (``gather``), when it was read while the question was embedded."""
    weights = weights or load_weights()
    k = k or pool_size()
    found = gathered or gather(index, query, fact_rows, k)
    qvec, dense_hits = dense
    for pid, _ in dense_hits[:k]:
        _add(index, query, found, pid)
    assert index.passage_vectors is not None
    slots = _slots(tuple(weights))
    for pid, c in found.pool.items():
        c.dense = float(index.passage_vectors[index.position[pid]] @ qvec)
        # The weighted sum over the signals that fired only, added in RANK_FEATURES order: a feature at 0 adds
        # nothing, so this is the full sum to the last bit without a product per feature per candidate.
        fired = sorted((slots[n][0], slots[n][1] * v, slots[n][2]) for n, v in c.signals.items() if n in slots)
        c.score = sum([weights[0] * c.dense, weights[1] * c.keyword, *[t for _, t, _ in fired]])
        c.kind_fit = sum([t for _, t, group in fired if group == "shape"])
        c.fact = sum([t for _, t, group in fired if group == "fact"])
    # ties broken by position, so the same index and question always give the same order
    ranked = sorted(found.pool.values(), key=lambda c: (-round(c.score, 9), index.position[c.passage.id]))
    if ranked and index.line_vectors is not None:  # what the confidence reads of the best passage
        best = ranked[0]
        best.line_dense = float(index.line_vectors[index.position[best.passage.id]].astype(np.float32) @ qvec)
    return ranked
