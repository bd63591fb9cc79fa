"""Where a line could define a term: the words a defined term would start or end with, read once per line.

The strong definition patterns of the answering code (``kg.qa.retrieve``: "X: ...", "X is a ...", "X (...)",
"X provides ...", "is called the X", "X means", "This is called X") all pin the defined term to places in the
line: its first word at the start (after "a", "the", "that's" ...) and its last word right before a
definition mark ("(", ":", "-", "means", "is", "provides" ...); or its first word right after "is/are
(called) a/the"; or its last word right before ": " or "is/are/means a/the". ``definition_keys`` lists the
words found in those places (with a final s/es dropped as well, as the patterns allow a plural), so a question's
term is tried only on the lines holding its first and last words there, not on every line that opens with it.

The keys only narrow the lines down: a line they select is still checked with the patterns themselves. They are
found at ingest and written to ``definitions.json`` (by passage text, as ``mentions.json``); an index without
that file, or with one written by other code, tries every line that opens with the term instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from kg.model import Passage
from kg.names import read_texts_file, text_key

log = logging.getLogger(__name__)
DEFINITIONS = "definitions.json"  # index file: passage text (text_key) -> its definition keys

# the optional words before a defined term at the start of a line (the patterns' lead)
_LEADS = tuple(
    re.compile(re.escape(lead) + r"\s+")
    for lead in ("a", "an", "the", "that's a", "that's an", "that's", "this is a", "this is an")
)
_WORD = re.compile(r"\w+")
_VERBS = r"(?:declare|define|describe|represent|let|allow|contain|hold|provide|enable|give)"
# a word a term starting the line can end with: one before a definition mark, after an optional "'s" and
# "(...)"; loose on purpose (every word the patterns could end the term with, and some more)
_MARKED = re.compile(
    r"\b\w++(?=(?:'s)?(?:\s*\([^)]*\))?(?:\s*(?:[:=(–—-]|means\b|stands\b|is\b)|(?:\s+\w+)?\s+" + _VERBS + "))"
)
# "is (called) the X": X's first word starts where this ends (at every start, overlapping ones too)
_AFTER = re.compile(r"(?=(\b(?:is|are)\s+(?:called\s+)?(?:the|an?)\s+))")
# "X: ...", "Xs is a ...": X's last word (with a plural's s) is the word right before this
_BEFORE = re.compile(r"\b\w++(?=\s*:\s|\s+(?:is|are|means)\s+(?:an?|the)\b)")
# "This is called X ...": X may run on into the next word, so such lines are always tried
_CALLED = re.compile(r"^(?:this|that|it)\s+is\s+(?:called|known as|named)\s+")

# the kinds of key: a line is tried for a term when it holds START + first word and MARKED + last word, or
# AFTER + first word, or BEFORE + last word, or ALWAYS
START, MARKED, AFTER, BEFORE, ALWAYS = "^", "(", "<", ">", "*"


def _forms(word: str) -> Iterable[str]:
    """The word, and the word without a plural's s or es (the patterns accept both)."""
    yield word
    if word.endswith("s"):
        yield word[:-1]
        if word.endswith("es"):
            yield word[:-2]


def definition_keys(low: str) -> set[str]:
    """The keys of a lowercased line (see the module's docstring): the kind of place, then the word."""
    keys: set[str] = set()
    starts = [0]
    if low[:1] in ("a", "t"):
        starts += [m.end() for lead in _LEADS if (m := lead.match(low))]
    for at in starts:
        m = _WORD.match(low, at)
        if m:
            keys.update(START + form for form in _forms(m.group()))
    for m in _MARKED.finditer(low):
        keys.update(MARKED + form for form in _forms(m.group()))
    if "is" in low or "are" in low:
        for m in _AFTER.finditer(low):
            w = _WORD.match(low, m.end(1))
            if w:
                keys.update(AFTER + form for form in _forms(w.group()))
    for m in _BEFORE.finditer(low):
        keys.update(BEFORE + form for form in _forms(m.group()))
    if _CALLED.match(low):
        keys.add(ALWAYS)
    return keys


def term_words(term: str) -> tuple[str, str] | None:
    """A term's first and last words (its first and last runs of word characters), as the keys name them; None
    when the keys cannot select its lines: the term has other white space than single spaces between words,
    or starts or ends with a character that is not a word character."""
    pieces = term.split(" ")
    if not term or any(not piece for piece in pieces) or any(ch.isspace() and ch != " " for ch in term):
        return None
    first = _WORD.match(pieces[0])
    last = re.search(r"\w+\Z", pieces[-1])
    if first is None or last is None:
        return None
    return first.group(), last.group()


def term_keys(term: str) -> tuple[tuple[str, str], str, str] | None:
    """The keys a line must hold to be tried for a term: (START + first, MARKED + last), AFTER + first,
    BEFORE + last (a line with ALWAYS is tried too); None as ``term_words``."""
    found = term_words(term)
    if found is None:
        return None
    first, last = found
    return (START + first, MARKED + last), AFTER + first, BEFORE + last


def strong_patterns(term: str) -> tuple[str, ...]:
    """The strong definition patterns of a term (as ``kg.qa.retrieve`` writes them, in its order) that the
    keys are made for: the answering code uses the keys only while its patterns are these."""
    t = re.escape(term).replace("\\ ", "\\s+")
    lead = rf"^(?:(?:an?|the|that's an?|that's|this is an?)\s+)?{t}(?:e?s|'s)?(?:\s*\([^)]*\))?"
    return (
        lead + r"\s*(?::|–|—|-\s|=|\bmeans\b|\bstands for\b|\bis\s+(?:an?|the)\b)",
        rf"^(?:this|that|it)\s+is\s+(?:called|known as|named)\s+(?:an?\s+|the\s+)?{t}",
        lead + r"\s*\(",
        rf"\b(?:is|are)\s+(?:called\s+)?(?:the|an?)\s+{t}(?:e?s)?\b(?!\s+\w+\s+(?:is|are)\b)",
        rf"\b{t}\s*:\s",
        lead + r"(?:\s+\w+)?\s+(?:declares?|defines?|describes?|represents?|lets|allows?|contains?|"
        r"holds?|provides?|enables?|gives?)\b",
        rf"\b{t}(?:e?s)?\s+(?:is|are|means)\s+(?:an?|the)\b",
    )


def logic_digest() -> str:
    """Identifies the code that finds the keys (this module): definitions.json records it."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def write_definitions(folder: Path, passages: Sequence[Passage], previous: Path | None = None) -> None:
    """Write definitions.json into an index folder being built (before its checksums are taken): for each
    passage text (by ``text_key``), its sorted definition keys. Texts found in ``previous``'s file, written
    by the same code, are taken from there."""
    known = _read(previous / DEFINITIONS) if previous is not None else None
    known = known or {}
    out: dict[str, list[str]] = {}
    for p in passages:
        k = text_key(p.text)
        if k not in out:
            found = known.get(k)
            out[k] = found if found is not None else sorted(definition_keys(p.text.lower()))
    doc = {"logic": logic_digest(), "texts": out}
    (folder / DEFINITIONS).write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")


def read_definitions(folder: Path, passages: Sequence[Passage]) -> dict[str, list[str]] | None:
    """The passages (ids, in order) under each definition key, as ingest recorded them; None when the index
    has no definitions.json, it was written by other code or misses a passage's text."""
    texts = _read(folder / DEFINITIONS)
    if texts is None:
        if (folder / DEFINITIONS).is_file():
            log.info("%s was written by other code; definition candidates are found without it", folder / DEFINITIONS)
        return None
    by_key: dict[str, list[str]] = {}
    for p in passages:
        keys = texts.get(text_key(p.text))
        if keys is None:
            return None
        for key in keys:
            by_key.setdefault(key, []).append(p.id)
    return by_key


def _read(path: Path) -> dict[str, list[str]] | None:
    doc = read_texts_file(path, logic_digest())
    return doc["texts"] if doc is not None else None


__all__ = [
    "ALWAYS",
    "DEFINITIONS",
    "definition_keys",
    "read_definitions",
    "strong_patterns",
    "term_keys",
    "write_definitions",
]
