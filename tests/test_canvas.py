"""Obsidian Canvas boards: each card's Markdown on its file line, under the label of the group framing it."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.parser import parse_text
from kg.model import BlockKind
from kg.qa.engine import Engine
from tests.conftest import ingest_one


def board(nodes: list[dict[str, object]], edges: list[dict[str, object]] | None = None) -> str:
    """A board as Obsidian saves it: tab indents, one node and one edge a line."""
    rows = ",\n".join("\t\t" + json.dumps(n, ensure_ascii=False, separators=(",", ":")) for n in nodes)
    links = ",\n".join("\t\t" + json.dumps(e, separators=(",", ":")) for e in edges or [])
    return '{\n\t"nodes":[\n' + rows + '\n\t],\n\t"edges":[\n' + links + "\n\t]\n}\n"


def card(text: str, x: int, y: int, w: int = 300, h: int = 200) -> dict[str, object]:
    return {"id": f"c{x}{y}", "type": "text", "text": text, "x": x, "y": y, "width": w, "height": h}


BOARD = board(
    [
        {"id": "g1", "type": "group", "label": "Wax & wicks", "x": 0, "y": 0, "width": 1000, "height": 600},
        {"id": "g2", "type": "group", "label": "Tins", "x": 500, "y": 300, "width": 450, "height": 280},
        card("## Wicks\n- CD 10 for 8oz tins\n- CD 12 for 3in jars", 20, 20),
        card("- 464 soy melts at 46 °C\n- pour at 57 °C", 20, 300),
        card("8oz tin: £0.62 each, MOQ 48", 520, 320),
        card("Etsy listing fee $0.20 per item", 1200, 0),
        {"id": "l1", "type": "link", "url": "https://example.com", "x": 1200, "y": 400, "width": 300, "height": 80},
        {"id": "f1", "type": "file", "file": "Suppliers.md", "x": 1200, "y": 600, "width": 300, "height": 80},
    ],
    [{"id": "e1", "fromNode": "g1", "fromSide": "right", "toNode": "l1", "toSide": "left", "label": "buy from"}],
)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_cards_read_on_their_line_under_the_group_that_frames_them() -> None:
    got = [(p.line_start, p.line_end, p.kind, p.section, p.text) for p in parse_text(BOARD, "Product line.canvas")]
    at = lambda needle: line_of(BOARD, needle)  # noqa: E731
    board, wax = "Product Line", ("Product Line", "Wax & wicks")
    assert got == [
        (1, 1, BlockKind.HEADING, (board,), board),  # the board's name titles it
        (at('"Wax'), at('"Wax'), BlockKind.HEADING, wax, "Wax & wicks"),
        (at("## Wicks"), at("## Wicks"), BlockKind.HEADING, (*wax, "Wicks"), "Wicks"),
        (at("## Wicks"), at("## Wicks"), BlockKind.ITEM, (*wax, "Wicks"), "CD 10 for 8oz tins"),
        (at("## Wicks"), at("## Wicks"), BlockKind.ITEM, (*wax, "Wicks"), "CD 12 for 3in jars"),
        # the next card, with no heading of its own, is not under the card's heading
        (at("464 soy"), at("464 soy"), BlockKind.ITEM, wax, "464 soy melts at 46 °C"),
        (at("464 soy"), at("464 soy"), BlockKind.ITEM, wax, "pour at 57 °C"),
        # a group inside a group: its label heads its cards under the outer label
        (at('"Tins"'), at('"Tins"'), BlockKind.HEADING, (*wax, "Tins"), "Tins"),
        (at("8oz tin:"), at("8oz tin:"), BlockKind.PARAGRAPH, (*wax, "Tins"), "8oz tin: £0.62 each, MOQ 48"),
        (at("Etsy"), at("Etsy"), BlockKind.PARAGRAPH, (board,), "Etsy listing fee $0.20 per item"),
    ]


def test_json_that_is_no_board_is_read_as_other_json_and_no_json_as_text() -> None:
    other = json.dumps({"title": "Wicks", "text": "CD 10 wicks suit eight ounce tins"}, indent=1)
    assert [p.text for p in parse_text(other, "wicks.canvas")][-1] == "CD 10 wicks suit eight ounce tins"
    assert [p.text for p in parse_text("CD 10 {unclosed\n", "broken.canvas")] == ["CD 10 {unclosed"]


def test_boards_are_ingested(tmp_path: Path) -> None:
    settings, _ = ingest_one(tmp_path, "Product line.canvas", BOARD)
    # several passages stand on a card's one line: the answer cites each line once, so the other citations
    # point somewhere else
    cited = [(c.source, c.lines) for c in Engine.load(settings).answer("which wick goes in 3in jars").citations]
    assert cited[0] == ("Product line.canvas", (line_of(BOARD, "## Wicks"),) * 2)
    assert len(cited) == len(set(cited)) > 1
