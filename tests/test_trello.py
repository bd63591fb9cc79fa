"""Trello board exports: lists over their cards, each card over its description, due date, checklists and the
comments on it (oldest first), though the export links them by ids only."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.parser import parse_text
from kg.model import BlockKind
from tests.conftest import ingest_one

BOARD = {
    "id": "659eb5a0c3244e29960e155b",
    "name": "Taproom Ops",
    "desc": "",
    "labels": [{"id": "659eb5dc88a209a8ae372fab", "name": "SOP", "color": "green"}],
    "lists": [
        {"id": "L1", "name": "SOPs", "closed": False, "pos": 1},
        {"id": "L2", "name": "Staff", "closed": False, "pos": 2},
    ],
    "cards": [
        {
            "id": "C2",
            "name": "Pay rates",
            "desc": "**Hourly**\n- barback: $14.00/hr\n- shift lead: $18.50/hr",
            "idList": "L2",
            "due": None,
        },
        {
            "id": "C1",
            "name": "Draft system",
            "desc": "## Gas\n- taps 1-14: CO2 at 14 PSI",
            "idList": "L1",
            "due": "2025-04-30T16:00:00.000Z",
        },
    ],
    "checklists": [
        {"id": "K1", "name": "Opening", "idCard": "C1", "checkItems": [{"id": "I1", "name": "walk-in 34-38°F"}]}
    ],
    "actions": [
        {
            "id": "A2",
            "type": "commentCard",
            "date": "2025-01-10T23:02:41.118Z",
            "data": {"text": "shift lead rate goes to $19.25/hr", "card": {"id": "C2", "name": "Pay rates"}},
        },
        {
            "id": "A1",
            "type": "commentCard",
            "date": "2024-12-01T10:00:00.000Z",
            "data": {"text": "reviews in January", "card": {"id": "C2", "name": "Pay rates"}},
        },
        {"id": "A3", "type": "updateCard", "date": "2025-01-11T00:00:00.000Z", "data": {"card": {"id": "C2"}}},
    ],
    "members": [{"id": "M1", "fullName": "Dana Whitlock"}],
}
TEXT = json.dumps(BOARD, indent=2)


def line_of(needle: str) -> int:
    return next(i for i, line in enumerate(TEXT.split("\n"), 1) if needle in line)


def test_lists_over_cards_over_what_they_hold() -> None:
    got = [(p.line_start, p.kind, p.section[1:], p.text) for p in parse_text(TEXT, "taproom-ops.json")]
    sops, staff = ("SOPs",), ("Staff",)
    draft, pay = (*sops, "Draft system"), (*staff, "Pay rates")
    assert got == [
        (line_of('"Taproom Ops"'), BlockKind.HEADING, (), "Taproom Ops"),
        (line_of('"SOPs"'), BlockKind.HEADING, sops, "SOPs"),
        (line_of('"Draft system"'), BlockKind.HEADING, draft, "Draft system"),
        # a description's lines all cite its one line of the file; its headings sit under the card ...
        (line_of("## Gas"), BlockKind.HEADING, (*draft, "Gas"), "Gas"),
        (line_of("## Gas"), BlockKind.ITEM, (*draft, "Gas"), "taps 1-14: CO2 at 14 PSI"),
        # ... and head nothing after the description: the due date, the checklists
        (line_of('"due": "2025'), BlockKind.PARAGRAPH, draft, "due: 2025-04-30"),
        (line_of('"name": "Opening"'), BlockKind.ITEM, draft, "Opening"),
        (line_of("walk-in"), BlockKind.ITEM, (*draft, "Opening"), "walk-in 34-38°F"),
        (line_of('"Staff"'), BlockKind.HEADING, staff, "Staff"),
        (line_of('"name": "Pay rates"'), BlockKind.HEADING, pay, "Pay rates"),
        (line_of("**Hourly**"), BlockKind.HEADING, (*pay, "Hourly"), "Hourly"),
        (line_of("**Hourly**"), BlockKind.ITEM, (*pay, "Hourly"), "barback: $14.00/hr"),
        (line_of("**Hourly**"), BlockKind.ITEM, (*pay, "Hourly"), "shift lead: $18.50/hr"),
        # comments on the card, oldest first: the correction comes after what it corrects
        (line_of("reviews in January"), BlockKind.PARAGRAPH, pay, "reviews in January"),
        (line_of("$19.25"), BlockKind.PARAGRAPH, pay, "shift lead rate goes to $19.25/hr"),
    ]


def test_other_json_is_read_as_json() -> None:
    cards = {"cards": [{"front": "pint", "back": "a pint is 16 oz in the US"}], "lists": [{"name": "Pours"}]}
    assert "a pint is 16 oz in the US" in [p.text for p in parse_text(json.dumps(cards), "a.json")]


def test_boards_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "taproom-ops.json", TEXT)
    assert report.counts["passages"] == 15, report.counts
