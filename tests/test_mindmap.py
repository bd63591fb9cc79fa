"""Freeplane and FreeMind maps: each node an item under the nodes it branches from, its notes and attributes
under it, every block on the lines it stands on."""

from __future__ import annotations

from pathlib import Path

from ingest.parser import parse_text
from kg.model import BlockKind
from tests.conftest import ingest_one

MAP = """<map version="freeplane 1.9.13">
<!--To view this file, download free mind mapping software Freeplane from https://www.freeplane.org -->
<node TEXT="Bike control" FOLDED="false" ID="ID_1" CREATED="1700000000000" MODIFIED="1700000000000">
<hook NAME="MapStyle">
    <properties edgeColorConfiguration="#808080ff"/>
    <map_styles>
<stylenode LOCALIZED_TEXT="styles.root_node"><stylenode TEXT="Defaults"/></stylenode>
</map_styles>
</hook>
<node TEXT="Tyres" POSITION="right" ID="ID_2">
\t<node TEXT="tread min 1mm &amp; across 3/4&#xa;of the width" ID="ID_3">
\t\t<icon BUILTIN="messagebox_warning"/>
\t\t<attribute NAME="checked" VALUE="weekly"/>
\t</node>
\t<node TEXT="pressures" ID="ID_4">
\t\t<richcontent TYPE="NOTE">
<html>
  <head>
  </head>
  <body>
    <p>
      front 33 psi, rear 36 psi
    </p>
    <ul><li>two up: rear 42 psi</li></ul>
  </body>
</html>
</richcontent>
\t</node>
\t<node ID="ID_5"><richcontent TYPE="NODE"><html><body><p>Chain slack <b>25-35mm</b></p></body></html></richcontent>
\t\t<node TEXT="check every 500 miles" ID="ID_6"/>
\t</node>
</node>
</node>
</map>
"""


def line_of(needle: str) -> int:
    return next(i for i, line in enumerate(MAP.split("\n"), 1) if needle in line)


def test_nodes_notes_and_attributes_on_the_lines_they_stand_on() -> None:
    got = [(p.line_start, p.kind, p.section, p.text) for p in parse_text(MAP, "Bike control.mm")]
    root, tyres, chain = "Bike control", "Tyres", "Chain slack 25-35mm"
    tread = "tread min 1mm & across 3/4 of the width"
    assert got == [
        (line_of('TEXT="Bike control"'), BlockKind.HEADING, (root,), root),
        (line_of('TEXT="Tyres"'), BlockKind.ITEM, (root,), tyres),
        (line_of("tread min"), BlockKind.ITEM, (root, tyres), tread),
        (line_of('NAME="checked"'), BlockKind.PARAGRAPH, (root, tyres, tread), "checked: weekly"),
        (line_of('TEXT="pressures"'), BlockKind.ITEM, (root, tyres), "pressures"),
        # a node's note: HTML read block by block under the node, each on its own line
        (line_of("front 33"), BlockKind.PARAGRAPH, (root, tyres, "pressures"), "front 33 psi, rear 36 psi"),
        (line_of("two up"), BlockKind.ITEM, (root, tyres, "pressures"), "two up: rear 42 psi"),
        # a node whose text is rich content: the text of its HTML, its children under it
        (line_of("Chain slack"), BlockKind.ITEM, (root, tyres), chain),
        (line_of("every 500"), BlockKind.ITEM, (root, tyres, chain), "check every 500 miles"),
    ]


def test_a_file_that_is_no_map_is_read_as_text() -> None:
    assert [p.text for p in parse_text("chain slack 25-35mm\n", "bike.mm")] == ["chain slack 25-35mm"]
    assert [p.text for p in parse_text("<map></map>\nchain slack 25-35mm\n", "bike.mm")] == [
        "<map></map> chain slack 25-35mm"
    ]


def test_maps_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "Bike control.mm", MAP)
    assert report.counts["passages"] == 9, report.counts
