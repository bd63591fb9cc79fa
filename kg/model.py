"""Frozen records shared by ingest, the answering core and every surface (JSON, web page, Slack)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal


def content_id(*parts: object, prefix: str = "", size: int = 16) -> str:
    """Stable id from content: same text at the same place gives the same id on every build."""
    h = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:size]
    return f"{prefix}{h}"


class BlockKind(StrEnum):
    """What kind of block of a document a passage is (a str, so it serialises as itself)."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"  # a prose line or paragraph
    ITEM = "item"  # a bullet list item
    STEP = "step"  # an item of a numbered list
    TABLE_ROW = "table_row"  # one body row of a table, labelled by the header cells
    CODE = "code"  # a fenced or indented code block: kept, searchable, never read for facts
    QUOTE = "quote"  # a block quote or callout


class FactKind(StrEnum):
    """What a fact states (a str: the graph's classes kgqa:Limit ... and the JSON keep these spellings)."""

    LIMIT = "Limit"  # a number with its unit: a quota, a size, a duration
    PRICING = "Pricing"  # an amount of money, a free tier, a discount
    FEATURE = "Feature"  # a capability without a quantity


class QuestionKind(StrEnum):
    """What shape of answer a question wants (a str: an answer's JSON ``kind`` says these values)."""

    NUMBER = "number"
    PRICING = "pricing"
    DEFINITION = "definition"
    FEATURE = "feature"
    COMPARISON = "comparison"
    LIST = "list"
    BEST_PRACTICE = "best_practice"
    MULTI_HOP = "multi_hop"


@dataclass(frozen=True)
class Passage:
    """A span of lines of one notes file: one bullet or sentence, with what continues it."""

    id: str
    file: str  # relative to the notes folder, POSIX separators
    line_start: int  # 1-based, inclusive
    line_end: int  # 1-based, inclusive
    text: str  # the lines joined by single spaces, bullets stripped
    section: tuple[str, ...]  # heading path, outermost first
    service: str | None = None  # id of the service the passage is about (see ingest.services)
    is_heading: bool = False
    lead: str = ""  # the line ending with ':' that introduces this one's list, when not a heading
    kind: BlockKind = BlockKind.PARAGRAPH
    # how many leading ``section`` entries lead down to the heading that names ``service`` (0: no heading
    # does, e.g. a file named after its subject): section[subject_depth:] is the path inside the subject
    subject_depth: int = 0
    decimal_comma: bool = False  # the file writes "0,23" and "1.525" for 0.23 and 1525 (kg.units)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, BlockKind):  # read back from JSON as a plain string
            object.__setattr__(self, "kind", BlockKind(self.kind))
        if self.is_heading and self.kind is BlockKind.PARAGRAPH:
            object.__setattr__(self, "kind", BlockKind.HEADING)

    @property
    def heading(self) -> str:
        return " > ".join(self.section)

    @property
    def local_section(self) -> tuple[str, ...]:
        """The heading path from the subject's own heading down: chapter and document titles above the
        subject say nothing about this line."""
        return self.section[max(self.subject_depth - 1, 0) :]

    def context_text(self) -> str:
        """The text embedded and keyword-indexed: the heading path (and the line introducing the list the
        passage is in) gives a line its topic."""
        section = self.local_section
        head = " > ".join([*section, self.lead] if self.lead else section)
        return f"{head}: {self.text}" if head else self.text


@dataclass(frozen=True)
class Service:
    id: str  # slug, e.g. "aws-lambda"
    label: str  # preferred name, e.g. "AWS Lambda"
    aliases: tuple[str, ...] = ()  # other names: acronym, long name, short name, components
    file: str = ""
    line: int = 0  # where it is introduced
    parent: str | None = None  # id of the service this one is a component of


@dataclass(frozen=True)
class Fact:
    """One extracted limit, price or feature, tied to the passage that states it."""

    id: str
    kind: FactKind
    service: str  # service id
    label: str  # what the fact is about, e.g. "maximum execution time"
    passage: str  # passage id
    text: str  # the phrase the fact was read from
    value: float | None = None
    unit: str | None = None
    base_value: float | None = None  # normalised to the unit family's base (seconds, bytes, ...)
    base_unit: str | None = None
    qualifier: str | None = None  # "max" | "min" | "default" | "up to" | "range" | "discount" | None
    value_max: float | None = None  # for ranges
    billing_unit: str | None = None  # "per hour", "per 1 million requests", ...

    def __post_init__(self) -> None:
        if not isinstance(self.kind, FactKind):  # read back from JSON as a plain string
            object.__setattr__(self, "kind", FactKind(self.kind))


@dataclass(frozen=True)
class Citation:
    source: str
    lines: tuple[int, int]
    section: str
    text: str
    passage_id: str = ""
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "lines": [self.lines[0], self.lines[1]],
            "section": self.section,
            "text": self.text,
        }


@dataclass(frozen=True)
class FactRef:
    subject: str
    predicate: str
    object: str
    source: str  # "file:start-end"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    confidence: float
    citations: tuple[Citation, ...] = ()
    facts: tuple[FactRef, ...] = ()
    sparql: str = ""
    kind: QuestionKind | Literal[""] = ""  # detected question kind
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "kind": str(self.kind),
            "citations": [c.to_json() for c in self.citations],
            "facts": [f.to_json() for f in self.facts],
            "sparql": self.sparql,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }
