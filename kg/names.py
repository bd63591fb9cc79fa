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
from collections.abc import Callable, Sequence
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
            for i in range(len(stems) - size + 1):
                if any(taken[i : i + size]):
                    continue
                sid = self.names.get(tuple(stems[i : i + size]))
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
    folder: Path, passages: Sequence[Passage], services: Sequence[Service], previous: Path | None = None
) -> None:
    """Write mentions.json into an index folder being built (before its checksums are taken): for each
    passage's ``context_text`` (by ``text_key``), the services it names. Texts found in ``previous``'s
    mentions.json, written by the same code, are taken from there: all of them when the names are the same,
    and when names were added, removed or moved to another service (a file holding a service's heading was
    deleted, say), those whose words none of the changed names could match."""
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
                affected = _changed_names(moved, pairs)
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
            if affected is None or not affected(text, named):
                out[k] = named
                continue
        out[k] = sorted({m.service for m in names.mentions(text)})
    doc = {"logic": logic_digest(), "services": key, "names": pairs, "texts": out}
    (folder / MENTIONS).write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")


def _renamed(before: list[str], after: list[str]) -> dict[str, str]:
    """Services whose names all moved, unchanged, to a new id (a component now under another parent): old id
    → new id. A text names the new id exactly where it named the old one."""

    def by_id(pairs: list[str]) -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for pair in pairs:
            name, sid = pair.split("\x1f", 1)
            out.setdefault(sid, set()).add(name)
        return {sid: frozenset(names) for sid, names in out.items()}

    old, new = by_id(before), by_id(after)
    gone = {names: sid for sid, names in old.items() if sid not in new}
    return {gone[names]: sid for sid, names in new.items() if sid not in old and names in gone}


def _changed_names(before: list[str], after: list[str]) -> Callable[[str, list[str]], bool] | None:
    """A test of whether a text, which named the services listed under the names ``before``, could name
    services differently under the names ``after`` ("stemmed words\x1fservice id" pairs).

    When names were only removed (a deleted file's service, say), only a text that named one of their
    services can change: matching takes the longest names first, and a name never taken in a text takes
    nothing from the others. Unless a removed one-word name shares a clipped start with one that stays
    (a clipped word then names one service where it named two).

    Otherwise: a name of several words is matched only where all its words are, so only a text holding every
    word of a changed one is read again ("amazon describet" is not looked for in every text that says
    "Amazon"). A one-word name is also matched clipped ("dynamo") or written in two or three words
    ("dynamo db"): a text is read again when it holds the name's stem, a word of at least PREFIX_MIN letters
    that starts it, or words that spell it together."""
    removed, added = set(before) - set(after), set(after) - set(before)
    keys = [pair.split("\x1f", 1)[0].split(" ") for pair in removed | added]
    if any(not k or not all(k) for k in keys):
        return None
    if removed and not added and not _shares_clipped_start(removed, after):
        gone = {pair.split("\x1f", 1)[1] for pair in removed}
        return lambda text, named: any(sid in gone for sid in named)
    several = [frozenset(k) for k in keys if len(k) > 1]
    singles = frozenset(k[0] for k in keys if len(k) == 1)
    starts = frozenset(n[:i] for n in singles for i in range(1, len(n) + 1))  # every word a changed one starts

    def affected(text: str, named: list[str]) -> bool:
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


def _shares_clipped_start(removed: set[str], after: list[str]) -> bool:
    """Whether a word could start both a removed one-word name and a remaining one, clipped as
    ``ServiceNames.prefix_name`` allows (at least PREFIX_MIN letters and 60% of each)."""
    gone = [p.split("\x1f", 1)[0] for p in removed]
    stay = [p.split("\x1f", 1)[0] for p in after]
    for n in (g for g in gone if " " not in g):
        for m in (w for w in stay if " " not in w):
            common = len(os.path.commonprefix([n, m]))
            if common >= max(PREFIX_MIN, 0.6 * len(n), 0.6 * len(m)):
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
