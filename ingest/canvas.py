"""Obsidian Canvas boards (``.canvas``, the JSON Canvas format): cards laid out on a board, framed by groups.

Each text card is a small Markdown note kept in one JSON string, on one line of the file, so every line of a
card cites that file line. A group's label heads the cards its frame holds (the innermost frame around a card,
by their positions on the board), as a heading over them; a card's own headings sit one level under its group.
The board's name titles it all. Cards are read in the file's order, and one card's heading never heads the
next card's lines. Link, file and edge entries carry no notes. A file that is no canvas is read as other JSON is.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.document import Block, clean
from ingest.jsonnotes import Node, Text, read_json
from ingest.markdown import distinct_passages, string_blocks
from ingest.subjects import name_from_file
from kg.model import BlockKind, Passage

CANVAS_SUFFIXES = (".canvas",)


@dataclass
class _Box:
    """A card or a group: where it stands on the board and what it holds."""

    line: int
    text: str  # a card's Markdown, a group's label
    area: tuple[float, float, float, float]  # x, y, width, height
    is_group: bool

    def holds(self, other: _Box) -> bool:
        x, y, w, h = self.area
        ox, oy, ow, oh = other.area
        return other is not self and x <= ox and y <= oy and ox + ow <= x + w and oy + oh <= y + h

    @property
    def size(self) -> float:
        return self.area[2] * self.area[3]


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _boxes(text: str) -> list[_Box] | None:
    """The board's cards and groups in file order, or None when the JSON is no canvas."""
    try:
        data, values = read_json(text)
    except (ValueError, RecursionError):
        return None
    nodes = data.get("nodes") if isinstance(data, dict) else None
    root = values[0] if len(values) == 1 and isinstance(values[0], Node) else None
    lines = root.get("nodes") if root is not None else None
    if not isinstance(nodes, list) or not isinstance(lines, Node) or len(lines.items) != len(nodes):
        return None
    if not all(isinstance(n, dict) and "type" in n for n in nodes):
        return None
    boxes = []
    for node, (_, scanned) in zip(nodes, lines.items, strict=True):
        kind = node.get("type")
        key = "text" if kind == "text" else "label" if kind == "group" else None
        found = scanned.get(key) if key and isinstance(scanned, Node) else None
        if not isinstance(found, Text) or not found.value.strip():
            if kind != "group":
                continue  # a link, a file, an empty card: no notes
            found = Text("", scanned.line if isinstance(scanned, Node) else 1)
        area = tuple(_number(node.get(k)) for k in ("x", "y", "width", "height"))
        boxes.append(_Box(found.line, found.value, area, kind == "group"))  # type: ignore[arg-type]
    return boxes


def _frames(box: _Box, groups: list[_Box]) -> list[_Box]:
    """The labelled frames around a card, outermost first: each the smallest group holding the one inside it."""
    out: list[_Box] = []
    inner = box
    # a frame holds the one inside it and is not held by it, so the chain ends
    while holder := min(
        (g for g in groups if g.holds(inner) and not inner.holds(g)), key=lambda g: g.size, default=None
    ):
        out.append(holder)
        inner = holder
    return [g for g in reversed(out) if clean(g.text)]


def parse_canvas(text: str, rel: str) -> list[Passage] | None:
    """Passages of a canvas board, or None when the file is no canvas (to be read as other JSON). Cards are read
    in the file's order, so a later card (an update) comes after the cards it revises."""
    boxes = _boxes(text)
    if boxes is None:
        return None
    groups = [b for b in boxes if b.is_group]
    title = Block(BlockKind.HEADING, name_from_file(rel) or "Board", 1, 1, 1)  # the board's name over it all
    blocks = [title]
    open_frames: list[_Box] = []
    deepest = 1  # the deepest heading level open
    for card in (b for b in boxes if not b.is_group):
        frames = _frames(card, groups)
        depth = len(frames) + 1
        if frames != open_frames or deepest > depth:
            # a card's heading heads none of the next card's lines: the frames' headings (or the board's title)
            # are read again over it; the passages they give are the ones read before
            heads = [Block(BlockKind.HEADING, clean(f.text), f.line, f.line, i + 2) for i, f in enumerate(frames)]
            blocks += heads or [title]
            open_frames = frames
        read = string_blocks(card.text, card.line, card.line, depth)  # under the board's title and its frames
        blocks += read
        deepest = max((b.level for b in read if b.is_heading and b.level), default=depth)
    return distinct_passages(blocks, rel)  # a heading read again is the passage read before
