"""XML notes: a MediaWiki export's pages (the newest revision's wikitext under the page's title), an SMS backup's
messages under their contact, other XML as its elements' text; every block on the lines it stands on."""

from __future__ import annotations

from pathlib import Path

from ingest.parser import parse_text
from tests.conftest import ingest_one

WIKI = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">
  <siteinfo>
    <sitename>Theatre wiki</sitename>
  </siteinfo>
  <page>
    <title>The Old Library</title>
    <revision>
      <timestamp>2024-01-01T10:00:00Z</timestamp>
      <text bytes="40" xml:space="preserve">== Venue ==
Capacity 150.</text>
    </revision>
    <revision>
      <timestamp>2025-02-01T10:00:00Z</timestamp>
      <text bytes="120" xml:space="preserve">== Venue ==
{{Infobox venue
| capacity = 180
| stage_width = 8 m
}}
The '''get-in''' is via the [[Loading bay|rear doors]].&lt;ref&gt;tech spec&lt;/ref&gt;
* Power: 63 A &amp; three-phase
# Book the van
# Load the bars
{| class="wikitable"
! Lamp !! Watts !! Price
|-
| Fresnel || 1000 W || £120
|}
=== Rigging ===
UPDATE: bar load limit now 250 kg &lt;was 200&gt;
[[Category:Venues]]</text>
    </revision>
  </page>
</mediawiki>
"""

SMS = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
    "<!--File Created By SMS Backup & Restore v10.20.002 on 14/02/2025 09:30:11-->\n"
    '<smses count="3" backup_set="x" backup_date="1739525411000" type="full">\n'
    '  <sms protocol="0" address="+447700900123" type="1" contact_name="Mrs Patel"\n'
    '    body="Can you quote for the kitchen?&#10;Its 3.2m of worktop" />\n'
    '  <sms protocol="0" address="+447700900123" type="2" contact_name="Mrs Patel"\n'
    '    body="Quote: units £2,400, worktop £1,420 fitted" />\n'
    '  <mms address="+447700900123" contact_name="Mrs Patel"><parts><part ct="image/jpeg" />\n'
    '    <part ct="text/plain" text="sorry typo, the worktop is £1,240 not £1,420" /></parts></mms>\n'
    "</smses>\n"
)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_a_wiki_export_reads_each_pages_newest_revision_under_its_title() -> None:
    got = [(p.line_start, p.section[1:], p.text) for p in parse_text(WIKI, "Theatre_wiki-20250301.xml")]
    at = lambda needle: line_of(WIKI, needle)  # noqa: E731
    venue = ("Venue",)
    assert got == [
        (at("<title>"), (), "The Old Library"),
        (at("120"), venue, "Venue"),
        # a template's parameters under a line naming it
        (at("{{Infobox"), venue, "Infobox venue:"),
        (at("capacity ="), venue, "capacity: 180"),
        (at("stage_width"), venue, "stage_width: 8 m"),
        (at("get-in"), venue, "The get-in is via the rear doors. (tech spec)"),
        (at("Power"), venue, "Power: 63 A & three-phase"),
        (at("Book the van"), venue, "Book the van"),
        (at("Load the bars"), venue, "Load the bars"),
        # a table's row, labelled by its header
        (at("Fresnel"), venue, "Fresnel — Watts: 1000 W; Price: £120"),
        (at("=== Rigging"), (*venue, "Rigging"), "Rigging"),
        (at("UPDATE"), (*venue, "Rigging"), "UPDATE: bar load limit now 250 kg <was 200>"),
    ]
    assert not any("150" in text for _, _, text in got), "the older revision is not read"


def test_an_sms_backup_reads_each_message_under_its_contact() -> None:
    got = [(p.line_start, p.section, p.text) for p in parse_text(SMS, "sms-20250214093011.xml")]
    patel = ("Mrs Patel",)
    assert got == [
        # a message cites the line its element opens on
        (line_of(SMS, "Can you quote") - 1, patel, "Mrs Patel"),
        (line_of(SMS, "Can you quote") - 1, patel, "Can you quote for the kitchen? Its 3.2m of worktop"),
        (line_of(SMS, "Quote: units") - 1, patel, "Quote: units £2,400, worktop £1,420 fitted"),
        (line_of(SMS, "sorry typo"), patel, "sorry typo, the worktop is £1,240 not £1,420"),
    ]


def test_an_emoji_written_as_two_utf16_halves_is_read() -> None:
    # SMS Backup & Restore writes a character beyond the BMP as two character references, which no XML allows
    sms = SMS.replace("fitted", "fitted &#55357;&#56397;").replace("Its 3.2m", "&#55357; Its 3.2m")
    texts = [p.text for p in parse_text(sms, "sms.xml")]
    assert "Quote: units £2,400, worktop £1,420 fitted \U0001f44d" in texts
    assert "Can you quote for the kitchen? Its 3.2m of worktop" in texts


def test_other_xml_is_its_text_and_no_xml_is_plain_text() -> None:
    other = '<?xml version="1.0"?>\n<notes>\n  <note>Kiln fires at 1,240 C for cone 6</note>\n</notes>\n'
    assert [(p.line_start, p.text) for p in parse_text(other, "kiln.xml")] == [(3, "Kiln fires at 1,240 C for cone 6")]
    assert [p.text for p in parse_text("kiln fires at 1,240 C <b\n", "kiln.xml")] == ["kiln fires at 1,240 C <b"]


def test_xml_notes_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "sms-20250214093011.xml", SMS)
    assert report.counts["passages"] == 4, report.counts
