"""Word and OpenDocument notes: documents written by real writers (python-docx from Word's own template, odfpy)
are read by their paragraphs, each citing its paragraph's line; broken ones are refused with a clear reason."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx  # python-docx: writes from Word's own template (a test dependency)
import pptx  # python-pptx: writes from PowerPoint's own template (a test dependency)
import pytest
from odf import opendocument as odf_opendocument  # odfpy (a test dependency)

from ingest.officedoc import OfficeError, is_office, office_blocks, office_lines, office_text
from ingest.parser import decode_notes, parse_bytes
from ingest.pipeline import check_file
from kg.model import BlockKind
from tests.conftest import ingest_one


def word_document() -> bytes:
    d = docx.Document()
    d.add_heading("Boiler checks", level=1)  # line 1
    d.add_paragraph("Tightness test before and after any work on the pipes:")  # 2
    d.add_paragraph("let-by test 1 min", style="List Number")  # 3
    d.add_paragraph("stabilise 1 min, then test 2 min", style="List Number")  # 4
    d.add_paragraph("")  # 5: an empty paragraph is a line
    d.add_heading("Pressures", level=2)  # 6
    p = d.add_paragraph()  # 7: a heading set by hand, bold
    p.add_run("Working pressure").bold = True
    d.add_paragraph("Natural gas: 20 mbar ± 1 at the meter", style="List Bullet")  # 8
    d.add_paragraph("LPG: 37 mbar", style="List Bullet 2")  # 9
    table = d.add_table(rows=3, cols=3)  # lines 10-12
    for r, row in enumerate(
        [("Part", "Price", "Where"), ("PRV valve", "£18.40", "merchant"), ("Flue clamp", "£6", "van")]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("UPDATE: merchant price went up in March.")  # 13
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def open_document() -> bytes:
    from odf.style import Style, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, P, Span

    doc = odf_opendocument.OpenDocumentText()
    bold = Style(name="Bold", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    doc.text.addElement(H(outlinelevel=1, text="Spring concert"))  # 1
    doc.text.addElement(P(text="Rehearsals run Tuesdays 19:30 to 21:30."))  # 2
    hand = P()
    hand.addElement(Span(stylename=bold, text="Repertoire"))
    doc.text.addElement(hand)  # 3: bold text only, a heading by hand
    outer = List()
    for title in ("Zadok the Priest", "Locus iste"):  # 4, 5
        item = ListItem()
        item.addElement(P(text=title))
        outer.addElement(item)
    nested_item = ListItem()
    nested_item.addElement(P(text="Encore"))  # 6
    inner = List()
    inner_item = ListItem()
    inner_item.addElement(P(text="Shenandoah, sopranos divisi"))  # 7
    inner.addElement(inner_item)
    nested_item.addElement(inner)
    outer.addElement(nested_item)
    doc.text.addElement(outer)
    table = Table(name="Tickets")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for row in (("Ticket", "Price"), ("Adult", "£12"), ("Under 16", "£5")):  # 8-10
        tr = TableRow()
        for value in row:
            cell = TableCell()
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.text.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def slide_deck() -> bytes:
    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])  # a title slide: the deck's title
    first.shapes.title.text = "Pharmacology wk 3"  # line 1
    first.placeholders[1].text = "Beta blockers"  # 2: its subtitle
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Atenolol"  # 3
    body = slide.placeholders[1].text_frame
    body.text = "Dose 50 mg once daily"  # 4
    deeper = body.add_paragraph()
    deeper.text, deeper.level = "max 100 mg", 1  # 5
    slide.notes_slide.notes_text_frame.text = "NB hold if HR < 60"  # 6: her speaker notes
    table_slide = deck.slides.add_slide(deck.slide_layouts[5])
    table_slide.shapes.title.text = "Normal ranges"  # 7
    table = table_slide.shapes.add_table(
        2, 2, pptx.util.Inches(1), pptx.util.Inches(2), pptx.util.Inches(4), pptx.util.Inches(1)
    ).table
    for r, row in enumerate([("Obs", "Range"), ("Resp rate", "12-20")]):  # 8, 9
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def by_line(blocks):  # type: ignore[no-untyped-def]
    return {b.start: b for b in blocks}


def test_a_word_document_is_read_by_its_paragraphs() -> None:
    data = word_document()
    assert is_office(data)
    lines = office_text(data).split("\n")
    assert lines[0] == "Boiler checks" and lines[4] == "" and lines[9] == "Part | Price | Where"
    blocks = by_line(office_blocks(data))
    assert blocks[1].kind is BlockKind.HEADING and blocks[1].level == 1
    assert blocks[3].kind is BlockKind.STEP and blocks[3].lead.startswith("Tightness test")
    assert blocks[6].kind is BlockKind.HEADING and blocks[6].level == 2
    assert blocks[7].kind is BlockKind.HEADING and blocks[7].level == 3  # bold words alone head what follows
    assert blocks[8].kind is BlockKind.ITEM and not blocks[8].parents
    assert blocks[9].kind is BlockKind.ITEM and blocks[9].parents == ("Natural gas",)
    assert 10 not in blocks  # the header row names the columns
    assert blocks[11].kind is BlockKind.TABLE_ROW and blocks[11].text == "PRV valve — Price: £18.40; Where: merchant"
    passages = {p.line_start: p for p in parse_bytes(data, "notes/boiler.docx")}
    assert passages[8].section == ("Boiler checks", "Pressures", "Working pressure")
    assert passages[11].line_end == 11 and "£18.40" in passages[11].text


def test_an_opendocument_text_is_read_by_its_paragraphs() -> None:
    data = open_document()
    assert is_office(data)
    blocks = by_line(office_blocks(data))
    assert blocks[1].kind is BlockKind.HEADING and blocks[1].level == 1
    assert blocks[2].kind is BlockKind.PARAGRAPH
    assert blocks[3].kind is BlockKind.HEADING and blocks[3].text == "Repertoire"
    assert blocks[4].kind is BlockKind.ITEM and blocks[5].text == "Locus iste"
    assert blocks[7].parents == ("Encore",)
    assert blocks[9].text == "Adult: £12" and blocks[10].text == "Under 16: £5"
    passages = {p.line_start: p for p in parse_bytes(data, "concert.odt")}
    assert passages[9].section == ("Spring concert", "Repertoire")


def test_a_slide_deck_is_read_by_its_paragraphs_and_speaker_notes() -> None:
    data = slide_deck()
    assert is_office(data)
    assert office_text(data).split("\n")[5] == "NB hold if HR < 60"
    blocks = by_line(office_blocks(data))
    assert blocks[1].kind is BlockKind.HEADING and blocks[1].level == 1
    assert blocks[3].kind is BlockKind.HEADING and blocks[3].level == 2  # a slide's title under the deck's
    assert blocks[4].kind is BlockKind.ITEM and blocks[5].parents == ("Dose 50 mg once daily",)
    assert blocks[6].kind is BlockKind.PARAGRAPH
    assert blocks[9].kind is BlockKind.TABLE_ROW and blocks[9].text == "Resp rate: 12-20"
    passages = {p.line_start: p for p in parse_bytes(data, "pharm.pptx")}
    assert passages[6].section == ("Pharmacology wk 3", "Atenolol")


WORD_XML = (
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    '<w:p><w:pPr><w:pStyle w:val="TOC1"/></w:pPr><w:r><w:t>Flues 3</w:t></w:r></w:p>'
    '<w:p><w:r><w:t>Vent</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>ilation</w:t></w:r>'
    '<w:del w:id="1"><w:r><w:delText> 100 cm²</w:delText></w:r></w:del>'
    '<w:ins w:id="2"><w:r><w:t xml:space="preserve"> 235 cm²</w:t></w:r></w:ins>'
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>, re</w:t><w:noBreakHyphen/><w:t>check</w:t></w:r></w:p>'
    "</w:body></w:document>"
)
WORD_STYLES = (
    '<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:style w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/></w:style></w:styles>'
)


def zipped(parts: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return out.getvalue()


def test_deleted_text_field_codes_and_contents_entries_say_nothing() -> None:
    data = zipped({"word/document.xml": WORD_XML, "word/styles.xml": WORD_STYLES})
    lines = office_lines(data)
    assert [line.text for line in lines] == ["Flues 3", "Ventilation 235 cm², re-check"]
    assert [(b.start, b.text) for b in office_blocks(data)] == [(2, "Ventilation 235 cm², re-check")]


def test_a_paragraph_is_one_line_whatever_its_text_holds() -> None:
    xml = WORD_XML.replace("<w:t>Vent</w:t>", "<w:t>Vent\n\u2028</w:t>")
    data = zipped({"word/document.xml": xml, "word/styles.xml": WORD_STYLES})
    assert office_text(data).split("\n") == ["Flues 3", "Vent  ilation 235 cm², re-check"]


def test_broken_documents_are_refused_with_a_reason(tmp_path: Path) -> None:
    doc = tmp_path / "notes.docx"
    assert check_file(doc, word_document(), 10_000) == ""
    assert "cannot be read" in check_file(doc, zipped({"word/document.xml": "<w:document"}), 10_000)
    assert "without a word-processor document" in check_file(doc, zipped({"readme.txt": "hello"}), 10_000)
    assert "binary file" in check_file(doc, b"PK\x05\x06" + b"\x00" * 18, 10_000)
    entity = '<!DOCTYPE d [<!ENTITY a "aaaa">]><w:document xmlns:w="x">&a;</w:document>'
    assert "document type" in check_file(doc, zipped({"word/document.xml": entity}), 10_000)
    with pytest.raises(OfficeError):
        office_lines(zipped({"content.xml": "<not xml"}))


def test_the_source_view_shows_a_documents_paragraphs() -> None:
    data = word_document()
    assert decode_notes(data).split("\n")[7] == "Natural gas: 20 mbar ± 1 at the meter"


def test_a_word_document_is_ingested_answered_and_shown_by_its_paragraphs(tmp_path: Path) -> None:
    from api.app import create_app
    from kg.qa.engine import Engine

    settings, report = ingest_one(tmp_path, "boiler.docx", word_document())
    assert report.counts["passages"] >= 8, report.counts
    engine = Engine.load(settings)
    answer = engine.answer("working pressure for natural gas at the meter")
    assert "20 mbar" in answer.answer and answer.citations[0].lines[0] == 8, answer
    client = create_app(settings, engine).test_client()
    shown = client.get("/api/v1/source", query_string={"file": "boiler.docx", "start": 8, "context": 1}).get_json()
    assert [(line["n"], line["text"], line["cited"]) for line in shown["lines"]] == [
        (7, "Working pressure", False),
        (8, "Natural gas: 20 mbar ± 1 at the meter", True),
        (9, "LPG: 37 mbar", False),
    ]
