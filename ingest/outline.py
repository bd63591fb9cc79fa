"""Heading recognition: which plain lines are headings, and which headings open a new service.

Three levels: a service (``EC2: Virtual Machines``, ``# ECS``, ``AWS Lambda``), a topic under it
(``EC2 Pricing``), and a lead bullet that names the list below it (``- Execution:``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import groupby

from kg.text import fold_quotes
from kg.vocab import FINITE_VERB

NAME_LIKE = re.compile(
    r"^(?:[A-Z]{2,}[0-9]*s?|[A-Z][0-9]+[A-Za-z]*|[A-Z][a-z]+[A-Z][A-Za-z0-9]*|[A-Z]-[A-Z][a-z]+)$"  # X-Ray
)
ACRONYM_TITLE = re.compile(r"^(?P<acr>[A-Z][A-Za-z0-9]{1,11}):\s+(?P<long>[A-Z].*)$")
VENDOR_PREFIX = re.compile(r"^(?:AWS|Amazon)\s+", re.I)
SEPARATORS = re.compile(r"\s+[-–—]\s+|\s*[:(]|\s+vs\.?\s+|@", re.I)
SENTENCE_START = re.compile(r"^(?:A|An|The|It|It's|They|We|You|I|If|This|These|That|There)\s", re.I)
# Document words that are written in capitals but name no service.
GENERIC_ACRONYMS = frozenset({"FAQ", "FAQS", "TODO", "NOTE", "NOTES", "TIP", "TIPS", "TL;DR", "QA", "OK"})
# a sentence ends inside the line ("H1 - Q seen. 4 fob. super on"): a line of notes, not a title
SENTENCE_BREAK = re.compile(r"\b[a-z]{3,}\.\s+\S")
OPEN_LAST_WORD = re.compile(r"\b(?:a|an|the|to|of|by|for|with|and|or|in|on|at|from|that|is|are|than)$", re.I)


WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
TOKEN = re.compile(r"\w+")
CHECKBOXES = "☐☑☒✓✔✗✘"  # a checklist's boxes and ticks, as note apps export them ("☑ fan belt $54")
BULLET_CHARS = rf"[-*•●○■▪{CHECKBOXES}]"  # what starts a bullet in plain-text notes, pasted slides included
BULLET_MARK = re.compile(rf"^\s*{BULLET_CHARS}(?:\s|$)")  # a line that is a bullet
BULLET_START = re.compile(rf"^\s*{BULLET_CHARS}\s*")  # the mark to strip
BULLET = re.compile(rf"^\s*{BULLET_CHARS}\s+(?P<body>\S.*)$")  # a bullet with its body
LONE_BULLET = re.compile(rf"^\s*{BULLET_CHARS}\s*$")  # a bullet mark alone on its line
# a task list's checkbox ("- [ ] order stems", "- [x] paid deposit"): the item's mark, not its text
TASK_BOX = re.compile(r"^\[[ xX]\]\s+(?=\S)")


def reads_as_title(text: str) -> bool:
    """A few words (one at least) with no sentence ending inside them: a title ("# Networking"), not a remark the
    way a "#" starts comments in many files ("# Feb = 595 km ish. better. first 100k ...") nor a line of notes."""
    return 0 < len(text.split()) <= TITLE_WORDS and not SENTENCE_BREAK.search(text)


def strip_bullet(line: str) -> str:
    return BULLET_START.sub("", line).strip()


TITLE_WORDS = 10  # the longest title: a line of more words is a sentence or a list of things


def is_bullet(line: str) -> bool:
    return bool(BULLET_MARK.match(line))


def names_items(label: str) -> bool:
    """Whether a line reads as a title over the items after it: a few words, no sentence, no figure."""
    return (
        len(label.split()) <= TITLE_WORDS
        and not label.endswith((".", "!", "?", ";", ","))
        and not any(ch.isdigit() for ch in label)
    )


def looks_like_heading(line: str, next_line: str, nested: bool = False) -> bool:
    """A short title-shaped line that is followed by content, judged from its own shape only. ``nested``: the
    next line is indented under this one, so it is this line's content even when it starts in lower case."""
    s = line.strip()
    words = s.split()
    if not words or len(words) > TITLE_WORDS or len(s) > 80:
        return False
    if not (s[0].isupper() or s[0].isdigit()):
        return False
    if s.endswith((".", ",", ";", "|", "…")) or OPEN_LAST_WORD.search(s.rstrip(":")) or SENTENCE_BREAK.search(s):
        return False
    question = s.endswith("?")
    if not question and (FINITE_VERB.search(f" {s} ") or SENTENCE_START.match(s)):
        return False
    if not question and "," in s:
        return False
    nxt = next_line.strip()
    if not nxt:
        return False  # nothing follows: a closing remark, not a title
    if not nested and (nxt[0].islower() or nxt[0] in ",;)"):
        return False  # the next line continues this one
    if not is_bullet(next_line) and (ACRONYM_TITLE.match(nxt) or nxt.startswith("#")):
        return False  # a line right before a new chapter closes the old one
    return True


def head_term(title: str) -> str:
    """The name a heading is about: ``AWS S3 - Versioning`` → ``S3``; ``Route 53`` → ``Route 53``."""
    t = VENDOR_PREFIX.sub("", title.strip().lstrip("#").strip())
    name = SEPARATORS.split(t, maxsplit=1)[0].strip()
    words = name.split()
    if not words:
        return ""
    if NAME_LIKE.match(words[0]):
        return words[0]
    return name if len(words) <= 3 else words[0]


def service_key(term: str) -> str:
    """Spelling-insensitive key: ``Route 53`` and ``Route53`` meet, ``AMIs`` meets ``AMI``."""
    key = re.sub(r"[^a-z0-9]", "", term.lower())
    if re.fullmatch(r"[A-Z]{2,}[0-9]*s", term):
        key = key[:-1]
    return key


def camel_initials(term: str) -> str:
    parts = re.findall(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[0-9]+", term)
    return "".join(p[0] for p in parts).lower() if len(parts) >= 2 else ""


def is_name_like(word: str) -> bool:
    return bool(NAME_LIKE.match(word)) and word.upper() not in GENERIC_ACRONYMS


def next_nonblank(lines: list[str]) -> list[str]:
    """For every line, the next non-blank line after it ("" at the end): one backward pass, linear."""
    out = [""] * len(lines)
    nxt = ""
    for i in range(len(lines) - 1, -1, -1):
        out[i] = nxt
        if lines[i].strip():
            nxt = lines[i]
    return out


def proper_words(lines: list[str], following: list[str] | None = None) -> frozenset[str]:
    """Names that title a group of sections: words the file nearly always capitalises (3 times or more)
    that start at least two heading-like lines ("Kinesis Overview", "Kinesis Data Streams")."""
    following = following if following is not None else next_nonblank(lines)
    found = WORD.findall("\n".join(lines))
    seen = Counter(map(str.lower, found))
    capital = Counter(map(str.lower, (w for w in found if w[0].isupper())))
    heads: dict[str, int] = {}
    for i, line in enumerate(lines):
        nxt = following[i]
        if not is_bullet(line) and looks_like_heading(line, nxt):
            first = VENDOR_PREFIX.sub("", line.strip().lstrip("#").strip()).split()
            if first:
                key = first[0].lower()
                heads[key] = heads.get(key, 0) + 1
    return frozenset(w for w, n in seen.items() if n >= 2 and capital.get(w, 0) >= 0.9 * n and heads.get(w, 0) >= 2)


class HeadingTracker:
    """Keeps the current heading path while the parser walks a file."""

    def __init__(self, proper_words: frozenset[str] = frozenset()) -> None:
        self.proper_words = proper_words  # words the whole file writes capitalised: names (Kinesis)
        self.section_text: list[str] = []  # what the current service's notes said so far
        self._section_words: set[str] = set()  # the same, as lowercase words (for a linear-time lookup)
        self.service: tuple[str, str] | None = None  # (title, key)
        self.topic: str | None = None
        self.lead: str | None = None
        self.service_terms: set[str] = set()  # keys that name the current service or its parts

    def path(self) -> tuple[str, ...]:
        return tuple(filter(None, (self.service and self.service[0], self.topic, self.lead)))

    def service_key(self) -> str | None:
        return self.service[1] if self.service else None

    def _same_service(self, term: str) -> bool:
        if not self.service:
            return False
        key = service_key(term)
        first = service_key(term.split()[0]) if term.split() else key
        return (
            key in self.service_terms
            or first in self.service_terms
            or (camel_initials(term) or "-") in self.service_terms
        )

    def add_text(self, text: str) -> None:
        """Record a line of the current service's notes."""
        self.section_text.append(text)
        self._section_words.update(TOKEN.findall(text.lower()))

    def mentioned(self, word: str) -> bool:
        parts = re.findall(r"\w+", word)
        if len(parts) == 1 and parts[0] == word:
            return word.lower() in self._section_words
        return bool(re.search(rf"\b{re.escape(word)}\b", " ".join(self.section_text), re.I))

    def opens_service(self, title: str, next_line: str, markdown_level: int) -> bool:
        if markdown_level == 1 or ACRONYM_TITLE.match(title.lstrip("# ")):
            return True
        term = head_term(title)
        if not term or self._same_service(term):
            return False
        first = term.split()[0]
        if is_name_like(first):
            return True
        bare = VENDOR_PREFIX.sub("", title).strip()
        if VENDOR_PREFIX.match(title) and 1 <= len(bare.split()) <= 2 and all(w[:1].isupper() for w in bare.split()):
            return True  # "AWS Lambda", "Amazon Cognito", "AWS Secrets Manager"
        # "Kinesis Overview": a name the notes always capitalise, new to the current service's notes
        if first.lower() in self.proper_words and not self.mentioned(first):
            return True
        nxt = next_line.strip()
        # "Route 53" followed by "Route 53 is a managed DNS": a definition introduces a service.
        return (
            not is_bullet(next_line)
            and bool(re.match(re.escape(bare) + r"\s+(?:is|are)\s", nxt, re.I))
            and len(bare.split()) <= 4
        )

    def push(self, title: str, line: int, next_line: str, markdown_level: int = 0) -> int:
        """Record a heading; returns its level (1 service, 2 topic)."""
        title = title.strip().rstrip(":").strip()
        if self.opens_service(title, next_line, markdown_level):
            acr = ACRONYM_TITLE.match(title.lstrip("# "))
            term = acr.group("acr") if acr else head_term(title) or title
            self.service = (title, service_key(term))
            self.service_terms = {service_key(term), camel_initials(term)} - {""}
            if acr:
                self.service_terms.add(service_key(acr.group("long")))
            bare = VENDOR_PREFIX.sub("", title)
            self.service_terms.add(service_key(SEPARATORS.split(bare, maxsplit=1)[0]))
            self.topic = None
            self.lead = None
            self.section_text = []
            self._section_words = set()
            self.service_terms.add(service_key(term.split()[0]))
            return 1
        self.topic = title
        self.lead = None
        # Names in a topic heading are parts of the service ("Burstable Instances (T2)" → T2).
        for word in re.findall(r"[A-Za-z0-9]+", title):
            if is_name_like(word):
                self.service_terms.add(service_key(word))
        return 2

    @staticmethod
    def is_lead(text: str) -> bool:
        s = text.strip()
        return s.endswith(":") and len(s.split()) <= 6 and "," not in s and len(s) > 2

    def push_lead(self, text: str) -> None:
        self.lead = text.strip().rstrip(":").strip()


# Compatibility forms that carry meaning and are kept as written: "T² ∝ a³", "H₂O", "59½", "5 µs". Search folds
# them itself (``kg.text.fold``); an answer quoting "591⁄2" for "59½" would misquote the notes.
_KEPT_FORMS = ("<super>", "<sub>", "<fraction>")


def _kept(ch: str) -> bool:
    form = unicodedata.decomposition(ch)
    return form.startswith(_KEPT_FORMS) or (form.startswith("<compat>") and len(form.split()) == 2)


def normalise_text(text: str) -> str:
    """Fold typography that users never type (curly quotes, NBSP, full-width letters, ligatures) so search
    and citations agree; superscripts, subscripts, fractions and single-letter signs stay as written."""
    if text.isascii():
        return text  # nothing to fold
    if not any(_kept(ch) for ch in text if not ch.isascii()):
        return fold_quotes(unicodedata.normalize("NFKC", text))
    runs = groupby(text, key=_kept)
    return fold_quotes("".join("".join(r) if kept else unicodedata.normalize("NFKC", "".join(r)) for kept, r in runs))


def is_continuation_start(line: str) -> bool:
    """Lines that can only continue what precedes them: lowercase starts, leading commas."""
    s = line.lstrip()
    return bool(s) and (s[0].islower() or s[0] in ",;)]}")
