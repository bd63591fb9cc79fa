"""Emacs Org-mode notes (``.org``) → the typed document model, read by Org's own syntax.

Org is line-oriented, so the reader walks the lines once and builds the blocks of ``ingest.document``
itself (as ``ingest.plaintext`` does) rather than rewriting the file into Markdown: every block keeps its
exact 1-based line span. What it reads (https://orgmode.org/worg/org-syntax.html):

- headlines ``*``, ``**``, ... with their TODO keyword, priority cookie, statistics cookie and tags
  dropped from the text; ``#+TITLE:`` is the document's title (a heading one level above the ``*``
  headlines, as ``# Title`` is over ``##`` in Markdown); a ``COMMENT`` headline's subtree is skipped.
- plain lists ``-``, ``+``, indented ``*`` and ``1.`` / ``1)`` items, nested by indentation; lines
  indented under an item continue it, a paragraph after a blank line inside it sits under it; checkboxes
  and ``[@3]`` counters dropped; description items ``- term :: definition`` read as ``term: definition``
  under the term, as a Markdown item.
- tables ``| a | b |``: one passage per row, labelled by the header row when a ``|---+---|`` rule
  follows the first row (as a Markdown table's header); rules and ``#+TBLFM:`` lines are no passages.
- ``#+BEGIN_SRC`` / ``#+BEGIN_EXAMPLE`` blocks and ``: fixed-width`` lines are code (kept verbatim, never
  read for facts); ``#+BEGIN_QUOTE`` / ``#+BEGIN_VERSE`` are quotes; ``#+BEGIN_COMMENT`` and export
  blocks are skipped; other blocks (``CENTER``, dynamic blocks) are read as ordinary text.
- drawers: a ``:PROPERTIES:`` drawer's entries are read as ``Key: value`` lines, since notes keep facts in
  properties (``:RETENTION: 90 days``) as other notes write ``Key: value`` lines; Org's own bookkeeping
  (``:ID:``, ``:CUSTOM_ID:``, values that are only a timestamp or an id) is skipped. ``:LOGBOOK:`` and
  every other drawer hold state changes and clock lines Org writes itself: skipped, as are planning lines
  (``SCHEDULED:``, ``DEADLINE:``), ``#+KEYWORD:`` lines and ``# comments``.
- inline markup ``*bold*``, ``/italic/``, ``_underline_``, ``+strike+``, ``=verbatim=``, ``~code~`` and
  links ``[[target][description]]`` / ``[[target]]`` become plain text. Markers count only where Org's
  rules put them (after a space or an opening bracket, before a space or punctuation, no space inside
  next to them), so ``2*3*4``, ``a + b + c`` and ``snake_case_name`` stay as written; a ``/`` pair whose
  text holds a ``/`` is read as a path (``/etc/nginx/``), not italics.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from ingest.cards import CardReader, is_card
from ingest.document import MAX_HEADING_LEVEL, Block, bar_cells, clean, row_text
from ingest.markdown import blocks_to_passages
from kg.model import BlockKind, Passage

ORG_SUFFIXES = (".org",)

HEADLINE = re.compile(r"^(?P<stars>\*+)\s+(?P<body>.*?)\s*$|^(?P<bare>\*+)$")
PRIORITY = re.compile(r"^\[#[A-Za-z0-9]\]\s*")
TAGS = re.compile(r"\s+:(?:[\w@#%]+:)+\s*$")
STATS_COOKIE = re.compile(r"\s*\[\d*%\]|\s*\[\d*/\d*\]")
# Org's own default keywords and the ones notes most often declare with #+TODO:
TODO_KEYWORDS = frozenset({"TODO", "DONE", "NEXT", "WAIT", "WAITING", "HOLD", "STARTED", "CANCELLED", "CANCELED"})
KEYWORD = re.compile(r"^\s*#\+(?P<key>[A-Za-z_][\w-]*(?:\[[^\]]*\])?):\s?(?P<value>.*)$")
BLOCK_BEGIN = re.compile(r"^\s*#\+begin_(?P<name>\S+)", re.I)
BLOCK_END = re.compile(r"^\s*#\+end_(?P<name>\S+)\s*$", re.I)
COMMENT = re.compile(r"^\s*#(?:\s|$)")
DRAWER_BEGIN = re.compile(r"^\s*:(?P<name>[\w-]+):\s*$")
DRAWER_END = re.compile(r"^\s*:END:\s*$", re.I)
PROPERTY = re.compile(r"^\s*:(?P<key>[^\s:]+?)\+?:(?:\s+(?P<value>.*?))?\s*$")
PLANNING = re.compile(r"^\s*(?:(?:SCHEDULED|DEADLINE|CLOSED):\s*[<\[][^>\]]*[>\]]\s*)+$")
CLOCK = re.compile(r"^\s*CLOCK:")
FIXED_WIDTH = re.compile(r"^\s*:(?:\s|$)")
RULE = re.compile(r"^\s*-{5,}\s*$")
TABLE_LINE = re.compile(r"^\s*\|")
TABLE_RULE = re.compile(r"^\s*\|-")
ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<bullet>[-+]|(?<=[ \t])\*|\d{1,9}[.)])(?:[ \t]+|$)(?P<body>.*)$")
DIRECTIVE = re.compile(r"^\s*#\+")
COUNTER = re.compile(r"^\[@(?:\d+|[A-Za-z])\]\s*")
CHECKBOX = re.compile(r"^\[[ Xx-]\](?:\s+|$)")
DESCRIPTION = re.compile(r"^(?P<term>.*?\S)\s+::(?:\s+(?P<definition>.*)|$)")
# Org's bookkeeping in property drawers, and values that are only a timestamp or a generated id
MACHINE_PROPERTIES = frozenset({"ID", "CUSTOM_ID", "CREATED", "VISIBILITY", "ARCHIVE_TIME", "ARCHIVE_FILE", "STYLE"})
MACHINE_VALUE = re.compile(
    r"^(?:[<\[]\d{4}-\d{2}-\d{2}[^>\]]*[>\]]|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)

LINK = re.compile(r"\[\[(?P<target>(?:[^\[\]\\]|\\.)+)\](?:\[(?P<desc>[^\[\]]+)\])?\]")
ANGLE_LINK = re.compile(r"<(?P<url>(?:https?|ftp|mailto|file):[^<>\s]+)>")
FOOTNOTE_REF = re.compile(r"\[fn:[\w-]*(?::[^\]]*)?\]")
TARGET = re.compile(r"<<<?([^<>]+?)>>>?")
MACRO = re.compile(r"\{\{\{[^}]*\}\}\}")
# PRE, marker, contents not starting or ending with a space, the same marker, POST (org-syntax "Emphasis")
PRE = r"(?:^|(?<=[\s\-({'\"]))"
POST = r"(?=[\s\-.,;:!?')}\[\"\\]|$)"
VERBATIM = re.compile(PRE + r"(?P<m>[=~])(?P<body>[^\s=~]|[^\s][^\n]*?[^\s])(?P=m)" + POST)
EMPHASIS = re.compile(PRE + r"(?P<m>[*/_+])(?P<body>[^\s*/_+]|[^\s][^\n]*?[^\s])(?P=m)" + POST)


def _link(m: re.Match[str]) -> str:
    if m.group("desc"):
        return m.group("desc")
    target = m.group("target").replace("\\]", "]").replace("\\[", "[")
    target = re.sub(r"^(?:file|id|roam):", "", target)
    return target.lstrip("*#")  # [[*Heading]], [[#custom-id]]: the heading's words


def _emphasis(m: re.Match[str]) -> str:
    body = m.group("body")
    if m.group("m") == "/" and "/" in body:
        return m.group(0)  # /etc/nginx/ is a path
    return body


def plain(text: str) -> str:
    """The plain text of one line of Org: links as their description, markup markers dropped."""
    verbatim: list[str] = []

    def keep(m: re.Match[str]) -> str:
        verbatim.append(m.group("body"))
        return f"\x00{len(verbatim) - 1}\x00"

    text = LINK.sub(_link, text)  # a link's target may hold markup characters; its text is what shows
    text = VERBATIM.sub(keep, text)  # =x= and ~x~ are literal: no markup inside them
    text = ANGLE_LINK.sub(lambda m: m.group("url"), text)
    text = FOOTNOTE_REF.sub("", text)
    text = MACRO.sub("", text)
    text = TARGET.sub(lambda m: m.group(1), text)
    for _ in range(3):  # nested emphasis: */bold italic/*
        new = EMPHASIS.sub(_emphasis, text)
        if new == text:
            break
        text = new
    text = re.sub(r"\x00(\d+)\x00", lambda m: verbatim[int(m.group(1))], text)
    return clean(text.replace("\\\\", " "))  # a trailing \\ is a line break


def headline_text(body: str, keywords: frozenset[str]) -> tuple[str, bool]:
    """The text of a headline without keyword, priority, statistics cookies and tags; and whether it is
    a COMMENT headline."""
    body = TAGS.sub("", f" {body}").strip()
    word, _, rest = body.partition(" ")
    if word in keywords:
        body = rest.strip()
    body = PRIORITY.sub("", body)
    commented = body == "COMMENT" or body.startswith("COMMENT ")
    if commented:
        body = body[len("COMMENT") :].strip()
    return plain(STATS_COOKIE.sub("", body)), commented


def table_cells(line: str) -> list[str]:
    return [plain(c) for c in bar_cells(line)]


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


@dataclass
class _Item:
    indent: int  # the bullet's column: lines indented more belong to the item
    label: str  # how it names the blocks under it


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.blocks: list[Block] = []
        self.items: list[_Item] = []
        self.keywords = TODO_KEYWORDS | self._declared_keywords()
        self.titled = any((m := KEYWORD.match(x)) and m.group("key").upper() == "TITLE" for x in lines)
        self.title_done = False
        self.intro = ""  # a line ending with ':' that introduces the list after it
        self.list_intro = ""  # an item ending with ':' without children: it introduces its later siblings
        self.cards = CardReader()
        # where drawers and blocks end, found in one pass so that unclosed ones cost no rescans
        self.drawer_end = [-1] * (len(lines) + 1)  # the next :END: at or after a line, before any headline
        self.next_headline = [len(lines)] * (len(lines) + 1)  # no block or drawer runs past a headline
        for k in range(len(lines) - 1, -1, -1):
            if HEADLINE.match(lines[k]):
                self.drawer_end[k], self.next_headline[k] = -1, k
            else:
                self.drawer_end[k] = k if DRAWER_END.match(lines[k]) else self.drawer_end[k + 1]
                self.next_headline[k] = self.next_headline[k + 1]
        self.block_ends: dict[str, list[int]] = {}
        for k, line in enumerate(lines):
            end = BLOCK_END.match(line)
            if end:
                self.block_ends.setdefault(end.group("name").lower(), []).append(k)

    def _declared_keywords(self) -> frozenset[str]:
        found: set[str] = set()
        for line in self.lines:
            m = KEYWORD.match(line)
            if m and m.group("key").upper() in ("TODO", "SEQ_TODO", "TYP_TODO"):
                found |= {re.sub(r"\(.*\)$", "", w) for w in m.group("value").split() if w != "|"}
        return frozenset(found)

    def emit(self, block: Block) -> None:
        self.blocks.append(block)

    def parents(self) -> tuple[str, ...]:
        return tuple(it.label for it in self.items if it.label)

    def close_items(self, indent: int) -> None:
        """Leave the items a line at this indentation is no longer inside."""
        while self.items and indent <= self.items[-1].indent:
            self.items.pop()
        if not self.items:
            self.list_intro = ""

    def run(self) -> list[Block]:
        i, n = 0, len(self.lines)
        blanks = 0
        while i < n:
            line = self.lines[i]
            if not line.strip():
                blanks += 1
                if blanks >= 2:  # two blank lines end every list
                    self.close_items(0)
                i += 1
                continue
            blanks = 0
            i = self.step(i)
        return self.blocks

    def step(self, i: int) -> int:
        """Read the element starting at line ``i``; returns the index of the line after it."""
        line = self.lines[i]
        head = HEADLINE.match(line)
        if head:
            return self.headline(i, head)
        indent = _indent(line)
        keyword = KEYWORD.match(line)
        if keyword and not BLOCK_BEGIN.match(line):
            self.cards.forget()
            if keyword.group("key").upper() == "TITLE" and not self.title_done and keyword.group("value").strip():
                self.title_done = True
                self.emit(Block(BlockKind.HEADING, plain(keyword.group("value")), i + 1, i + 1, level=1))
            return i + 1
        if COMMENT.match(line) or RULE.match(line) or PLANNING.match(line) or CLOCK.match(line):
            return i + 1
        self.close_items(indent)
        if BLOCK_BEGIN.match(line):
            self.cards.forget()
            return self.block(i)
        if DIRECTIVE.match(line):  # #+END_X without its #+BEGIN_X, dynamic block markers
            return i + 1
        if DRAWER_END.match(line):  # an :END: without its drawer
            return i + 1
        drawer = DRAWER_BEGIN.match(line)
        if drawer and self.drawer_end[i + 1] > i:  # a drawer needs its :END: before the next headline
            return self.drawer(i, drawer.group("name"), self.drawer_end[i + 1])
        if TABLE_LINE.match(line):
            return self.table(i)
        if FIXED_WIDTH.match(line):
            return self.fixed_width(i)
        item = ITEM.match(line)
        if item:
            return self.item(i, item)
        return self.paragraph(i)

    def headline(self, i: int, head: re.Match[str]) -> int:
        stars = len(head.group("stars") or head.group("bare"))
        text, commented = headline_text(head.group("body") or "", self.keywords)
        self.items, self.intro, self.list_intro = [], "", ""
        self.cards.forget()
        if commented:  # the whole subtree is commented out
            j = i + 1
            while j < len(self.lines):
                below = HEADLINE.match(self.lines[j])
                if below and len(below.group("stars") or below.group("bare")) <= stars:
                    break
                j += 1
            return j
        if text:
            level = min(stars + 1 if self.titled else stars, MAX_HEADING_LEVEL)
            self.emit(Block(BlockKind.HEADING, text, i + 1, i + 1, level=level))
        return i + 1

    def block(self, i: int) -> int:
        begin = BLOCK_BEGIN.match(self.lines[i])
        assert begin is not None
        name = begin.group("name").lower()
        ends = self.block_ends.get(name, [])
        at = bisect_right(ends, i)
        if (
            at == len(ends) or ends[at] > self.next_headline[i]
        ):  # never closed: the marker is dropped, the lines after it read as text
            return i + 1
        j = ends[at]
        body = self.lines[i + 1 : j]
        if name in ("src", "example"):
            code = _dedent(body)
            if code.strip():
                self.emit(Block(BlockKind.CODE, code, i + 1, j + 1, parents=self.parents()))
        elif name in ("quote", "verse"):
            self.quote(body, i + 1)
        elif name not in ("comment", "export", "html", "latex", "ascii"):
            return i + 1  # CENTER and the like: their lines are ordinary text, the end marker is skipped
        self.intro = ""
        return j + 1

    def quote(self, body: list[str], base: int) -> None:
        """One quote block per paragraph of the quote, each with its own lines."""
        start = -1
        for k, line in enumerate([*body, ""]):
            if line.strip() and start < 0:
                start = k
            elif not line.strip() and start >= 0:
                text = " ".join(x for x in (plain(s) for s in body[start:k]) if x)
                if text:
                    self.emit(Block(BlockKind.QUOTE, text, base + start + 1, base + k, parents=self.parents()))
                start = -1

    def drawer(self, i: int, name: str, j: int) -> int:
        if name.upper() == "PROPERTIES":
            for k in range(i + 1, j):
                prop = PROPERTY.match(self.lines[k])
                if not prop or not prop.group("value"):
                    continue
                key, value = prop.group("key"), prop.group("value")
                if key.upper() in MACHINE_PROPERTIES or MACHINE_VALUE.match(value):
                    continue
                text = f"{key.replace('_', ' ').capitalize()}: {plain(value)}"
                self.emit(Block(BlockKind.PARAGRAPH, text, k + 1, k + 1, parents=self.parents()))
        return j + 1

    def table(self, i: int) -> int:
        j = i
        while j < len(self.lines) and TABLE_LINE.match(self.lines[j]):
            j += 1
        rows = [k for k in range(i, j) if not TABLE_RULE.match(self.lines[k])]
        header: list[str] = []
        # a rule right after the first row makes it the header (Org's table header)
        if rows and rows[0] + 1 < j and TABLE_RULE.match(self.lines[rows[0] + 1]) and len(rows) > 1:
            header, rows = table_cells(self.lines[rows[0]]), rows[1:]
        for k in rows:
            text = row_text(header, table_cells(self.lines[k]))
            if text:
                self.emit(Block(BlockKind.TABLE_ROW, text, k + 1, k + 1, parents=self.parents()))
        self.intro = ""
        return j

    def fixed_width(self, i: int) -> int:
        j = i
        while j < len(self.lines) and FIXED_WIDTH.match(self.lines[j]):
            j += 1
        code = "\n".join(re.sub(r"^\s*: ?", "", x) for x in self.lines[i:j])
        if code.strip():
            self.emit(Block(BlockKind.CODE, code, i + 1, j, parents=self.parents()))
        return j

    def _continues(self, j: int, indent: int) -> bool:
        """Whether line ``j`` carries on the text started above it (at ``indent`` or deeper)."""
        if j >= len(self.lines):
            return False
        line = self.lines[j]
        if not line.strip() or _indent(line) < indent:
            return False
        return not (
            HEADLINE.match(line)
            or DIRECTIVE.match(line)
            or ITEM.match(line)
            or KEYWORD.match(line)
            or COMMENT.match(line)
            or DRAWER_BEGIN.match(line)
            or TABLE_LINE.match(line)
            or FIXED_WIDTH.match(line)
            or PLANNING.match(line)
            or CLOCK.match(line)
            or RULE.match(line)
        )

    def item(self, i: int, m: re.Match[str]) -> int:
        indent = _indent(m.group("indent"))
        j = i + 1
        while self._continues(j, indent + 1):
            j += 1
        body = " ".join([m.group("body"), *(x.strip() for x in self.lines[i + 1 : j])])
        body = CHECKBOX.sub("", COUNTER.sub("", body.strip()))
        ordered = m.group("bullet")[0].isalnum()
        desc = None if ordered else DESCRIPTION.match(body)
        if desc:
            term, definition = plain(desc.group("term")), plain(desc.group("definition") or "")
            text, label = (f"{term}: {definition}" if definition else term), term
        else:
            text = plain(body)
            label = text.rstrip(":").strip()
        if not text:
            return j
        # step() has closed the items this one is not inside: the open ones are its parents
        lead = "" if self.items else self.intro or self.list_intro
        kind = BlockKind.STEP if ordered else BlockKind.ITEM
        self.emit(Block(kind, text, i + 1, j, parents=self.parents(), lead=lead))
        top = not self.items
        self.items.append(_Item(indent, label))
        if top and text.endswith(":") and not self._has_children(j, indent):
            self.list_intro = label  # "- Options:" then flat siblings: it introduces them
        return j

    def _has_children(self, j: int, indent: int) -> bool:
        while j < len(self.lines) and not self.lines[j].strip():
            j += 1
        return j < len(self.lines) and _indent(self.lines[j]) > indent and bool(self.lines[j].strip())

    def paragraph(self, i: int) -> int:
        indent = _indent(self.lines[i])
        j = i + 1
        while self._continues(j, 0 if not self.items else indent):
            if self.items and _indent(self.lines[j]) <= self.items[-1].indent:
                break
            j += 1
        texts = [plain(x) for x in self.lines[i:j]]
        if not self.items and any(is_card(x) for x in texts):
            for k, text in enumerate(texts):  # flashcards: one block per line, answers under questions
                if text:
                    block, replaces = self.cards.block(text, i + k + 1, i + k + 1, (), self.intro)
                    if replaces:
                        self.blocks.pop()
                    self.emit(block)
            return j
        text = plain(" ".join(x.strip() for x in self.lines[i:j]))  # emphasis may run over a line break
        if text:
            self.emit(Block(BlockKind.PARAGRAPH, text, i + 1, j, parents=self.parents(), lead=self.intro))
            self.intro = text.rstrip(":").strip() if text.endswith(":") and not self.items else ""
        return j


def _dedent(lines: list[str]) -> str:
    """A block's lines without the indentation they all share (a block inside a list item is indented)."""
    widths = [_indent(x) for x in lines if x.strip()]
    cut = min(widths, default=0)
    return "\n".join(x.expandtabs(8)[cut:] for x in lines).strip("\n")


def read_blocks(text: str) -> list[Block]:
    """The blocks of an Org file, in order, with 1-based line spans."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _Reader(lines).run()


def parse_org(text: str, rel: str) -> list[Passage]:
    """Passages of one Org file's text; ``rel`` is its path relative to the notes folder."""
    return blocks_to_passages(read_blocks(text), rel)
