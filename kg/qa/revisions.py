"""Lines that revise what an earlier line said: "UPDATE: now 64 GB", "correction - it's 5,209 not 5,127",
"~~30 s~~ 45 s", "threshold is £90,000 (was £85k)". Read by the ranking (a marked revision is a signal) and by
the composition (a later revision is added to the answer it revises)."""

from __future__ import annotations

import re

from kg.model import Passage
from kg.qa.index import Index
from kg.units import DATE

# A line that revises an earlier one: "UPDATE: now 64 GB", "correction - it's 5,209 not 5,127", "~~30 s~~ 45 s"
_REVISION_WORDS = (
    r"(?:update[sd]?|correction|corrected|actually|edit(?:ed)?|erratum|errata|turns out|no longer|revised)"
)
# ... or a figure set right against the one it replaces: "sorry, £55 not £56", "it's 45 not 40"
_INSTEAD = r"\d[\d,.]*\s*[^\W\d_]{0,4}%?,?\s+not\s+[~≈$€£]?\d"
# ... or a line that opens by saying what changed ("Changed 2025-06-02: live rate raised to 150 req/s")
_CHANGED = r"(?:changed|amended)"
# ... or naming the figure it had before, in brackets: "threshold is £90,000 (was £85k since 2017)"
_WAS = r"\((?:was|previously|formerly)\s+[~≈$€£]?\d"
REVISES = re.compile(rf"\b{_REVISION_WORDS}\b|~~|{_INSTEAD}|{_WAS}|^\W*{_CHANGED}\b", re.I)
# ... saying so first, after its marks, a date or a label, as a marker ("# UPDATE 2024-09: now 64 GB", "NOTES:
# correction - ...", "EDIT (Feb 13): ...", "EDIT November 3rd, 2025: ...", "actually no: ..."), not as a word of
# the line ("To update a template")
MARKED_REVISION = re.compile(
    rf"^\W*(?:[\d/.-]+\s+|[a-z]+:\s*)?(?:{_REVISION_WORDS}|{_CHANGED})"
    rf"(?:\s+(?:{DATE.pattern})|\s+[\w/.-]+|\s*\([^)]{{0,20}}\)){{0,2}}\s*(?::|\s[-–—]\s)"
    # ... or dated right after the word ("update 14/05 real usage more like 32L/day"), or the word in capitals
    # ("UPDATE (Ade, roof measured) 2x 175W = 350W"): a marker, where "Update the firmware" is an instruction
    rf"|^\W*(?:[\d/.-]+\s+)?(?:{_REVISION_WORDS}|{_CHANGED})\s+(?:\d{{1,2}}[./-]\d{{1,2}}(?:[./-]\d{{2,4}})?|(?:19|20)\d\d)\s+\w"
    r"|^\W*(?:[\d/.-]+\s+)?(?-i:UPDATED?|CORRECTION|CORRECTED|EDIT(?:ED)?|ERRATUM|ERRATA|REVISED|CHANGED)\b",
    re.I,
)
# A line that gives something a new figure without marking itself a revision, as a later comment or message does:
# "seated occupancy is now 35", "shift lead rate goes to $19.25/hr", "price put up to £7.50", "raised to 30 s".
# "up to 10 GB" alone is a limit, not a change; the figure right after the phrase is the new value.
RESTATES = re.compile(
    r"\b(?:now(?:\s+(?:at|on|only|about|just))?"
    r"|(?:go(?:es|ing)?|went|gone|put|coming|came)\s+(?:up\s+|down\s+)?to"
    r"|(?:raised|increased|bumped|dropped|reduced|lowered|cut|changed|moved|rose|risen|fell|fallen)\s+(?:up\s+|down\s+)?to)"
    r"\s+(?:\*\*)?[~≈$€£]?(?P<new>\d[\d,]*(?:\.\d+)?)(?!\d|[.,:/]\d)",  # not a time or date
    re.I,
)
# ... or standing under a title that says so: a callout titled "Changed 2025-07-01" or "Update" over its lines
REVISION_TITLE = re.compile(rf"^\W*(?:{_REVISION_WORDS}|{_CHANGED})\b", re.I)


def titled_revision(p: Passage) -> bool:
    """Whether a line stands under a title that says it revises something."""
    return bool(p.lead and REVISION_TITLE.match(p.lead))


def revises(p: Passage) -> bool:
    """Whether a line says it revises something, by its words or by the title it stands under."""
    return bool(REVISES.search(p.text)) or titled_revision(p)


def restated_figures(text: str) -> frozenset[str]:
    """The figures a line gives as something's new value without marking itself a revision (``RESTATES``), as
    written ("19.25")."""
    return frozenset(m.group("new").replace(",", "") for m in RESTATES.finditer(text))


def marked_revision(p: Passage) -> bool:
    """Whether a line is marked as a revision at its start ("UPDATE:", "correction -", "EDIT 20-01-2025 ...") or
    stands under a title that says so."""
    return bool(MARKED_REVISION.search(p.text)) or titled_revision(p)


def marked_revisions(index: Index) -> frozenset[str]:
    """The ids of the passages marked as revisions (``marked_revision``), found once per index: the ranking reads
    it for every candidate of every question."""
    found: frozenset[str] | None = index.derived.get("marked_revisions")
    if found is None:
        found = index.derived["marked_revisions"] = frozenset(p.id for p in index.passages if marked_revision(p))
    return found
