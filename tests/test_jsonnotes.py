"""Notes kept as JSON (a Slack export, a notes app's records, JSON Lines) read as the text their strings hold,
each passage on the line of the string it came from; ids, timestamps and user names say nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.jsonnotes import inline, parse_json_notes, scan
from ingest.parser import parse_text
from ingest.pipeline import NOTE_SUFFIXES
from kg.model import BlockKind, Passage
from tests.conftest import ingest_one

# as Slack exports a channel's day: a pretty-printed array of messages, a reply to the first one far below it
SLACK = """[
  {
    "type": "message",
    "text": "*Croissant spec* :croissant:\\n\u2022 proof 2.5 hrs at 26\u00b0C\\n\u2022 bake 175\u00b0C for 16 min\\n\
ask <@U04ABCD12> if unsure",
    "user": "U04BK7TQ3",
    "ts": "1740987605.602233",
    "user_profile": {
      "real_name": "Tom Reilly"
    }
  },
  {
    "type": "message",
    "text": "Pest control renewed: 8 visits a year, &amp; see <https://example.com/contract|the contract>",
    "user": "U04BK7TQ3",
    "ts": "1740990000.000100"
  },
  {
    "type": "message",
    "text": "correction: it's *170\u00b0C for 18 min*, not 175",
    "user": "U04D9XPR1",
    "ts": "1741000000.000200",
    "thread_ts": "1740987605.602233"
  }
]
"""


def _lines(passages: list[Passage]) -> dict[str, int]:
    return {p.text: p.line_start for p in passages}


def test_scan_gives_each_string_its_line() -> None:
    (top,) = scan(SLACK)
    assert not isinstance(top, str) and not top.is_object
    first = top.items[0][1]
    assert first is not None and not isinstance(first, str)
    texts = {k: v.line for k, v in first.strings()}  # type: ignore[union-attr]
    assert texts == {"type": 3, "text": 4, "user": 5, "ts": 6}


@pytest.mark.parametrize("bad", ["not json at all", '{"a": 1', '{"a" 1}', "[1, 2}", '{"a": "b"]'])
def test_scan_refuses_what_is_no_json(bad: str) -> None:
    with pytest.raises(ValueError):
        scan(bad)


def test_a_message_is_read_line_by_line_on_the_line_of_its_text() -> None:
    passages = parse_json_notes(SLACK, "kitchen-ops 2025-03.json")
    assert passages is not None
    at = _lines(passages)
    # the bold first line heads the bullets; every line of the message cites the message's text line
    assert at["Croissant spec"] == 4
    assert at["proof 2.5 hrs at 26°C"] == 4
    assert at["bake 175°C for 16 min"] == 4
    bullet = next(p for p in passages if p.text == "bake 175°C for 16 min")
    assert bullet.kind is BlockKind.ITEM and bullet.section[-1] == "Croissant spec"
    # a mention, an emoji code, an entity and a link read as nothing, nothing, the sign and the label
    assert "ask if unsure" in at
    assert at["Pest control renewed: 8 visits a year, & see the contract"] == 13
    # ids, timestamps, types and user names are no text
    assert not any(word in p.text for p in passages for word in ("U04BK7TQ3", "1740987605", "message", "Tom Reilly"))


def test_a_reply_is_read_under_the_message_it_answers() -> None:
    passages = parse_json_notes(SLACK, "kitchen-ops 2025-03.json")
    assert passages is not None
    texts = [p.text for p in passages]
    reply = next(p for p in passages if p.text.startswith("correction:"))
    assert reply.line_start == 19
    assert reply.section[-1] == "Croissant spec"
    # read right after the message it replies to, before the message posted between them
    assert texts.index(reply.text) < texts.index("Pest control renewed: 8 visits a year, & see the contract")


def test_a_message_does_not_sit_under_the_one_before_it() -> None:
    passages = parse_json_notes(SLACK, "kitchen-ops 2025-03.json")
    assert passages is not None
    pest = next(p for p in passages if p.text.startswith("Pest control"))
    assert "Croissant spec" not in pest.section


def test_records_with_titles_head_their_text() -> None:
    keep = json.dumps(
        {
            "title": "Van tyres",
            "textContent": "bought 02/25, $255 each\nload rating 121/119",
            "isPinned": True,
            "labels": [{"name": "car"}],
            "userEditedTimestampUsec": 1717000000000000,
        },
        indent=2,
    )
    passages = parse_json_notes(keep, "Van tyres.json")
    assert passages is not None
    heading = next(p for p in passages if p.is_heading)
    assert heading.text == "Van tyres" and heading.line_start == 2
    body = [p for p in passages if not p.is_heading]
    assert [p.text for p in body] == ["bought 02/25, $255 each", "load rating 121/119"]
    assert all(p.line_start == 3 and "Van tyres" in p.section for p in body)


def test_json_lines_are_records_one_a_line() -> None:
    text = "\n".join(
        json.dumps(r)
        for r in (
            {"id": 1, "note": "pH of the nutrient mix: 5.8 to 6.2"},
            {"id": 2, "note": "EC 1.2 for seedlings"},
        )
    )
    passages = parse_json_notes(text, "hydro.jsonl")
    assert passages is not None
    assert _lines(passages) == {"pH of the nutrient mix: 5.8 to 6.2": 1, "EC 1.2 for seedlings": 2}


def test_compact_json_cites_its_one_line() -> None:
    text = json.dumps([{"text": "max fridge temp 5C"}, {"text": "freezer -18C or colder"}])
    passages = parse_json_notes(text, "rules.json")
    assert passages is not None
    assert _lines(passages) == {"max fridge temp 5C": 1, "freezer -18C or colder": 1}


def test_json_nested_too_deep_is_read_as_text() -> None:
    deep = '{"a": ' * 5000 + '"pH 5.8 to 6.2"' + "}" * 5000
    assert parse_json_notes(deep, "deep.json") is None
    assert parse_text(deep, "deep.json")  # read as the plain text it is, no error


def test_a_json_file_that_is_no_json_is_read_as_text() -> None:
    passages = parse_text("Lambda max timeout: 15 minutes\n", "notes.json")
    assert [p.text for p in passages] == ["Lambda max timeout: 15 minutes"]


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("\u2022 item one", "- item one"),
        ("*bold title* :tada: done", "**bold title**  done"),
        ("opens 7:00-17:00, Sat 8:00-17:00", "opens 7:00-17:00, Sat 8:00-17:00"),  # times are no emoji codes
        ("#general is the channel", "\\#general is the channel"),
        ("see <https://a.example/b|the docs> and <!channel>", "see the docs and"),
    ],
)
def test_inline_reads_slack_marks(raw: str, read: str) -> None:
    assert inline(raw) == read


def test_a_journal_entry_opens_with_its_title_and_ids_and_slugs_are_no_text() -> None:
    entry = {
        "uuid": "582FA7BE9D9D9254F52286E87FCE1D9C",
        "weather": {"conditionsDescription": "Partly Cloudy", "weatherCode": "partly-cloudy-day"},
        "text": "# Trip day - National Space Centre\n\n88 went, back at 4:10.\n\n#general is the channel\n\n"
        "### Costs\n\n- coach: £22 a pupil\n\n### Staff\n\nratio 1:10",
    }
    got = [(p.section, p.text) for p in parse_text(json.dumps({"entries": [entry]}, indent=2), "Journal.json")]
    title = "Trip day - National Space Centre"
    assert got == [
        (("Journal",), title),
        (("Journal", title), "88 went, back at 4:10."),
        (("Journal", title), "#general is the channel"),
        # the note's own sections: what follows a heading sits under it, up to the next one
        (("Journal", title), "Costs"),
        (("Journal", title, "Costs"), "coach: £22 a pupil"),
        (("Journal", title), "Staff"),
        (("Journal", title, "Staff"), "ratio 1:10"),
    ]


def test_json_notes_are_ingested(tmp_path: Path) -> None:
    assert ".jsonl" in NOTE_SUFFIXES
    _, report = ingest_one(tmp_path, "kitchen-ops 2025-03.json", SLACK)
    assert report.counts["passages"] >= 6, report.counts


def test_an_object_with_a_title_inside_a_note_heads_its_own_text_only() -> None:
    # Google Keep writes its keys in order: an attached link's card ("annotations") comes before the checklist
    note = {
        "annotations": [{"description": "max rpm by cutter diameter", "source": "WEBLINK", "title": "Speed guide"}],
        "listContent": [{"text": "riving knife is 2.5mm thick", "isChecked": False}],
        "textContent": "blade kerf has to be wider than the riving knife",
        "title": "Shop tools",
    }
    got = {p.text: p.section for p in parse_json_notes(json.dumps(note, indent=2), "Shop tools.json") or []}
    assert got["riving knife is 2.5mm thick"] == ("Shop tools",)
    assert got["blade kerf has to be wider than the riving knife"] == ("Shop tools",)
    assert got["max rpm by cutter diameter"] == ("Shop tools", "Speed guide")


def test_rich_text_runs_are_read_as_one_text_over_their_lines_and_a_repeat_of_it_is_not_read() -> None:
    # Telegram Desktop's export: "text" as runs (plain strings and typed runs), "text_entities" repeating them
    message = {
        "id": 2240,
        "type": "message",
        "from": "Dave",
        "text": [
            "Booking terms: ",
            {"type": "bold", "text": "25% deposit"},
            " secures the date, balance 14 days before",
        ],
        "text_entities": [
            {"type": "plain", "text": "Booking terms: "},
            {"type": "bold", "text": "25% deposit"},
            {"type": "plain", "text": " secures the date, balance 14 days before"},
        ],
    }
    chat = json.dumps({"name": "Band gigs", "type": "private_group", "messages": [message]}, indent=1)
    read = [p for p in parse_text(chat, "gigs.json") if not p.is_heading]
    lines = chat.split("\n")
    first = next(i for i, line in enumerate(lines, 1) if "Booking terms" in line)
    last = next(i for i, line in enumerate(lines, 1) if "secures the date" in line)
    assert [(p.line_start, p.line_end, p.text) for p in read] == [
        (first, last, "Booking terms: 25% deposit secures the date, balance 14 days before")
    ]
    # a checklist's items (objects with a text but no run type) are items, not one text
    keep = {
        "title": "Glue",
        "listContent": [{"text": "clamp 30 min", "isChecked": False}, {"text": "cure 24 h", "isChecked": True}],
    }
    assert [p.text for p in parse_text(json.dumps(keep, indent=2), "Glue.json") if not p.is_heading] == [
        "clamp 30 min",
        "cure 24 h",
    ]
