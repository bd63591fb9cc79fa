"""Calibrated confidence: the probability that an answer is right, from signals of the top passage.

The signals are measured here; how much each one counts, and the confidence under which the engine says
"not in your notes", are fitted by ``scripts/fit.py`` (``make fit``) on the training corpora and stored in
``calibration.json`` beside this module. Nothing here is a hand-set weight.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kg.errors import ConfigError
from kg.model import Passage, QuestionKind
from kg.qa.index import Index, term_key
from kg.qa.question import Query
from kg.qa.retrieve import Candidate, shape_signals, shortened
from kg.text import content_terms, squash, stem, terms, word_terms, words
from kg.units import UNITS
from kg.vocab import DEFAULT_ASKED, FRAME_WORDS

CALIBRATION = Path(__file__).with_name("calibration.json")
FIGURE_SIGNALS = ("number", "year", "money", "price_word")  # the passage states a figure of the asked kind
HOW_MANY = re.compile(r"\bhow many\b|\bnumber of\b", re.I)
# the notes say they do not have what they are about: "price TBD", "forgot to look", "didn't write it down",
# "no figure given", "temps weren't covered", "refused to give a size", "look it up", "??"; not advice to a reader
# who does not know ("If you don't know how long it takes to process a message, ...")
UNSURE = re.compile(
    r"\b(?:tb[dca]|forgot|not sure|(?<!\byou )(?<!\bu )(?:no idea|(?:do|did)n'?t know)"
    r"|(?:did|have|has)(?:n'?t| not) (?:looked|look|checked|check|asked|ask|noted|note|written|write|found|got round)"
    r"|(?:did|does|do)(?:n'?t| not) (?:say|said|mention|give|gave|state)"  # "she didnt say how much"
    r"|not (?:weighed|measured|priced|tested|timed|counted|confirmed|decided|agreed) yet"
    r"|never (?:checked|looked|asked|found out|wrote|priced|measured|weighed|tested|timed|counted)"
    r"|no (?:number|figure|price|value|amount|date) (?:given|stated|said|listed|written|agreed|confirmed|decided"
    r"|set|on|in|for|yet)"
    r"|(?:wasn'?t|was not|isn'?t|is not|weren'?t|were not|aren'?t|are not|not) (?:given|stated|said|mentioned|listed"
    r"|covered|on the slide)"
    r"|no [a-z]+ (?:written|noted|recorded|given)(?: down)?"  # "no mag written down", "no heights given"
    r"|no (?:more )?details?|refused to (?:give|say|tell|share|quote)|gave no (?:numbers?|figures?|details?|prices?)"
    r"|(?:need|have|got) to (?:check|look (?:it |that |this )?up|find out)|look (?:it|that|this) up|check later)\b"
    r"|\?\?|:\s*\?(?=[\s;,|]|$)",  # "??", a field left open ("Build vol: ?")
    re.I,
)
PRICE_ASKED = re.compile(r"\b(?:how much|price per|cost per|per (?:request|hour|month|gb|million))\b", re.I)

# What the fitted model reads, in this order (the calibration file names them too, so a stale file fails).
FEATURES = (
    "coverage_body",  # share of the question's term weight the top passage's text covers
    "coverage_head",  # share its headings add
    "coverage_short",  # share found only shortened or spelt out ("docs" / "documents")
    "dense",  # cosine similarity of question and top passage
    "line_dense",  # ... and of question and the top passage's own text, without its headings
    "dropped_rise",  # how much line_dense rises when the question's words the answer does not say are dropped
    # the question matched piece by piece against the top passage's own text (kg.qa.pieces): the mean and the
    # least of its content pieces' best cosines, how much of the question the line says in any words
    "piece_mean",
    "piece_least",
    "keyword",  # BM25 score of the top passage, scaled to the best of the run
    "service_own",  # the passage belongs to a service the question names
    "service_section",  # its section names one
    "shape",  # what the answer's shape (a number, a price, a definition) adds to the passage's ranking score
    "fact",  # what graph facts of the asked label and family add to it
    "score",  # the fused ranking score
    "margin",  # fused score of the first minus the second passage
    "lead",  # ... minus the mean of all candidates: how far the best passage stands above the field
    "figure_missing",  # a number or a price is asked and the passage states none of that kind
    "price_missing",  # "price per ..." asked, no amount in the passage
    "other_service",  # the question names a service and the passage is about another
    "missing_names",  # names the question uses that the passage and its service do not mention
    "focus_missing",  # the question's most specific known word is absent from the passage
    "known_missing",  # how many words of the question the notes use elsewhere are absent from the passage
    "unknown_common",  # ordinary English words of the question the notes never use
    "unknown_jargon",  # other words of the question the notes never use
    "all_unknown",  # everything asked beyond the service is absent from the notes
    "names_service",  # the question names a service of the notes
    # the question asks in a unit family the passage states nothing in: one signal for each of the families
    # questions ask in most (how far a missing price tells an unanswerable question is not how far a missing
    # size does: "how big" is asked of counts and lengths as much as of bytes), one for the others
    "family_missing_money",
    "family_missing_time",
    "family_missing_size",
    "family_missing_other",
    # ... or states it only on a line the answer added, not on its own line: "memory of each hooks-worker task"
    # answered by the hooks-worker row and the next row's "4 GB"
    "family_beside",
    "side_missing",  # a comparison whose sides are not both in the top passages
    "asked_missing",  # the noun naming what is asked for ("which curve", "... default port") is not in the answer
    "count_missing",  # "how many" (no unit) is asked and the answer states no count (a bare number, of things)
    "default_missing",  # the default is asked and the answer does not say one ("max 5" is no default)
    "code_missing",  # identifiers the question types (io1, fetch.max.bytes, ClientAliveCountMax) the answer lacks
    "number_missing",  # numbers the question types ("in 2025", "a /20", "30 mg") that the answer does not state
    "unsure",  # the answer's own line says it does not know it ("price TBD", "forgot to look", "no figure given")
    # ... or only a line the answer added does ("fee 0.75%; dealing £5?? they weren't sure"): an aside beside
    # what the top line states as often as the figure left out
    "unsure_beside",
    "numberless",  # the answer's lines state no number at all
    "figure_wanted",  # how likely the question's words ask for a figure (a fitted model of question words)
    "figure_unsaid",  # ... when the answer states no number: "janka rating of teak" answered "Teak"
    # how often questions in these words have their answer in the notes (a fitted model of question words): a
    # price, a default, a version or a maximum is asked of notes that lack it more often than a meaning is
    "words_answerable",
    "answer_parts",  # how many lines the answer was composed of (a list gathered from siblings, a line and its parent)
    # what kind of answer the question wants (one of them is 1): how often each kind is answered right
    *(f"kind_{kind.value}" for kind in QuestionKind),
)


@dataclass(frozen=True)
class Calibration:
    """A fitted logistic model over standardised signals, and the fitted abstention thresholds: one for each kind
    of answer a question asks for, and one over all questions for a kind the training questions never asked."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    # the words of a question that say it wants a figure as its answer, and their fitted weights (the
    # intercept under ""): a logistic model of whether the right answer holds a number ("rate", "how much")
    figure_words: dict[str, float] = field(default_factory=dict, compare=False)
    # the same for whether the notes hold the answer at all: which words the train questions the notes do not
    # answer use more often than those they do ("price", "default" against "meaning", "vs")
    answerable_words: dict[str, float] = field(default_factory=dict, compare=False)
    # the threshold for each kind of answer asked for (QuestionKind values): how often a wrong answer is to a
    # question the notes do not answer differs by kind, and with it where abstaining starts to pay
    thresholds: dict[str, float] = field(default_factory=dict, compare=False)

    def threshold_for(self, signals: dict[str, float]) -> float:
        """The abstention threshold for the kind of answer the question asked for (its ``kind_`` signal), else
        the one over all questions."""
        kind = asked_kind(signals)
        return self.thresholds.get(kind, self.threshold) if kind else self.threshold

    def probability(self, signals: dict[str, float]) -> float:
        z = self.intercept
        for name, m, s, w in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            z += w * (signals.get(name, 0.0) - m) / (s or 1.0)
        return _logistic(z)

    def figure_wanted(self, question: str) -> float:
        """The probability that the answer to ``question`` is a figure, by its words (0 when not fitted)."""
        return words_probability(self.figure_words, question)

    def answerable(self, question: str) -> float:
        """The probability that the notes answer ``question``, by its words alone (0 when not fitted)."""
        return words_probability(self.answerable_words, question)

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "thresholds": self.thresholds,
            "figure_words": self.figure_words,
            "answerable_words": self.answerable_words,
            "meta": self.meta,
        }


def asked_kind(signals: dict[str, float]) -> str | None:
    """The kind of answer the question asked for, as its signals say (the ``kind_`` one that is set); None when
    none is (a question of nothing but question words)."""
    return next((k.value for k in QuestionKind if signals.get(f"kind_{k.value}")), None)


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def words_probability(weights: dict[str, float], question: str) -> float:
    """What a fitted logistic model of a question's words (``weights``, its intercept under "") gives the
    question; 0 when none is fitted."""
    if not weights:
        return 0.0
    # fsum: the exact sum, whatever order the set of words is walked in (which changes with the hash seed)
    got = weights.get
    return _logistic(math.fsum([got("", 0.0), *(got(w, 0.0) for w in question_words(question))]))


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION) -> Calibration:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        cal = Calibration(
            features=tuple(doc["features"]),
            mean=tuple(doc["mean"]),
            scale=tuple(doc["scale"]),
            coef=tuple(doc["coef"]),
            intercept=float(doc["intercept"]),
            threshold=float(doc["threshold"]),
            meta=dict(doc.get("meta", {})),
            figure_words={str(k): float(v) for k, v in doc.get("figure_words", {}).items()},
            answerable_words={str(k): float(v) for k, v in doc.get("answerable_words", {}).items()},
            thresholds={str(k): float(v) for k, v in doc.get("thresholds", {}).items()},
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the confidence calibration {path}: {exc} (run `make fit`)") from exc
    if cal.features != FEATURES:
        raise ConfigError(f"{path} was fitted on other signals than this code measures (run `make fit`)")
    return cal


def question_words(question: str) -> frozenset[str]:
    """The words of a question as the words models read them: folded tokens, each once."""
    return frozenset(words(question))


def word_signals(calibration: Calibration, question: str, read: dict[str, float]) -> dict[str, float]:
    """The signals read from the question's words by the fitted words models, given the answer's
    ``numberless`` signal (``signals``)."""
    wanted = calibration.figure_wanted(question)
    return {
        "figure_wanted": wanted,
        "figure_unsaid": wanted * read.get("numberless", 0.0),
        "words_answerable": calibration.answerable(question),
    }


def signals(
    index: Index,
    query: Query,
    ranked: list[Candidate],
    answer: Sequence[Passage] = (),
    kind: QuestionKind | None = None,
) -> dict[str, float]:
    """The signals of the top passage, for the fitted model; whether the figure asked for is stated is read
    from the passages the answer was composed of as well (``answer``: a price on the line after the top one).
    ``kind``: what the question asked for, when ``query`` is the second step of a question answered in two."""
    out = dict.fromkeys(FEATURES, 0.0)
    if not ranked or not (query.terms or query.services):
        return out  # nothing asked about: only question words
    top = ranked[0]
    best_keyword = max((c.keyword for c in ranked), default=0.0) or 1.0
    unknown = unknown_terms(index, query)
    common = index.lexicon.common_terms(query.normalised)  # the question's ordinary English words
    around = [c.passage for c in ranked[: 3 if query.kind is QuestionKind.COMPARISON else 1]]
    figure = query.kind in (QuestionKind.NUMBER, QuestionKind.PRICING)
    extra = [p for p in answer if p.id != top.passage.id]
    shown = {s for p in extra for s in shape_signals(index, query, p, index.facts_by_passage.get(p.id, []), [])}
    answered = (top.passage, *extra)
    family = query.unit_family
    said = _words_of(answered)
    unsure = bool(UNSURE.search(top.passage.text))
    out.update(
        coverage_body=top.signal("coverage_body"),
        coverage_head=top.signal("coverage_head") + top.signal("coverage_head_list"),
        coverage_short=top.signal("coverage_short"),
        dense=top.dense,
        line_dense=top.line_dense,
        keyword=top.keyword / best_keyword,
        service_own=top.signal("service_own"),
        service_section=top.signal("service_section"),
        shape=top.kind_fit,
        fact=top.fact,
        score=top.score,
        margin=top.score - ranked[1].score if len(ranked) > 1 else top.score,
        lead=top.score - sum(c.score for c in ranked) / len(ranked),
        figure_missing=float(figure and not top.has_any(FIGURE_SIGNALS) and not shown & set(FIGURE_SIGNALS)),
        price_missing=float(
            query.kind is QuestionKind.PRICING
            and not top.signal("money")
            and "money" not in shown
            and bool(PRICE_ASKED.search(query.normalised))
        ),
        other_service=float(bool(query.services) and not top.has_any(("service_own", "service_section"))),
        missing_names=float(len(missing_names(index, query, around))),
        focus_missing=float(
            query.kind is not QuestionKind.MULTI_HOP and focus_missing(index, query, top.passage, common)
        ),
        known_missing=float(len(known_missing(index, query, top.passage, extra))),
        unknown_common=float(sum(1 for t in unknown if t in common)),
        unknown_jargon=float(sum(1 for t in unknown if t not in common)),
        all_unknown=float(
            bool(unknown) and not [t for t in query.terms if t not in query.service_terms and t not in unknown]
        ),
        names_service=float(bool(query.services)),
        **_family_missing(index, query, answered),
        family_beside=float(
            family is not None and not _states(index, family, (top.passage,)) and _states(index, family, extra)
        ),
        side_missing=float(sum(1 for side in query.compared if not _mentioned(side, around))),
        asked_missing=float(
            bool(query.asked)
            and not _says(query.asked or "", said)
            and not _measured(index, query.asked or "", answered)
        ),
        default_missing=float(bool(DEFAULT_ASKED.search(query.normalised)) and not _says("default", said)),
        code_missing=float(len(code_missing(index, query, answered))),
        number_missing=float(len(number_missing(query, answered))),
        unsure=float(unsure),
        unsure_beside=float(not unsure and any(UNSURE.search(p.text) for p in extra)),
        numberless=float(not any(ch.isdigit() for p in answered for ch in p.text)),
        answer_parts=float(len(answer)),
        count_missing=float(
            bool(HOW_MANY.search(query.normalised))
            and not query.unit_family  # "how many hours" asks for a time
            and not any(index.families.get(p.id, frozenset()) & {"count", "none"} for p in answered)
        ),
    )
    out[f"kind_{(kind or query.kind).value}"] = 1.0
    return out


_NUMBER = re.compile(r"\d(?:[\d.,]*\d)?")
_BARE_NUMBER = re.compile(r"^[/#$€£(]*(\d[\d,]*(?:\.\d+)?)[%)?!.,:;]*$")


def _value(number: str, comma: bool) -> float | None:
    """A number's value as a file writes it: with a decimal comma ("1.525,5") or a decimal point ("1,525.5")."""
    try:
        return float(number.replace(".", "").replace(",", ".") if comma else number.replace(",", ""))
    except ValueError:
        return None  # "1.2.3": a version, no value


def number_missing(q: Query, passages: Sequence[Passage]) -> list[str]:
    """Numbers the question types as words of their own ("rates for 2025", "a /20", "playtest #2") that the
    passages and their headings do not state (compared by value, each passage's numbers read as its file
    writes them; a question's "0,25" is read with a decimal comma too when a passage's file writes so)."""
    asked = [m.group(1) for t in q.text.split() if (m := _BARE_NUMBER.match(t))]
    if not asked:
        return []
    said = {
        v
        for p in passages
        for n in _NUMBER.findall(" ".join(_spoken(p)))
        if (v := _value(n, p.decimal_comma)) is not None
    }
    readings = (False, True) if any(p.decimal_comma for p in passages) else (False,)
    return [n for n in asked if not {_value(n, comma) for comma in readings} & said]


def code_missing(index: Index, q: Query, passages: Sequence[Passage]) -> list[str]:
    """Identifiers the question types that the passages, their headings, lists and services do not spell
    (compared without case and punctuation: "fetch.max.bytes" is not in "max.partition.fetch.bytes")."""
    if not q.codes:
        return []
    said = "|".join(squash(x) for p in passages for x in (*_spoken(p), *_service_names(index, p)))
    return [t for t in q.codes if t not in said]


def _spoken(p: Passage) -> tuple[str, ...]:
    """What a passage says, with its headings and the lead of the list it belongs to."""
    return (p.text, *p.local_section, p.lead)


def _service_names(index: Index, p: Passage) -> tuple[str, ...]:
    """The label and aliases of the service a passage belongs to (none when it belongs to none)."""
    s = index.services.get(p.service or "")
    return (s.label, *s.aliases) if s else ()


def _mentioned(side: str, passages: list[Any]) -> bool:
    """Whether every content word of one side of a comparison is in the passages or their headings."""
    wanted = set(content_terms(side))
    seen: set[str] = set()
    for p in passages:
        seen |= set(content_terms(" ".join([p.text, *p.local_section])))
    return wanted <= seen


def without_unsaid(query: Query, answered: Sequence[Passage]) -> str | None:
    """The question without its words that the answer's lines, headings and lists do not say (None when it
    says them all, or says none of them): what the answer would fit if those words were not asked. An
    unanswerable near miss fits its line better without the word it asks that the line lacks ("... for the sql
    server db" against "sqlite 2GB, postgres 1GB"); a right answer in other words loses little."""
    said = _words_of(answered)
    unsaid = {w for w, t in word_terms(query.normalised) if w not in FRAME_WORDS and t not in said}
    if not unsaid:
        return None
    text = query.normalised
    for w in sorted(unsaid):
        text = re.sub(rf"(?<!\w){re.escape(w)}(?!\w)", " ", text, flags=re.I)
    text = " ".join(text.split())
    return text if text and text != " ".join(query.normalised.split()) else None


def _words_of(passages: Sequence[Any]) -> set[str]:
    """The terms of the passages, their headings and the lists they belong to: what an answer says."""
    seen: set[str] = set()
    for p in passages:
        seen |= set(terms(" ".join(_spoken(p))))
    return seen


OWN_FAMILY_SIGNALS = ("money", "time", "size")  # the unit families with a missing-figure signal of their own


def _family_missing(index: Index, query: Query, answered: Sequence[Passage]) -> dict[str, float]:
    """The family-missing signal of the unit family the question asks in, when the answer states nothing in it."""
    family = query.unit_family
    if not family or _states(index, family, answered):
        return {}
    return {f"family_missing_{family if family in OWN_FAMILY_SIGNALS else 'other'}": 1.0}


def _states(index: Index, family: str, answered: Sequence[Passage]) -> bool:
    """Whether the answer's lines state a quantity of a unit family ("time", "energy")."""
    return any(family in index.families.get(p.id, ()) for p in answered)


def _measured(index: Index, word: str, answered: Sequence[Passage]) -> bool:
    """Whether the asked word is a unit ("how many calories") the answer states a quantity in ("90 kcal")."""
    unit = UNITS.get(word.lower())
    return unit is not None and _states(index, unit[1], answered)


def _says(word: str, said: set[str]) -> bool:
    """Whether a word of the question is among the answer's terms (``_words_of``)."""
    wanted = set(terms(word))
    return not wanted or bool(wanted & said)


def unknown_terms(index: Index, q: Query) -> list[str]:
    """Content words of the question the notes never use (compounds count once, not by their parts)."""
    compounds = [t for t in q.terms if re.search(r"[-./:@+_]", t)]
    parts = {stem(x) for t in compounds for x in re.split(r"[-./:@+_]", t)}
    return [
        t
        for t in q.terms
        if t not in q.service_terms and not index.lexicon.known(t) and not (t in parts and t not in compounds)
    ]


def focus_missing(index: Index, q: Query, p: Any, common: frozenset[str]) -> bool:
    """The question's most specific known word is absent from the passage and its headings: the rarest in the
    notes of the words that are no ordinary English, else of all ("supplies" or "cheaper", rare in the notes,
    say less of what is asked than "thoracic"); ``common``: the question's ordinary words
    (``Lexicon.common_terms``)."""
    known = [
        t for t in q.terms if t not in q.service_terms and index.lexicon.known(t) and not re.search(r"[-./:@+_]", t)
    ]
    if not known:
        return False
    focus = max(known, key=lambda t: (t not in common, index.lexicon.idf(t), t))
    seen = set(terms(" ".join([p.text, *p.local_section])))
    return not _present(focus, seen, _keys(seen))


def known_missing(index: Index, q: Query, p: Any, extra: Sequence[Passage] = ()) -> list[str]:
    """Content words of the question that the notes use somewhere but not in this passage (nor the others the
    answer was composed of), its headings or the list it belongs to: what the question asks beyond what the
    answer says (a near miss)."""
    seen = set(terms(" ".join([*_spoken(p), *(x.text for x in extra)])))
    keys = _keys(seen)
    return [
        t
        for t in dict.fromkeys(q.terms)
        if t not in q.service_terms
        and index.lexicon.known(t)
        and not _present(t, seen, keys)
        and not re.search(r"[-./:@+_]", t)
    ]


def _keys(seen: set[str]) -> frozenset[str]:
    return frozenset(term_key(t) for t in seen)


def _present(term: str, seen: set[str], keys: frozenset[str]) -> bool:
    """Whether a term is among ``seen`` (``keys``: their term keys), as it is or shortened ("docs" for
    "documents")."""
    return term in seen or shortened(term_key(term), keys)


def missing_names(index: Index, q: Query, passages: list[Any]) -> list[str]:
    """Names the question uses (Kinesis, SQS) that the passages and their services do not mention."""
    named = set(q.service_terms)
    context: set[str] = set()
    for p in passages:
        context |= set(content_terms(" ".join(_spoken(p))))
        names = _service_names(index, p)
        if names:
            context |= set(content_terms(" ".join(names)))
    out = []
    for tok in words(q.normalised):
        t = stem(tok)
        if tok in index.lexicon.proper and t not in named and t not in context and t in q.terms:
            out.append(tok)
    return list(dict.fromkeys(out))
