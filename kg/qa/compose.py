"""Short answers from ranked passages: a fact line, a list gathered from sibling bullets, or a sentence."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import chain, permutations, takewhile, zip_longest
from typing import NamedTuple

from kg.model import BlockKind, Fact, Passage, QuestionKind
from kg.qa.index import Index, term_key
from kg.qa.question import Query
from kg.qa.retrieve import (
    DEFINITION_FEATURES,
    Candidate,
    coverage_weights,
    defined_terms,
    defines,
    enumerates,
    lead_label,
    names_items,
    states_number,
    weight_in,
)
from kg.qa.revisions import REVISES, marked_revision, restated_figures, revises
from kg.text import content_terms, fold, item_label, terms, words
from kg.units import UNCONVERTED, UNITS, Quantity, family_of, parse_quantity, without_dates
from kg.vocab import ASKS_NAME, DEFAULT_ASKED, FINITE_VERB, FRAME_WORDS

MAX_ANSWER = 300
_ENTRY_LABEL = re.compile(r"^([^:]{1,48}):\s+\S")  # "SSE-KMS: keys in KMS"
# An item's head: its label, or what comes before what it says about it, after '=', an arrow, a dash or a
# bracket ("P-factor = descending blade ...", "torque (acft rolls ...)").
_ITEM_HEAD = re.compile(_ENTRY_LABEL.pattern + r"|^(.{1,48}?)(?:\s+(?:=|->|→|[-–—])\s|\s*\()")


def _clip(text: str, limit: int = MAX_ANSWER) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = cut[: cut.rfind(" ")] if " " in cut[limit // 2 :] else cut
    return cut.rstrip(" ,;:-–") + "…"


# Where a long line may be cut into parts: after a sentence or a semicolon, then, inside a part still too
# long, after a comma.
_PARTS = (re.compile(r"(?<=[.;!?])\s+(?=\S)"), re.compile(r"(?<=,)\s+(?=\S)"))


def excerpt(index: Index, query: Query, text: str, budget: int) -> str:
    """A text longer than the answer can hold, cut to the parts that answer: the sentence or clause covering
    most of the question's term weight (one defining the term first when a definition is asked; of two as
    near, one stating a figure when a figure is asked, else the earlier), then the parts that add the most
    weight of the question's terms it lacks ("The maximum is 12 hours." after a sentence about the visibility
    timeout, for "max visibility timeout"), then their neighbours while they fit, and what follows as far as
    it fits. "…" marks what was left out."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= budget:
        return text
    weights = coverage_weights(index, query)
    weight = {key: w for key, w, _ in weights}
    figure = query.kind in (QuestionKind.NUMBER, QuestionKind.PRICING)

    defined = defined_terms(index, query) if query.kind is QuestionKind.DEFINITION else []

    def score(part: str) -> tuple[bool, float, bool]:
        low = part.lower()
        return (
            any(defines(term, low) for term in defined),  # a definition is asked: the part that gives it
            weight_in(weights, part),
            figure and any(ch.isdigit() for ch in part),  # a figure is asked: of two parts as near, the one with one
        )

    for split in _PARTS:
        parts = split.split(text)
        if len(parts) < 2:
            continue
        best = max(range(len(parts)), key=lambda i: (score(parts[i]), -i))
        if len(parts[best]) > budget - 4:  # the best part alone is too long: cut it at its commas
            cut = (
                excerpt(index, query, parts[best], budget - 2) if split is _PARTS[0] else _clip(parts[best], budget - 2)
            )
            return cut if best == 0 or cut.startswith("…") else "… " + cut
        chosen = _covering(parts, best, weight, figure, budget - 4)
        shown = ("… " if chosen[0] > 0 else "") + parts[chosen[0]]
        for before, i in zip(chosen, chosen[1:], strict=False):
            shown += (" " if i == before + 1 else " … ") + parts[i]
        if chosen[-1] == len(parts) - 1:
            return shown
        rest = " ".join(parts[chosen[-1] + 1 :])
        room = budget - len(shown) - 1
        if room < len(rest.split()[0]) + 2:  # not even its first word fits
            return shown + " …"
        return shown + " " + _clip(rest, room)
    return _clip(text, budget)


def _covering(parts: list[str], best: int, weight: dict[str, float], figure: bool, room: int) -> list[int]:
    """The parts to show, in text order: ``best``, then each part that adds the most weight of the question's
    terms not yet shown (of two adding as much, one stating a figure when a figure is asked, else the earlier),
    then the neighbours of those shown, while the shown text fits in ``room``: of each part shown, the next one
    first (a clause is explained by what follows it more often than not)."""
    keys = [{term_key(t) for t in terms(part)} & weight.keys() for part in parts]

    def size(shown: set[int]) -> int:  # the parts, a space between neighbours and "… " before a gap
        at = sorted(shown)
        gaps = sum(1 for a, b in zip(at, at[1:], strict=False) if b > a + 1) + (at[0] > 0)
        return sum(len(parts[i]) for i in at) + len(at) - 1 + 2 * gaps

    chosen = {best}
    covered = set(keys[best])
    while True:
        adds = [
            (sum(weight[k] for k in keys[i] - covered), figure and any(ch.isdigit() for ch in parts[i]), -i)
            for i in range(len(parts))
            if i not in chosen and keys[i] - covered and size(chosen | {i}) <= room
        ]
        if not adds:
            break
        i = -max(adds)[2]
        chosen.add(i)
        covered |= keys[i]
    grown = True
    while grown:
        grown = False
        for i in sorted(chosen):
            near = [j for j in (i + 1, i - 1) if 0 <= j < len(parts) and j not in chosen]
            fits = [j for j in near if size(chosen | {j}) <= room]
            if fits:
                chosen.add(fits[0])
                grown = True
    return sorted(chosen)


def is_introducer(p: Passage) -> bool:
    """A line that opens a list: a heading, or text ending with ':'."""
    return p.is_heading or p.text.rstrip().endswith(":")


_SENTENCE_BREAK = re.compile(r"[.!?][)\"']?\s+[A-Z]")  # one sentence ends and the next begins
_SAYS_MORE = re.compile(r"[:=;,]|\s[-–—]+>?\s|->")  # "overdose: liver makes ...", "zombie - child that ..."


def _heads_list(index: Index, p: Passage) -> bool:
    """An item with items nested under it that is no sentence of its own ("metrics u can scale on" over
    three metric names): what it says is the list under it."""
    i = index.position[p.id] + 1
    if p.is_heading or i >= len(index.passages) or p.text.rstrip().endswith((".", "!", "?")):
        return False
    # an item saying more than its label ("overdose: liver makes too much NAPQI ...") keeps its own words
    return not _SAYS_MORE.search(p.text.strip().rstrip(":")) and nested_under(index.passages[i], p) == 1


def in_block(q: Passage, lead: Passage) -> bool:
    """Whether q sits under lead: under a heading's path, in the sub-list a lead bullet opened, or in
    the same section as a sentence that ends with ':'."""
    if q.file != lead.file:
        return False
    if lead.is_heading:
        return q.section[: len(lead.section)] == lead.section
    if q.section == lead.section:
        return True
    k = len(q.section) - 1
    return k >= 0 and names_items(q.section[-1], lead) and q.section[:k] == lead.section[:k]


def nested_under(q: Passage, parent: Passage) -> int:
    """How deep q sits in the list nested under the item ``parent`` (1: a direct child; 0: not under it)."""
    n = len(parent.section)
    if parent.is_heading or q.file != parent.file or len(q.section) <= n or q.section[:n] != parent.section:
        return 0
    return len(q.section) - n if names_items(q.section[n], parent) else 0


def _parent(index: Index, p: Passage) -> Passage | None:
    """The line a passage sits directly under: the item it is nested in, or the heading over it."""
    for j in range(index.position[p.id] - 1, -1, -1):
        q = index.passages[j]
        if q.file != p.file:
            return None
        if nested_under(p, q) == 1 or (q.is_heading and q.section == p.section):
            return q
        if len(q.section) < len(p.section) - 1:
            return None
    return None


def sibling_group(index: Index, p: Passage) -> tuple[Passage | None, list[Passage]]:
    """The list a passage belongs to: its introducing line (a heading, a line ending with ':', or the item
    the list is nested under) and the items under it."""
    ps = index.passages
    i = index.position[p.id]
    after = ps[i + 1] if i + 1 < len(ps) else None
    lead: Passage | None = p if is_introducer(p) or (after and nested_under(after, p)) else None
    j = i
    while lead is None and j > 0:
        prev = ps[j - 1]
        detail = _below(prev, p)  # a detail under an earlier item of the list
        if prev.file != p.file or not (prev.section == p.section or in_block(p, prev) or detail):
            break
        j -= 1
        if detail:
            continue
        if is_introducer(prev) or nested_under(p, prev):
            lead = prev
    first = index.position[lead.id] + 1 if lead else j
    nested = lead is not None and not is_introducer(lead)
    # the parser marks the lines a "types:" line introduces with it: the list ends at the first line it did not
    label = lead_label(lead) if lead is not None and not lead.is_heading else None
    led = False
    items: list[Passage] = []
    for q in ps[first:]:
        if nested and lead is not None:
            depth = nested_under(q, lead)
            if not depth:
                break
            if depth == 1:  # the list's own items, not the details under them
                items.append(q)
            continue
        if lead is not p and _below(q, p):
            continue  # a detail under an item of the list
        if is_introducer(q) or (lead and not in_block(q, lead)) or (not lead and q.section != p.section):
            break
        if label is not None and lead is not None and q.section == lead.section:
            if q.lead == label:
                led = True
            elif led:
                break
        items.append(q)
    return lead, items


def _below(q: Passage, p: Passage) -> bool:
    """Whether q sits deeper in the same list as p: a detail nested under one of p's siblings."""
    n = len(p.section)
    return q.file == p.file and not q.is_heading and len(q.section) > n and q.section[:n] == p.section


def name_of(p: Passage, heads: bool = True) -> str:
    """How a list names one of its items when not every item fits whole: a table row by its first cell
    ("Lead time for changes — Elite: ..." → "Lead time for changes"), an item by its label, or, when the
    items themselves were asked for (``heads``), by its head."""
    if p.kind is BlockKind.TABLE_ROW and " — " in p.text:
        return p.text.split(" — ", 1)[0].strip()
    return item_head(p.text, heads)


def item_head(text: str, heads: bool = True) -> str:
    m = (_ITEM_HEAD if heads else _ENTRY_LABEL).match(text)
    head = next(filter(None, m.groups()), "").strip() if m else ""
    return head if re.search(r"[^\W\d_]", head) else text


def is_title_like(p: Passage) -> bool:
    """A bullet that names a topic ("Permissions boundaries") and leaves its content to the next line."""
    t = p.text.strip()
    return (
        len(t.split()) <= 5
        and not re.search(r"\d", t)
        and not t.endswith((".", "!"))
        and not FINITE_VERB.search(f" {t} ")
    )


def _topic_over(p: Passage, child: Passage) -> bool:
    """An item that names a topic ("order of volatility (most volatile first)") with its content nested
    under it: the content is what the item says."""
    t = p.text.strip()
    return nested_under(child, p) == 1 and not t.endswith((".", "!")) and not FINITE_VERB.search(f" {t} ")


ELABORATES = re.compile(r"^(?:You need|You must|You have to|This |That |So |Because|Otherwise|Instead|[a-z$])")


@dataclass(frozen=True)
class Composed:
    text: str
    passages: tuple[Passage, ...]  # what the text was read from, in file order
    is_list: bool = False  # entries of one list: cited as the region they span
    revised: Passage | None = None  # a later line revising what the answer read (the last passage; cited apart)


def is_entry(p: Passage) -> bool:
    """A list entry that names something ("SSE-KMS: ...", "Client Side Encryption"), not a detail."""
    m = _ENTRY_LABEL.match(p.text)
    if m:
        return len(m.group(1).split()) <= 4
    return is_title_like(p) and len(p.text.split()) <= 4


def asked_item(index: Index, query: Query, named: dict[str, Passage]) -> Passage | None:
    """Of a list's items by the names it would show (``name_of``), the one item shown by its label alone
    ("modes" of "modes: evaluative, center-weighted, spot") whose label carries most of the question's term
    weight: its details are what was asked. None when no such item, or several, carry it equally."""
    weights = coverage_weights(index, query)
    covered = [weight_in(weights, name) if name != it.text else 0.0 for name, it in named.items()]
    best = max(covered, default=0.0)
    return list(named.values())[covered.index(best)] if best > 0 and covered.count(best) == 1 else None


def compose_list(
    index: Index, top: Passage, prefix: str, entries_only: bool = True, query: Query | None = None, room: int = 0
) -> Composed | None:
    """The list ``top`` belongs to as the answer: its lead and its items, whole or by their names (``room``:
    characters to leave free at the end, for a line that revises one of them)."""
    lead, items = sibling_group(index, top)
    if entries_only and query is not None:
        # a list asked by a name its list does not carry ("the three types of plate boundaries" from a detail
        # under "divergent"): the list one level up, while the name is its lead's ("boundaries - ...")
        weights = coverage_weights(index, query)
        while (
            lead is not None
            and not lead.is_heading
            and lead.section
            and not weight_in(weights, item_label(lead_label(lead)))
            and weight_in(weights, lead.section[-1])
        ):
            parent = _parent(index, lead)
            if parent is None:
                break
            up, up_items = sibling_group(index, parent)
            if up is not parent or lead not in up_items or len([it for it in up_items if not it.is_heading]) < 2:
                break
            top, lead, items = lead, up, up_items
    items = [it for it in items if not it.is_heading]
    if len(items) < 2:
        return None
    # paragraphs of sentences are no list's items: the paragraph says what it lists itself
    paragraphs = sum(1 for it in items if _SENTENCE_BREAK.search(it.text))
    if lead is not top and _SENTENCE_BREAK.search(top.text) and 2 * paragraphs >= len(items):
        return None
    chosen = items

    def size(ps: list[Passage]) -> int:
        return sum(len(name_of(p, entries_only)) + 2 for p in ps)

    # a numbered list is its steps, whatever they say: notes between them ("NB: ...") are no items
    steps = [it for it in items if it.kind is BlockKind.STEP]
    if len(steps) >= 2:
        chosen = steps
    # long flat lists mix entries with sentences and details: drop the sentences, then keep the
    # entries that name something ("SSE-KMS: ...")
    elif entries_only and size(chosen) > MAX_ANSWER - 60:
        phrases = [it for it in items if not FINITE_VERB.search(f" {it.text} ") and not it.text.endswith(".")]
        if len(phrases) >= 2:
            chosen = phrases
        if size(chosen) > MAX_ANSWER - 60:
            named = [it for it in items if is_entry(it)]
            if len(named) >= 2:
                chosen = named
    intro = lead_label(lead) if lead else (top.section[-1] if top.section else "")
    if len(intro) > 90:
        intro = top.section[-1] if top.section else ""
    budget = MAX_ANSWER - len(prefix) - len(intro) - 2 - room
    # whole items when they all fit (details may be what was asked), their names when they do not: every
    # item named beats some items in full
    whole = sum(len(it.text) + 2 for it in chosen) <= budget
    seen_heads: dict[str, Passage] = {}
    for it in chosen:
        seen_heads.setdefault(it.text if whole else name_of(it, entries_only), it)
    chosen = list(seen_heads.values())
    heads = list(seen_heads)
    # when not every item fits, the item the question names is shown whole and kept (its details are what
    # was asked: "modes: evaluative, center-weighted, spot"), the others named while they fit
    asked = None if whole or query is None else asked_item(index, query, seen_heads)
    reserve = 0  # room kept for the asked item until it comes
    if asked is not None:
        at = chosen.index(asked)
        heads[at] = _clip(asked.text, budget)
        reserve = len(heads[at]) + 2
    elif not whole:
        heads = _with_details(chosen, heads, budget)
    used: list[Passage] = [lead] if lead else []
    body: list[str] = []
    for it, head in zip(chosen, heads, strict=True):
        if it is asked:
            reserve = 0
        elif sum(len(b) + 2 for b in body) + len(head) + reserve > budget:
            if asked is None:
                break
            continue
        body.append(head)
        used.append(it)
    if not body:
        return None  # not even the first item fits: paragraphs, not a list (the line that answers is cut instead)
    text = f"{intro}: {'; '.join(body)}" if intro else "; ".join(body)
    return Composed(_clip(prefix + text, MAX_ANSWER - room), tuple(used), is_list=True)


def revised_list(
    index: Index, top: Passage, prefix: str, entries_only: bool = True, query: Query | None = None
) -> Composed | None:
    """``compose_list``, followed by a later line that revises what the list says ("set temp to 90 °C" in the
    steps, then "UPDATE: 90 was too hot ... 80 °C works"), as a line's answer is."""
    listed = compose_list(index, top, prefix, entries_only, query)
    revised = revision(index, list(listed.passages)) if listed else None
    if listed is None or revised is None:
        return listed
    tail = " — " + _clip(revised.text, MAX_ANSWER // 2)
    listed = compose_list(index, top, prefix, entries_only, query, room=len(tail)) or listed
    return Composed(listed.text + tail, (*listed.passages, revised), is_list=True, revised=revised)


def _with_details(items: list[Passage], names: list[str], budget: int) -> list[str]:
    """Each item by its name and as much of what it says as an equal share of the room left after all the
    names allows (a share an item does not need goes to the others): "cost of conformance: prevention
    (training, …) + appraisal …" rather than the name alone. The names alone when they do not all fit."""
    room = budget - sum(len(n) + 2 for n in names)
    if room <= 0:
        return names
    want = [max(0, len(re.sub(r"\s+", " ", it.text).strip()) - len(n)) for it, n in zip(items, names, strict=True)]
    extra = [0] * len(items)
    open_ = [i for i, w in enumerate(want) if w > 0]
    while open_ and room > 0:
        share = room // len(open_)
        if share == 0:
            break
        for i in open_:
            give = min(share, want[i] - extra[i])
            extra[i] += give
            room -= give
        open_ = [i for i in open_ if extra[i] < want[i]]
    out = []
    for it, name, more in zip(items, names, extra, strict=True):
        shown = _clip(it.text, len(name) + more) if more else name
        # a cut that adds no word to the name says nothing more than the name
        out.append(shown if shown.startswith(name) and re.search(r"\w", shown[len(name) :]) else name)
    return out


def is_bare_name(query: Query) -> bool:
    """A question that only names a service ("S3", "tell me about dynamodb")."""
    if not query.services:
        return False
    named = {i for m in query.mentions for i in range(m.start, m.end)}
    rest = [w for i, w in enumerate(words(query.normalised)) if i not in named]
    return all(w in FRAME_WORDS for w in rest)


def focus(index: Index, ranked: list[Candidate], query: Query) -> Passage:
    """The passage to answer from: a heading is replaced by the best passage under it (for a definition,
    the one that reads most like a definition); a bare service name is answered by its notes' first line."""
    kind = query.kind
    if kind is QuestionKind.DEFINITION and is_bare_name(query):
        opening = index.opening.get(query.services[0])
        defining = {c.passage.id for c in ranked if c.has_any(DEFINITION_FEATURES)}
        if opening in defining:  # the first line says what the service is
            return index.by_id[opening]
    top = ranked[0].passage
    if not top.is_heading:
        return top
    n = len(top.section)
    under = [
        c
        for c in ranked[1:]
        if not c.passage.is_heading and c.passage.file == top.file and c.passage.section[:n] == top.section
    ]
    if kind is QuestionKind.DEFINITION:  # the line under the heading that reads most like a definition
        under.sort(key=lambda c: -c.kind_fit)
    if under:
        return under[0].passage
    nxt = index.passages[index.position[top.id] + 1 :][:1]
    return nxt[0] if nxt and nxt[0].file == top.file and not nxt[0].is_heading else top


def _previous(index: Index, p: Passage) -> Passage | None:
    i = index.position[p.id] - 1
    if i >= 0:
        q = index.passages[i]
        if q.file == p.file and not q.is_heading and q.section == p.section:
            return q
    return None


def _next(index: Index, p: Passage) -> Passage | None:
    i = index.position[p.id] + 1
    if i < len(index.passages):
        q = index.passages[i]
        if q.file == p.file and not q.is_heading and (q.section == p.section or in_block(q, p)):
            return q
    return None


NAMES_PREVIOUS = re.compile(r"^(?:This|That|It)\s+is\s+(?:called|known as|named)\b", re.I)
ANAPHORA = re.compile(r"^(?:This|These|It|They)\s+(?!is\b|are\b)\w+")


def _entry_before(index: Index, p: Passage) -> Passage | None:
    """The nearest earlier entry (a short naming bullet) of the same list."""
    i = index.position[p.id]
    for j in range(i - 1, max(-1, i - 3), -1):
        q = index.passages[j]
        if q.file != p.file or q.section != p.section or q.is_heading:
            return None
        if is_title_like(q) and not ANAPHORA.match(q.text):
            return q
    return None


def _other_side(query: Query, top: Passage, ranked: list[Candidate]) -> Passage | None:
    """For "X vs Y", the best passage about the side the top passage does not mention."""
    if query.kind is not QuestionKind.COMPARISON or len(query.compared) != 2:
        return None
    low = top.text.lower()
    missing = [side for side in query.compared if not _mentions(low, side)]
    if len(missing) != 1:
        return None
    for c in ranked[1:6]:
        if c.passage.id != top.id and _mentions(c.passage.text.lower(), missing[0]):
            return c.passage
    return None


def _side_words(side: str) -> list[re.Pattern[str]]:
    """A comparison side's words as a line may write them: the longer words, a plural's stem."""
    words = [w for w in side.lower().split() if len(w) > 2] or side.lower().split()
    return [re.compile(rf"\b{re.escape(w.rstrip('s'))}") for w in words]


def _mentions(low: str, side: str) -> bool:
    """Whether a (lowercased) line names a side by any of its words."""
    return any(w.search(low) for w in _side_words(side))


def _advice_after(index: Index, query: Query, top: Passage) -> Passage | None:
    """For "what should I do" / "how do I" questions whose best passage states the situation, the
    instruction that follows it in the same list."""
    from kg.qa.retrieve import HOW_TO, INSTRUCTION

    if not HOW_TO.search(query.normalised) or INSTRUCTION.match(top.text):
        return None
    p: Passage | None = top
    for _ in range(3):
        p = _next(index, p) if p is not None else None
        if p is None or is_introducer(p):
            return None
        if INSTRUCTION.match(p.text):
            return p
    return None


def _worked_example(index: Index, query: Query, top: Passage) -> list[Passage]:
    """A question that restates an example's givens is answered by the example's computation."""
    asked = set(re.findall(r"\d+(?:\.\d+)?", query.normalised))
    if len(asked) < 2 or not asked <= set(re.findall(r"\d+(?:\.\d+)?", top.text)):
        return []
    out: list[Passage] = []
    p: Passage | None = top
    while p is not None and len(out) < 4:
        p = _next(index, p)
        if p is None or is_introducer(p):
            break
        out.append(p)
    last = max((k for k, q in enumerate(out) if "=" in q.text or re.search(r"\d", q.text)), default=-1)
    return out[: last + 1]


def _named_by_next_line(index: Index, top: Passage) -> tuple[str, tuple[Passage, ...]] | None:
    """ "This is called Long Polling": the definition is the line before."""
    prev = _previous(index, top)
    if prev is not None and NAMES_PREVIOUS.match(top.text):
        return f"{prev.text} — {top.text}", (prev, top)
    return None


def _answered_next(index: Index, top: Passage) -> tuple[str, tuple[Passage, ...]] | None:
    """Notes that ask a question ("how to send large messages?") answer it on the next line."""
    nxt = _next(index, top) if top.text.rstrip().endswith("?") else None
    return (f"{top.text} {nxt.text}", (top, nxt)) if nxt is not None else None


def _anaphora(index: Index, top: Passage) -> tuple[str, tuple[Passage, ...]] | None:
    """ "This minimizes the number of instances": say what "this" is, the entry it belongs to."""
    subject = _entry_before(index, top) if ANAPHORA.match(top.text) else None
    return (f"{subject.text} — {top.text}", index.span(subject, top)) if subject is not None else None


def _list_after(index: Index, top: Passage) -> tuple[str, tuple[Passage, ...]] | None:
    """ "Task definitions are metadata ..." then "It contains:" and the list."""
    nxt = _next(index, top)
    if nxt is None or not is_introducer(nxt) or not ANAPHORA.match(nxt.text):
        return None
    listed = compose_list(index, nxt, "", entries_only=True)
    return (f"{top.text} {listed.text}", (top, *listed.passages)) if listed else None


def _figure_before(index: Index, query: Query, top: Passage) -> tuple[str, tuple[Passage, ...]] | None:
    """A figure asked, a line without one ("objects that survive that many GCs are promoted") and the line
    before it in the same list with one ("MaxTenuringThreshold default 15"): both, the figure first."""
    if query.kind not in (QuestionKind.NUMBER, QuestionKind.PRICING) or states_number(top.text):
        return None
    prev = _previous(index, top)
    return (f"{prev.text} — {top.text}", (prev, top)) if prev is not None and states_number(prev.text) else None


# a field of an entry: "Default: 3", "Type: null or Number", "Owner: platform" (a label of up to four words)
_FIELD = re.compile(r"^\s*(?P<label>[^\W\d_][\w'/-]*(?:\s+[\w'/-]+){0,3}?)\s*:\s+\S")


def _field_label(p: Passage) -> str:
    """The label a line opens with ("default" of "Default: 3"), lowercased; "" when it opens with none."""
    m = None if p.is_heading else _FIELD.match(p.text)
    return " ".join(m.group("label").lower().split()) if m else ""


def _fields(index: Index) -> set[tuple[str, str]]:
    """(file, label) of the labels that open lines in more than one section of a file: the fields its entries
    share ("Default:" and "Type:" under each setting's heading), not a name that opens one line ("I bonds: ...")."""
    found: set[tuple[str, str]] | None = index.derived.get("fields")
    if found is None:
        sections: dict[tuple[str, str], set[tuple[str, ...]]] = {}
        for p in index.passages:
            label = _field_label(p)
            if label:
                sections.setdefault((p.file, label), set()).add(p.section)
        found = {key for key, seen in sections.items() if len(seen) > 1}
        index.derived["fields"] = found
    return found


def _field_asked(index: Index, query: Query, top: Passage) -> tuple[str, tuple[Passage, ...]] | None:
    """A field of the entry the line describes that names what the question asks for, which the line does not
    say ("how deep does npm ls recurse by default" answered by "The depth to go when recursing packages" under the
    heading "depth", whose "Default: Infinity ..." line is the answer): the nearest such field of the line's
    section, then the line."""
    if top.is_heading or not top.section:
        return None
    asked, said, fields = set(terms(query.normalised)), set(terms(top.text)), _fields(index)
    # what the question asks for: its asked noun, or a default
    wanted = set(terms(query.asked or "")) | ({"default"} if DEFAULT_ASKED.search(query.normalised) else set())
    ps, i = index.passages, index.position[top.id]
    same = lambda q: q.file == top.file and q.section == top.section  # noqa: E731
    sides = [list(takewhile(same, (ps[j] for j in span))) for span in (range(i - 1, -1, -1), range(i + 1, len(ps)))]
    for q in chain.from_iterable(zip_longest(*sides)):  # nearest first, one side then the other
        label = _field_label(q) if q is not None else ""
        named = set(terms(label))
        if named & wanted and named <= asked and not named & said and (q.file, label) in fields:
            return f"{q.text} — {top.text}", (q, top)
    return None


def _advice(index: Index, query: Query, top: Passage) -> tuple[str, tuple[Passage, ...]] | None:
    """ "You get a ThrottlingException" ... "To respond, use exponential backoff"."""
    advice = _advice_after(index, query, top)
    return (f"{top.text} — {advice.text}", index.span(top, advice)) if advice is not None else None


def _continued(index: Index, query: Query, top: Passage) -> list[Passage]:
    """The top passage with what completes it: a worked example's computation, the content of a title-like
    bullet, or lines that elaborate it ("You need to ...", a command)."""
    extra = _worked_example(index, query, top)
    if extra:
        return [top, *extra]
    used = [top]
    nxt = _next(index, top)
    while (
        nxt
        and len(used) < 3
        and sum(len(p.text) for p in used) < 120
        and ((len(used) == 1 and (is_title_like(top) or _topic_over(top, nxt))) or ELABORATES.match(nxt.text))
    ):
        used.append(nxt)
        nxt = _next(index, nxt)
    return used


# the value a revising line (kg.qa.revisions) says it replaces: a figure ("not 8h", "was $12") or a model's code
# ("NOT the ST45SF")
_OLD_VALUE = re.compile(
    r"\b(?:not|was|instead of)\s+(?:the\s+|an?\s+)?[~≈$€£]?(\d[\d,]*(?:\.\d+)?(?:k\b)?|[a-z]+-?\d[\w-]*)", re.I
)
_STRUCK = re.compile(r"~~(.+?)~~")  # struck through: the value a line had before ("~~£1.20~~ £1.35")
_CODE = re.compile(r"\b[a-z]+-?\d[\w-]*", re.I)  # a name with digits in it: "ST45SF", "RTX-4070", "v2"
# ... or setting again what a line set: "max HR = 191" after "max HR = 188 bpm" (a label of four words or
# fewer, at the start of a clause, then "=" or ":" and a figure)
_SLOT = re.compile(
    r"(?:^|[.;,:(—–>]\s*|\s-\s)(?P<label>[^\W\d_][\w'/-]*(?:\s+[\w'/-]+){0,3}?)\s*[=:]\s*[~≈<>]?\s*[$€£]?(?P<value>\d[\d,]*(?:\.\d+)?)"
)
_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?(?:k\b)?", re.I)  # "£8,000", "8k": the same figure


class _Revising(NamedTuple):
    """A line that says it revises something, read once per index."""

    position: int
    marked: bool  # marked as a revision at its start ("UPDATE:", "correction -")
    old_values: frozenset[str]  # figures or codes it names as the values it replaces ("not 8h", "not the X5")
    figures: frozenset[str]
    names: frozenset[str]
    slots: frozenset[tuple[frozenset[str], str]]  # (label, figure) it sets
    measures: frozenset[tuple[str, float]]  # (unit, value) of the quantities it states in a unit ("470km")
    restated: frozenset[str]  # figures it gives as something's new value, unmarked ("occupancy is now 35")


def _revising(index: Index) -> list[_Revising]:
    """The lines that say they revise something, or give something a new figure unmarked, in file order (found
    once per index)."""
    found: list[_Revising] | None = index.derived.get("revising")
    if found is None:
        lines: list[_Revising] = []
        for i, p in enumerate(index.passages):
            restated = frozenset() if p.is_heading else restated_figures(p.text)
            if p.is_heading or not (restated or revises(p)):
                continue
            lines.append(
                _Revising(
                    i,
                    marked_revision(p),
                    frozenset(_old_values(p.text)),
                    frozenset(_figures(p.text)),
                    frozenset(_named_terms(p.text)),
                    frozenset(_slots(p.text)),
                    _measures(p),
                    frozenset(_figure(f) for f in restated),
                )
            )
        found = index.derived["revising"] = lines
    return found


def _old_values(text: str) -> set[str]:
    """The figures and codes a line names as the values it replaces: "not 8h", "was the X5", "~~CD 12~~ CD 10"."""
    struck = " ".join(_STRUCK.findall(text))
    named = {_figure(v) for v in _OLD_VALUE.findall(text)}
    return named | _figures(struck) | {c.lower() for c in _CODE.findall(struck)}


def _figures(text: str) -> set[str]:
    """The figures a line gives, without its dates and years."""
    return {_figure(f) for f in _FIGURE.findall(without_dates(text))}


def _figure(text: str) -> str:
    """A figure as a line writes it, in one spelling: "8,000", "8000" and "8k" are "8000"; a code lowered."""
    text = text.replace(",", "").lower()
    if text.endswith("k") and text[:-1].replace(".", "", 1).isdigit():
        value = float(text[:-1]) * 1000
        return str(int(value)) if value.is_integer() else f"{value}"  # "1234.5k": "1234500", not "1.2345e+06"
    return text


def _slots(text: str) -> set[tuple[frozenset[str], str]]:
    """The labelled figures a line sets ("max HR = 188 bpm" → ({"max", "hr"}, "188"))."""
    found = set()
    for m in _SLOT.finditer(text):
        label = frozenset(_named_terms(m.group("label")))
        if label:
            found.add((label, m.group("value").replace(",", "")))
    return found


def _measures(p: Passage) -> frozenset[tuple[str, float]]:
    """The quantities a line states in a unit, as (unit, value): a bare number or a count says no measure."""
    read = parse_quantity(without_dates(p.text), p.decimal_comma)
    return frozenset((q.unit, q.value) for q in read if q.unit and q.family not in ("none", "count"))


def _named_terms(text: str) -> set[str]:
    """What a line names: its content terms without figures and revision words."""
    return {t for t in content_terms(REVISES.sub(" ", text)) if not any(ch.isdigit() for ch in t)}


def _after_list(index: Index, p: Passage) -> int:
    """The position right after the last item of the list a line is in (-1 when it is in none)."""
    _, items = sibling_group(index, p)
    return max(index.position[i.id] for i in items) + 1 if len(items) > 1 and any(i.id == p.id for i in items) else -1


def revision(index: Index, read: list[Passage]) -> Passage | None:
    """A later line of the same file that revises the lines an answer read: it names a figure they give as the
    value it replaces and something they name ("correction - Framingham cohort is 5,209 not 5,127") or is marked
    as a revision ("correction - EPV rule is 10, not 20"); or it is marked as a revision and comes right after
    them or after the list they are in, or names the most specific thing they name ("UPDATE Jun: QIAprep 50-prep
    price went up to £134"), or sets again to another figure what they set ("UPDATE: ... so max HR = 191 now"
    after "max HR = 188 bpm"). Unmarked, a later line that gives another figure in their unit with "now", "goes to"
    or "raised to" revises them when it names one of their labels, or what they and their heading name ("Barrel
    Room seated occupancy is now 35" after "capacity: 40 seated" under "Barrel Room")."""
    if any(revises(p) for p in read):
        return None  # the answer read the revision itself
    last = read[-1]
    start = index.position[last.id] + 1
    lines = _revising(index)
    later = lines[bisect_left(lines, start, key=lambda r: r.position) :]
    if not later or index.passages[later[0].position].file != last.file:
        return None  # no line after them in their file says it revises anything
    figures = set().union(*(_figures(p.text) for p in read))
    codes = {c.lower() for p in read for c in _CODE.findall(p.text)}
    named = set().union(*(_named_terms(p.text) for p in read))
    # what their headings and the items they sit under name ("REINSPECTION FEE" over "if you fail ... follow" over
    # "up visit: $150"), as the answer shows them
    headed = set().union(*(_named_terms(s) for p in read for s in p.local_section))
    # the most specific thing they name: "QIAprep", not "price" (a revision of another kit's price says "price")
    rarest = max(named, key=lambda t: (index.lexicon.idf(t), t), default="")
    slots = set().union(*(_slots(p.text) for p in read))
    labels = {label for label, _ in slots}
    measures = frozenset().union(*(_measures(p) for p in read))
    units = {u for u, _ in measures}
    after_list: int | None = None  # where the list they are in ends, looked up when a marked line needs it
    for r in later:
        q = index.passages[r.position]
        if q.file != last.file:
            break
        if r.old_values & (figures | codes) and r.names & named:
            return q
        if r.marked and any(len(f) > 1 for f in r.old_values & figures):
            return q  # marked, it names a figure they give as the one it replaces ("UPDATE: ... 26.5 °C, not 26")
        if r.marked and any(label in labels and (label, value) not in slots for label, value in r.slots):
            return q  # it sets again, to another figure, what they set
        if r.marked and q.section == last.section and r.figures - figures and any(label <= r.names for label in labels):
            return q  # under the same heading, it names what they set and gives another figure ("hydration up to 78%")
        shared = {f for f in r.figures & figures if len(f) > 1}
        about = bool(r.names & (named | headed) or shared)  # it names what they or their heading name, or a figure
        if (
            r.marked
            and about
            and q.section == last.section
            and any(m[0] in units and m not in measures for m in r.measures)
        ):
            return q  # under the same heading, another figure in a unit they give ("~520km" then "EDIT: ... 470km")
        if r.marked and about and r.position != start and after_list is None:
            after_list = _after_list(index, last)
        if r.marked and about and r.position in (start, after_list):
            # right after them, or after the list they are in (a board's next card, a paragraph after the list),
            # not the next item of a list about another thing ("UPDATE: Domino price")
            return q
        if r.marked and rarest in r.names:
            return q  # it names the most specific thing they name
        if _restates(r, figures, units) and (
            any(label <= r.names for label in labels) or (r.names & named and r.names & (headed - named))
        ):
            return q  # unmarked, it gives what they name a new figure ("Barrel Room seated occupancy is now 35")
    return None


def _restates(r: _Revising, figures: set[str], units: set[str]) -> bool:
    """Whether a later line gives, unmarked, another figure than lines giving ``figures``, in a unit they give
    if they give one ("now 35 kg" does not revise a price)."""
    if not r.restated or not figures or r.restated & figures:
        return False
    return not units or any(u in units for u, _ in r.measures)


def _comparison(index: Index, query: Query, top: Passage, ranked: list[Candidate], prefix: str) -> Composed | None:
    """For "X vs Y": the list that says what a side-less line is about, or the best line on the other side."""
    if query.kind is not QuestionKind.COMPARISON or len(query.compared) != 2:
        return None
    if not any(_mentions(top.text.lower(), side) for side in query.compared):
        # "Backups must be operated by the user": the list it belongs to says of what
        if 2 <= len(sibling_group(index, top)[1]) <= 6:
            listed = compose_list(index, top, prefix, entries_only=False)
            if listed:
                return listed
    said = _winner_in_line(query, top)
    if said:  # "dump/restore 31 min vs pg_upgrade 4 min", asked which was faster: the line weighs both sides
        return Composed(said + prefix + excerpt(index, query, top.text, MAX_ANSWER - len(prefix) - len(said)), (top,))
    other = _other_side(query, top, ranked)
    if other is None:
        return None
    said = _winner(query, top, other)
    budget = MAX_ANSWER - len(prefix) - 3 - len(said)
    mine = excerpt(index, query, top.text, max(budget - len(other.text), budget // 2))
    return Composed(f"{said}{prefix}{mine} | {excerpt(index, query, other.text, budget - len(mine))}", (top, other))


# the comparative a question weighs the sides by: the side with the lower figure wins, or the higher
_LOWER_WINS = re.compile(
    r"\b(?:cheaper|cheapest|less|least|fewer|fewest|smaller|smallest|lower|lowest|shorter|lighter)\b"
)
_HIGHER_WINS = re.compile(
    r"\b(?:more|most|bigger|biggest|larger|largest|higher|highest|longer|heavier|pricier|dearer|costlier|greater|"
    r"stronger|wider|warmer|hotter)\b"
)
_SPEED = re.compile(r"\b(?:faster|quicker|fastest|quickest)\b")  # less time, or a higher rate
_MONEY_ASKED = re.compile(r"\b(?:cheaper|cheapest|pricier|dearer|costlier|price|cost|costs|fee|rate)\b")
_CLAUSES = re.compile(r";|\|| [—–] ")
_SIDE_BOUNDARY = re.compile(r";|\|| [—–] |\bvs\b\.?|\bversus\b|\n")  # where what a line says of one side ends


def _winner(query: Query, top: Passage, other: Passage) -> str:
    """ "A100: £1.20 against £2.10 — " when a comparison's two lines each give a figure for what the question
    weighs the sides by ("which is cheaper for an external academic": the rows' "External academic" figures),
    in one unit; "" when the question has no comparative, or the figures are not found, not alike or equal."""
    q = fold(query.normalised)
    sides = list(query.compared)
    a, b = (_weighed(query, p, sides, q) for p in (top, other))
    if a is None or b is None:
        return ""
    named = [[s for s in sides if _names_fully(x[2].text.lower(), s)] for x in (a, b)]
    if len(named[0]) != 1 or len(named[1]) != 1 or named[0] == named[1]:
        return ""  # each line names one side in full, and not the other's ("strong white" is not "Marriage's white")
    return _said(q, (a[0], a[1], _side_named(a[2], named[0][0])), (b[0], b[1], _side_named(b[2], named[1][0])))


def _winner_in_line(query: Query, top: Passage) -> str:
    """The same as ``_winner`` for one line that names both sides, each followed by its figure in the unit family
    asked ("my 180k: dump/restore 31 min vs pg_upgrade 4 min", asked which was faster)."""
    if query.kind is not QuestionKind.COMPARISON or len(query.compared) != 2:
        return ""
    if any(a.lower() in b.lower() for a, b in permutations(query.compared)):
        return ""  # "lambda" is named in every "lambda edge"
    q = fold(query.normalised)
    text = without_dates(top.text)
    if re.search(r"\bthan\b", text, re.I):
        return ""  # "£40 cheaper than Ridewise (£110 after their price rise)": the line weighs them itself
    family = query.unit_family or ("money" if _MONEY_ASKED.search(q) else None)
    mentions = sorted((m.start(), m.end(), side) for side in query.compared for m in _side_at(side).finditer(text))
    ends = [m.start() for m in _SIDE_BOUNDARY.finditer(text)]
    figures: dict[str, tuple[Quantity, str, str]] = {}
    for i, (start, end, side) in enumerate(mentions):
        if side in figures:
            continue
        # up to the next side named or the end of the clause
        stop = min([mentions[i + 1][0] if i + 1 < len(mentions) else len(text), *(e for e in ends if e >= end)])
        window = text[end:stop]
        found = [x for x in parse_quantity(window, top.decimal_comma) if x.family == (family or x.family) != "none"]
        if found:  # a figure in the family asked, or with a unit when none is asked ("27 items", not "24")
            figures[side] = (found[0], window[found[0].span[0] : found[0].span[1]].strip(), text[start:end])
    if len(figures) != 2:
        return ""
    a, b = (figures[side] for side in query.compared)
    return _said(q, a, b)


def _said(q: str, a: tuple[Quantity, str, str], b: tuple[Quantity, str, str]) -> str:
    """ "side: figure against figure — " for two sides' figures (quantity, as written, the side as written),
    the winner first by the question's comparative; "" when the figures are not alike or equal, or the
    question has no comparative."""
    if a[0].family != b[0].family or a[0].base_unit != b[0].base_unit:
        return ""
    va, vb = (x[0].base_value if x[0].base_value is not None else x[0].value for x in (a, b))
    if va == vb:
        return ""
    if _SPEED.search(q):
        lower = a[0].family == "time"
    elif _LOWER_WINS.search(q):
        lower = True
    elif _HIGHER_WINS.search(q):
        lower = False
    else:
        return ""
    win, lose = (a, b) if (va < vb) == lower else (b, a)
    return f"{win[2]}: {win[1]} against {lose[1]} — "


def _weighed(query: Query, p: Passage, sides: list[str], q: str) -> tuple[Quantity, str, Passage] | None:
    """The figure a comparison's line gives for what the question weighs: a ``label: figure`` whose label the
    question names, else the line's one figure in the unit family asked (money for "cheaper"); with its text."""
    side_terms = {t for side in sides for t in terms(side)}
    asked = set(query.terms) - side_terms
    family = query.unit_family or ("money" if _MONEY_ASKED.search(q) else None)
    labelled = []  # (how many asked words the label has, and what share of its words they are), the figure
    for clause in _CLAUSES.split(p.text):
        label, colon, value = clause.partition(":")
        named = set(terms(label))
        if colon and asked & named:
            found = [x for x in parse_quantity(value, p.decimal_comma) if family is None or x.family == family]
            if found:
                fit = (len(asked & named), len(asked & named) / len(named))
                labelled.append((fit, found[0], value[found[0].span[0] : found[0].span[1]].strip()))
    if labelled:
        _, best, text = max(labelled, key=lambda x: x[0])
        return best, text, p
    if family is None:
        return None
    text = without_dates(p.text)
    found = [x for x in parse_quantity(text, p.decimal_comma) if x.family == family]
    if len(found) != 1:
        return None
    return found[0], text[found[0].span[0] : found[0].span[1]].strip(), p


def _names_fully(low: str, side: str) -> bool:
    """Whether a (lowercased) line names every word of a side ("marriages white": both words)."""
    return all(w.search(low) for w in _side_words(side))


def _side_named(p: Passage, side: str) -> str:
    """A side as the line spells it ("A100" for "a100")."""
    m = _side_at(side).search(p.text)
    return m.group(0) if m else side


def _side_at(side: str) -> re.Pattern[str]:
    """Where a line names a side, as one phrase, and the rest of its last word ("a100" in "A100s")."""
    return re.compile(rf"\b{re.escape(side)}\w*", re.I)


def compose(index: Index, query: Query, ranked: list[Candidate], facts: list[Fact]) -> Composed:
    """The short answer and the passages it was read from; the first rule that applies wins."""
    top = focus(index, ranked, query)
    service = index.services.get(top.service or "")
    prefix = f"{service.label} — " if service and service.label.lower() not in top.text.lower() else ""
    opens = is_introducer(top) or _heads_list(index, top)
    # a list asked and the line names its items itself, under a label the question uses ("codecs: gzip, snappy,
    # lz4") or with none, items the question names: the line, not its siblings
    label = enumerates(top.text) if query.kind is QuestionKind.LIST and not opens else None
    inline = label is not None and bool(set(terms(label or top.text)) & set(query.terms))
    if inline and top.section:
        # unless the list the line belongs to is named by more of the question ("tomato (sauce tomate) ->
        # marinara, creole" under "THE 5 MOTHER SAUCES", asked "what are the mother sauces")
        weights = coverage_weights(index, query)
        inline = weight_in(weights, top.section[-1]) <= weight_in(weights, label or top.text)
    if (query.kind is QuestionKind.LIST or (opens and query.kind is not QuestionKind.COMPARISON)) and not inline:
        listed = revised_list(index, top, prefix, entries_only=query.kind is QuestionKind.LIST, query=query)
        if listed:
            return listed
    if query.kind in (QuestionKind.FEATURE, QuestionKind.BEST_PRACTICE) and top.section and not opens:
        # the question names the list the line is an item of, and nothing of the item itself ("what do I
        # check before a landscape shoot" under "Checklist: before a landscape shoot"): the list is the answer
        weights = coverage_weights(index, query)
        named = weight_in(weights, top.section[-1])  # most of what the question asks is the list's name
        if not weight_in(weights, top.text) and 2 * named > sum(w for _, w, _ in weights):
            listed = revised_list(index, top, prefix, entries_only=False, query=query)
            if listed:
                return listed
    if inline:  # the items are the answer: nothing after them completes it
        return Composed(prefix + excerpt(index, query, top.text, MAX_ANSWER - len(prefix)), (top,))
    for rule in (_named_by_next_line, _answered_next, _anaphora, _list_after):
        found = rule(index, top)
        if found:
            return Composed(prefix + excerpt(index, query, found[0], MAX_ANSWER - len(prefix)), found[1])
    found = _figure_before(index, query, top) or _field_asked(index, query, top) or _advice(index, query, top)
    if found:
        return Composed(prefix + excerpt(index, query, found[0], MAX_ANSWER - len(prefix)), found[1])
    used = _continued(index, query, top)
    if len(used) == 1:
        compared = _comparison(index, query, top, ranked, prefix)
        if compared:
            return compared
    text = " — ".join(p.text for p in used) if len(used) > 1 else top.text
    if len(used) == 1 and len(text) < 30 and top.section and top.section[-1].lower() not in text.lower():
        text = f"{top.section[-1]}: {text}"
    else:
        text = _named(query, top, service.label if service else "", text)
    tail = converted(facts[0], query, text) if facts else ""
    revised = revision(index, used)
    if revised is not None:
        tail += " — " + _clip(revised.text, MAX_ANSWER // 2)
    text = prefix + excerpt(index, query, text, MAX_ANSWER - len(prefix) - len(tail)) + tail
    return Composed(text, (*used, *([revised] if revised else [])), revised=revised)


def _named(query: Query, top: Passage, service: str, text: str) -> str:
    """ "Which mode does Fargate support?" answered by "the only mode fargate supports" under the item
    "awsvpc": the answer says the name of the item (or heading) the line belongs to."""
    parent = top.local_section[-1] if top.local_section else ""
    if not parent or top.is_heading or not (ASKS_NAME.search(query.normalised) or _names_asked(query, parent, text)):
        return text
    if top.kind not in (BlockKind.ITEM, BlockKind.STEP, BlockKind.PARAGRAPH) or len(top.local_section) < 2:
        return text  # a line right under its subject's heading belongs to no named item
    if parent.lower() in text.lower() or parent.lower() == service.lower() or FINITE_VERB.search(f" {parent} "):
        return text  # already named, or the parent is a sentence rather than a name
    return f"{parent}: {text}"


def _names_asked(query: Query, parent: str, text: str) -> bool:
    """The noun asked for ("what role ...") is in the item the line belongs to ("task execution role"), not
    in the line itself: the item is what is asked for."""
    asked = set(terms(query.asked or ""))
    return bool(asked) and bool(asked & set(terms(parent))) and not asked & set(terms(text))


def converted(fact: Fact, query: Query, text: str = "") -> str:
    """'(= 15 minutes)' when the question asks in another unit of the same family."""
    if not (query.unit and fact.base_value is not None and fact.unit and query.unit != fact.unit):
        return ""
    if family_of(fact.unit) != query.unit_family or query.unit_family in UNCONVERTED:
        return ""  # a price per GB is not a size; 350 °F is not 350 °C
    for spelling, (unit, family, factor) in UNITS.items():
        if unit == query.unit and family == query.unit_family and spelling == unit.lower():

            def fmt(v: float) -> str:
                return f"{v:,.2f}".rstrip("0").rstrip(".") if v >= 1 else f"{v:.3g}"

            shown = fmt(fact.base_value / factor)
            if fact.value_max is not None and fact.value:
                shown += "–" + fmt(fact.base_value / fact.value * fact.value_max / factor)
            if re.search(rf"\b{re.escape(shown)}\s*{re.escape(unit.rstrip('s'))}", text, re.I):
                return ""  # the notes already say it in the unit asked for
            return f" (= {shown} {unit})"
    return ""
