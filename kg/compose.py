"""Short answers from ranked passages: a fact line, a list gathered from sibling bullets, or a sentence."""

from __future__ import annotations

import re

from ingest.units import UNITS
from kg.index import Index
from kg.model import Fact, Passage
from kg.question import Query

MAX_ANSWER = 300
_ITEM_HEAD = re.compile(r"^([^:]{1,48}):\s+\S")


def _clip(text: str, limit: int = MAX_ANSWER) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = cut[: cut.rfind(" ")] if " " in cut[limit // 2 :] else cut
    return cut.rstrip(" ,;:-–") + "…"


def is_introducer(p: Passage) -> bool:
    """A line that opens a list: a heading, or text ending with ':' or on an unfinished word."""
    return p.is_heading or p.text.rstrip().endswith(":")


def sibling_group(index: Index, p: Passage) -> tuple[Passage | None, list[Passage]]:
    """The list a passage belongs to: its introducing line and the items under it (same section)."""
    i = index.position[p.id]
    ps = index.passages
    start = i
    if not is_introducer(p):
        while start > 0:
            prev = ps[start - 1]
            if prev.file != p.file or prev.section[:2] != p.section[:2]:
                break
            start -= 1
            if is_introducer(prev):
                break
    lead = ps[start] if is_introducer(ps[start]) else None
    items: list[Passage] = []
    j = start + 1 if lead else start
    while j < len(ps):
        q = ps[j]
        if q.file != p.file or q.section[:2] != p.section[:2] or (is_introducer(q) and q.id != p.id):
            break
        if not q.is_heading:
            items.append(q)
        j += 1
    return lead, items


def item_head(text: str) -> str:
    m = _ITEM_HEAD.match(text)
    return m.group(1).strip() if m else text


def compose_list(index: Index, top: Passage) -> str | None:
    lead, items = sibling_group(index, top)
    if len(items) < 2:
        return None
    heads = [item_head(it.text) for it in items]
    # long groups of mixed detail: keep the named items ("SSE-KMS: ...") and short ones
    if sum(len(h) + 2 for h in heads) > MAX_ANSWER - 40:
        named = [item_head(it.text) for it in items if _ITEM_HEAD.match(it.text) or len(it.text.split()) <= 3]
        if len(named) >= 2:
            heads = named
    intro = (lead.text.rstrip(":") if lead else top.section[-1] if top.section else "").strip()
    if len(intro) > 80:
        intro = top.section[-1] if top.section else ""
    body = "; ".join(heads)
    return _clip(f"{intro}: {body}" if intro else body)


def converted(fact: Fact, query: Query) -> str:
    """'(= 15 minutes)' when the question asks in another unit of the same family."""
    if not (query.unit and fact.base_value is not None and fact.unit and query.unit != fact.unit):
        return ""
    for spelling, (unit, family, factor) in UNITS.items():
        if unit == query.unit and family == query.unit_family and spelling == unit.lower():
            value = fact.base_value / factor
            shown = f"{value:,.2f}".rstrip("0").rstrip(".")
            return f" (= {shown} {unit})"
    return ""


def compose(index: Index, query: Query, ranked: list[Passage], facts: list[Fact]) -> str:
    top = ranked[0]
    service = index.services.get(top.service or "")
    prefix = f"{service.label} — " if service and service.label.lower() not in top.text.lower() else ""
    if query.kind == "list":
        listed = compose_list(index, top)
        if listed:
            return _clip(f"{prefix}{listed}")
    text = top.text
    if len(text) < 30 and top.section and top.section[-1].lower() not in text.lower():
        text = f"{top.section[-1]}: {text}"
    extra = converted(facts[0], query) if facts else ""
    return _clip(f"{prefix}{text}{extra}")
