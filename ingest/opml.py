"""Outlines exported as OPML (OmniOutliner, Dynalist, WorkFlowy, Logseq, mind-map apps): each ``<outline>``
element is an item of the outline, its ``text`` (or ``title``) the item's text, nested under the items it sits
in; a ``_note`` attribute (an outliner's note on an item) gives lines under its item. The ``<head>``'s
``<title>`` titles the document. Each block cites the line its element's tag opens on. A file that is no XML
is read as plain text.
"""

from __future__ import annotations

import re

from ingest.document import Block, clean
from ingest.markdown import blocks_to_passages
from ingest.xmlscan import At, scan_xml, xml_bytes
from kg.model import BlockKind, Passage

OPML_SUFFIXES = (".opml",)
TAG = re.compile(r"<[^<>]+>")  # markup some outliners keep inside an item's text ("<b>Zs</b>")


def _text(value: str) -> str:
    return clean(TAG.sub("", value))


class _Outline:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.path: list[str] = []  # the texts of the open outline elements, outermost first
        self.opened: list[bool] = []  # whether each open element put its text on the path
        self.in_title = False
        self.title: list[str] = []
        self.title_line = 0

    def start(self, at: At, name: str, attrs: dict[str, str]) -> None:
        line = at.line
        if name == "title" and not self.opened:
            self.in_title, self.title_line = True, line
            return
        if name != "outline":
            return
        text = _text(attrs.get("text") or attrs.get("title") or "")
        if text:
            self.blocks.append(Block(BlockKind.ITEM, text, line, line, parents=tuple(self.path)))
        note = attrs.get("_note", "")
        under = (*self.path, text) if text else tuple(self.path)
        for raw in note.split("\n"):
            if _text(raw):
                self.blocks.append(Block(BlockKind.PARAGRAPH, _text(raw), line, line, parents=under))
        self.opened.append(bool(text))
        if text:
            self.path.append(text)

    def end(self, at: At, name: str) -> None:
        if name == "title":
            self.in_title = False
        elif name == "outline" and self.opened:
            if self.opened.pop():
                self.path.pop()

    def chars(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)


def parse_opml(text: str, rel: str) -> list[Passage] | None:
    """Passages of an OPML file, or None when it is no XML (to be read as plain text)."""
    out = _Outline()
    if not scan_xml(xml_bytes(text), out.start, out.end, out.chars):
        return None
    blocks = out.blocks
    title = _text("".join(out.title))
    if title:
        blocks = [Block(BlockKind.HEADING, title, out.title_line, out.title_line, 1), *blocks]
    return blocks_to_passages(blocks, rel)
