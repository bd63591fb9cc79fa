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
from bisect import bisect_right

from ingest.document import Block, clean, headings_down
from ingest.htmlblock import html_blocks
from ingest.markdown import blocks_to_passages
from kg.model import BlockKind, Passage

ENEX_SUFFIXES = (".enex",)
NOTE = re.compile(r"<note>(?P<note>.*?)</note>", re.S)
TITLE = re.compile(r"<title>(?P<title>.*?)</title>", re.S)
CONTENT = re.compile(r"<content>(?P<content>.*?)</content>", re.S)
CDATA = re.compile(r"^\s*<!\[CDATA\[(?P<body>.*?)\]\]>\s*$", re.S)


def _body_blocks(body: str, line: int) -> list[Block]:
    """The blocks of a note's ENML body, whose first line is line ``line`` of the file, headings one level down."""
    return headings_down(html_blocks(body, line), 1)


def parse_enex(text: str, rel: str) -> list[Passage] | None:
    """Passages of an Evernote export, or None when the file holds no note."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    breaks = [m.start() for m in re.finditer("\n", text)]  # a note's line, found without counting from the top

    def line(at: int) -> int:
        return bisect_right(breaks, at - 1) + 1

    blocks: list[Block] = []
    found = False
    for note in NOTE.finditer(text):
        found = True
        inner, offset = note.group("note"), note.start("note")
        if title := TITLE.search(inner):
            name = clean(html.unescape(title.group("title")))
            at = line(offset + title.start("title"))
            if name:
                blocks.append(Block(BlockKind.HEADING, name, at, at, 1))
        content = CONTENT.search(inner)
        if content is None:
            continue
        start = offset + content.start("content")
        raw = content.group("content")
        if cdata := CDATA.match(raw):
            blocks += _body_blocks(cdata.group("body"), line(start + cdata.start("body")))
        else:  # the ENML escaped as XML text: unescaping keeps its line breaks where they were
            blocks += _body_blocks(html.unescape(raw), line(start))
    return blocks_to_passages(blocks, rel) if found else None
