"""Flashcards exported from Anki as plain text: decks head their notes, a card's front is an item with its
back under it, a cloze's text an item with its extra beside it, cloze deletions read as their answers, HTML as
text, the meta columns as nothing."""

from __future__ import annotations

from ingest.anki import field_lines, is_anki
from ingest.parser import parse_text
from kg.model import BlockKind

EXPORT = (
    "#separator:tab\n"
    "#html:true\n"
    "#notetype column:1\n"
    "#deck column:2\n"
    "#tags column:5\n"
    "Cloze\tRE Exam::Math::Basics\tSimple interest: I = {{c1::P × R × T}}\t$12,000 at 7% for 9 months = $630\tmath\n"
    "Basic\tRE Exam::Math::Basics\tLoss on sale - divide by?\tthe original<br>paid = <b>$200,000</b>\tmath leech\n"
    'Basic\tRE Exam::Law\tTREC fees\t"<ul><li>license: $205</li><li>renewal: $110</li></ul>"\ttexas::trec\n'
)


def test_an_export_is_read_by_its_header() -> None:
    assert is_anki(EXPORT.split("\n"))
    assert not is_anki(["# Notes", "#tag line", "Lambda timeout: 15 min"])
    # a remark that happens to start as Anki's header does, over notes with no tab between fields
    assert not is_anki(["#separator:tab off - exported as plain text", "#deck: Networking", "Q: what is TCP?"])
    assert not is_anki(["#separator:tab", "#html:true", "a card with no fields apart", "another one"])


def test_notes_sit_under_their_decks_and_fronts() -> None:
    got = [(p.line_start, p.kind, p.section, p.text) for p in parse_text(EXPORT, "RE Math.txt")]
    basics = ("RE Exam", "Math", "Basics")
    assert got == [
        (6, BlockKind.HEADING, ("RE Exam",), "RE Exam"),
        (6, BlockKind.HEADING, ("RE Exam", "Math"), "Math"),
        (6, BlockKind.HEADING, basics, "Basics"),
        (6, BlockKind.ITEM, basics, "Simple interest: I = P × R × T"),
        # a cloze's text is the fact; its extra is a note beside it, not an answer under it
        (6, BlockKind.PARAGRAPH, basics, "$12,000 at 7% for 9 months = $630"),
        (7, BlockKind.ITEM, basics, "Loss on sale - divide by?"),
        (7, BlockKind.PARAGRAPH, (*basics, "Loss on sale - divide by?"), "the original"),
        (7, BlockKind.PARAGRAPH, (*basics, "Loss on sale - divide by?"), "paid = $200,000"),
        (8, BlockKind.HEADING, ("RE Exam", "Law"), "Law"),
        (8, BlockKind.ITEM, ("RE Exam", "Law"), "TREC fees"),
        (8, BlockKind.ITEM, ("RE Exam", "Law", "TREC fees"), "license: $205"),
        (8, BlockKind.ITEM, ("RE Exam", "Law", "TREC fees"), "renewal: $110"),
    ]


def test_a_deck_named_in_the_header_heads_every_note() -> None:
    export = "#separator:tab\n#html:false\n#deck:Spanish::Verbs\nhablar\tto speak\ncomer\tto eat\n"
    got = [(p.line_start, p.kind, p.section, p.text) for p in parse_text(export, "verbs.txt")]
    verbs = ("Spanish", "Verbs")
    assert got == [
        (3, BlockKind.HEADING, ("Spanish",), "Spanish"),
        (3, BlockKind.HEADING, verbs, "Verbs"),
        (4, BlockKind.ITEM, verbs, "hablar"),
        (4, BlockKind.PARAGRAPH, (*verbs, "hablar"), "to speak"),
        (5, BlockKind.ITEM, verbs, "comer"),
        (5, BlockKind.PARAGRAPH, (*verbs, "comer"), "to eat"),
    ]


def test_field_lines_read_cloze_html_and_media() -> None:
    assert field_lines("{{c1::Part::top}} = {{c2::Whole}} × Rate [sound:x.mp3]", True) == ["Part = Whole × Rate"]
    assert field_lines("a&nbsp;b<div>c &amp; d</div><img src='x.png'>", True) == ["a b", "c & d"]
    assert field_lines("<b>kept</b> as typed", False) == ["<b>kept</b> as typed"]
