"""Raw HTML inside Markdown notes (a web clipper's ``<h2>``, ``<p>``, ``<ul><li>``, ``<table>``; a README's
``<details>``) read as the blocks it marks up, each with its own source lines, by the standard library's
HTML parser: entities resolved, tags, scripts and styles dropped, comments dropped unless they are words.

- ``<h1>``-``<h6>``: a heading of that level;
- ``<p>``, ``<div>``, ``<summary>``, ``<blockquote>``, ``<dt>`` / ``<dd>`` and any other block: a paragraph of
  its text (``<br>`` and inline tags inside it join its lines);
- ``<li>``: an item (a step in an ``<ol>``) under the items it is nested in, led by a paragraph ending with
  ``:`` right over its list;
- a block that opens with a checkbox (``<input type="checkbox">``, Evernote's ``<en-todo>``): an item of a
  checklist, led like a list's;
- ``<tr>``: a table row, each cell read with its column's ``<th>`` header (a row of ``<th>`` cells, the rows
  of a ``<thead>``, or a first row whose cells are all bold type, as editors export a header, is the header).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ingest.document import TEXT_WORDS, WORD, Block, clean, row_text
from kg.model import BlockKind
from kg.text import item_label

HEADINGS = {f"h{n}": n for n in range(1, 7)}
INLINE = frozenset(
    "a abbr b bdi bdo br cite code data del dfn em font i img ins kbd mark q s samp small span strong sub sup "
    "time u var wbr".split()
)
SKIPPED = frozenset({"script", "style", "template", "head", "title", "xml"})  # "xml": Word's data islands
LISTS = frozenset({"ul", "ol", "menu"})
BOLD = frozenset({"b", "strong"})
BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.I)
CHECKBOXES = frozenset({"en-todo", "input"})  # a checkbox before a block's text makes it a checklist's item
TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
LINK = re.compile(r"\S+://\S+|\bwww\.\S+")
SPEAKER_NOTES = re.compile(r"^(?:speaker\s+)?notes?\s*:\s*", re.I)  # the comment's label, not what it says
# Word's list paragraph ("Save as Web Page", OneNote, Outlook): <p class=MsoListParagraphCxSpFirst
# style='mso-list:l0 level2 lfo1'>, its bullet or number in an <![if !supportLists]> section before its text
WORD_LIST_STYLE = re.compile(r"mso-list\s*:\s*l\d+\s+level(\d+)", re.I)
NUMBERED = re.compile(r"^\s*\(?[0-9a-z]{1,4}[.)]", re.I)  # "1.", "a)", "iv.": a numbered list's marker
HTML_SUFFIXES = (".html", ".htm")  # notes saved or exported as a web page: the whole file is read as HTML


@dataclass
class _List:
    ordered: bool
    lead: str
    item: str = ""  # the open item's label, for the items nested under it
    last: str = ""  # the label of the item closed last: a list opened right after it, inside this list (as
    # Evernote and some editors nest lists: <ul><li>A</li><ul><li>A.1</li></ul></ul>), sits under it
    reopened: bool = False  # this list sits under its parent list's closed item, reopened for it
    word: bool = False  # Word's list paragraphs at one level, no <ul> or <ol> of their own


@dataclass
class _Table:
    header: list[str] = field(default_factory=list)
    row: list[str] = field(default_factory=list)
    cell: list[str] | None = None
    heads: bool = True  # every cell of the row so far is a <th>
    bold: bool = True  # ... or all its text is bold (an editor's header row of <td><b>: Evernote, OneNote)
    rows: int = 0  # rows read so far
    in_head: bool = False
    start: int = 0
    end: int = 0


def in_words(comment: str) -> bool:
    """Whether a comment's text is words to read (three or more, links aside), not a directive or a marker."""
    return len(WORD.findall(LINK.sub(" ", comment))) >= TEXT_WORDS


class _Blocks(HTMLParser):
    def __init__(self, first_line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.base = first_line - 1
        self.blocks: list[Block] = []
        self.text: list[str] = []
        self.start = self.end = 0
        self.heading = 0
        self.lists: list[_List] = []
        self.in_item = False  # the open <li> has not given its own text yet
        self.tables: list[_Table] = []
        self.skip = 0
        self.lead = ""  # a paragraph ending with ':' that a list may follow
        self.checkbox = False  # the open block opened with a checkbox
        self.spans: list[bool] = []  # the open <span>s: whether each sets bold type
        self.bold = 0  # open <b>, <strong> and bold <span>s
        self.marker: list[str] | None = None  # the text of Word's list marker section, while in it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if ":" in tag:
            return  # Office's own elements (<o:p>, <v:shape>): no block, their text read where it stands
        if tag in SKIPPED:
            self.skip += 1
            return
        if tag in CHECKBOXES:
            opens = not self.tables and not "".join(self.text).strip()
            if opens and (tag == "en-todo" or ("type", "checkbox") in attrs):
                self.checkbox = True
            return
        if tag == "br" or tag in INLINE:
            if tag == "br":
                self._data(" ")
            if tag == "span":
                self.spans.append(self._bold_span(attrs))
            if tag in BOLD or (tag == "span" and self.spans[-1]):
                self.bold += 1
            return
        table = self.tables[-1] if self.tables else None
        if table is not None and tag in ("td", "th"):
            table.cell = []
            table.heads = table.heads and tag == "th"
            if not table.row:
                table.start = self.getpos()[0]
            return
        if table is not None and tag == "tr":
            table.row, table.heads, table.bold = [], True, True
            return
        if table is not None and tag == "thead":
            table.in_head = True
            return
        self.flush()
        level = self._word_list_level(attrs) if not self.tables else 0
        if level or (self.lists and self.lists[-1].word):
            self._word_lists(level)
        if tag in HEADINGS:
            self.heading = HEADINGS[tag]
        elif tag in LISTS:
            outer = self.lists[-1] if self.lists else None
            reopened = outer is not None and not outer.item and bool(outer.last)
            if outer is not None and reopened:
                outer.item = outer.last
            self.lists.append(_List(ordered=tag == "ol", lead="" if self.lists else self.lead, reopened=reopened))
            self.lead = ""
        elif tag == "li":
            self.in_item = bool(self.lists)
        elif tag == "table":
            self.tables.append(_Table())

    def handle_endtag(self, tag: str) -> None:
        if ":" in tag:
            return
        if tag in SKIPPED:
            self.skip = max(self.skip - 1, 0)
            return
        if tag in INLINE or tag in CHECKBOXES:
            if tag in BOLD or (tag == "span" and self.spans and self.spans.pop()):
                self.bold = max(self.bold - 1, 0)
            return
        table = self.tables[-1] if self.tables else None
        if table is not None and tag in ("td", "th"):
            if table.cell is not None:
                table.row.append(clean("".join(table.cell)))
                table.cell = None
            return
        if table is not None and tag == "tr":
            self.table_row(table)
            return
        if table is not None and tag == "thead":
            table.in_head = False
            return
        self.flush()
        if tag in HEADINGS:
            self.heading = 0
        elif tag in LISTS and self.lists:
            if self.lists.pop().reopened and self.lists:
                self.lists[-1].item = ""
        elif tag == "li":
            self.in_item = False
            if self.lists:
                self.lists[-1].last, self.lists[-1].item = self.lists[-1].item, ""
        elif tag == "table" and self.tables:
            self.tables.pop()

    def handle_data(self, data: str) -> None:
        if self.marker is not None:
            self.marker.append(data)
            return
        self._data(data)

    def unknown_decl(self, data: str) -> None:
        """Word's ``<![if !supportLists]>`` … ``<![endif]>`` around a list paragraph's bullet or number: the
        marker tells a numbered list, and is no text."""
        said = data.strip().lower()
        if said.startswith("if") and "supportlists" in said:
            self.marker = []
        elif said == "endif" and self.marker is not None:
            marker, self.marker = "".join(self.marker), None
            if self.lists and self.lists[-1].word and NUMBERED.match(marker):
                self.lists[-1].ordered = True

    @staticmethod
    def _word_list_level(attrs: list[tuple[str, str | None]]) -> int:
        """The level of Word's list paragraph (1 for the outermost), or 0 for another block."""
        style = next((v or "" for k, v in attrs if k == "style"), "")
        found = WORD_LIST_STYLE.search(style)
        if found:
            return max(int(found.group(1)), 1)
        css = next((v or "" for k, v in attrs if k == "class"), "")
        return 1 if css.lower().startswith("msolistparagraph") else 0

    def _word_lists(self, level: int) -> None:
        """Open or close Word's list levels for a block at ``level`` (0: no list paragraph, all close)."""
        while self.lists and self.lists[-1].word and len(self.lists) > level:
            self.lists.pop()
        while level and len(self.lists) < level:
            self.lists.append(_List(ordered=False, lead="" if self.lists else self.lead, word=True))
            self.lead = ""
        self.in_item = bool(level)

    def handle_comment(self, data: str) -> None:
        """A comment of three words or more (Marp's and reveal.js's speaker notes, a writer's remark) is a
        paragraph of its own, on the lines it spans; a directive or a marker says nothing."""
        text = SPEAKER_NOTES.sub("", clean(data))
        if self.skip or self.tables or data.lstrip().startswith("[if") or not in_words(text):
            # "<!--[if gte mso 9]><xml>…": Office's conditional markup, no words of the writer
            return
        self.flush()
        start = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n") + self.base
        end = self.getpos()[0] + data.rstrip().count("\n") + self.base
        inside = tuple(lst.item for lst in self.lists if lst.item)
        self.blocks.append(Block(BlockKind.PARAGRAPH, text, start, end, parents=inside))

    def _data(self, data: str) -> None:
        if self.skip:
            return
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None:
            table.cell.append(data)
            table.bold = table.bold and (self.bold > 0 or not data.strip())
            table.end = self.getpos()[0] + data.rstrip().count("\n")
            return
        if not data.strip():
            if self.text:
                self.text.append(data)
            return
        line = self.getpos()[0]
        if not self.text:
            self.start = line + data[: len(data) - len(data.lstrip())].count("\n")
        self.text.append(data)
        self.end = line + data.rstrip().count("\n")

    @staticmethod
    def _bold_span(attrs: list[tuple[str, str | None]]) -> bool:
        style = next((v or "" for k, v in attrs if k == "style"), "")
        return bool(BOLD_STYLE.search(style))

    def table_row(self, table: _Table) -> None:
        row, table.row = table.row, []
        if not any(row):
            return
        table.rows += 1
        if table.in_head or (not table.header and (table.heads or (table.bold and table.rows == 1 and len(row) > 1))):
            table.header = row
            return
        text = row_text(table.header, row)
        if text:
            start = table.start + self.base
            self.blocks.append(Block(BlockKind.TABLE_ROW, text, start, max(table.end + self.base, start)))

    def flush(self) -> None:
        text = clean("".join(self.text))
        self.text = []
        checkbox, self.checkbox = self.checkbox, False
        if not text:
            return
        start, end = self.start + self.base, max(self.end, self.start) + self.base
        parents = tuple(lst.item for lst in self.lists[:-1] if lst.item) if self.lists else ()
        if self.heading:
            self.blocks.append(Block(BlockKind.HEADING, text, start, end, level=self.heading))
            self.lead = ""
        elif self.in_item and self.lists:
            lst = self.lists[-1]
            kind = BlockKind.STEP if lst.ordered else BlockKind.ITEM
            self.blocks.append(Block(kind, text, start, end, parents=parents, lead=lst.lead))
            lst.item, self.in_item = item_label(text), False
        elif checkbox:
            self.blocks.append(Block(BlockKind.ITEM, text, start, end, parents=parents, lead=self.lead))
        else:
            inside = tuple(lst.item for lst in self.lists if lst.item)
            self.blocks.append(Block(BlockKind.PARAGRAPH, text, start, end, parents=inside))
            self.lead = text.rstrip(":").strip() if text.endswith(":") else ""


def html_blocks(source: str, first_line: int) -> list[Block]:
    """The blocks of raw HTML ``source`` whose first line is line ``first_line`` (1-based) of its file. HTML
    the parser refuses (a broken ``<![`` section) is one paragraph of its text, its tags dropped."""
    reader = _Blocks(first_line)
    try:
        reader.feed(source)
        reader.close()
    except AssertionError:  # html.parser's way of refusing a malformed declaration or marked section
        text = clean(TAG.sub(" ", source))
        last = first_line + max(source.rstrip("\n").count("\n"), 0)
        return [Block(BlockKind.PARAGRAPH, text, first_line, last)] if text else []
    reader.flush()
    return reader.blocks
