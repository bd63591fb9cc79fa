"""Rich Text notes (TextEdit, WordPad, Word) read by the plain-text reader line for line: titles from bold
paragraphs, list markers as bullets, escapes as their characters, every block on the source line its text is on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.parser import decode_notes, parse_text
from ingest.rtf import is_rtf, rewrite_rtf
from kg.model import BlockKind, Passage
from tests.conftest import ingest_one

# as TextEdit saves a note: header tables, a bold title in a larger font, a bold section title, a bullet list,
# an empty paragraph, a paragraph right after the list, escapes for the pound sign, a curly apostrophe and the euro
TEXTEDIT = r"""{\rtf1\ansi\ansicpg1252\cocoartf2761
\cocoatextscaling0\cocoaplatform0{\fonttbl\f0\fswiss\fcharset0 Helvetica;}
{\colortbl;\red255\green255\blue255;}
{\*\expandedcolortbl;;}
{\*\listtable{\list\listtemplateid1\listhybrid{\listlevel\levelnfc23\levelnfcn23\leveljc0\leveljcn0\levelfollow0
\levelstartat1\levelspace360\levelindent0{\*\levelmarker \{disc\}}{\leveltext\leveltemplateid101\'01\uc0\u8226 ;}
{\levelnumbers;}\fi-360\li720\lin720 }{\listname ;}\listid1}}
{\*\listoverridetable{\listoverride\listid1\listoverridecount0\ls1}}
\paperw11900\paperh16840\margl1440\margr1440\vieww13440\viewh14000\viewkind0
\pard\tx560\tx1120\pardirnatural\partightenfactor0

\f0\b\fs28 \cf0 OTC counselling \'96 quick ref\
\b0\fs24 \
\b PAIN / FEVER\b0 \
\b Paracetamol\b0  adults: max 4g in 24 hrs. Don\'92t push it.\
Our prices: x16 \'a30.49, x32 \'a31.09. Travel pack \uc0\u8364 2.10\
Ask before selling:\
\pard\tx220\tx720\li720\fi-720\pardirnatural\partightenfactor0
\ls1\ilvl0\cf0 {\listtext	\uc0\u8226 	}Who is it for?\
{\listtext	\uc0\u8226 	}What are the symptoms?\
\pard\tx560\tx1120\pardirnatural\partightenfactor0
\cf0 Refer if symptoms last more than 3 days.}
"""


def at(passages: list[Passage], line: int) -> Passage:
    found = [p for p in passages if p.line_start == line]
    assert len(found) == 1, f"expected one passage starting at line {line}, got {found}"
    return found[0]


def test_a_textedit_file_reads_titles_bullets_and_escapes_each_on_its_source_line() -> None:
    ps = parse_text(TEXTEDIT, "OTC counselling.rtf")
    assert at(ps, 12).is_heading and at(ps, 12).text == "OTC counselling \u2013 quick ref"
    assert at(ps, 14).is_heading and at(ps, 14).text == "PAIN / FEVER"
    dose = at(ps, 15)
    assert not dose.is_heading and dose.text == "Paracetamol adults: max 4g in 24 hrs. Don't push it."
    assert dose.section[-1] == "PAIN / FEVER" and dose.section[0] == "OTC counselling \u2013 quick ref"
    assert at(ps, 16).text == "Our prices: x16 \u00a30.49, x32 \u00a31.09. Travel pack \u20ac2.10"
    items = [at(ps, 19), at(ps, 20)]
    assert [p.kind for p in items] == [BlockKind.ITEM, BlockKind.ITEM]
    assert [p.text for p in items] == ["Who is it for?", "What are the symptoms?"]
    assert items[0].lead == "Ask before selling"
    after = at(ps, 22)
    assert after.text == "Refer if symptoms last more than 3 days." and after.kind is BlockKind.PARAGRAPH
    assert after.lead == "", "the list ended where the paragraph settings were set back"
    said = " ".join(p.text for p in ps)
    assert "\\" not in said and "{" not in said and "Helvetica" not in said and "listtext" not in said


def test_a_paragraph_word_wrapped_over_source_lines_is_read_on_its_first_line() -> None:
    text = (
        "{\\rtf1\\ansi\\deff0 {\\fonttbl{\\f0 Calibri;}}\n\\pard\\plain Storage: keep the vaccine\n"
        " between 2 and 8\\'b0C, never frozen.\\par\n\\pard Next line.\\par\n}"
    )
    markup = rewrite_rtf(text.split("\n"))
    assert markup.lines[1] == "Storage: keep the vaccine between 2 and 8\u00b0C, never frozen."
    assert 2 in markup.dropped and markup.lines[3] == "Next line."
    ps = parse_text(text, "fridge.rtf")
    assert at(ps, 2).text.startswith("Storage: keep the vaccine between 2 and 8")


def test_rich_text_is_told_by_its_header_and_decoded_in_its_code_page() -> None:
    assert is_rtf(["", "{\\rtf1\\ansi"]) and not is_rtf(["{\\bf not rich text}"])
    raw = b"{\\rtf1\\ansi\\ansicpg1252 \\pard Price: \xa34.50\\par\n}"  # a writer that left a byte unescaped
    assert "\u00a34.50" in decode_notes(raw)
    # text that is not UTF-8 is read as Windows Notepad saved "ANSI" text; bytes that are no text are refused
    ansi = b"Heater 2 kW \x96 \xa34.50 a week at 5\xb0C\r\n"
    assert decode_notes(ansi) == "Heater 2 kW \u2013 \u00a34.50 a week at 5\u00b0C\r\n"
    with pytest.raises(UnicodeDecodeError):
        decode_notes(bytes(range(1, 256)) * 4)
    with pytest.raises(UnicodeDecodeError):
        decode_notes(b"undefined in Windows-1252 \x81\xa3")


def test_rtf_files_are_notes_files_the_index_reads(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "pharmacy.rtf", TEXTEDIT)
    assert report.counts["passages"] >= 8, report.counts
