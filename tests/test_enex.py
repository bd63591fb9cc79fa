"""Evernote exports: each note's title over its ENML body, every block on the lines it stands on."""

from __future__ import annotations

import html
from pathlib import Path

from ingest.parser import parse_text
from kg.model import BlockKind
from tests.conftest import ingest_one

BODY = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE en-note SYSTEM "http://xml.evernote.com/pub/enml2.dtd">
<en-note>
<h1>Boyle's law</h1>
<div>Pressure doubles by 10 m.</div>
<div><br/></div>
<ul>
<li><div>NDL at 18 m: <b>56 min</b></div></li>
</ul>
<div><en-todo checked="true"/>buy a log book</div>
<table><tr><td><div><b>Cylinder</b></div></td><td><div><b>Working pressure</b></div></td></tr>
<tr><td><div>12 L steel</div></td><td><div>232 bar</div></td></tr></table>
</en-note>"""


def export(body: str) -> str:
    """An export of two notes as Evernote writes it: the first body in CDATA, the second escaped (older
    exporters), and an attachment."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE en-export SYSTEM "http://xml.evernote.com/pub/evernote-export4.dtd">
<en-export export-date="20250301T101010Z" application="Evernote" version="10.105.4">
  <note>
    <title>Gas laws &amp; physics</title>
    <created>20250114T093012Z</created>
    <tag>theory</tag>
    <content>
      <![CDATA[{body}]]>
    </content>
    <resource><data encoding="base64">iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB</data></resource>
  </note>
  <note>
    <title>Nitrox</title>
    <content>{html.escape("<en-note><div>MOD for EAN32 at 1.4: 33 m</div></en-note>")}</content>
  </note>
</en-export>
"""


ENEX = export(BODY)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_each_note_is_its_title_over_its_body_on_the_lines_they_stand_on() -> None:
    got = [(p.line_start, p.kind, p.section, p.text) for p in parse_text(ENEX, "Dive Theory.enex")]
    at = lambda needle: line_of(ENEX, needle)  # noqa: E731
    gas, boyle = "Gas laws & physics", "Boyle's law"
    assert got == [
        (at("<title>Gas"), BlockKind.HEADING, (gas,), gas),
        # the body's own headings sit under the note's title
        (at("<h1>"), BlockKind.HEADING, (gas, boyle), boyle),
        (at("Pressure doubles"), BlockKind.PARAGRAPH, (gas, boyle), "Pressure doubles by 10 m."),
        (at("NDL at"), BlockKind.ITEM, (gas, boyle), "NDL at 18 m: 56 min"),
        (at("en-todo"), BlockKind.ITEM, (gas, boyle), "buy a log book"),
        (at("12 L steel"), BlockKind.TABLE_ROW, (gas, boyle), "12 L steel: 232 bar"),
        (at("<title>Nitrox"), BlockKind.HEADING, ("Nitrox",), "Nitrox"),
        (at("MOD for"), BlockKind.PARAGRAPH, ("Nitrox",), "MOD for EAN32 at 1.4: 33 m"),
    ]


def test_a_file_with_no_note_is_read_as_text() -> None:
    assert [p.text for p in parse_text("MOD for EAN32 is 33 m\n", "nitrox.enex")] == ["MOD for EAN32 is 33 m"]


def test_exports_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "Dive Theory.enex", ENEX)
    assert report.counts["passages"] == 8, report.counts
