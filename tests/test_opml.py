"""Outlines exported as OPML read as nested items on the lines their tags open on, notes under their item."""

from __future__ import annotations

from pathlib import Path

from ingest.parser import parse_text
from kg.model import BlockKind
from tests.conftest import ingest_one

OUTLINE = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>Wiring regs</title>
    <ownerName>apprentice</ownerName>
  </head>
  <body>
    <outline text="RCDs">
      <outline text="trip at 30 mA within 40 ms &amp; test monthly" _note="see reg 411.3.3&#10;UPDATE: 6-monthly now"/>
      <outline text="&lt;b&gt;Zs&lt;/b&gt; limits" _collapsed="true">
        <outline text="B32: 1.37 ohm" _complete="true"/>
      </outline>
    </outline>
    <outline text="Cable sizes"/>
  </body>
</opml>
"""


RCD = "trip at 30 mA within 40 ms & test monthly"


def test_outline_items_nest_on_their_lines() -> None:
    passages = parse_text(OUTLINE, "regs.opml")
    got = [(p.line_start, p.kind, p.section, p.text) for p in passages]
    assert got == [
        (4, BlockKind.HEADING, ("Wiring regs",), "Wiring regs"),
        (8, BlockKind.ITEM, ("Wiring regs",), "RCDs"),
        (9, BlockKind.ITEM, ("Wiring regs", "RCDs"), RCD),
        (9, BlockKind.PARAGRAPH, ("Wiring regs", "RCDs", RCD), "see reg 411.3.3"),
        (9, BlockKind.PARAGRAPH, ("Wiring regs", "RCDs", RCD), "UPDATE: 6-monthly now"),
        (10, BlockKind.ITEM, ("Wiring regs", "RCDs"), "Zs limits"),
        (11, BlockKind.ITEM, ("Wiring regs", "RCDs", "Zs limits"), "B32: 1.37 ohm"),
        (14, BlockKind.ITEM, ("Wiring regs",), "Cable sizes"),
    ]


def test_an_opml_file_that_is_no_xml_is_read_as_text() -> None:
    passages = parse_text("RCD trip time: 40 ms <unclosed\n", "regs.opml")
    assert [p.text for p in passages] == ["RCD trip time: 40 ms <unclosed"]


def test_opml_notes_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "regs.opml", OUTLINE)
    assert report.counts["passages"] == 8, report.counts
