"""Wiki and forum markup in plain-text notes, rewritten line for line into the layout the plain-text reader
reads, before it reads them: a file keeps its line count, so every passage keeps its lines.

These dialects are recognised, each only in a file that shows it plainly (several of its own marks, which
notes written without it do not use):

- BBCode, as forum posts are saved raw (``[b]``, ``[list][*]``, ``[quote=...]``, ``[url=...]``): inline tags
  are dropped (a link keeps its text, an image nothing); ``[*]`` items become bullets, or numbered items in a
  ``[list=1]`` / ``[list=a]``, indented by the depth of their list; a line of tags alone (``[list]``,
  ``[quote=user]``, ``[code]``) says nothing, and the end of a list or a quote ends a part as a blank line does.
- TiddlyWiki, as a wiki's tiddlers are exported to text: each tiddler opens with ``title:`` and its fields
  (``tags:``, ``created:``, ...): the title names the part, the fields say nothing; ``!`` / ``!!`` lines
  are titles one level under it; ``''bold''``, ``//italic//`` and ``__underline__`` marks, a header cell's
  ``!``, and lines of macros (``<<list-links ...>>``), transclusions (``{{Tiddler}}``) or quote marks (``<<<``)
  are dropped; ``;term`` over ``:definition`` reads ``term: definition``.
- a chat export (WhatsApp, Signal and the like: ``[12/03/2025, 19:42:07] Name: text`` or
  ``12/03/2025, 19:42 - Name: text`` on most lines): a message reads ``Name: text``, its timestamp and the
  chat's system lines (``<Media omitted>``, ``... joined``, ``... added ...``) dropped; the lines of a message
  written over several lines are its points, led by its first line.
- a transcript whose turns open with the time they were said and a speaker (``[00:01:53] Speaker 2: ...``, as
  many as a chat's messages): a turn reads ``Speaker 2: ...`` without its time, the lines after it up to the next
  turn or a blank line its words wrapped.
- LaTeX source (``ingest.latex``); reStructuredText (``ingest.rst``); Cooklang recipes (``ingest.cooklang``);
  subtitles, SubRip or WebVTT (``ingest.captions``); ``git log`` output
  (``ingest.gitlog``).

Text in none of them may be hard-wrapped (``ingest.wrap``): its lines that carry on the line above are joined
to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from ingest.bibtex import is_bibtex, rewrite_bibtex
from ingest.captions import is_captions, rewrite_captions
from ingest.cooklang import is_cooklang, rewrite_cooklang
from ingest.document import MAX_HEADING_LEVEL, Markup
from ingest.gitlog import is_git_log, rewrite_git_log
from ingest.latex import is_latex, rewrite_latex
from ingest.outline import reads_as_title
from ingest.pdftext import is_pdf_text, rewrite_pdf_text
from ingest.rst import is_rst, rewrite_rst
from ingest.rtf import is_rtf, rewrite_rtf
from ingest.scriptnotes import SHELL, SQL, rewrite_comments
from ingest.todotxt import is_todo_txt, rewrite_todo_txt
from ingest.wikitext import rewrite_wikitext
from ingest.wrap import wrapped_joins

# BBCode
_BB_NAMES = r"b|i|u|s|list|quote|code|url|img|size|color|colour|font|center|left|right|sup|sub|spoiler|email|hr"
BB_TAG = re.compile(rf"\[(?:/?(?:{_BB_NAMES})(?:=[^\]]*|\s[^\]]*)?|\*)\]", re.I)
BB_CLOSE = re.compile(rf"\[/(?:{_BB_NAMES})\]", re.I)
BB_LIST = re.compile(r"\[list(?:=(?P<style>[^\]]*))?\]", re.I)
BB_LIST_END = re.compile(r"\[/list\]", re.I)
BB_ITEM = re.compile(r"^\s*\[\*\]\s*")
BB_IMAGE = re.compile(r"\[img(?:=[^\]]*)?\].*?\[/img\]", re.I)
BB_LINK = re.compile(r"\[(?P<tag>url|email)=[^\]]*\](?P<text>.*?)\[/(?P=tag)\]", re.I)
BB_ENDS_PART = re.compile(r"^\s*\[/(?:list|quote|code|spoiler)\]\s*$", re.I)

# TiddlyWiki
TW_TITLE = re.compile(r"^(?P<bangs>!{1,6})\s*(?P<title>[^!\s].*?)\s*$")
TW_FIELD = re.compile(r"^(?P<name>[a-z][a-z0-9._-]*):\s*(?P<value>.*)$")
TW_BOLD = re.compile(r"''(?=\S)(.+?)''")
TW_ITALIC = re.compile(r"(?<![:/\w])//(?=\S)(.+?)//")
TW_UNDERLINE = re.compile(r"(?<!\w)__(?=\S)(.+?)__(?!\w)")
TW_HEADER_CELL = re.compile(r"\|!")
TW_MACRO_LINE = re.compile(r"^\s*(?:<<.*>>|\{\{[^{}]+\}\}|<<<.*)\s*$")
TW_TERM = re.compile(r"^;\s*(?P<term>\S.*)$")
TW_DEFINITION = re.compile(r"^:\s*(?P<text>\S.*)$")
TW_MARKS = (
    re.compile(r"''\S"),  # bold
    re.compile(r"^\|!"),  # a header cell
    re.compile(r"^\s*<<\w"),  # a macro
    re.compile(r"^\s*\{\{[^{}]+\}\}\s*$"),  # a transclusion
)
# chat exports
CHAT_LINE = re.compile(
    r"^\u200e?\[?(?P<date>\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}),?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[APap]\.?[Mm]\.?)?\]?"
    r"\s*(?:[-–]\s*)?(?P<rest>.*)$"
)
CHAT_NAME = re.compile(r"^(?P<name>[^:\u200e]{1,40}?):\s+(?P<text>.*)$")
CHAT_EMPTY = re.compile(
    r"^\W*(?:<?(?:media|image|video|audio|sticker|gif|document) omitted>?|this message was deleted|"
    r"you deleted this message|null|<this message was edited>)\W*$",
    re.I,
)
CHAT_SHARE = 0.3  # the least share of a file's lines that are messages, for it to be read as a chat
# a talk's turn written down with the time it was said: "[00:01:53] Speaker 2: so ...", "00:14 - MAYA: ..."
TIMED_TURN = re.compile(
    r"^\s*[\[(]?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?[\])]?\s*(?:[-–]\s*)?(?=[^\W\d][^:]{0,40}:\s)"
)

TW_FIELDS = frozenset({"tags", "created", "modified", "type", "creator", "modifier", "caption", "list"})


def dialect(lines: list[str]) -> str:
    """``"rtf"``, ``"captions"``, ``"pdftext"``, ``"bibtex"``, ``"latex"``, ``"rst"``, ``"cooklang"``, ``"gitlog"``,
    ``"todotxt"``, ``"chat"``, ``"talk"``, ``"bbcode"``, ``"tiddlywiki"`` or ``""``: the markup a file is written
    in, told by its own marks."""
    if is_rtf(lines):
        return "rtf"
    if is_captions(lines):
        return "captions"
    if is_pdf_text(lines):
        return "pdftext"
    if is_bibtex(lines):
        return "bibtex"
    if is_latex(lines):
        return "latex"
    if is_rst(lines):
        return "rst"
    if is_cooklang(lines):
        return "cooklang"
    if is_git_log(lines):
        return "gitlog"
    if is_todo_txt(lines):
        return "todotxt"
    if _is_chat(lines):
        return "chat"
    if _timed_turns(lines):
        return "talk"
    closing = {m.group(0).lower() for line in lines if "[/" in line for m in BB_CLOSE.finditer(line)}
    if len(closing) >= 2:
        return "bbcode"
    titles = sum(1 for line in lines if line.startswith("!") and reads_as_title(line.lstrip("!")))
    if titles >= 2 and (_records(lines) or sum(any(m.search(x) for x in lines) for m in TW_MARKS) >= 2):
        return "tiddlywiki"
    return ""


def rewrite(lines: list[str], markup: str = "") -> Markup:
    """The lines of a file as the plain-text reader reads them (unchanged when no markup is recognised);
    ``markup`` names the dialect when the file's name already says it (``.rst``, ``.cook``)."""
    rewriter = REWRITERS.get(markup or dialect(lines))
    if rewriter is not None:
        return rewriter(lines)
    return Markup(list(lines), joins=wrapped_joins(lines))  # hard-wrapped text carries on over its lines


def _talk(lines: list[str]) -> Markup:
    """A transcript's turns: the time each was said says nothing, the speaker and the words do."""
    timed = _timed_turns(lines)
    out = [line[timed[i] :] if i in timed else line for i, line in enumerate(lines)]
    return Markup(out, joins=_turns_go_on(lines, timed), breaks=set(timed))


def _turns_go_on(lines: list[str], timed: dict[int, int]) -> set[int]:
    """The lines that carry on the turn above them: every line of text after a turn, up to the next turn or a
    blank line (a turn's words wrapped over lines)."""
    joins: set[int] = set()
    opened = False
    for i, line in enumerate(lines):
        if i in timed:
            opened = True
        elif not line.strip():
            opened = False
        elif opened:
            joins.add(i)
    return joins


def _timed_turns(lines: list[str]) -> dict[int, int]:
    """The lines that open a turn of a talk with the time it was said (to where its speaker starts), when they
    are a share of the file's lines as a chat's messages are; else none."""
    found = {i: m.end() for i, line in enumerate(lines) if (m := TIMED_TURN.match(line))}
    return found if _most_lines(len(found), lines) else {}


def _most_lines(said: int, lines: list[str]) -> bool:
    """Whether this many lines that say something in turn (a chat's messages, a talk's turns) make a file one:
    five at least, and a ``CHAT_SHARE`` of its lines of text."""
    return said >= 5 and said >= CHAT_SHARE * sum(1 for x in lines if x.strip())


def _message(line: str) -> tuple[str, str] | None:
    """(sender, text) of a chat export's message line; ("", "") for its system lines; None for other lines."""
    if not line[:1].isdigit() and not line.startswith(("[", "\u200e")):
        return None
    found = CHAT_LINE.match(line)
    if not found:
        return None
    said = CHAT_NAME.match(found.group("rest").strip())
    return (said.group("name").strip(), said.group("text").strip()) if said else ("", "")


def _is_chat(lines: list[str]) -> bool:
    said = [m for m in map(_message, lines) if m is not None and m[0]]
    return _most_lines(len(said), lines)


def _chat(lines: list[str]) -> Markup:
    out = Markup(list(lines))
    opened = -1  # the line of the message the lines after it continue
    for i, line in enumerate(lines):
        message = _message(line)
        if message is None:
            if line.strip() and opened >= 0:
                if not out.lines[opened].endswith(":"):
                    out.lines[opened] += ":"  # a message over several lines leads its lines
                out.lines[i] = f"- {line.strip().lstrip('-•*').strip()}"
            elif not line.strip():
                opened = -1
            continue
        name, text = message
        system = text.startswith("\u200e")  # the app's own lines ("‎Dave created this group") start with a mark
        text = text.replace("\u200e", "").strip()
        if not name or system or not text or CHAT_EMPTY.match(text):
            out.dropped.add(i)
            opened = -1
            continue
        out.lines[i] = f"{name}: {text}"
        out.breaks.add(i)
        opened = i
    return out


def _bbcode(lines: list[str]) -> Markup:
    out = Markup(list(lines))
    lists: list[list[str | int]] = []  # open lists: [style, items so far]
    for i, line in enumerate(lines):
        if BB_ENDS_PART.match(line):
            if BB_LIST_END.search(line) and lists:
                lists.pop()
            out.lines[i] = ""  # the end of a list or a quote ends a part, as a blank line does
            continue
        for opened in BB_LIST.finditer(line):
            lists.append([(opened.group("style") or "").strip().strip("\"'").lower(), 0])
        for _ in BB_LIST_END.finditer(line):
            if lists:
                lists.pop()
        item = BB_ITEM.match(line)
        text = line[item.end() :] if item else line
        text = BB_LINK.sub(lambda m: m.group("text"), BB_IMAGE.sub("", text))
        text = BB_TAG.sub("", text).rstrip()  # an indented line keeps its indentation
        if item and lists:
            lists[-1][1] = int(lists[-1][1]) + 1
            style, n = str(lists[-1][0]), int(lists[-1][1])
            mark = f"{n}." if style == "1" else f"{chr(ord('a') + (n - 1) % 26)})" if style == "a" else "-"
            text = f"{'  ' * (len(lists) - 1)}{mark} {text.strip()}" if text.strip() else ""
        if not text.strip() and line.strip():
            out.dropped.add(i)  # tags alone on the line
        out.lines[i] = text if text.strip() else ("" if not line.strip() else line)
    return out


def _records(lines: list[str]) -> list[int]:
    """The lines that open a tiddler: ``title: ...`` at the top of a part, with a field line right under it."""
    found = []
    for i, line in enumerate(lines):
        if not line.startswith("title:") or (i and lines[i - 1].strip() and not lines[i - 1].startswith("---")):
            continue
        below = TW_FIELD.match(lines[i + 1]) if i + 1 < len(lines) else None
        if below and below.group("name") in TW_FIELDS and line[6:].strip():
            found.append(i)
    return found


def _tiddlywiki(lines: list[str]) -> Markup:
    out = Markup(list(lines))
    records = _records(lines)
    for i in records:
        out.titles[i] = (lines[i][6:].strip(), 1)
        for j in range(i + 1, len(lines)):
            fields = TW_FIELD.match(lines[j])
            if not fields or fields.group("name") == "title":
                break
            out.dropped.add(j)
    under = 1 if records else 0
    for i, line in enumerate(lines):
        if i in out.titles or i in out.dropped:
            continue
        heading = TW_TITLE.match(line)
        if heading and reads_as_title(heading.group("title")):
            level = min(len(heading.group("bangs")) + under, MAX_HEADING_LEVEL)
            out.titles[i] = (_inline(heading.group("title")), level)
            continue
        if TW_MACRO_LINE.match(line):
            out.dropped.add(i)
            continue
        term = TW_TERM.match(line)
        below = TW_DEFINITION.match(lines[i + 1]) if term and i + 1 < len(lines) else None
        if term and below:
            out.dropped.add(i)
            out.lines[i + 1] = f"{_inline(term.group('term'))}: {_inline(below.group('text'))}"
            continue
        if i and i - 1 in out.dropped and TW_TERM.match(lines[i - 1]):
            continue  # the definition, read with its term above
        if term:
            line = term.group("term")
        elif TW_DEFINITION.match(line):
            line = line[1:].lstrip()
        if line.startswith("|"):
            line = TW_HEADER_CELL.sub("|", line)
        out.lines[i] = _inline(line)
    return out


def _inline(text: str) -> str:
    return TW_UNDERLINE.sub(r"\1", TW_ITALIC.sub(r"\1", TW_BOLD.sub(r"\1", text)))


# each dialect's rewriter (``dialect`` tells the markup, or a file's suffix names it: ``ingest.parser``)
REWRITERS: dict[str, Callable[[list[str]], Markup]] = {
    "rtf": rewrite_rtf,
    "captions": rewrite_captions,
    "latex": rewrite_latex,
    "bibtex": rewrite_bibtex,
    "pdftext": rewrite_pdf_text,
    "sql": partial(rewrite_comments, syntax=SQL),
    "todotxt": rewrite_todo_txt,
    "shell": partial(rewrite_comments, syntax=SHELL),
    "mediawiki": rewrite_wikitext,
    "rst": rewrite_rst,
    "cooklang": rewrite_cooklang,
    "gitlog": rewrite_git_log,
    "chat": _chat,
    "talk": _talk,
    "bbcode": _bbcode,
    "tiddlywiki": _tiddlywiki,
}
