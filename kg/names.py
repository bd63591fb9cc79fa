"""Service names found in text: every label and alias of the services, matched on stemmed words.

Questions are read with it at answer time (``kg.qa.lexicon``). The notes' passages are read with it once, at
ingest: which services each passage names is written to ``mentions.json`` in the index folder, so loading an
index does not run it over every passage again.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.model import Passage, Service
from kg.text import stem, words
from kg.vocab import STOPWORDS

log = logging.getLogger(__name__)
PREFIX_MIN = 5  # letters a clipped word needs to name the one service name it starts
MENTIONS = "mentions.json"  # index file: passage id → the services its text (with headings) names
# The code that decides what a passage names: a file written by other code is not used.
_LOGIC = ("names.py", "text.py", "vocab.py")


@dataclass(frozen=True)
class ServiceMention:
    service: str  # service id
    phrase: str  # as it appears in the (corrected) question
    start: int  # token offsets in the question
    end: int


class ServiceNames:
    """The services' labels and aliases as stemmed word sequences, and where a text names them."""

    def __init__(self, services: Sequence[Service]) -> None:
        # stemmed token sequence → service id, for every label and alias
        self.names: dict[tuple[str, ...], str] = {}
        for s in services:
            for name in (s.label, *s.aliases):
                key = tuple(stem(w) for w in words(name))
                if key and not (len(key) == 1 and key[0] in STOPWORDS):
                    # a component never steals its parent's own name
                    self.names.setdefault(key, s.id)
        self.max_name = max((len(k) for k in self.names), default=1)
        # the first words of the names of each length: a run of words not starting with one is no such name
        firsts: dict[int, set[str]] = {}
        for key in self.names:
            firsts.setdefault(len(key), set()).add(key[0])
        self._firsts = {size: frozenset(words) for size, words in firsts.items()}
        # one-word names in order (the ones a clipped word starts are a contiguous run), and the answers so far
        self._single_names = sorted((key[0], sid) for key, sid in self.names.items() if len(key) == 1)
        self._prefix_cache: dict[str, str | None] = {}

    def mentions(self, text: str) -> list[ServiceMention]:
        """Services named in a text, longest names first, not overlapping."""
        return self.mentions_in(words(text))

    def mentions_in(self, toks: list[str]) -> list[ServiceMention]:
        """``mentions`` of a text already split into ``kg.text.words``."""
        stems = [stem(t) for t in toks]
        taken = [False] * len(stems)
        found: list[ServiceMention] = []
        for size in range(min(self.max_name, len(stems)), 0, -1):
            firsts = self._firsts.get(size, frozenset())
            starts = range(len(stems) - size + 1)
            if size > 3:  # only a name of that length can be found: where one of their first words is
                starts = [i for i in starts if stems[i] in firsts]  # type: ignore[assignment]
            for i in starts:
                if any(taken[i : i + size]):
                    continue
                sid = self.names.get(tuple(stems[i : i + size])) if stems[i] in firsts else None
                if not sid and 1 < size <= 3:  # "dynamo db" for "DynamoDB"
                    sid = self.names.get((stem("".join(toks[i : i + size])),))
                if not sid and size == 1:  # "dynamo" for "DynamoDB", "cloudform" for "CloudFormation"
                    sid = self.prefix_name(toks[i])
                if sid:
                    found.append(ServiceMention(sid, " ".join(toks[i : i + size]), i, i + size))
                    for j in range(i, i + size):
                        taken[j] = True
        return sorted(found, key=lambda m: m.start)

    def prefix_name(self, token: str) -> str | None:
        """The one single-word service name a clipped word starts (at least 5 letters, 60% of it)."""
        if len(token) < PREFIX_MIN or not token.isalpha():
            return None
        if token in self._prefix_cache:
            return self._prefix_cache[token]
        hits = set()
        for word, sid in self._single_names[bisect.bisect_left(self._single_names, (token,)) :]:
            if not word.startswith(token):
                break
            if len(token) >= 0.6 * len(word) and word != token:
                hits.add(sid)
        found = hits.pop() if len(hits) == 1 else None
        self._prefix_cache[token] = found
        return found


def logic_digest() -> str:
    """Identifies the code that finds names (this module, tokenising, stop words): mentions.json records it."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _LOGIC:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def text_key(text: str) -> str:
    """mentions.json's key of a passage: a hash of its ``context_text`` (what the names are found in)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def services_key(services: Sequence[Service]) -> str:
    """Identifies the names a text is matched against: a passage's mentions stay valid while it is the same."""
    names = [[s.id, s.label, list(s.aliases)] for s in services]
    return hashlib.sha256(json.dumps(names, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def write_mentions(
    folder: Path,
    passages: Sequence[Passage],
    services: Sequence[Service],
    previous: Path | None = None,
    vocabularies: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Write mentions.json into an index folder being built (before its checksums are taken): for each
    passage's ``context_text`` (by ``text_key``), the services it names. Texts found in ``previous``'s
    mentions.json, written by the same code, are taken from there: all of them when the names are the same,
    and when names were added, removed or moved to another service (a file holding a service's heading was
    deleted, say), those whose words none of the changed names could match. ``vocabularies`` (each file's
    ``words``, from the word counts) lets a file none of whose words could match a new name be passed over
    without splitting its texts into words."""
    key = services_key(services)
    names = ServiceNames(services)
    pairs = sorted(f"{' '.join(k)}\x1f{sid}" for k, sid in names.names.items())
    known: dict[str, list[str]] = {}
    affected = None
    renamed: dict[str, str] = {}
    doc = _read_doc(previous / MENTIONS) if previous is not None else None
    if doc is not None:
        known = doc["texts"]
        if doc.get("services") != key:
            before = doc.get("names")
            if isinstance(before, list) and all(isinstance(x, str) and "\x1f" in x for x in before):
                renamed = _renamed(before, pairs)
                moved = [f"{n}\x1f{renamed.get(sid, sid)}" for n, sid in (x.split("\x1f", 1) for x in before)]
                affected = _changed_names(moved, pairs, vocabularies)
            if affected is None:
                known = {}
    out: dict[str, list[str]] = {}
    for p in passages:
        text = p.context_text()
        k = text_key(text)
        if k in out:
            continue
        if k in known:
            named = sorted({renamed.get(sid, sid) for sid in known[k]}) if renamed else known[k]
            if affected is None or not affected(text, named, p.file):
                out[k] = named
                continue
        out[k] = sorted({m.service for m in names.mentions(text)})
    doc = {"logic": logic_digest(), "services": key, "names": pairs, "texts": out}
    (folder / MENTIONS).write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")


def _renamed(before: list[str], after: list[str]) -> dict[str, str]:
    """Services whose names all moved, unchanged, to a new id (a component now under another parent): old id
    → new id. A text names the new id exactly where it named the old one."""

    def by_id(pairs: list[str]) -> dict[str, frozenset[tuple[str, ...]]]:
        out: dict[str, set[tuple[str, ...]]] = {}
        for name, sid in _owners(pairs).items():
            out.setdefault(sid, set()).add(name)
        return {sid: frozenset(names) for sid, names in out.items()}

    old, new = by_id(before), by_id(after)
    gone = {names: sid for sid, names in old.items() if sid not in new}
    return {gone[names]: sid for sid, names in new.items() if sid not in old and names in gone}


def _changed_names(
    before: list[str], after: list[str], vocabularies: Mapping[str, Collection[str]] | None = None
) -> Callable[[str, list[str], str], bool] | None:
    """A test of whether a text, which named the services listed under the names ``before``, could name
    services differently under the names ``after`` ("stemmed words\x1fservice id" pairs).

    Matching takes the longest names first and never looks at whose a name is, so a name removed, or moved
    to another service, changes only the texts where it was taken: texts that named its service. Unless it
    is a one-word name sharing a clipped start with a name that stays (a clipped word may then name one
    service where it named two): such a name is looked for like a new one.

    A new name of several words is matched only where all its words are, so only a text holding every word
    of one is read again ("amazon describet" is not looked for in every text that says "Amazon"). A new
    one-word name is also matched clipped ("dynamo") or written in two or three words ("dynamo db"): a text
    is read again when it holds the name's stem, a word of at least PREFIX_MIN letters that starts it, or
    words that spell it together; with ``vocabularies`` (file → its words), only texts of files holding such
    words are split into words."""
    old, new = _owners(before), _owners(after)
    if any(not k or not all(k) for k in (*old, *new)):
        return None
    stay = [k[0] for k in new if len(k) == 1]
    gone = {sid for k, sid in old.items() if new.get(k) != sid}  # removed, or moved to another service
    sought = [k for k in new if k not in old]
    sought += [k for k in old if new.get(k) != old[k] and len(k) == 1 and _shares_clipped_start(k[0], stay)]
    several = [frozenset(k) for k in sought if len(k) > 1]
    singles = frozenset(k[0] for k in sought if len(k) == 1)
    starts = frozenset(n[:i] for n in singles for i in range(1, len(n) + 1))  # every word a sought one starts
    # the files whose words are known and could not match any name sought
    passed: set[str] = set()
    if vocabularies and sought:
        passed = set(vocabularies) - _files_with_words(vocabularies, several, singles, starts)

    def affected(text: str, named: list[str], file: str) -> bool:
        if any(sid in gone for sid in named):
            return True
        if not sought or file in passed:
            return False
        toks = words(text)
        stemmed = [stem(tok) for tok in toks]
        if several and any(name <= set(stemmed) for name in several):
            return True
        for i, tok in enumerate(toks):
            if stemmed[i] in singles:
                return True
            if tok not in starts:
                continue
            if len(tok) >= PREFIX_MIN:  # a clipped name ("dynamo" for "dynamodb")
                return True
            # a name written in two or three words ("dynamo db", "s 3")
            if any(stem("".join(toks[i:j])) in singles for j in range(i + 2, min(i + 3, len(toks)) + 1)):
                return True
        return False

    return affected


def _files_with_words(
    vocabularies: Mapping[str, Collection[str]],
    several: list[frozenset[str]],
    singles: frozenset[str],
    starts: frozenset[str],
) -> set[str]:
    """The files whose words could match one of the names sought: all the stems of a name of several words,
    or, for a one-word name, its stem or a word that starts it (the words that spell it together start
    with one)."""
    needed = {st for name in several for st in name}
    by_stem: dict[str, set[str]] = {}
    flagged: set[str] = set()
    for word in {w for vocab in vocabularies.values() for w in vocab}:
        st = stem(word)
        if st in needed:
            by_stem.setdefault(st, set()).add(word)
        if word in starts or st in singles:
            flagged.add(word)
    found: set[str] = set()
    for file, vocab in vocabularies.items():
        have = set(vocab)
        if not flagged.isdisjoint(have) or any(all(by_stem.get(st, set()) & have for st in n) for n in several):
            found.add(file)
    return found


def _owners(pairs: list[str]) -> dict[tuple[str, ...], str]:
    """("stemmed words\x1fservice id" pairs) name → service id."""
    out: dict[tuple[str, ...], str] = {}
    for pair in pairs:
        name, sid = pair.split("\x1f", 1)
        out[tuple(name.split(" "))] = sid
    return out


def _shares_clipped_start(name: str, others: list[str]) -> bool:
    """Whether a word could start both the one-word ``name`` and another of ``others``, clipped as
    ``ServiceNames.prefix_name`` allows (at least PREFIX_MIN letters and 60% of each)."""
    for other in others:
        common = len(os.path.commonprefix([name, other]))
        if other != name and common >= max(PREFIX_MIN, 0.6 * len(name), 0.6 * len(other)):
            return True
    return False


def read_mentions(folder: Path, services: Sequence[Service]) -> dict[str, list[str]] | None:
    """The services each passage text names (by ``text_key``), as ingest recorded them; None when the index
    has no mentions.json or it was written by other code or for other names: then the caller finds them."""
    found = _read(folder / MENTIONS, services_key(services))
    if found is None and (folder / MENTIONS).is_file():
        log.info("%s was written by other code; finding the passages' service names again", folder / MENTIONS)
    return found


def _read(path: Path, services: str) -> dict[str, list[str]] | None:
    doc = _read_doc(path)
    return doc["texts"] if doc is not None and doc.get("services") == services else None


def _read_doc(path: Path) -> dict[str, Any] | None:
    """A mentions.json written by this code, with its texts; None otherwise."""
    return read_texts_file(path, logic_digest())


def read_texts_file(path: Path, logic: str) -> dict[str, Any] | None:
    """An index file keyed by passage text (``{"logic": ..., "texts": {text_key: ...}}``) written by the
    code whose digest is ``logic``; None when it is missing, unreadable or written by other code."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("logic") != logic or not isinstance(doc.get("texts"), dict):
        return None
    doc["texts"] = dict(doc["texts"])
    return doc
