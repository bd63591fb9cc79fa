"""Which headings of a Markdown file name a subject (an entity: a service, a tool, an organism) and which
are topics under the current one (``### Pricing``), judged from the notes' own evidence.

A heading names something when its head term is written like a name (an acronym, CamelCase, a digit), is
not an ordinary English word, is capitalised mid-sentence wherever the notes use it, or is defined in the
text (``Pods are the ...``, ``Local Secondary Index (LSI)``). The embedding model's WordPiece vocabulary is
the list of ordinary words. A file named after one subject (``14-dynamo-db.md``) gives that subject to what
no heading claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath

from ingest.outline import (
    ACRONYM_TITLE,
    SEPARATORS,
    VENDOR_PREFIX,
    camel_initials,
    head_term,
    is_name_like,
    proper_words,
    service_key,
)
from kg.vocab import DOCUMENT_WORDS

WH_WORDS = frozenset("what which who whom whose when where why how".split())

SENTENCE_BREAK = re.compile(r"(?:^|[.!?:;(\n]|\s[-–—])\s*$")


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """Whole lowercase words of the embedding model's vocabulary (empty when no such model is installed)."""
    try:
        from kg.embed import model_path

        words = (model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    except Exception:  # another kind of model or none: no word counts as ordinary
        return frozenset()
    return frozenset(w for w in words if w.isalpha() and w.islower() and len(w) > 1)


def own_title(title: str) -> str:
    """A deck path's own part: ``Networking::Application::DNS`` → ``DNS``."""
    t = title.strip()
    return t.rsplit("::", 1)[-1].strip() if "::" in t and not t.endswith("::") else t


def shouted(title: str) -> bool:
    """A title in capitals throughout (``DISK AND FILESYSTEMS``): its words' shape tells nothing."""
    letters = [c for c in title if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def asks(title: str) -> bool:
    """A heading that opens with a question word ("Where the files are") asks something; it names nothing."""
    head = subject_term(title).split()[:1]
    return bool(head) and head[0].lower() in WH_WORDS


def subject_term(title: str) -> str:
    """The name a heading is about, document words set aside: ``Kinesis Overview`` → ``Kinesis``."""
    t = own_title(title).rstrip(":").strip()
    acr = ACRONYM_TITLE.match(t)
    if acr:
        return acr.group("acr")
    return " ".join(w for w in head_term(t).split() if w.lower() not in DOCUMENT_WORDS)


def name_from_file(rel: str) -> str:
    """``notes/14-dynamo-db.md`` → ``Dynamo DB``: order numbers and document words dropped, short parts
    (and parts with digits) read as acronyms."""
    stem = PurePosixPath(rel).stem
    parts = [w for w in re.split(r"[-_.\s]+", stem) if w and not w.isdigit()]
    parts = [w for w in parts if w.lower() not in DOCUMENT_WORDS]
    words = ordinary_words()

    def spell(w: str) -> str:  # "rds", "ecs": a short part that is no word is an acronym
        short = len(w) <= 2 or (len(w) == 3 and bool(words) and w.lower() not in words)
        return w.upper() if short or re.search(r"\d", w) else w[:1].upper() + w[1:]

    return " ".join(spell(w) for w in parts)


def subject_terms(title: str) -> set[str]:
    """Keys that name the subject a heading opens or a part of it (same rule as the .txt outline)."""
    title = own_title(title)
    term = subject_term(title) or title
    terms = {service_key(term), camel_initials(term), service_key(term.split()[0]) if term.split() else ""}
    acr = ACRONYM_TITLE.match(title.strip())
    if acr:
        terms.add(service_key(acr.group("long")))
    bare = VENDOR_PREFIX.sub("", title.strip())
    terms.add(service_key(SEPARATORS.split(bare, maxsplit=1)[0]))
    return terms - {""}


class Evidence:
    """What a whole file says about its terms: how it writes them and whether it defines them."""

    def __init__(self, body: str, lines: list[str], titles: list[str] | None = None) -> None:
        self.body = body
        self.proper = proper_words(lines)
        self.ordinary = ordinary_words()
        # notes that write titles of several words in capitals shout their titles: there a title of one
        # word in capitals ("PERMISSIONS") is shouted too; elsewhere it is as likely an acronym ("## KMS")
        self.shouts = any(shouted(t) and len(re.findall(r"[A-Za-z]{2,}", t)) >= 2 for t in titles or [])
        self._written: dict[str, list[str]] | None = None
        self._definitions: dict[str, bool] = {}  # whether the text defines a term, by term
        self._seen: dict[str, list[tuple[str, int]]] = {}  # where it writes a term, by term

    def written(self, word: str) -> list[str]:
        """Every way the text writes one word, in order (``\\bword\\b`` case-insensitively); the table of
        words is read once per file, so asking for each title's words stays linear in the file."""
        if self._written is None:
            self._written = {}
            for m in re.finditer(r"\w+", self.body):
                self._written.setdefault(m.group(0).lower(), []).append(m.group(0))
        return self._written.get(word.lower(), [])

    def as_written(self, title: str) -> str:
        """A heading's own words as the notes write them elsewhere: a deck path's last part, and a title
        in capitals with each plain English word that the notes never write in capitals lowered (``WHEN
        THE DISK IS FULL`` → ``when the disk is full``, ``MEMORY / OOM`` → ``memory / OOM``; ``SYSTEMD``
        and ``HTTP`` stay; a one-word title only when the notes write it in lowercase or write their other
        titles in capitals too: ``JOURNAL``, not ``## KMS``)."""
        t = own_title(title)
        if not shouted(t):
            return t
        # one word in capitals is as likely an acronym ("KMS"): lowered when the notes write it so, or
        # when they shout their titles
        alone = len(re.findall(r"[A-Za-z]{2,}", t)) < 2 and not self.shouts

        def spell(m: re.Match[str]) -> str:
            w, low = m.group(0), m.group(0).lower()
            if low in DOCUMENT_WORDS:
                return low
            seen = self.written(w)
            # "HTTP" written in capitals in the notes too stays a name; "systemd" is no plain word
            ordinary = low in self.ordinary or (low.endswith("s") and low[:-1] in self.ordinary)
            lower = any(x.islower() for x in seen) or not alone
            return low if ordinary and lower and not any(x.isupper() for x in seen) else w

        return re.sub(r"[A-Za-z][A-Za-z0-9]*", spell, t)

    def names_something(self, title: str, strict: bool = False) -> bool:
        """Whether a heading names a thing; ``strict`` asks for the plain signs only (a name's shape, a
        word that is no English even when split in two, a definition), not for how the notes write it."""
        t = self.as_written(title).rstrip(":").strip()
        if ACRONYM_TITLE.match(t):
            return True  # "SQS: Simple Queue Service"
        term = subject_term(t)
        words = term.split()
        if not words or not words[0][:1].isupper():
            return False
        if len(VENDOR_PREFIX.sub("", t).split()) > 4 and len(words) == 1 and not is_name_like(words[0]):
            return False  # "Compliance validation by industry for DynamoDB": a sentence's first word
        if self.task(words[0]):
            return False  # "Accessing DynamoDB", "Building PartiQL statements": a task, not a thing
        if asks(t):
            return False  # "Where the files are", "When the disk is full": a question, not a thing
        if any(is_name_like(w) for w in words):
            return True
        if strict:
            foreign = words[0].isalpha() and not self.ordinary_form(words[0]) and not self.compound(words[0])
            return (self.ordinary and foreign) or self._defined(term)
        if words[0].lower() in self.proper:
            return True
        if VENDOR_PREFIX.match(t) and len(words) <= 3 and all(w[:1].isupper() for w in words):
            return True  # "AWS Lambda", "Amazon Cognito"
        capitalised = all(w[:1].isupper() or w.lower() in {"of", "and", "for", "the"} for w in words)
        unusual = [w.isalpha() and not self.ordinary_form(w) for w in words]
        # "Kubernetes", "Kinesis Data Streams", "Apache Kafka": a head word that is not ordinary English (a
        # longer title needs it first: "Message Visibility Timeout" is ordinary words around a jargon one)
        if capitalised and self.ordinary and (unusual[0] or (len(words) == 2 and any(unusual))):
            return True
        return (capitalised and self._proper(term)) or self._defined(term)

    def lowercase_name(self, word: str) -> bool:
        """A word written in lowercase that is still a name: no ordinary English word, used again in the
        notes (``fargate``, ``cognito``, ``ecs``)."""
        w = word.lower()
        if not self.ordinary or not w.isalpha() or len(w) < 3 or w in self.ordinary:
            return False
        if w.endswith("s") and len(w) > 4 and w[:-1] in self.ordinary:
            return False  # a plural of an ordinary word
        return len(self.written(word)) >= 2

    def compound(self, word: str) -> bool:
        """Two ordinary words written as one: ``lifecycle``, ``timeout``, ``workflow``."""
        w = word.lower()
        return any(w[:i] in self.ordinary and self.ordinary_form(w[i:]) for i in range(3, len(w) - 2))

    def task(self, word: str) -> bool:
        """A heading starting with an ordinary verb in -ing names a task: "Accessing", "Building"."""
        return word.lower().endswith("ing") and self.ordinary_form(word)

    def ordinary_form(self, word: str) -> bool:
        """An ordinary English word in any common inflection: ``quotas``, ``accessing``, ``changed``."""
        w = word.lower()
        stems = {re.sub(r"e?s$", "", w), re.sub(r"ing$", "", w), re.sub(r"ing$", "e", w), re.sub(r"e?d$", "", w)}
        # a stem of two letters is no evidence: "rds" is not an inflection of "rd"
        return w in self.ordinary or bool({s for s in stems if len(s) >= 3} & self.ordinary)

    def never_lowercase(self, title: str) -> bool:
        """A capitalised term the notes never write in lowercase (``Lambda``, unlike ``pricing``)."""
        title = self.as_written(title)
        term = subject_term(title)
        words = term.split()
        if len(VENDOR_PREFIX.sub("", title).split()) > 3 or not words or self.task(words[0]):
            return False  # a whole short title only: "Deleting a DAX cluster" is a task
        if not all(w[:1].isupper() for w in words):
            return False
        return not any(found[:1].islower() for found, _ in self._occurrences(term))

    def _occurrences(self, term: str) -> list[tuple[str, int]]:
        """Where the text writes a term, whatever its case, and how: read once per term and file (a file that
        repeats its titles asks again and again)."""
        found = self._seen.get(term)
        if found is None:
            found = [(m.group(0), m.start()) for m in re.finditer(rf"\b{re.escape(term)}\b", self.body, re.I)]
            self._seen[term] = found
        return found

    def _proper(self, term: str) -> bool:
        """Written capitalised in the middle of sentences, and never in lowercase: a name (``Pods``)."""
        mid = 0
        for found, start in self._occurrences(term):
            if found[:1].islower():
                return False
            if not SENTENCE_BREAK.search(self.body[max(0, start - 3) : start]):
                mid += 1
        return mid >= 1

    def _defined(self, term: str) -> bool:
        """``Pods are the smallest ...``, ``Local Secondary Index (LSI)``, ``LSI (Local Secondary Index)``.
        Each term is looked for once per file, and only when the text writes it at all."""
        found = self._definitions.get(term)
        if found is None:
            t = re.escape(term)
            found = term in self.body and bool(
                re.search(rf"(?:^|\n|[.!?]\s)(?:An?\s+|The\s+)?{t}s?\s+(?:is|are)\s+(?:a|an|the)\s", self.body)
                or re.search(rf"\b{t}\s*\([A-Z][A-Za-z0-9]{{1,6}}\)", self.body)
                or re.search(rf"\b[A-Z][A-Z0-9]{{1,6}}\s*\({t}\)", self.body)
            )
            self._definitions[term] = found
        return found


@dataclass
class SubjectStack:
    """The subjects open at the current point of a file, by heading level."""

    evidence: Evidence
    stack: list[tuple[float, str | None, set[str]]] = field(default_factory=list)
    base: str | None = None  # the subject the file is named after ("Pods.md"), under every heading

    def current(self) -> str | None:
        return next((key for _, key, _ in reversed(self.stack) if key), self.base)

    def _same(self, title: str) -> bool:
        terms = next((t for _, key, t in reversed(self.stack) if key), {self.base} if self.base else set())
        term = subject_term(title)
        if not term:
            return False
        first = service_key(term.split()[0])
        return bool({service_key(term), first, camel_initials(term)} & terms)

    def would_open(self, title: str, named: bool = False, sibling: bool = False) -> bool:
        """Whether a heading here would open a subject other than the current one. Inside a subject a
        heading is a topic of it ("Pods > Lifecycle", "Pods > Images") unless it plainly names a thing
        of its own: an acronym or CamelCase name, a word that is no English at all, a definition."""
        title = self.evidence.as_written(title)
        if self._same(title) or asks(title):
            return False  # the same subject; a question ("Where the files are") names none
        if self.current() is not None and not sibling:
            return self.evidence.names_something(title, strict=True)
        return named or self.evidence.names_something(title)

    def close(self, level: float) -> None:
        """Leave every node at ``level`` or deeper."""
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()

    def item(self, text: str, level: float, lowercase: bool = True) -> bool:
        """Record a list item with children (an outliner's node); returns whether it opens a subject.
        Outliner notes are often all lowercase: a head word that is no ordinary word and recurs in the
        notes names something (``fargate``, ``ecs = elastic container service``), one that is ordinary
        (``task definition``) is a topic of the subject around it."""
        self.close(level)
        word = subject_term(text).split()[:1]
        opens = False
        if word and not self._same(word[0]):
            # a node under a subject's node is a part of it, unless a Name (the file's own name aside: an
            # outliner file often lists several subjects, "ecs-fargate.md")
            inside = any(key for _, key, _ in self.stack)
            lower = lowercase and not inside and self.evidence.lowercase_name(word[0])
            opens = self.evidence.names_something(text) or lower
        self.stack.append((level, service_key(word[0]), {service_key(word[0])}) if opens else (level, None, set()))
        return opens

    def heading(self, title: str, level: float, allowed: bool = True, named: bool = False) -> bool:
        """Record a heading at ``level``; returns whether it opens a subject."""
        title = self.evidence.as_written(title)
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        opens = allowed and self.would_open(title, named)
        if opens:
            self.stack.append((level, service_key(subject_term(title)), subject_terms(title)))
        else:
            self.stack.append((level, None, set()))
        return opens
