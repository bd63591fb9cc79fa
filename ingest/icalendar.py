"""Calendar files (iCalendar, RFC 5545: ``.ics`` as Google Calendar, Outlook and Apple Calendar export them),
read as their events' notes: each event, to-do or journal entry is a message whose subject is its SUMMARY and
whose text is when and where it is, how it repeats, and its DESCRIPTION, line by line.

- Folded lines (a continuation opens with one space or tab) are joined, so a sentence cut at 75 octets reads
  whole; each line of the text cites the file lines it was unfolded from.
- Values are unescaped: ``\\n`` breaks a line, ``\\,`` ``\\;`` and ``\\\\`` are the signs they escape.
- Time zones, alarms (their DESCRIPTION is a reminder's boilerplate) and the HTML copy of a description
  (``X-ALT-DESC``) say nothing of their own.
"""

from __future__ import annotations

import re

from ingest.mail import Mail, Part

ICS_SUFFIXES = (".ics", ".ical", ".icalendar")
ENTRIES = frozenset(("VEVENT", "VTODO", "VJOURNAL"))
PROPERTY = re.compile(r"^(?P<name>[A-Za-z0-9-]+)(?P<params>(?:;[^:]*)?):(?P<value>.*)$")
DATETIME = re.compile(r"^(\d{4})(\d\d)(\d\d)(?:T(\d\d)(\d\d)(\d\d)?(Z)?)?$")
FREQUENCY = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}


Value = tuple[str, list[int]]  # a property's value, with the file line of each of its characters


def read_calendar(text: str) -> list[Mail] | None:
    """The entries of a calendar file as messages (see the module), or None when it is no calendar."""
    lines = _unfolded(text)
    if not lines or not lines[0][0].strip().upper().startswith("BEGIN:VCALENDAR"):
        return None
    out: list[Mail] = []
    stack: list[str] = []
    fields: dict[str, Value] = {}
    notes: list[Value] = []
    for line, where in lines:
        found = PROPERTY.match(line)
        if not found:
            continue
        name, value = found.group("name").upper(), (found.group("value"), where[found.start("value") :])
        if name == "BEGIN":
            stack.append(value[0].strip().upper())
            if stack[-1] in ENTRIES:
                fields, notes = {}, []
        elif name == "END":
            closed = stack.pop() if stack else ""
            if closed in ENTRIES:
                out.append(_entry(fields, notes, where[0]))
        elif stack and stack[-1] in ENTRIES:
            if name in ("DESCRIPTION", "COMMENT"):
                notes.append(value)
            elif name not in fields:
                fields[name] = value if value[1] else (value[0], where[-1:])
    if any(kind in ENTRIES for kind in stack):
        out.append(_entry(fields, notes, lines[-1][1][-1]))  # a file cut short keeps the entry it ends in
    return out


def _unfolded(text: str) -> list[tuple[str, list[int]]]:
    """The content lines with their folds joined, each with the file line of each of its characters."""
    out: list[tuple[list[str], list[int]]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if raw[:1] in (" ", "\t") and out:
            out[-1][0].append(raw[1:])
            out[-1][1].extend([number] * (len(raw) - 1))
        elif raw.strip():
            out.append(([raw], [number] * len(raw)))
    return [("".join(parts), where) for parts, where in out]


def _entry(fields: dict[str, Value], notes: list[Value], end_line: int) -> Mail:
    lines: list[str] = []
    spans: list[tuple[int, int]] = []

    def add(value: Value, label: str = "") -> None:
        if lines and not label:  # the fields one block, each description a paragraph of its own
            lines.append("")
            spans.append(spans[-1])
        for text, span in _unescaped_lines(value):
            lines.append(f"- {label}{text}".rstrip() if label else text.rstrip())
            spans.append(span)
            label = ""

    if "DTSTART" in fields:
        add((_when(fields), fields["DTSTART"][1]), "When: ")
    if "RRULE" in fields:
        add((_repeats(fields["RRULE"][0]), fields["RRULE"][1]), "Repeats: ")
    if "LOCATION" in fields:
        add(fields["LOCATION"], "Where: ")
    if "DUE" in fields:
        add((_date(fields["DUE"][0]), fields["DUE"][1]), "Due: ")
    for value in notes:
        add(value)
    summary, where = fields.get("SUMMARY", ("", [end_line]))
    title = " ".join(text for text, _ in _unescaped_lines((summary, where)))
    return Mail(title.strip(), where[0] if where else end_line, (Part("plain", tuple(lines), tuple(spans)),))


def _unescaped_lines(value: Value) -> list[tuple[str, tuple[int, int]]]:
    """A value unescaped (``\\n`` breaks a line), line by line, each with the first and last file line of its
    characters."""
    text, where = value
    out: list[tuple[str, tuple[int, int]]] = []
    chars: list[str] = []
    lines: list[int] = []
    fallback = where[0] if where else 0

    def close() -> None:
        out.append(("".join(chars), (min(lines, default=fallback), max(lines, default=fallback))))
        chars.clear()
        lines.clear()

    i = 0
    while i < len(text):
        line = where[i] if i < len(where) else fallback
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "nN,;\\":
            if text[i + 1] in "nN":
                close()
            else:
                chars.append(text[i + 1])
                lines.append(line)
            i += 2
            continue
        chars.append(text[i])
        lines.append(line)
        i += 1
    close()
    return out


def _date(value: str) -> str:
    """ "20250310T183000" as "2025-03-10 18:30"; a value in another form as written."""
    found = DATETIME.match(value.strip())
    if not found:
        return value.strip()
    year, month, day, hour, minute, _, utc = found.groups()
    return f"{year}-{month}-{day}" + (f" {hour}:{minute}" + (" UTC" if utc else "") if hour else "")


def _when(fields: dict[str, Value]) -> str:
    """When an entry starts, and ends: "2025-03-10 18:30 to 21:30"."""
    shown = _date(fields["DTSTART"][0])
    if "DTEND" in fields:
        end = _date(fields["DTEND"][0])
        shown += f" to {end[11:] if end[:10] == shown[:10] and len(end) > 10 else end}"
    return shown


def _repeats(rule: str) -> str:
    """An RRULE in words: "FREQ=WEEKLY;COUNT=10" is "weekly, 10 times"."""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    said = [FREQUENCY.get(parts.get("FREQ", "").upper(), parts.get("FREQ", "").lower())]
    if parts.get("INTERVAL", "1") != "1":
        said.append(f"every {parts['INTERVAL']}")
    if "BYDAY" in parts:
        said.append(f"on {parts['BYDAY']}")
    if "COUNT" in parts:
        said.append(f"{parts['COUNT']} times")
    if "UNTIL" in parts:
        said.append(f"until {_date(parts['UNTIL'])}")
    return ", ".join(s for s in said if s)
