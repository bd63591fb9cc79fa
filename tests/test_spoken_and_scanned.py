"""Notes that were spoken or scanned: numbers said in words, hard-wrapped OCR text, a talk's questions and
answers, Cornell cue / notes pairs, line breaks inside Markdown table cells, and the confidence signal of a
line that says it does not know."""

from __future__ import annotations

from ingest.markdown import parse_markdown
from ingest.parser import parse_text
from ingest.plaintext import asks
from ingest.wrap import unhyphenate, wrapped_joins
from kg.model import BlockKind, Passage
from kg.qa.calibrate import UNSURE
from kg.units import parse_quantity, spoken_quantities, spoken_value


def at(passages: list[Passage], line: int) -> Passage:
    return next(p for p in passages if p.line_start <= line <= p.line_end)


def test_numbers_said_in_words_are_read_with_their_unit() -> None:
    assert spoken_value("three hundred and fifty") == 350
    assert spoken_value("twenty-five") == 25
    assert spoken_value("two point five") == 2.5
    assert spoken_value("one and a half") == 1.5
    assert spoken_value("fifteen hundred") == 1500
    assert spoken_value("five six") is None  # two numbers said one after the other, not one
    read = {(q.value, q.unit, q.family) for q in spoken_quantities("about forty litres, then twenty five minutes")}
    assert read == {(40.0, "L", "volume"), (25.0, "minutes", "time")}
    money = spoken_quantities("they're like a hundred and thirty quid, or seven thousand five hundred dollars")
    assert [(q.value, q.unit) for q in money] == [(130.0, "GBP"), (7500.0, "USD")]


def test_a_number_word_without_a_unit_or_a_weight_in_pounds_is_no_quantity() -> None:
    assert spoken_quantities("the one on the left, two pounds of flour") == []
    assert [(q.value, q.unit) for q in spoken_quantities("retry two requests")] == [(2.0, "requests")]
    mixed = parse_quantity("heater was eight hundred and fifty quid, uses 0.1 L an hour")
    assert [(q.value, q.unit) for q in mixed] == [(850.0, "GBP"), (0.1, "L")]
    assert mixed[0].span == (11, 39)  # where it was said, for the fact's provenance


def _wrapped_page() -> list[str]:
    lines = ["CUL 115 - Food Safety & Kitchen Mgmt                  Week 1"]
    for k in range(8):
        lines += [
            f"point {k}: food held hot must stay at 135F or above, check it every",
            "two hours with a probe thermometer, and write it on the log. the",
            "inspector reads the log first, then the temperatures of the hot hol-",
            "ding units themselves.",
            "",
        ]
    return lines


def test_a_hard_wrapped_page_is_read_as_the_sentences_it_wraps() -> None:
    lines = _wrapped_page()
    joins = wrapped_joins(lines)
    assert {2, 3, 4} <= joins and 1 not in joins  # the lines after one reaching the margin; not a new point
    ps = parse_text("\n".join(lines) + "\n", "scan.txt")
    p = at(ps, 2)
    assert (p.line_start, p.line_end) == (2, 5)
    assert "hot holding units" in p.text and "hol- ding" not in p.text


def test_a_wrapped_sentence_broken_after_a_comma_goes_on_whatever_the_next_line_opens_with() -> None:
    lines = _wrapped_page()
    lines[6:9] = [
        "point 1: food held hot must stay at 135F or above, the probe costs about,",
        "£40, and the inspector reads the log first, then the temperatures of the",
        "Hot Holding units themselves, then:",
    ]
    joins = wrapped_joins(lines)
    assert 7 in joins  # "£40, and ..." carries on the line that broke after a comma
    assert 8 not in joins  # a line after no comma that opens in capitals and ends with ':' opens what follows


def test_typed_notes_with_long_lines_past_the_usual_width_are_not_wrapped() -> None:
    lines = []
    for k in range(30):
        lines.append(f"- item {k} with a fairly long remark about the thing that runs on and on" + " x" * (k % 7) * 9)
        lines.append("  lower case note under it")
    assert wrapped_joins(lines) == set()


def test_a_word_split_at_a_line_end_is_whole_again() -> None:
    joined = unhyphenate("grading: final 30% / kitch-", "en practical 25%")
    assert joined == "grading: final 30% / kitchen practical 25%"
    assert unhyphenate("range 10-", "20 items") == "range 10- 20 items"  # a number's dash is no split word


def test_an_answer_in_a_talk_is_led_by_the_question_asked_right_before_it() -> None:
    talk = (
        "Recording 014 - garage call\n12 Mar 2024\n\n"
        "ok and what oil does it take, cause I was gonna do it myself next time\n\n"
        "Speaker 2: five W thirty, no sorry five W twenty, the Ford spec one\n\n"
        "right cheers\n\n"
        "Speaker 2: no worries\n"
    )
    ps = parse_text(talk, "Recording 014.txt")
    assert at(ps, 6).lead.startswith("ok and what oil does it take")
    assert at(ps, 10).lead == ""  # "right cheers" asks nothing
    assert asks("default trigger rule?") and asks("can you do it Tuesday")
    assert not asks("Can be attached to multiple instances")  # a note whose subject is left out
    assert not asks("why lumps: hot roux into hot liquid")  # asked and answered on one line
    assert not asks("How to enable versioning on a bucket")


def test_cornell_cue_and_notes_read_as_one_passage_under_the_cue() -> None:
    text = "## Lecture 12\n\nCUE: rip currents\nNOTES: narrow jets going straight out, up to ~2 m/s\n\nNOTES: alone\n"
    ps = parse_markdown(text, "cornell.md")
    card = at(ps, 4)
    assert (card.line_start, card.line_end) == (3, 4)
    assert card.text.startswith("narrow jets") and card.section[-1] == "rip currents"
    assert at(ps, 6).text == "NOTES: alone"  # notes with no cue above keep their label


def test_a_break_inside_a_table_cell_parts_its_points() -> None:
    text = "| Cue | Notes |\n|---|---|\n| unit | 1 Sv = 1 million m3/s<br>all the rivers together about 1 Sv |\n"
    row = at(parse_markdown(text, "t.md"), 3)
    assert row.kind is BlockKind.TABLE_ROW
    assert "m3/s; all the rivers" in row.text


def test_a_line_that_says_it_does_not_know_is_told_apart_from_one_that_says_no() -> None:
    for said in (
        "Build vol (mm): ?",
        "price TBD",
        "didnt look at the price tho",
        "no figure given, look it up",
        "forgot to check the female value",
    ):
        assert UNSURE.search(said), said
    for said in ("sigma known, use z", "no caching", "Must manage scaling", "never expires by default"):
        assert not UNSURE.search(said), said
