"""Fact extraction: limits, prices and features read from one passage by general rules.

What counts as a fact (the rules the hand labels in tests/fixtures/extraction_labels.jsonl follow):

* **Limit**: a number with a unit or a counted noun (``900 seconds``, ``5 TB``, ``3-63 characters``,
  ``15 replicas``, ``5x``), a bare number after a limit cue (``up to 10``) or after a ``label:``.
* **Pricing**: a money amount with its billing unit (``$0.20 per 1 million requests``, ``25 cents per
  additional GB per Month``, a unit-less ``0.0065 per hour``), a percentage said about cost or discount
  (``Up to 75% compared to On-demand``, ``costs more (20% more)``), a free tier (``First 25 GB of storage
  is free``) and a value-less ``X is free``.
* **Feature**: a capability without a quantity, only in the shapes ``Supports X``, ``Can X``, ``Has X``,
  ``Ability to X``, ``It is possible to X`` and ``<subject> supports|allows|can|has|provides X``.
  Conditionals, questions, lead-ins ending with ``:``, negations and restrictions ("only") are left out:
  a wrong feature costs more than a missed one.

What is not a fact:

* years as dates (``Nov 2017``, ``v2 - 2016``): a release date is history, not a property to answer with;
* list numbering, ``1, 2, 3`` sequences, IPs, versions (``v2``, ``Java 8``), names with digits (``EC2``,
  ``Route 53``, ``AES-256``, ``us-east-1``), URLs and HTTP status codes (a bare number with no cue);
* the numbers of a billing unit (``1 million`` in ``per 1 million requests``) and parenthesised
  restatements of the quantity before them (``(15 minutes)`` after ``900 seconds``);
* worked examples: a line doing arithmetic (``=``, ``*``, ``$0.023/60``) or a line under a heading or lead
  bullet named ``Example``/``Example 2`` gives no facts, since its numbers are inputs and results of a
  calculation, not properties of the service; illustrations after ``ex:``/``e.g.`` are skipped the same way.
"""

from __future__ import annotations

import re
from dataclasses import replace

from kg import units
from kg.model import BlockKind, Fact, FactKind, Passage, content_id
from kg.units import Quantity
from kg.vocab import (
    APPROX_WORDS,
    COST_WORDS,
    LABEL_FILLER,
    LABEL_KEEP_FIRST,
    NUMBER_GAP_WORDS,
    PERIODS,
    word_pattern,
)

ARITHMETIC = re.compile(r"=|[\d)X]\s*[*×]\s*[\d$(X]|\d\s*/\s*\d|\$[\d.]+\s*/\s*\d|\d\s+x\s+\d")
EXAMPLE_SECTION = re.compile(r"^(?:worked\s+)?example\b", re.I)
ILLUSTRATION = re.compile(r"\b(?:ex|e\.g|eg)\s*[:.]|\bfor example\b", re.I)
URLISH = re.compile(r"https?://\S+|\S+\.(?:com|org|net|io|info)\S*|\$\{[^}]*\}|\{[^}]*\}|`[^`]*`")
DATE_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*$", re.I)

UP_TO = re.compile(r"\b(?:up\s+to|as\s+many\s+as)\s*$", re.I)
MAX_CUE = re.compile(
    r"\b(?:max(?:imum)?|at\s+most|not\s+exceed|no\s+more\s+than|less\s+than|under|sub|increased\s+to|"
    r"limit(?:ed)?\s+(?:of|to))\b|<=?",
    re.I,
)
MIN_CUE = re.compile(r"\b(?:min(?:imum)?|at\s+least|more\s+than|over|no\s+less\s+than)\b|>=?", re.I)
DEFAULT_CUE = re.compile(r"\bdefault\b", re.I)
APPROX_CUE = re.compile(r"~\s*$|" + word_pattern(APPROX_WORDS) + r"\s*$", re.I)
LIMIT_CUE_BEFORE = re.compile(
    r"\b(?:up\s+to|as\s+many\s+as|max(?:imum)?|min(?:imum)?|at\s+least|at\s+most|limit(?:ed)?\s+(?:of|to))"
    r"\s*(?:is|of)?\s*$",
    re.I,
)

FREE = re.compile(r"\bfree\b(?!\s+(?:to|naming)\b)", re.I)
DISCOUNT = re.compile(
    r"\bdiscount|\bcompared\s+to\s+on-?demand|\bcheaper\b|\bsav(?:e|es|ing|ings)\b|"
    r"\d\s*%\s*off\b",
    re.I,
)
COST = re.compile(word_pattern(COST_WORDS), re.I)
BILLING_SEG = re.compile(
    r"\s*(?:per|/|for\s+every|for\s+each|for(?=\s+\d))\s+"
    r"(?P<n>(?:\d[\d,.]*\s+)?(?:(?:thousand|million|billion)\s+)?)?(?:additional\s+)?"
    r"(?P<what>[A-Za-z][\w-]*)(?:\s+(?P<w2>[a-z]+))?",
    re.I,
)
VERBS = re.compile(
    r"\s(?:is|are|was|were|can|could|will|must|should|may|has|have|had|gets?|comes?|grows?|takes?|"
    r"allows?|supports?|contains?|runs?|needs?|requires?|claims?)\s",
    re.I,
)
OTHER_QUANTITY = re.compile(r"(?<![\w.-])[~$]?\d[\d,.]*\s*(?:[A-Za-z%]+(?:/[A-Za-z]+)?\b)?")
CLAUSE_SPLIT = re.compile(r"[;:]\s|\s[-–—]\s|,\s|\s=\s")

FEATURE_LEAD = re.compile(
    r"^(?:supports?|support\s+for|can(?!\s*not\b|'t)|has|ability\s+to|possibility\s+to|"
    r"(?:it\s+is|it's)\s+possible\s+to|allows?)\s+(?P<obj>.+)$",
    re.I,
)
FEATURE_SUBJECT = re.compile(
    r"^(?P<subj>[^.;:?!]{1,70}?)\s+(?:supports?|allows?|can(?!\s*not\b|'t)(?:\s+be)?|has|provides?|"
    r"offers?|enables?)\s+(?P<obj>.+)$",
    re.I,
)
NOT_FEATURE = re.compile(
    r"^(?:if|when|where|why|what|how|which|whether|or|but|note|so|then|otherwise|because|make\s+sure|"
    r"remember|be\s+careful)\b|"
    r"\b(?:not|never|only|cannot|can't|won't|don't|doesn't|no)\b",
    re.I,
)
# A subject that is a clause ("Burst means that the instance has ...") or a pronoun is no service subject.
BAD_SUBJECT = re.compile(r"\b(?:i|we|they|he|she|so)$|\b(?:that|means|is|are|which|who)\b", re.I)
DATED = re.compile(r"^(?:[A-Z][a-z]{2,8}\.?\s+)?(?:19|20)\d\d\s*:\s*")
FREE_STATEMENT = re.compile(r"^(?P<subj>[^.;:?!]{1,60}?)\s+(?:is|are)\s+free\b(?!\s+to\b)", re.I)


def extract_facts(passage: Passage, service_id: str) -> list[Fact]:
    """The facts one passage states, in text order; the same passage always gives the same facts."""
    if passage.is_heading or passage.kind is BlockKind.CODE or not passage.text.strip():
        return []  # code is kept for search, but a number in a command is not a limit
    if _is_worked_example(passage):
        return []
    if passage.kind is BlockKind.TABLE_ROW and ROW_NAME.search(passage.text):
        return _dedupe([f for cell in _row_cells(passage) for f in _quantity_facts(cell, service_id)])
    facts = _quantity_facts(passage, service_id)
    if not facts:
        facts = _free_statement(passage, service_id) or _feature(passage, service_id)
    return _dedupe(facts)


def _dedupe(facts: list[Fact]) -> list[Fact]:
    seen: set[str] = set()
    out = []
    for f in facts:
        if f.id not in seen:
            seen.add(f.id)
            out.append(f)
    return out


# A table row as the Markdown reader writes it: "memory — default: 128 MB; max: 10,240 MB".
ROW_NAME = re.compile(r"^(?P<name>[^—]{1,80}?) — (?P<cells>.+)$")
LEADING_QUANTITY = re.compile(r"^\s*(?:[~≈<>≤≥]|up to\s+)?[$€£]?\d")


def _row_cells(passage: Passage) -> list[Passage]:
    """One reading per cell, labelled by the row's name and the cell's column: "default: 128 MB" in the
    "memory" row reads "default memory: 128 MB" (the column says which bound, the row says of what)."""
    m = ROW_NAME.match(passage.text)
    if m is None:
        return [passage]
    name = m["name"].strip()
    out = []
    for cell in m["cells"].split("; "):
        header, sep, value = cell.partition(": ")
        if not sep:
            out.append(replace(passage, text=f"{name}: {cell}"))
        elif LEADING_QUANTITY.match(value):
            out.append(replace(passage, text=f"{header} {name}: {value}"))
        else:
            out.append(replace(passage, text=f"{name}: {value}"))  # a remark column: its own words label it
    return out


def _is_worked_example(passage: Passage) -> bool:
    if passage.section and EXAMPLE_SECTION.match(passage.section[-1]):
        return True
    masked = URLISH.sub(" ", passage.text)
    return bool(re.search(r"\d", masked)) and bool(ARITHMETIC.search(masked))


def _mask(text: str) -> str:
    """Blank out URLs, placeholders and illustrations so their digits are never read, keeping offsets."""
    text = URLISH.sub(lambda m: " " * len(m.group()), text)
    ill = ILLUSTRATION.search(text)
    if ill:
        text = text[: ill.start()] + " " * (len(text) - ill.start())
    return text


def _quantity_facts(passage: Passage, service_id: str) -> list[Fact]:
    text = passage.text
    masked = _mask(text)
    facts: list[Fact] = []
    consumed_until = -1  # end of the last billing unit or restated quantity: numbers inside are no facts
    prev: tuple[Quantity, int] | None = None
    for q in units.parse_quantity(masked, passage.decimal_comma):
        start, end = q.span
        if start < consumed_until:
            continue
        if prev is not None and _restates(masked, prev, q):
            consumed_until = q.span[1]
            continue
        fact, fact_end = _fact_for(passage, service_id, masked, q)
        if fact is None:
            continue
        facts.append(fact)
        # "200 messages per 24 hours": the period of a rate is part of it, not a fact of its own
        period = re.match(r"\s+per\s+[\d,.]+\s+[A-Za-z]+", masked[fact_end:])
        consumed_until = fact_end + (period.end() if period else 0)
        prev = (q, fact_end)
    return facts


def _restates(text: str, prev: tuple[Quantity, int], q: Quantity) -> bool:
    """ "900 seconds (15 minutes)", "$0.20 per 1 million requests ($0.0000002 per request)"."""
    p, p_end = prev
    if not re.fullmatch(r"\s*(?:\w+\s*)?\(\s*", text[p_end : q.span[0]]):
        return False
    if p.family != q.family or q.family in ("none", "count"):
        return False
    if q.family == "money":
        return True
    return p.base_value is not None and q.base_value is not None and abs(p.base_value - q.base_value) < 1e-9


def _fact_for(passage: Passage, service_id: str, text: str, q: Quantity) -> tuple[Fact | None, int]:
    start, end = q.span
    if q.family == "time" and q.unit == "years" and q.value >= 1900:
        return None, end
    if re.search(r"\bno\s+$", text[:start], re.I):
        return None, end  # "No 2 items ... can have": a negation, not a count
    if q.family == "money":
        return _price(passage, service_id, text, q, q.value)
    if q.unit is None:
        billing, bend = _billing(text, end)
        if billing and billing.split()[1].lower() in PERIODS:
            return _price(passage, service_id, text, q, q.value)
        q = _bare(text, q)
        if q.unit is None and not _labelled_bare(text, start, end, q.value):
            return None, end
        end = q.span[1]
    return _limit_or_discount(passage, service_id, text, q), end


def _bare(text: str, q: Quantity) -> Quantity:
    """ "up to 5 LSI's per table": after a limit cue any noun is what is counted."""
    if not LIMIT_CUE_BEFORE.search(text[: q.span[0]]):
        return q
    word, wend = units.next_word(text, q.span[1])
    if word is None:
        return q
    base_value, base_unit = units.to_base(q.value, word)
    return Quantity(q.value, word, base_value, base_unit, (q.span[0], wend), "count", q.value_max, q.approx)


def _labelled_bare(text: str, start: int, end: int, value: float) -> bool:
    """A bare number is a fact after a limit cue, or as the whole value of "label: N"."""
    before = text[:start]
    if 1900 <= value <= 2100 and value == int(value):
        return False  # a year used as a date
    if DATE_MONTH.search(before):
        return False
    if LIMIT_CUE_BEFORE.search(before):
        return True
    after = text[end:]
    if re.search(r"\w[\w)\"' ]*:\s*$", before) and re.match(r"\s*(?:$|\(|\.\s*$|,\s*[^\d\s])", after):
        return True
    return False


def _billing(text: str, pos: int) -> tuple[str | None, int]:
    """ "per 1 million requests", "per GB per month", "for every 10 units" after a price."""
    parts: list[str] = []
    while True:
        m = BILLING_SEG.match(text, pos)
        if not m or m.group("what").lower() in NUMBER_GAP_WORDS:
            break
        n = (m.group("n") or "").strip()
        what, w2 = m.group("what").lower(), (m.group("w2") or "").lower()
        # "per shard hour", "per 1,000 state transitions": a second word belongs if it is a period or a noun
        if w2 and (w2 in PERIODS or units.is_count_noun(w2)):
            what, pos = f"{what} {w2}", m.end()
        else:
            pos = m.end("what")
        parts.append(f"per {n + ' ' if n else ''}{what}")
    return (" ".join(parts) if parts else None), pos


def _price(passage: Passage, service_id: str, text: str, q: Quantity, value: float) -> tuple[Fact, int]:
    billing, bend = _billing(text, q.span[1])
    qualifier = "free" if FREE.search(text[q.span[1] :][:40]) else _qualifier(text, q)
    label = _label(passage, text, q) or _normalise_label(passage.section[-1] if passage.section else "price")
    fact = _make(passage, service_id, FactKind.PRICING, label, text, q, value, q.unit or "USD", qualifier, billing)
    return fact, max(bend, q.span[1])


def _limit_or_discount(passage: Passage, service_id: str, text: str, q: Quantity) -> Fact:
    kind, qualifier = FactKind.LIMIT, _qualifier(text, q)
    if FREE.search(text):
        kind, qualifier = FactKind.PRICING, "free"
    elif q.family == "percent" and DISCOUNT.search(text):
        kind, qualifier = FactKind.PRICING, "discount"
    elif q.family == "percent" and COST.search(text):
        kind = FactKind.PRICING
    label = _label(passage, text, q) or _normalise_label(passage.section[-1] if passage.section else "value")
    return _make(passage, service_id, kind, label, text, q, q.value, q.unit, qualifier, None)


def _qualifier(text: str, q: Quantity) -> str | None:
    if q.value_max is not None:
        return "range"
    start, end = q.span
    clause = CLAUSE_SPLIT.split(text[:start])[-1] if text[:start] else ""
    window = clause[-30:]
    after = text[end : end + 25]
    if UP_TO.search(window):
        return "up to"
    if q.approx or APPROX_CUE.search(window):
        return "approx"
    if MAX_CUE.search(window):
        return "max"
    if MIN_CUE.search(window):
        return "min"
    post = re.match(r"[^,;.(]{0,20}\b(?P<w>minimum|min|maximum|max)\b", after, re.I)
    if post:
        return "min" if post.group("w").lower().startswith("min") else "max"
    if DEFAULT_CUE.search(window) or re.match(r"[^,;.]{0,12}\bdefault\b", after, re.I):
        return "default"
    return None


def _label(passage: Passage, text: str, q: Quantity) -> str:
    """What is measured, in the passage's words: the clause before the number, else the counted noun."""
    piece = _label_before(text[: q.span[0]])
    counted = q.unit is not None and q.unit.split("/")[0].lower() not in units.UNITS
    noun = _noun_phrase(text, q) if counted and q.family in ("count", "rate") else ""
    if noun and (not piece or len(piece.split()) <= 3):
        piece = f"{piece} {noun}".strip() if piece and not noun.lower().startswith(piece.lower()) else noun
    if not piece:
        piece = _label_after(text, q)
    return _normalise_label(piece)


def _label_before(prefix: str) -> str:
    p = _strip_fillers(prefix)
    if p.count("(") > p.count(")"):
        inner = _strip_fillers(p[p.rfind("(") + 1 :])
        p = inner if inner else _strip_fillers(p[: p.rfind("(")])
    for raw in reversed(CLAUSE_SPLIT.split(p)):
        # Other quantities in the clause are not part of the name of this one.
        piece = _strip_fillers(OTHER_QUANTITY.sub(" ", raw))
        verb = VERBS.search(f" {piece} ")
        if verb and verb.start() > 0:
            piece = _strip_fillers(piece[: verb.start()])
        if piece:
            return " ".join(piece.split()[-8:])
    return ""


def _strip_fillers(s: str) -> str:
    s = s.strip()
    while True:
        t = re.sub(r"[\s,:;(=~$<>–—-]+$", "", s)
        t = re.sub(r"^[\s,:;)=~–—-]+", "", t)
        words = t.split()
        while words and words[-1].lower() in LABEL_FILLER and words[-1].lower() not in LABEL_KEEP_FIRST:
            words.pop()
        while words and words[0].lower() in LABEL_FILLER and words[0].lower() not in LABEL_KEEP_FIRST:
            words.pop(0)
        t = " ".join(words)
        if t == s:
            return t
        s = t


def _noun_phrase(text: str, q: Quantity) -> str:
    """ "5 LSI's per table" -> "LSI's per table"; "10 detailed monitoring metrics" -> the words after 10."""
    m = re.match(r"[\d,.]+\s*(?:thousand|million|billion)?\s*(?P<np>.*)", text[q.span[0] : q.span[1]], re.I)
    np_ = m.group("np") if m else ""
    np_ = re.sub(r"^.*?[-–—]\s*[\d,.]+\s*", "", np_) if q.value_max is not None else np_
    per = re.match(r"\s+per\s+[A-Za-z][\w']*", text[q.span[1] :])
    return (np_ + (per.group() if per else "")).strip()


def _label_after(text: str, q: Quantity) -> str:
    m = re.match(r"\s*(?:of\s+)?(?P<w>[A-Za-z][\w']*(?:\s+[a-z][\w']*){0,2})", text[q.span[1] :])
    word = m.group("w") if m else ""
    verb = VERBS.search(f" {word} ")
    word = _strip_fillers(word[: verb.start()] if verb else word)
    return "" if word.split()[:1] in (["compared"], ["than"], ["more"], ["less"]) else word


def _normalise_label(s: str) -> str:
    s = s.strip().strip("\"'“”")
    # Sentence-case words lose their capital; acronyms and identifiers (US-EAST-1, LSI's) keep theirs.
    words = [w.lower() if re.fullmatch(r"[A-Z][a-z]+", w) else w for w in s.split()]
    return " ".join(words)[:80]


def _make(
    passage: Passage,
    service_id: str,
    kind: FactKind,
    label: str,
    text: str,
    q: Quantity | None,
    value: float | None,
    unit: str | None,
    qualifier: str | None,
    billing: str | None,
) -> Fact:
    base_value, base_unit = units.to_base(value, unit) if value is not None else (None, None)
    value_max = q.value_max if q is not None else None
    return Fact(
        id=content_id(passage.id, kind, label, value, unit, prefix="fact-"),
        kind=kind,
        service=service_id,
        label=label,
        passage=passage.id,
        text=_phrase(passage.text, q),
        value=value,
        unit=unit,
        base_value=base_value,
        base_unit=base_unit,
        qualifier=qualifier,
        value_max=value_max,
        billing_unit=billing,
    )


def _phrase(text: str, q: Quantity | None) -> str:
    """The passage itself when short, else the 160 characters around the quantity."""
    if len(text) <= 160 or q is None:
        return text
    lo = max(0, q.span[0] - 80)
    return text[lo : lo + 160].strip()


def _free_statement(passage: Passage, service_id: str) -> list[Fact]:
    m = FREE_STATEMENT.match(passage.text.strip())
    if not m:
        return []
    label = _normalise_label(m.group("subj"))
    return [_make(passage, service_id, FactKind.PRICING, label, passage.text, None, None, None, "free", None)]


def _feature(passage: Passage, service_id: str) -> list[Fact]:
    # "Nov 2017: You can resize ..." - the date says when the feature arrived, not what it is
    text = DATED.sub("", passage.text.strip()).rstrip(".")
    if text.endswith((":", "?")) or len(text.split()) > 30 or COST.search(text) or NOT_FEATURE.search(text):
        return []
    m = FEATURE_LEAD.match(text) or FEATURE_SUBJECT.match(text)
    if not m:
        return []
    subj = m.groupdict().get("subj") or ""
    if len(subj.split()) > 8 or BAD_SUBJECT.search(subj.strip()):
        return []
    obj = re.split(r"[,;(]|\s[-–—]\s|\s+but\s", m.group("obj"))[0].strip()
    if not obj:
        return []
    label = _normalise_label(" ".join(obj.split()[:8]))
    return [_make(passage, service_id, FactKind.FEATURE, label, passage.text, None, None, None, None, None)]
