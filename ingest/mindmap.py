"""Mind maps saved by Freeplane and FreeMind (``.mm``, their XML): a tree of ``<node>`` elements.

Each node is an item under the nodes it branches from; its text is its ``TEXT`` attribute, or the HTML of its
``<richcontent TYPE="NODE">``. The root node titles the map. A node's note and details (``<richcontent
TYPE="NOTE">`` / ``"DETAILS"``, HTML or plain text) are read as the HTML reader reads a page, under the node,
each block citing its own lines; its attributes (``<attribute NAME="cost" VALUE="£150"/>``) are lines
``cost: £150`` under it. Styles, icons, fonts, edges, links and hooks carry no notes. Each node cites the line
its tag opens on. A file that is no XML, or holds no node, is read as plain text.
"""

from __future__ import annotations

from dataclasses import replace

from ingest.document import Block, clean
from ingest.htmlblock import TAG, html_blocks
from ingest.markdown import blocks_to_passages
from ingest.xmlscan import At, scan_xml, xml_bytes
from kg.model import BlockKind, Passage

MINDMAP_SUFFIXES = (".mm",)


def _node_text(value: str) -> str:
    return clean(TAG.sub(" ", value.replace("\n", " ")))


class _Map:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.blocks: list[Block] = []
        self.path: list[str] = []  # the texts of the open nodes under the root, outermost first
        self.nodes: list[tuple[int, bool]] = []  # each open node: the index of its block (-1: none yet), on path
        self.rich: tuple[str, int, int] | None = None  # an open richcontent: its type, where its content starts
        self.in_hook = 0

    def start(self, at: At, name: str, attrs: dict[str, str]) -> None:
        line = at.line
        if name == "hook" or self.in_hook:
            self.in_hook += 1
            return
        if name == "node":
            self._open(_node_text(attrs.get("TEXT", "")), line)
        elif name == "richcontent" and self.nodes and self.rich is None:
            end = self.data.find(b">", at.byte) + 1
            self.rich = ((attrs.get("TYPE") or "NOTE").upper(), end, line + self.data.count(b"\n", at.byte, end))
        elif name == "attribute" and self.nodes and self.rich is None:
            key, value = clean(attrs.get("NAME", "")), clean(attrs.get("VALUE", ""))
            if key and value:
                self.blocks.append(Block(BlockKind.PARAGRAPH, f"{key}: {value}", line, line, parents=tuple(self.path)))

    def _open(self, text: str, line: int) -> None:
        if not self.nodes:  # the root: the map's title
            self.nodes.append((len(self.blocks), False))
            self.blocks.append(Block(BlockKind.HEADING, text, line, line, 1))
            return
        if text:
            self.nodes.append((len(self.blocks), True))
            self.blocks.append(Block(BlockKind.ITEM, text, line, line, parents=tuple(self.path)))
            self.path.append(text)
        else:  # its text may come in a richcontent of TYPE NODE
            self.nodes.append((-1, False))

    def end(self, at: At, name: str) -> None:
        if self.in_hook:
            self.in_hook -= 1
            return
        if name == "node" and self.nodes:
            _, on_path = self.nodes.pop()
            if on_path:
                self.path.pop()
        elif name == "richcontent" and self.rich is not None:
            kind, start, line = self.rich
            self.rich = None
            self._content(kind, self.data[start : at.byte].decode("utf-8", "replace"), line)

    def _content(self, kind: str, source: str, line: int) -> None:
        """A richcontent's HTML (or plain text): the text of a node that has none yet, or blocks under it."""
        blocks = [b for b in html_blocks(source, line) if b.text]
        if kind == "NODE":
            at, on_path = self.nodes[-1]
            text = clean(" ".join(b.text for b in blocks))
            if at >= 0 or not text:
                return
            if len(self.nodes) == 1:
                self.blocks.append(Block(BlockKind.HEADING, text, line, line, 1))
                self.nodes[-1] = (len(self.blocks) - 1, False)
                return
            self.nodes[-1] = (len(self.blocks), True)
            self.blocks.append(Block(BlockKind.ITEM, text, line, blocks[-1].end, parents=tuple(self.path)))
            self.path.append(text)
            return
        under = tuple(self.path)
        for b in blocks:
            kind_of = BlockKind.PARAGRAPH if b.is_heading else b.kind
            self.blocks.append(replace(b, kind=kind_of, level=0, parents=(*under, *b.parents)))


def parse_mindmap(text: str, rel: str) -> list[Passage] | None:
    """Passages of a Freeplane or FreeMind map, or None when it is no XML or holds no node (to be read as plain
    text)."""
    data = xml_bytes(text)
    out = _Map(data)
    if not scan_xml(data, out.start, out.end):
        return None
    blocks = [b for b in out.blocks if b.text]
    if not blocks:
        return None
    return blocks_to_passages(blocks, rel)
