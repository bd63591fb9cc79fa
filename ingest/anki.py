"""Flashcards exported from Anki as "Notes in Plain Text" (``.txt``): a header of ``#key:value`` lines
(``#separator:tab``, ``#html:true``, ``#notetype column:1``, ``#deck column:2``, ``#tags column:5``,
``#columns:...``), then a note per line, its fields apart by the separator (quoted as CSV when a field holds
the separator or a line break).

- a deck (``RE Exam::Math::Basics``) heads its notes, each part of its path a heading one level down;
- a note's first field (a card's front, a cloze's text) is an item of the outline; its other fields (the back,
  the extra) sit under it, so a card is found by its question and answered by what is behind it;
- a cloze deletion reads as its answer (``{{c1::Part::hint}}`` as ``Part``);
- a field's HTML reads as text: ``<br>``, ``<div>``, ``<p>`` break lines, ``<li>`` items are list items, other
  tags say nothing, entities are their characters; sounds and images say nothing;
- the note type, guid and tags columns say nothing.

Each block cites the line its note starts on.
"""

from __future__ import annotations

import csv
import html
import re

from ingest.document import Block, clean
from ingest.markdown import blocks_to_passages
from kg.model import BlockKind, Passage

HEADER = re.compile(r"^#(?P<key>[a-z ]+):(?P<value>.*)$")
SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
META_COLUMNS = ("notetype column", "deck column", "tags column", "guid column")
HEADER_LINES = 8  # an export's header is a few lines: its settings, then its notes
CLOZE = re.compile(r"\{\{c\d+::(?P<answer>.*?)(?:::(?P<hint>.*?))?\}\}", re.S)
BREAK = re.compile(r"<br\s*/?>|</?(?:div|p|ul|ol|tr|h\d)\b[^>]*>", re.I)
ITEM = re.compile(r"<li\b[^>]*>", re.I)
TAG = re.compile(r"<[^<>]*>")
MEDIA = re.compile(r"\[sound:[^\]]*\]|<img\b[^>]*>", re.I)


def header(lines: list[str]) -> tuple[dict[str, str], int]:
    """The ``#key:value`` lines a file opens with (an Anki export's settings), by key, and how many they are."""
    out: dict[str, str] = {}
    count = 0
    for line in lines:
        if not (m := HEADER.match(line)):
            break
        out[m.group("key")] = m.group("value").strip()
        count += 1
    return out, count


def is_anki(lines: list[str]) -> bool:
    """Whether a file opens with Anki's export header: a ``#separator:`` of Anki's (``tab``, ``comma`` ... or one
    character) or ``#html:true`` / ``#html:false``, and its notes apart by that separator."""
    head, count = header(lines[:HEADER_LINES])
    sep = head.get("separator")
    if sep is not None and sep.lower() not in SEPARATORS and len(sep) != 1:
        return False  # "#separator:tab off - exported as plain text": a remark, no header
    if sep is None and head.get("html", "").lower() not in ("true", "false"):
        return False
    notes = [line for line in lines[count:] if line.strip()]
    return bool(notes) and sum(_separator(head) in line for line in notes) * 2 >= len(notes)


def _separator(head: dict[str, str]) -> str:
    sep = head.get("separator", "tab")
    return SEPARATORS.get(sep.lower(), sep[:1] or "\t")


def field_lines(field: str, is_html: bool) -> list[str]:
    """A field's text, line by line: cloze deletions as their answers, HTML read."""
    text = CLOZE.sub(lambda m: m.group("answer"), MEDIA.sub("", field))
    if is_html:
        text = TAG.sub("", ITEM.sub("\n- ", BREAK.sub("\n", text.replace("\n", " "))))
        text = html.unescape(text)
    out = []
    for raw in text.split("\n"):
        item = raw.lstrip().startswith("- ")
        line = clean(raw.lstrip()[2:] if item else raw)
        if line:
            out.append(("- " if item else "") + line)
    return out


def parse_anki(text: str, rel: str) -> list[Passage] | None:
    """Passages of an Anki plain-text export, or None when the file has no Anki header."""
    lines = text.split("\n")
    if not is_anki(lines):
        return None
    settings, first = header(lines)
    is_html = settings.get("html", "false").lower() == "true"
    meta = {c for k in META_COLUMNS if (c := _column(settings, k)) is not None}
    deck_col = _column(settings, "deck column")
    type_col = _column(settings, "notetype column")
    blocks: list[Block] = []
    deck: list[str] = []
    if deck_col is None and settings.get("deck"):  # "#deck:RE Exam::Math": every note in that one deck
        at = next(i for i, line in enumerate(lines) if line.startswith("#deck:")) + 1
        deck = _deck(blocks, deck, settings["deck"], at)
    reader = csv.reader(lines[first:], delimiter=_separator(settings), quotechar='"')
    at = 0  # lines of the body read so far
    try:
        for row in reader:
            start, at = first + at + 1, reader.line_num
            if not any(f.strip() for f in row):
                continue
            if deck_col is not None and deck_col < len(row):
                deck = _deck(blocks, deck, row[deck_col], start)
            fields = [field_lines(f, is_html) for i, f in enumerate(row) if i not in meta]
            fields = [f for f in fields if f]
            if not fields:
                continue
            head, *rest = fields[0]
            blocks.append(Block(BlockKind.ITEM, head, start, start))
            # a card's back answers its front; a cloze's text is the fact itself, its extra a note beside it
            cloze = type_col is not None and type_col < len(row) and "cloze" in row[type_col].lower()
            for line in rest + [x for f in fields[1:] for x in f]:
                kind = BlockKind.ITEM if line.startswith("- ") else BlockKind.PARAGRAPH
                under = () if cloze and kind is BlockKind.PARAGRAPH else (head,)
                blocks.append(Block(kind, line.removeprefix("- "), start, start, parents=under))
    except csv.Error:
        return None
    return blocks_to_passages(blocks, rel)


def _column(settings: dict[str, str], key: str) -> int | None:
    value = settings.get(key, "")
    return int(value) - 1 if value.isdigit() and int(value) > 0 else None


def _deck(blocks: list[Block], open_: list[str], deck: str, line: int) -> list[str]:
    """Headings for the parts of a note's deck path that differ from the deck before it; the new path."""
    parts = [clean(p) for p in deck.split("::") if clean(p)]
    same = 0
    while same < min(len(parts), len(open_)) and parts[same] == open_[same]:
        same += 1
    for level in range(same, len(parts)):
        blocks.append(Block(BlockKind.HEADING, parts[level], line, line, level + 1))
    return parts
