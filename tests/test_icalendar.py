"""Calendar files (iCalendar ``.ics``): each event's summary over when and where it is and its description,
every line citing the file lines it was unfolded from."""

from __future__ import annotations

from pathlib import Path

from ingest.icalendar import read_calendar
from ingest.parser import parse_text
from tests.conftest import ingest_one

ICS = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
    "X-WR-CALNAME:Term\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:America/Chicago\r\n"
    "BEGIN:STANDARD\r\n"
    "TZOFFSETFROM:-0500\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    "DTSTART;TZID=America/Chicago:20250310T183000\r\n"
    "DTEND;TZID=America/Chicago:20250310T213000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=10\r\n"
    "UID:abc@google.com\r\n"
    "DESCRIPTION:Grading:\\n- midterm 30%\\n- final exam 40% (3 hrs\\, closed book)\\n- case\r\n"
    "  write-ups 30%\\, 1500 words max\\nLate penalty 5% per day\r\n"
    "LOCATION:Room 204\\, Kellogg Hall\r\n"
    "SUMMARY:FIN 520 Corporate Finance\r\n"
    "BEGIN:VALARM\r\n"
    "ACTION:DISPLAY\r\n"
    "DESCRIPTION:This is an event reminder\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def test_an_event_is_its_summary_over_its_times_place_and_notes() -> None:
    got = {p.text: p for p in parse_text(ICS, "MBA Term 2.ics")}
    title = "FIN 520 Corporate Finance"
    assert got[title].is_heading and got[title].line_start == 19
    assert got["When: 2025-03-10 18:30 to 21:30"].line_start == 12
    assert got["Repeats: weekly, 10 times"].line_start == 14
    # escaped commas are commas; a line folded mid-word reads whole and cites both file lines
    assert got["Where: Room 204, Kellogg Hall"].line_start == 18
    folded = got["case write-ups 30%, 1500 words max"]
    assert (folded.line_start, folded.line_end) == (16, 17) and folded.section == (title, "Grading")
    assert (got["Late penalty 5% per day"].line_start, got["Late penalty 5% per day"].line_end) == (17, 17)
    # the alarm's boilerplate and the time zone say nothing
    assert not any("reminder" in t or "TZOFFSET" in t or "\\" in t for t in got)


def test_a_calendar_cut_short_keeps_its_last_event() -> None:
    cut = ICS[: ICS.index("LOCATION:")]
    texts = {p.text for p in parse_text(cut, "MBA Term 2.ics")}
    assert "Late penalty 5% per day" in texts and "When: 2025-03-10 18:30 to 21:30" in texts


def test_a_file_that_is_no_calendar_is_none() -> None:
    assert read_calendar("BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n") is None
    assert read_calendar("") is None


def test_calendars_are_ingested(tmp_path: Path) -> None:
    _, report = ingest_one(tmp_path, "MBA Term 2.ics", ICS)
    assert report.counts["passages"] >= 8, report.counts
