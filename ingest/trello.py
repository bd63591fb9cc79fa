"""Trello boards exported as JSON (Menu → Print, export and share → Export as JSON): the board's lists, its cards,
their checklists and the comments on them, which the export links by ids only.

The board's name titles it; each list is a heading over its cards, each card a heading over what it holds:
its description (Markdown in one JSON string, so every line of it cites that file line), its due date, its
checklists (each item under the checklist's name) and the comments on it, oldest first (a later comment that
corrects a figure comes after it). Labels, members, preferences and other actions carry no notes. A file that
is no board is read as other JSON is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.document import Block, clean
from ingest.jsonnotes import Node, Text, scan
from ingest.markdown import distinct_passages, string_blocks
from kg.model import BlockKind, Passage


@dataclass
class _Card:
    name: Text | None
    node: Node
    checklists: list[Node] = field(default_factory=list)
    comments: list[tuple[str, Text]] = field(default_factory=list)  # (date, text)


def _text(node: Node | Text | None, key: str) -> Text | None:
    value = node.get(key) if isinstance(node, Node) else None
    return value if isinstance(value, Text) and value.value.strip() else None


def _objects(node: Node | Text | None) -> list[Node]:
    return [v for _, v in node.items if isinstance(v, Node) and v.is_object] if isinstance(node, Node) else []


def _board(text: str) -> Node | None:
    try:
        values = scan(text)
    except (ValueError, RecursionError):
        return None
    root = values[0] if len(values) == 1 and isinstance(values[0], Node) and values[0].is_object else None
    if root is None or not isinstance(root.get("lists"), Node):
        return None
    return root if any(_text(card, "idList") for card in _objects(root.get("cards"))) else None


def _markdown(t: Text, depth: int) -> list[Block]:
    """A description's or comment's Markdown on its file line, its headings under ``depth`` levels."""
    return string_blocks(t.value, t.line, max(t.end, t.line), depth)


def _heading(t: Text, level: int) -> Block:
    return Block(BlockKind.HEADING, clean(t.value), t.line, t.line, level)


def _card_blocks(card: _Card, level: int) -> list[Block]:
    head = [_heading(card.name, level)] if card.name else []
    out = list(head)
    if desc := _text(card.node, "desc"):
        read = _markdown(desc, level)
        # a heading of the description heads none of what follows it: the card's heading is read again over
        # that (the passage it gives is the one read before)
        out += read + (head if any(b.is_heading for b in read) else [])
    if due := _text(card.node, "due"):
        out.append(Block(BlockKind.PARAGRAPH, f"due: {due.value[:10]}", due.line, due.line))
    for checklist in card.checklists:
        name = _text(checklist, "name")
        under = (clean(name.value),) if name else ()
        if name:
            out.append(Block(BlockKind.ITEM, clean(name.value), name.line, name.line))
        for item in _objects(checklist.get("checkItems")):
            if said := _text(item, "name"):
                out.append(Block(BlockKind.ITEM, clean(said.value), said.line, said.line, parents=under))
    for _, comment in sorted(card.comments, key=lambda c: c[0]):
        out += _markdown(comment, level)
    return out


def parse_trello(text: str, rel: str) -> list[Passage] | None:
    """Passages of a Trello board's export, or None when the file is no board (to be read as other JSON)."""
    board = _board(text)
    if board is None:
        return None
    cards: dict[str, _Card] = {}
    order: list[_Card] = []
    for node in _objects(board.get("cards")):
        card = _Card(_text(node, "name"), node)
        order.append(card)
        if cid := _text(node, "id"):
            cards[cid.value] = card
    for checklist in _objects(board.get("checklists")):
        if (cid := _text(checklist, "idCard")) and cid.value in cards:
            cards[cid.value].checklists.append(checklist)
    for action in _objects(board.get("actions")):
        data = action.get("data")
        said, kind = _text(data, "text"), _text(action, "type")
        if said is None or kind is None or kind.value != "commentCard":
            continue
        on = data.get("card") if isinstance(data, Node) else None
        cid = _text(on, "id")
        if cid is None:
            continue
        if cid.value not in cards:  # a comment on a card the export leaves out: under that card's name
            cards[cid.value] = _Card(_text(on, "name"), Node(said.line, True))
            order.append(cards[cid.value])
        date = _text(action, "date")
        cards[cid.value].comments.append((date.value if date else "", said))
    blocks: list[Block] = []
    if title := _text(board, "name"):
        blocks.append(_heading(title, 1))
    if desc := _text(board, "desc"):
        blocks += _markdown(desc, 1)
    placed: set[int] = set()
    for lst in _objects(board.get("lists")):
        lid, name = _text(lst, "id"), _text(lst, "name")
        held = [c for c in order if lid and (on := _text(c.node, "idList")) and on.value == lid.value]
        if not held:
            continue
        if name:
            blocks.append(_heading(name, 2))
        for card in held:
            placed.add(id(card))
            blocks += _card_blocks(card, 3 if name else 2)
    for card in order:
        if id(card) not in placed:
            blocks += _card_blocks(card, 2)
    return distinct_passages(blocks, rel)  # a heading read again is the passage read before
