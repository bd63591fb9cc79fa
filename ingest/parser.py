"""Outline parser: a notes file (.txt / .md) → passages with heading paths and exact line spans.

Notes pasted from slides and PDFs are messy: headings are plain lines, commands wrap over several lines
(``--dry-run`` or ``Fn::Ref`` alone on a line), bullets may be empty, tables arrive as ``|`` fragments.
Everything here is decided from the shape of a line and its neighbours, never from a list of headings.
"""

from __future__ import annotations

import codecs
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest import outline
from ingest.anki import parse_anki
from ingest.bibtex import BIBTEX_SUFFIXES
from ingest.canvas import CANVAS_SUFFIXES, parse_canvas
from ingest.cooklang import COOK_SUFFIXES
from ingest.document import Block, headings_down
from ingest.enex import ENEX_SUFFIXES, parse_enex
from ingest.htmlblock import HTML_SUFFIXES, html_blocks
from ingest.icalendar import ICS_SUFFIXES, read_calendar
from ingest.jsonnotes import JSON_SUFFIXES, parse_json_notes
from ingest.mail import MAIL_SUFFIXES, Mail, Part, read_mail, unquoted, without_signatures
from ingest.markdown import MARKDOWN_SUFFIXES, blocks_to_passages, parse_markdown, unique_passages
from ingest.mindmap import MINDMAP_SUFFIXES, parse_mindmap
from ingest.notebook import NOTEBOOK_SUFFIXES, parse_notebook
from ingest.officedoc import is_office, office_blocks, office_text
from ingest.opml import OPML_SUFFIXES, parse_opml
from ingest.orgmode import ORG_SUFFIXES, parse_org
from ingest.outline import BULLET, LONE_BULLET, TASK_BOX, is_continuation_start, normalise_text
from ingest.plaintext import ASCIIDOC_SUFFIXES, parse_plaintext, question_above, shows_layout
from ingest.rst import RST_SUFFIXES
from ingest.rtf import RTF_SUFFIXES, decode_rtf
from ingest.scriptnotes import SHELL_SUFFIXES, SQL_SUFFIXES
from ingest.trello import parse_trello
from ingest.wikitext import MEDIAWIKI_SUFFIXES
from ingest.xmlnotes import XML_SUFFIXES, parse_xml_notes
from kg.model import BlockKind, Passage, content_id
from kg.units import writes_decimal_comma
from kg.vocab import OPEN_ENDINGS

MD_HEADING = re.compile(r"^\s*(?P<hashes>#{1,6})\s+(?P<body>.+?)\s*#*\s*$")


def is_code_like(line: str) -> bool:
    """A fragment of a command or template rather than prose: ``--dry-run``, ``Fn::Ref``, ``STS``, ``!Ref``."""
    s = line.strip()
    if not s:
        return False
    if s[0] in "-!$/.{[<>|~`'\"(,;=":
        return True
    if "::" in s or "==" in s or "->" in s or "=>" in s or "→" in s:
        return True
    words = s.split()
    if len(words) == 1:
        # a lone all-caps token (STS) or an identifier with inner punctuation (x-amz-meta)
        return s.isupper() or bool(re.search(r"[_/:.=@-]", s))
    return False


@dataclass
class _Item:
    """A passage being assembled: its first line number and the raw line bodies."""

    start: int
    parts: list[str] = field(default_factory=list)
    end: int = 0
    state: str = "closed"  # how the last line ends: closed | word | open | list | table | code
    lone: bool = False  # started by a lone "-": whatever follows belongs to it
    heading_level: int = 0  # > 0 when the item is a heading


def _line_state(text: str, was_code: bool) -> str:
    s = text.rstrip()
    if not s:
        return "open"
    if s.endswith("|"):
        return "table"
    if s.endswith(":"):
        return "list"
    if s.endswith((",", "(", "[", "{", "&", "+", "$", "–", "—")) or s.count("(") > s.count(")"):
        return "open"
    last = s.rsplit(None, 1)[-1].lower()
    if last in OPEN_ENDINGS:
        return "open"
    if s.endswith((".", "!", "?", ")", "]", '"', "'", "…")):
        return "closed"
    return "code" if was_code else "word"


class _Parser:
    def __init__(self, lines: list[str], rel: str) -> None:
        self.lines = lines
        self.rel = rel
        self.items: list[_Item] = []
        self.following = outline.next_nonblank(lines)
        self.headings = outline.HeadingTracker(outline.proper_words(lines, self.following))
        self.passages: list[Passage] = []
        self.intro = ""  # the current list-introducing line, for the passages under it
        self.intro_left = 0

    def next_nonblank(self, i: int) -> str:
        return self.following[i] if 0 <= i < len(self.following) else ""

    def run(self) -> list[Passage]:
        current: _Item | None = None
        for i, raw in enumerate(self.lines):
            n = i + 1
            line = raw.rstrip("\r\n")
            stripped = line.strip()
            if not stripped:
                self._flush(current)
                current = None
                continue
            md = MD_HEADING.match(line)
            if md and not line.lstrip().startswith("#!"):
                self._flush(current)
                current = None
                level = 1 if len(md.group("hashes")) == 1 else 2
                self._heading(n, md.group("body"), markdown_level=level)
                continue
            if LONE_BULLET.match(line):
                self._flush(current)
                current = _Item(start=n, end=n, state="open", lone=True)
                continue
            bullet = BULLET.match(line)
            if bullet:
                body = TASK_BOX.sub("", bullet.group("body"))
                if current is not None and current.state == "table" and "|" in line:
                    self._extend(current, n, line.strip(), False)
                    continue
                self._flush(current)
                current = _Item(start=n)
                self._extend(current, n, body, False)
                continue
            # A plain line: continuation, heading or sentence.
            if current is not None and self._continues(current, stripped, i):
                self._extend(current, n, stripped, is_code_like(stripped))
                continue
            self._flush(current)
            current = None
            nxt = self.next_nonblank(i)
            if outline.looks_like_heading(stripped, nxt):
                self._heading(n, stripped)
                continue
            current = _Item(start=n)
            self._extend(current, n, stripped, is_code_like(stripped))
        self._flush(current)
        return self.passages

    def _continues(self, item: _Item, line: str, i: int) -> bool:
        if item.lone and len(item.parts) == 0:
            # "-" then "/my_file.txt" is one item; "-" then "EFS: Elastic File System" ends a section
            return not (outline.ACRONYM_TITLE.match(line) or outline.looks_like_heading(line, self.next_nonblank(i)))
        if is_continuation_start(line):
            return True
        state = item.state
        if state == "table":
            return "|" in line  # a title after a table starts anew
        if state == "open":
            # "...logged in" then "Redis Overview": a title after an open ending still starts anew.
            return is_code_like(line) or not outline.looks_like_heading(line, self.next_nonblank(i))
        if is_code_like(line):
            if state == "list":
                return True
            if state in ("word", "code"):
                # A wrapped command continues its sentence only if the sentence goes on after it;
                # a code token followed by bullets is the heading of what follows.
                nxt = self.next_nonblank(i)
                return bool(nxt) and is_continuation_start(nxt)
        return False

    @staticmethod
    def _extend(item: _Item, n: int, text: str, code: bool) -> None:
        item.parts.append(text)
        item.end = n
        if code and item.state == "list" and not text.rstrip().endswith("|"):
            return  # "any of the following:" then Fn::And, Fn::Equals, ... one per line
        item.state = _line_state(text, code)

    def _heading(self, n: int, text: str, markdown_level: int = 0) -> None:
        self.intro = ""
        if not normalise_text(text).split():
            return  # "#" and spaces, or marks that normalise to nothing: no title, and nothing to say
        level = self.headings.push(normalise_text(text), n, self.next_nonblank(n - 1), markdown_level)
        path = self.headings.path()
        self.passages.append(self._passage(n, n, normalise_text(text).rstrip(":").strip(), path, level))

    def _flush(self, item: _Item | None) -> None:
        if item is None or not item.parts:
            return None
        text = normalise_text(_join(item.parts))
        section = self.headings.path()
        lead = self.headings.is_lead(text)
        if lead and self.headings.lead:
            section = section[:-1]  # a lead opens a list beside the previous one, not inside it
        self.passages.append(self._passage(item.start, item.end, text, section, 0, self._asked(item.start)))
        self.headings.add_text(text)
        if lead:
            # "- Execution:" opens a sub-list: it names the section of the bullets under it.
            self.headings.push_lead(text)
            self.intro = ""
        elif text.rstrip().endswith(":"):
            # a longer line ending with ':' introduces the bullets after it (a dozen at most: flat notes
            # do not say where a list ends)
            self.intro = text.rstrip(":").strip()
            self.intro_left = 12
        elif self.intro:
            self.intro_left -= 1
            if self.intro_left <= 0:
                self.intro = ""
        return None

    def _asked(self, start: int) -> str:
        """The question the passage starting at line ``start`` answers (``plaintext.question_above``), when no
        list's lead is open."""
        last = self.passages[-1] if self.passages else None
        if self.intro or last is None or last.is_heading:
            return ""
        return question_above(last.text, last.line_end, last.lead, start)

    def _passage(
        self, start: int, end: int, text: str, section: tuple[str, ...], level: int, asked: str = ""
    ) -> Passage:
        pid = content_id(self.rel, start, end, text, prefix="p-")
        return Passage(
            id=pid,
            file=self.rel,
            line_start=start,
            line_end=end,
            text=text,
            section=section,
            service=self.headings.service_key(),
            is_heading=level > 0,
            lead=(self.intro or asked) if level == 0 else "",
            subject_depth=1 if self.headings.service else 0,  # a service heading opens the path
        )


def _join(parts: list[str]) -> str:
    out = parts[0]
    for p in parts[1:]:
        out = out + p if p.startswith((",", ";", ")")) else f"{out} {p}"
    return " ".join(out.split())


def parse_bytes(data: bytes, rel: str) -> list[Passage]:
    """Passages of one notes file's bytes: a Word or OpenDocument document by its paragraphs
    (``ingest.officedoc``), any other file by its text (``decode_notes``, ``parse_text``)."""
    if is_office(data):
        with _no_cycle_collection():
            passages = blocks_to_passages(office_blocks(data), rel)
        if writes_decimal_comma(office_text(data)):
            return [replace(p, decimal_comma=True) for p in passages]
        return passages
    return parse_text(decode_notes(data), rel)


def parse_text(text: str, rel: str) -> list[Passage]:
    """Passages of one file's text; ``rel`` is the file's path relative to the notes folder.
    Markdown files (by suffix) are read by a real Markdown parser, Org files by Org's syntax
    (``ingest.orgmode``), HTML files by the HTML reader (``ingest.htmlblock``), AsciiDoc, reStructuredText and
    Cooklang files and plain text that shows its structure by layout (indentation, numbering, flashcards, framed
    titles) by ``ingest.plaintext``, flat notes by the outline here."""
    with _no_cycle_collection():
        passages = _parse_text(text, rel)
    if writes_decimal_comma(text):
        return [replace(p, decimal_comma=True) for p in passages]
    return passages


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Parsing makes many small objects and no reference cycles: the cyclic collector's passes over them
    (7 % of the time of a 94k-line file) wait until it ends."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# files whose suffix names their markup, read by the plain-text reader in that dialect (``ingest.markup``)
MARKUP_BY_SUFFIX = (
    (RST_SUFFIXES, "rst"),
    (BIBTEX_SUFFIXES, "bibtex"),
    (SQL_SUFFIXES, "sql"),
    (SHELL_SUFFIXES, "shell"),
    (MEDIAWIKI_SUFFIXES, "mediawiki"),
    (RTF_SUFFIXES, "rtf"),
    (COOK_SUFFIXES, "cooklang"),
)


def _parse_text(text: str, rel: str) -> list[Passage]:
    name = rel.lower()
    if name.endswith(MARKDOWN_SUFFIXES):
        return parse_markdown(text, rel)
    if name.endswith(ORG_SUFFIXES):
        return parse_org(text, rel)
    if name.endswith(HTML_SUFFIXES):
        return blocks_to_passages(html_blocks(text.replace("\r\n", "\n").replace("\r", "\n"), 1), rel)
    for suffixes, markup in MARKUP_BY_SUFFIX:
        if name.endswith(suffixes):
            return parse_plaintext(text, rel, markup)
    if name.endswith(NOTEBOOK_SUFFIXES) and (read := parse_notebook(text, rel)) is not None:
        return read  # else no notebook: read as other JSON
    if name.endswith(CANVAS_SUFFIXES) and (read := parse_canvas(text, rel)) is not None:
        return read  # else no board: read as other JSON
    if name.endswith(JSON_SUFFIXES) and (read := parse_trello(text, rel)) is not None:
        return read  # else no board: read as other JSON
    if (
        name.endswith((*JSON_SUFFIXES, *NOTEBOOK_SUFFIXES, *CANVAS_SUFFIXES))
        and (read := parse_json_notes(text, rel)) is not None
    ):
        return read  # else no JSON after all: read as plain text
    if name.endswith(ENEX_SUFFIXES) and (read := parse_enex(text, rel)) is not None:
        return read  # else no note in it: read as plain text
    if name.endswith(OPML_SUFFIXES) and (read := parse_opml(text, rel)) is not None:
        return read  # else no XML: read as plain text
    if name.endswith(MINDMAP_SUFFIXES) and (read := parse_mindmap(text, rel)) is not None:
        return read  # else no map: read as plain text
    if name.endswith(XML_SUFFIXES) and (read := parse_xml_notes(text, rel)) is not None:
        return read  # else no XML: read as plain text
    if name.endswith(MAIL_SUFFIXES) and (mails := read_mail(text)) is not None:
        return _mail_passages(mails, rel)  # else no email: read as plain text
    if name.endswith(ICS_SUFFIXES) and (events := read_calendar(text)) is not None:
        return _mail_passages(events, rel)  # an event is read as a message: its summary over its notes
    return _plain_notes(text, rel, layout=name.endswith(ASCIIDOC_SUFFIXES))


def _plain_notes(text: str, rel: str, layout: bool = False) -> list[Passage]:
    """Passages of notes in plain text: Anki's export, text that shows its structure by layout (or is
    ``layout``: AsciiDoc) by ``ingest.plaintext``, flat notes by the outline here."""
    if text.startswith("#") and (read := parse_anki(text, rel)) is not None:
        return read  # flashcards exported from Anki
    if layout or shows_layout(text):
        return parse_plaintext(text, rel)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline does not make an extra line
    return _Parser(lines, rel).run()


def _mail_passages(mails: list[Mail], rel: str) -> list[Passage]:
    """Passages of the messages of an email file: each text part read as plain notes or as a web page under
    its message's Subject, each line citing the file lines it was decoded from."""
    return unique_passages(p for mail in mails for part in mail.parts for p in _part_passages(mail, part, rel))


def _part_passages(mail: Mail, part: Part, rel: str) -> list[Passage]:
    title = [mail.subject] if mail.subject else []
    spans = [(mail.subject_line, mail.subject_line)] * (2 * len(title)) + list(part.spans)

    def span(start: int, end: int) -> tuple[int, int]:
        last = len(spans) - 1
        return spans[min(max(start, 1), last + 1) - 1][0], spans[min(max(end, 1), last + 1) - 1][1]

    if part.subtype == "html":
        read = headings_down(html_blocks("\n".join(part.lines), 1 + 2 * len(title)), len(title))
        heads = [Block(BlockKind.HEADING, t, 1, 1, 1) for t in title]
        blocks = [replace(b, start=a, end=z) for b in (*heads, *read) for a, z in [span(b.start, b.end)]]
        return blocks_to_passages(blocks, rel)
    body = without_signatures(part.lines)
    text = "\n".join([*(t for t in title for t in (t, "")), *(unquoted(line) for line in body)])
    out = []
    for p in _plain_notes(text, rel):
        a, z = span(p.line_start, p.line_end)
        if title and p.section[:1] != (title[0],):  # the Subject titles the whole message
            p = replace(p, section=(title[0], *p.section), subject_depth=p.subject_depth + 1 if p.subject_depth else 0)
        out.append(replace(p, line_start=a, line_end=z, id=content_id(rel, a, z, p.text, prefix="p-")))
    return out


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


LEGACY_ENCODING = "cp1252"  # what Windows Notepad saved as "ANSI" for English text before it saved UTF-8
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # characters no text file holds (tab, breaks, form feed do)
MOST_CONTROL = 0.001  # the share of such characters a text may hold (a stray escape) and still be text


def decode_notes(data: bytes) -> str:
    """A notes file's text: UTF-8 (with or without a byte-order mark), or UTF-16 that starts with its
    byte-order mark, as Windows Notepad saves "Unicode" files, or Rich Text in its code page, or a Word or
    OpenDocument document's paragraphs a line each (``ingest.officedoc``), or else Windows-1252, as Notepad
    saved "ANSI" files, when that reads as text. Raises UnicodeDecodeError for anything else (binary files,
    other encodings) and ``officedoc.OfficeError`` for a document that cannot be read."""
    if is_office(data):
        return office_text(data)
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "binary file (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if data.lstrip().startswith(b"{\\rtf"):
            return decode_rtf(data)
        try:
            text = data.decode(LEGACY_ENCODING)
        except UnicodeDecodeError:
            raise exc from None
        if len(CONTROL.findall(text)) > MOST_CONTROL * len(text):
            raise exc from None
        return text


def parse_file(path: Path, root: Path) -> list[Passage]:
    """Passages of a notes file (see ``decode_notes``); raises UnicodeDecodeError for binary files and
    encodings other than UTF-8 and UTF-16."""
    return parse_bytes(path.read_bytes(), path.relative_to(root).as_posix())
