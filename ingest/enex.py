"""Evernote exports (``.enex``): an XML file of notes, each with its title and its body in ENML, Evernote's
XHTML, kept in a CDATA section (older exporters escape it instead).

Each note's title is a heading over its body, and the body is read as the HTML reader reads a web page
(``ingest.htmlblock``): ``<div>`` paragraphs, lists, ``<en-todo>`` checklists, tables; the body's own headings sit
one level under the note's title. Each block cites the lines of the file it stands on. Attachments
(``<resource>``, base64 data), tags and dates carry no notes. A file with no ``<note>`` is read as plain text.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from ingest.document import Block, clean
from ingest.htmlblock import html_blocks
from ingest.markdown import blocks_to_passages
from kg.model import BlockKind, Passage

ENEX_SUFFIXES = (".enex",)
NOTE = re.compile(r"<note>(?P<note>.*?)</note>", re.S)
TITLE = re.compile(r"<title>(?P<title>.*?)</title>", re.S)
CONTENT = re.compile(r"<content>(?P<content>.*?)</content>", re.S)
CDATA = re.compile(r"^\s*<!\[CDATA\[(?P<body>.*?)\]\]>\s*$", re.S)
MAX_LEVEL = 6


def _line(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def _body_blocks(text: str, start: int, body: str) -> list[Block]:
    """The blocks of a note's ENML body found at offset ``start`` of the file, headings one level down."""
    blocks = html_blocks(body, _line(text, start))
    return [replace(b, level=min(b.level + 1, MAX_LEVEL)) if b.is_heading and b.level else b for b in blocks]


def parse_enex(text: str, rel: str) -> list[Passage] | None:
    """Passages of an Evernote export, or None when the file holds no note."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    found = False
    for note in NOTE.finditer(text):
        found = True
        inner, offset = note.group("note"), note.start("note")
        if title := TITLE.search(inner):
            name = clean(html.unescape(title.group("title")))
            line = _line(text, offset + title.start("title"))
            if name:
                blocks.append(Block(BlockKind.HEADING, name, line, line, 1))
        content = CONTENT.search(inner)
        if content is None:
            continue
        start = offset + content.start("content")
        raw = content.group("content")
        if cdata := CDATA.match(raw):
            blocks += _body_blocks(text, start + cdata.start("body"), cdata.group("body"))
        else:  # the ENML escaped as XML text: unescaping keeps its line breaks where they were
            blocks += _body_blocks(text, start, html.unescape(raw))
    return blocks_to_passages(blocks, rel) if found else None
