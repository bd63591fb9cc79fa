"""Emails saved as files (``.eml``, RFC 5322 with MIME; ``.mbox``, messages one after another): the text of
each message, decoded, with the file lines each decoded line came from.

A message's Subject titles it. Its body is walked as MIME: of a ``multipart/alternative`` the plain-text
version is read (the HTML one when there is none); of other multiparts every text part, attached messages
too; images and other attachments carry no notes. Quoted-printable text is decoded line by line (a soft
break joins a line to the next, ``=E2=80=99`` is a character), base64 by blocks, so each decoded line
cites the lines of the file it stands on. The decoded text is read as the notes reader reads a plain file or a
web page (``ingest.parser``). A file that is no email is read as plain text.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser

MAIL_SUFFIXES = (".eml", ".mbox", ".mht", ".mhtml")  # a web page saved as one file (Word, OneNote) is MIME too
HEADER = re.compile(r"^[!-9;-~]+:")  # "Subject: ...": a field name, then a colon
MBOX_FROM = re.compile(r"^From \S+ .*\d{4}\s*$")  # the line an mbox opens each message with
MAIL_FIELDS = frozenset(("from", "to", "subject", "date", "message-id", "mime-version", "content-type", "received"))
BASE64_LINE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
QUOTE = re.compile(r"^(?:> ?)+")  # the marks of a quoted reply ("> ", ">> ")
SIGNATURE = re.compile(r"^(?P<marks>(?:> ?)*)-- ?$")  # the line a signature opens with (RFC 3676: "-- ")
# what ends a signature in a reply or a forward: the quoted or forwarded message under it
QUOTED_START = re.compile(r"^\s*>|\bwrote:\s*$|^-{2,}\s*(?:Forwarded|Original) [Mm]essage", re.I)


@dataclass(frozen=True)
class Part:
    """A text part of a message, decoded: ``spans[i]`` is the (first, last) file line of its line ``i + 1``."""

    subtype: str  # "plain" or "html"
    lines: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Mail:
    subject: str
    subject_line: int  # the file line of the Subject field (of the message's first line when it has none)
    parts: tuple[Part, ...]


def read_mail(text: str) -> list[Mail] | None:
    """The messages of an email or mbox file, or None when it is no email."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    starts = [i for i, line in enumerate(lines) if MBOX_FROM.match(line) and (i == 0 or not lines[i - 1].strip())]
    if starts and starts[0] == 0:
        bounds = [(s + 1, e) for s, e in zip(starts, [*starts[1:], len(lines)], strict=True)]
    else:
        bounds = [(0, len(lines))]
    out = []
    for start, end in bounds:
        header, body, fields = _header(lines, start, end)
        if len(fields & MAIL_FIELDS) < 2:
            return None
        subject = _decoded(header.get("Subject", ""))
        out.append(
            Mail(subject, _field_line(lines, start, body, "subject") or start + 1, _parts(lines, body, end, header))
        )
    return out


def _header(lines: list[str], start: int, end: int) -> tuple[Message, int, set[str]]:
    """The header fields from line index ``start``, where the body starts, and the fields' names (lower case)."""
    i = start
    while i < end and lines[i].strip() and (HEADER.match(lines[i]) or (i > start and lines[i][:1] in " \t")):
        i += 1
    block = "\n".join(lines[start:i])
    names = {line.split(":", 1)[0].lower() for line in lines[start:i] if HEADER.match(line)}
    return HeaderParser().parsestr(block + "\n\n"), i + 1 if i < end and not lines[i].strip() else i, names


def _field_line(lines: list[str], start: int, end: int, name: str) -> int:
    for i in range(start, min(end, len(lines))):
        if lines[i].lower().startswith(name + ":"):
            return i + 1
    return 0


def _decoded(value: str) -> str:
    """A header's text with its encoded words (``=?utf-8?Q?...?=``) decoded."""
    try:
        return " ".join(str(make_header(decode_header(value))).split())
    except (ValueError, LookupError, UnicodeError):
        return " ".join(value.split())


def _parts(lines: list[str], start: int, end: int, header: Message) -> tuple[Part, ...]:
    """The text parts of the entity whose body is lines ``start`` to ``end`` (indices)."""
    ctype = header.get_content_type()
    if ctype.startswith("multipart/"):
        boundary = header.get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            return ()
        delimiters = [i for i in range(start, end) if lines[i].rstrip() in (f"--{boundary}", f"--{boundary}--")]
        if delimiters and not lines[delimiters[-1]].rstrip().endswith(f"{boundary}--"):
            delimiters.append(end)  # a message cut short, its closing delimiter lost: its last part runs to the end
        found = []
        for a, b in zip(delimiters, delimiters[1:], strict=False):
            if lines[a].rstrip().endswith(f"{boundary}--"):
                break
            sub, body, _ = _header(lines, a + 1, b)
            found.append(_parts(lines, body, b, sub))
        if ctype == "multipart/alternative":
            chosen = [p for p in found if p and all(x.subtype == "plain" for x in p)]
            return chosen[0] if chosen else next((p for p in found if p), ())
        return tuple(x for p in found for x in p)
    if ctype == "message/rfc822":
        sub, body, _ = _header(lines, start, end)
        return _parts(lines, body, end, sub)
    if ctype not in ("text/plain", "text/html"):
        return ()
    charset = header.get_content_charset() or "utf-8"
    encoding = str(header.get("Content-Transfer-Encoding", "")).strip().lower()
    while end > start and not lines[end - 1].strip():
        end -= 1
    if encoding == "quoted-printable":
        decoded, spans = _quoted_printable(lines, start, end, charset)
    elif encoding == "base64":
        decoded, spans = _base64(lines, start, end, charset)
    else:
        decoded, spans = lines[start:end], [(i + 1, i + 1) for i in range(start, end)]
    return (Part(ctype.split("/")[1], tuple(decoded), tuple(spans)),)


def _text(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _quoted_printable(lines: list[str], start: int, end: int, charset: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Quoted-printable lines decoded: a line ending with '=' goes on with the next."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    data, first = b"", -1
    for i in range(start, end):
        raw = lines[i].rstrip(" \t")
        soft = raw.endswith("=")
        first = i if first < 0 else first
        data += binascii.a2b_qp(raw[:-1] if soft else raw)
        if not soft:
            out.append(_text(data, charset))
            spans.append((first + 1, i + 1))
            data, first = b"", -1
    if first >= 0:
        out.append(_text(data, charset))
        spans.append((first + 1, end))
    return out, spans


def _base64(lines: list[str], start: int, end: int, charset: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Base64 lines decoded; each decoded line cites the encoded lines its bytes stand on."""
    raw = [line.strip() for line in lines[start:end]]
    if not all(BASE64_LINE.match(line) for line in raw):
        return [], []  # no base64, whatever the part says: nothing to decode
    try:
        data = binascii.a2b_base64("".join(raw))
    except binascii.Error:
        return [], []
    per_line = max(1, len(raw[0]) * 3 // 4) if raw else 1  # bytes each encoded line holds
    out, spans, at = [], [], 0
    for piece in data.split(b"\n"):
        out.append(_text(piece, charset).rstrip("\r"))
        last = at + max(len(piece) - 1, 0)
        spans.append((start + 1 + min(at // per_line, len(raw) - 1), start + 1 + min(last // per_line, len(raw) - 1)))
        at += len(piece) + 1
    return out, spans


def unquoted(line: str) -> str:
    """A line of a reply without the marks that quote it."""
    return QUOTE.sub("", line)


def without_signatures(lines: tuple[str, ...] | list[str]) -> list[str]:
    """The lines with each signature blanked: from its "-- " line to the blank line or the quoted or forwarded
    message under it (a reply quotes the earlier messages under its writer's signature)."""
    out = list(lines)
    i = 0
    while i < len(out):
        opens = SIGNATURE.match(out[i])
        i += 1
        if not opens:
            continue
        out[i - 1] = ""
        marks = len(opens.group("marks"))
        while i < len(out) and QUOTE.sub("", out[i]).strip() and not QUOTED_START.search(out[i][marks:]):
            out[i] = ""
            i += 1
    return out
