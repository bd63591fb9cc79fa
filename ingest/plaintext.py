"""Plain-text notes → the typed document model, read by their layout: title lines, bullets and numbered
outline marks, indentation, flashcards.

Plain text has no markup, so the reader builds the blocks of ``ingest.document`` itself rather than
rewriting the file into Markdown: every line's text reaches its passage literally (``<device>``, ``a_b_c``,
``*/15 * * * *``) and every block keeps its exact 1-based line span. What it recognises:

- titles: ALL-CAPS lines, framed lines (``== X ==``, ``---- x ----``, ``#### x ####``), underlined lines
  (a line of ``=`` or ``-`` under them), ``# X`` lines, bracketed lines (``[Challenges]``, as INI files
  name their sections), and the plain-line titles of ``outline``. As in
  reStructuredText, a title style's level is the order in which the file first uses it; plain-line titles
  keep level 0 (their place is judged from the subjects around them, as in Markdown).
- list items: bullets (``-``, ``*``, ``•``, ``o``, ``>``, ...) and numbered outline marks (``1.``, ``1)``,
  ``2.1``, ``2.1.3``, ``2.1)``, ``a)``, ``(b)``, ``i.``, ``iv)``). An item sits under the open item it is indented
  beneath; at the same indentation, under the item whose number its own extends (``3.1`` under ``3.``), lettered
  points from ``a)`` on under the numbered item above them (under ``4.`` or ``11.4``, as legal and Word
  outlines number their clauses).
  Marks are dropped from the text, numbers included, as Markdown drops an ordered list's numbers: the
  citation keeps the line, and a number left in the text reads as a figure ("3.1 max file size 16 TiB"
  gave a fact "max file = 3.1"). An item names the items under it by its head, up to the first separator
  (``zombie - child that has exited ...`` → ``zombie``), or whole when it ends with ':'.
- an indented line without a mark under an item is a child item of it, or a continuation of it when it
  plainly carries on a wrapped sentence (it starts in lowercase after a line left open: ``,``, ``and``).
- flashcards: an answer (``A: ...``) is read under its question (``Q: ...``), a ``term :: definition``
  card under its term, so the question or term is the answer's section. The ``Q:``/``A:`` labels are
  dropped like bullet marks.
- AsciiDoc, as notes typed in it are often saved: ``= Title`` / ``== Section`` lines are titles of that level;
  a block between two equal delimiter lines is a listing (``----``, ``....``: code, kept whole) or an example,
  note, sidebar or quote (``====``, ``****``, ``____``: its lines read as notes, the delimiters dropped), with
  the ``[source,hcl]`` / ``[NOTE]`` line over it dropped too; ``|===`` tables are read as tables; a lone ``+``
  attaches the line after it to the item above.
- BBCode and TiddlyWiki markup, in a file that shows it plainly, rewritten line for line into this layout
  first (``ingest.markup``): ``[*]`` items as bullets, a tiddler's ``title:`` and ``!`` lines as titles.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.cards import CARD, DEFINITION, CardReader
from ingest.document import MAX_HEADING_LEVEL, Block, Markup, bar_cells, clean, row_text
from ingest.markdown import blocks_to_passages, is_open_line
from ingest.markup import dialect, rewrite
from ingest.outline import (
    CHECKBOXES,
    SENTENCE_BREAK,
    TASK_BOX,
    TITLE_WORDS,
    is_continuation_start,
    looks_like_heading,
    names_items,
    reads_as_title,
)
from ingest.wrap import unhyphenate, wrapped_joins
from kg.model import BlockKind, Passage
from kg.text import item_label

# ● ○ ■: a word processor's three levels; "**", "***": AsciiDoc's deeper levels
BULLET = re.compile(rf"(?P<mark>\*{{1,5}}|[-+•●○■▪◦‣o>{CHECKBOXES}])\s+(?=\S)")
ROMAN = r"(?:i{1,3}|iv|vi{0,3}|ix|xi{0,2})"
NUMBERED = re.compile(
    r"(?P<mark>(?P<num>\d{1,3}(?:\.\d{1,3})+[.)]?|\d{1,3}[.)]|\d{1,3}/(?=\s))"  # 1. 1) 2.1 2.1.3 2.1) 3/
    rf"|\(?(?P<letter>[a-z]|{ROMAN})\)"  # a) (b) iv)
    rf"|(?P<dotted>[a-z]|{ROMAN})\.)"  # a. i.
    r"(?:\s+(?=\S)|(?=[A-Z]))"  # a mark needs a space after it, or a capital glued to it ("viii.SIGCONT")
)
FRAMED = re.compile(r"^(?P<frame>={2,}|-{2,}|#{2,}|\*{2,}|~{2,})\s*(?P<title>[^=#*~\s].*?)\s*(?P=frame)$")
LIST_ITEMS = (BlockKind.ITEM, BlockKind.STEP)
SHORT_TITLE_WORDS = 4  # the longest title over a paragraph with no mark (wrapped prose runs longer)
UNDERLINE = re.compile(r"^(?:={3,}|-{3,})$")
RULE = re.compile(r"^([-=_~*#])\1{2,}$")  # a line of one mark repeated: "-----", "=====", "_____"
BRACKETED = re.compile(r"^\[(?P<title>[^\[\]\s][^\[\]]*)\]$")
ATX = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>\S.*?)(?:\s+#+)?$")
WIKI_BULLET = re.compile(r"^\*{1,5} (?=\S)")
HASH_ITEM = re.compile(r"(?P<mark>#{1,6})\s+(?=\S)")  # "# step", "## sub-step": a wiki's numbered list
TEXTILE_TITLE = re.compile(r"^h(?P<level>[1-6])\.\s+(?P<title>\S.*)$")  # "h2. Stringing" (Textile)
# a Textile block's mark before its text ("bq. ", "p(note). "); a bare "p." is as likely a page ("p. 34")
TEXTILE_BLOCK = re.compile(r"^(?:bq(?:\([^)]*\))?|p(?:\([^)]*\)|\{[^}]*\})+)\.\s+")
EQUALS_TITLE = re.compile(r"^(?P<equals>={1,6})\s+(?P<title>[^\W\d_].*?)(?:\s+=+)?$")  # "== Section", "= Page ="
LISTING = re.compile(r"^(?:-{4,}|\.{4,})$")  # AsciiDoc listing and literal blocks: code
COMPOUND = re.compile(r"^(?:={4,}|\*{4,}|_{4,})$")  # example / admonition, sidebar and quote blocks: notes
ASCIIDOC_TABLE = re.compile(r"^\|={3,}$")  # "|===" opens and closes an AsciiDoc table
ASCIIDOC_SUFFIXES = (".adoc", ".asciidoc")  # read by this reader whatever their layout
# notes kept as plain text under other names, read as a .txt file is: LaTeX and Typst source, wiki and Textile
# markup, TiddlyWiki tiddlers, TaskPaper lists
PLAIN_SUFFIXES = (
    *(".txt", ".text", ".tex", ".typ", ".wiki", ".mediawiki", ".textile", ".tid", ".taskpaper"),
    *(".csv", ".tsv", ".tab"),  # a spreadsheet saved as text: its rows read as the table rows of a .txt
)
# a fixed-width table: cells apart by two spaces or more (or a tab), in columns that start where the header's do
CELL = re.compile(r"\S+(?: \S+)*")
TABLE_RULE = re.compile(r"^[\s\-=+|:]+$")  # "-----  ------", "+----+----+", "|---|---|"
_FIGURE = re.compile(r"^[~≈<>$€£]?\s*\d")  # a cell that states a figure ("250", "~ 250", "$5")
TEXTILE_HEADER = re.compile(r"^_\.\s*")  # "|_. Name |": a Textile header cell
MIN_COLUMNS = 3  # two columns read well as lines already ("t2.micro   1 GiB")
# "PSU ............ 750W gold": a label and its value set apart by a dotted leader (a spaced ellipsis is none)
LEADER = re.compile(r"^(?P<label>[^\s.:][^:]*?)(?:\s\.{4,}|\.{6,})\s*(?P<value>[^\s.].*)$")
ENTRY_TITLE_WORDS = 2 * TITLE_WORDS  # an entry's name may be a book's full title and its author
LEADER_WORDS = 6  # the longest label a leader follows: a sentence trailing off in dots is no label
INNER_LEADER = re.compile(r"\s\.{4,}\s*")  # a leader further on the line, before a result ("... = 9.27 m²")


@dataclass
class _Open:
    """An item that later lines may sit under."""

    indent: int
    number: tuple[str, ...]  # ("3",) for "3.", ("3", "1") for "3.1"; () for other marks
    text: str  # how it names the items under it (``item_label``)
    letters: bool = False  # lettered points ("a)", "b)") at its own indentation sit under it
    attached: bool = False  # a line attached to the item above by a "+" line


def _cells(line: str) -> list[tuple[int, str]]:
    """The cells of a fixed-width table line with where each starts: text apart by two spaces or a tab."""
    line = line.expandtabs(8).rstrip()
    if "|" in line:  # "| a | b |": the bars part the cells
        return [(m.start(), m.group().strip()) for m in re.finditer(r"[^|]+", line) if m.group().strip()]
    return [(m.start(), m.group()) for m in CELL.finditer(line)]


def _fixed_row(header: list[tuple[int, str]], line: str) -> list[str] | None:
    """A fixed-width row's cells by the header's columns: a cell is in the column it starts with (text)
    or ends with (figures set flush right: "  870" under "grams"); None when a cell lines up with none."""
    row = [""] * len(header)
    column = 0
    for at, text in _cells(line):
        end = at + len(text)
        fits = [
            c for c, (s, h) in enumerate(header) if c >= column and (abs(at - s) <= 1 or abs(end - s - len(h)) <= 1)
        ]
        if not fits:
            return None
        column = fits[0]
        row[column] = f"{row[column]} {text}".strip()
    return row


_QUOTED = re.compile(r'"[^"]*"')


def csv_fields(line: str) -> list[str] | None:
    """The fields of a line of comma-separated values as a spreadsheet exports it: three or more, commas with
    no space after them outside quoted fields (prose and lists put one there); None for any other line."""
    s = line.strip()
    bare = _QUOTED.sub('""', s)
    if bare.count(",") < MIN_COLUMNS - 1 or ", " in bare or _marked(s):
        return None
    try:
        return [f.strip() for f in next(csv.reader([s]))]
    except csv.Error:  # a field beyond the csv module's limit, a stray NUL: no row of a table
        return None


def _csv_rows(lines: list[str], start: int, width: int, most: int | None = None) -> list[tuple[int, list[str]]]:
    """The comma-separated rows of ``width`` fields from line ``start`` on (at most ``most``), each with its line
    index, up to the first line that is no such row."""
    rows: list[tuple[int, list[str]]] = []
    for j in range(start, len(lines) if most is None else min(len(lines), start + most)):
        row = csv_fields(lines[j])
        if row is None or len(row) != width:
            break
        rows.append((j, row))
    return rows


def _names_columns(fields: list[str]) -> bool:
    """Whether fields read as a header row: each names a column in a few words, none states a figure."""
    return all(f and len(f.split()) <= 5 and not _FIGURE.match(f) and any(c.isalpha() for c in f) for f in fields)


def _gives_units(fields: list[str]) -> bool:
    """A row under a header that names units, not values: no digit, a short word or nothing in each field."""
    return any(fields) and all(len(f) <= 6 and not any(c.isdigit() for c in f) for f in fields)


@lru_cache(maxsize=4096)  # a line's leader is read as the line is told and again when its block is emitted
def _leader_match(body: str) -> re.Match[str] | None:
    found = LEADER.match(body)
    return found if found and len(found.group("label").split()) <= LEADER_WORDS else None


def _leader(body: str) -> str:
    """A line with a dotted leader read as the label and value it sets out ("PSU: 750W gold"); a leader inside
    the value goes too ("2 × 3.05 × 1.52 ......... = 9.27 m²")."""
    found = _leader_match(body)
    if not found:
        return body
    return f"{found.group('label').rstrip()}: {INNER_LEADER.sub(' ', found.group('value'))}"


def _unframed(title: str) -> str:
    """A title without the marks it is framed in: "===== PODS =====" is "PODS"."""
    framed = FRAMED.match(title)
    return framed.group("title") if framed else title


def _boxed(above: str, line: str, below: str) -> bool:
    """Whether ``line`` stands between two rules of the same mark and reads as a title, however long."""
    return (
        bool(RULE.match(above) and RULE.match(below))
        and above[0] == below[0]
        and not _marked(line)
        and not SENTENCE_BREAK.search(line)
        and len(line.split()) <= ENTRY_TITLE_WORDS
    )


def _separators(lines: list[str]) -> frozenset[str]:
    """The rules of a file that part entries rather than underline titles: a rule that, more often than not,
    comes right under a line that reads as no title (a sentence, a long line), as the "==========" closing
    each clipping of an e-reader's export does. Under a short line such a rule still parts an entry."""
    closing: dict[str, list[bool]] = {}
    for i in range(1, len(lines)):
        over, text, rule = lines[i - 2].strip() if i > 1 else "", lines[i - 1].strip(), lines[i].strip()
        if text and UNDERLINE.match(rule) and not RULE.match(text) and not _boxed(over, text, rule):
            closing.setdefault(rule, []).append(not reads_as_title(text))
    return frozenset(rule for rule, prose in closing.items() if len(prose) >= 3 and 2 * sum(prose) > len(prose))


def _dashes(line: str) -> bool:
    """A rule of a fixed-width table: runs of dashes or equals signs apart by spaces ("-------   -----")."""
    return bool(TABLE_RULE.match(line.rstrip())) and bool(re.search(r"[-=]{3}", line))


def _underlines(header: list[tuple[int, str]], line: str) -> bool:
    """Whether ``line`` is a rule with a run of dashes starting under each cell of ``header``."""
    if not _dashes(line) or "|" in line or "+" in line:
        return False
    starts = [at for at, _ in _cells(line)]
    return all(any(abs(at - s) <= 1 for s in starts) for at, name in header if name)  # not a blank corner


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def _marked(s: str) -> bool:
    return bool(NUMBERED.match(s) or BULLET.match(s))


_ASIDE = re.compile(r"\s+\([^()]*\)$")  # "DEFAULT PORTS (the ones I get asked)": a remark after a title


def _all_caps(s: str) -> bool:
    """``DISK AND FILESYSTEMS``, ``MEMORY / OOM``: a line of capitals with at least one real word, maybe
    followed by a remark in brackets (``DEFAULT PORTS (the ones I get asked)``)."""
    s = _ASIDE.sub("", s)
    if s != s.upper():  # a lower-case letter: most lines, told without looking at each character
        return False
    letters = [c for c in s if c.isalpha()]
    return (
        len(letters) >= 3
        and all(c.isupper() for c in letters)
        and bool(re.search(r"[A-Z]{3,}", s))
        and not s.endswith((".", ",", ";", ":", "!"))
    )


class _Reader:
    def __init__(self, lines: list[str], markup: Markup | None = None) -> None:
        self.lines = lines
        self.markup = markup or Markup(lines)  # what the file's markup says of its lines (ingest.markup)
        self.blocks: list[Block] = []
        self.items: list[_Open] = []
        self.styles: list[str] = []  # title styles in order of first use: their levels
        self.cards = CardReader()
        self.intro = ""  # a line ending with ':' that the following lines (up to a blank line) belong to
        self.intro_indent = 0  # its indentation: once lines indented under it come back to it, its list ends
        self.intro_deeper = False  # whether lines indented under it have come
        self.last: Block | None = None  # the block that the next line may continue
        self.last_line = -1
        self.value_column = -1  # where the value of the last line's dotted leader starts: its wrapped lines align
        # lines that say nothing: markup alone on its line, delimiters of blocks whose lines are read as notes
        self.dropped: set[int] = set(self.markup.dropped)
        self.attach = False  # a lone "+" came: the next line belongs to the item above
        self.csv_header: list[str] = []  # the header of the comma-separated rows being read, until a blank line
        self.indent_titles = False  # a line with lines indented under it was taken for a title
        self.separators = _separators(lines)
        self.first_text = next((k for k, x in enumerate(lines) if x.strip()), len(lines))  # first non-blank line
        self._hash_lists: dict[int, bool] = {}  # line -> whether it is an item of a "#" list (hash_list)
        self.wiki_lists = any(WIKI_BULLET.match(line) for line in lines)  # "* item" at the margin
        self.field_run = (0, 0)  # the lines of the field line read last (``record``) ...
        self.field_head = ""  # ... and the line its record is under

    def level(self, style: str) -> int:
        if style not in self.styles:
            self.styles.append(style)
        return min(self.styles.index(style) + 1, MAX_HEADING_LEVEL)

    def title(self, i: int) -> tuple[str, int, int] | None:
        """(title, level, last line) when line ``i`` is a title line."""
        if i in self.markup.titles:
            text, level = self.markup.titles[i]
            return text, level, i
        if i in self.markup.breaks:
            return None  # a chat's message is no title, whatever its shape
        raw = self.lines[i]
        s = raw.strip()
        below = self.lines[i + 1].strip() if i + 1 < len(self.lines) else ""
        if raw[:1].isspace() or not s:
            return None
        above = self.lines[i - 1].strip() if i else ""
        if (
            UNDERLINE.match(below)
            and below not in self.separators
            and i + 1 not in self.dropped
            # a title stands apart from the paragraph above it (or under a rule over it); a rule under the
            # last line of a paragraph sets the paragraph off from what follows
            and (not above or bool(UNDERLINE.match(above)))
            and not UNDERLINE.match(s)
            and not _marked(s)
            and reads_as_title(s)
        ):
            return _unframed(s), self.level(f"under{below[0]}"), i + 1
        if _boxed(above, s, below):  # a title between rules ("#####" over and under it)
            atx = ATX.match(s)
            if atx:
                return atx.group("title"), len(atx.group("hashes")), i + 1
            return _unframed(s), self.level(f"{'under' if UNDERLINE.match(below) else 'box'}{below[0]}"), i + 1
        if self.separators and (above in self.separators or i <= self.first_text):
            # the first line of an entry parted from the one before by a separator rule names the entry
            # ("Deep Night: The New Science of Sleep (Harriet Okafor)" over each clipping of that book)
            if not _marked(s) and not SENTENCE_BREAK.search(s) and len(s.split()) <= ENTRY_TITLE_WORDS:
                return s, self.level("entry"), i
        framed = FRAMED.match(s)
        if framed:
            return framed.group("title"), self.level(f"frame{framed.group('frame')[0]}"), i
        atx = ATX.match(s)
        if atx and not self.hash_list(i) and (len(atx.group("hashes")) > 1 or reads_as_title(atx.group("title"))):
            return atx.group("title"), len(atx.group("hashes")), i
        textile = TEXTILE_TITLE.match(s) if s[0] == "h" else None
        if textile:
            return textile.group("title"), int(textile.group("level")), i
        equals = EQUALS_TITLE.match(s) if s[0] == "=" else None
        if equals:
            return equals.group("title"), len(equals.group("equals")), i
        bracketed = BRACKETED.match(s) if not above or RULE.match(above) else None
        if bracketed:  # "[Challenges]", as an INI file names its sections; right under a line, a remark
            return bracketed.group("title"), self.level("bracket"), i
        if NUMBERED.match(s) or BULLET.match(s) or CARD.match(s) or DEFINITION.match(s):
            return None
        if _all_caps(s) and len(s.split()) <= TITLE_WORDS:
            return s, self.level("caps"), i
        after = next((self.lines[j] for j in range(i + 1, len(self.lines)) if self.lines[j].strip()), "")
        opens = i == 0 or not self.lines[i - 1].strip()  # the first line of the file, or after a blank one
        # the lines right below are indented under it and it opens a part of the notes (or follows an indented
        # line): an outline kept by indentation alone ("Lambda" over "    timeout: 900 s"), whose lines need no
        # bullet to belong to it; a line of notes at the margin with a command indented under it is no title
        nested = bool(below) and _indent(self.lines[i + 1]) > 0 and (opens or _indent(self.lines[i - 1]) > 0)
        # a few words after a blank line over a paragraph of two lines or more ("Bends + vibrato" over its
        # lines, as notes apps export a title): too short to be a wrapped sentence, so the lines are its own
        two = self.lines[i + 1 : i + 3]
        over = opens and len(s.split()) <= SHORT_TITLE_WORDS and len(two) == 2 and all(x.strip() for x in two)
        if s.endswith(":") or "=" in s:
            return None
        if not looks_like_heading(s, after, nested or over) and not (nested and opens and self.indent_titles):
            # a line over lines indented under it is a title like those before it that were, whatever its shape
            # ("2025-04-10 * Vanguard | buy VWRL in the dip  ; tariff wobble" over its postings)
            return None
        # a title-shaped line heads what follows when a list follows it, or lines indented under it, or when
        # it stands alone (first line of the file, or blank lines around it); otherwise it is one more line
        alone = not below and opens
        if nested and opens:
            self.indent_titles = True
        if _marked(after.strip()) or nested or over or alone or i <= self.first_text:
            return s, 0, i
        return None

    def hash_list(self, i: int) -> bool:
        """Whether line ``i`` is an item of a list marked by "#" ("# step" over "# step"), not a title or a
        comment: the file marks its bullets with "*" at the margin, as wikis do (Textile, MediaWiki), and in the
        run of "#" lines the line belongs to (no blank line between) one depth of marks comes twice."""
        if not self.wiki_lists or not HASH_ITEM.match(self.lines[i].lstrip()):
            return False
        found = self._hash_lists.get(i)
        if found is None:
            first = last = i
            while first > 0 and HASH_ITEM.match(self.lines[first - 1].lstrip()):
                first -= 1
            while last + 1 < len(self.lines) and HASH_ITEM.match(self.lines[last + 1].lstrip()):
                last += 1
            depths = [
                len(self.lines[k].lstrip()) - len(self.lines[k].lstrip().lstrip("#")) for k in range(first, last + 1)
            ]
            found = len(set(depths)) < len(depths)
            self._hash_lists.update(dict.fromkeys(range(first, last + 1), found))
        return found

    def close_lists(self) -> None:
        """A title, a rule or a delimited block: no item, list lead-in or flashcard above carries on past it."""
        self.items, self.intro = [], ""
        self.cards.forget()

    def emit(self, block: Block) -> None:
        self.blocks.append(block)
        self.last = block
        self.last_line = block.end
        self.value_column = self._value_column(block)

    def _value_column(self, block: Block) -> int:
        """Where the value of a dotted leader's line starts ("Supply ...... 2.5mm² cable" → the 2), or -1."""
        raw = self.lines[block.start - 1] if 0 < block.start <= len(self.lines) else ""
        body = raw.strip()
        if mark := BULLET.match(body):
            body = body[mark.end() :]
        found = _leader_match(body)
        return raw.find(found.group("value")) if found and not block.is_heading else -1

    def parents(self) -> tuple[str, ...]:
        return tuple(o.text for o in self.items)

    def run(self) -> list[Block]:
        i = 0
        while i < len(self.lines):
            raw = self.lines[i].rstrip()
            if not raw.strip():
                self.intro, self.csv_header = "", []
                i += 1
                continue
            if i in self.markup.breaks:  # as after a blank line: nothing above carries on into it
                self.close_lists()
                self.csv_header, self.last = [], None
            if i in self.markup.joins and self.last is not None and not self.last.is_heading:
                self.join(i + 1, raw)  # what was said runs on over the captions' cues, past the lines between
                if self.last.kind is BlockKind.PARAGRAPH and self.last.text.endswith(":") and not self.items:
                    # a wrapped "... the ones you exclude if diagnosed):" over its items: the list's lead
                    self.open_intro(self.last.text, _indent(self.lines[self.last.start - 1]))
                i += 1
                continue
            if i in self.dropped or ASCIIDOC_TABLE.match(raw) or self.attribute(i):
                i += 1  # the closing delimiter of a block read as notes opens no block of its own
                continue
            after_block = self.delimited(i)
            if after_block:
                i = after_block
                continue
            if RULE.match(raw) or _dashes(raw):
                # a rule on its own (no title over it, no block it opens): it sets what is above apart from
                # what follows, and says nothing itself
                self.close_lists()
                i += 1
                continue
            if raw == "+":
                self.attach = True
                i += 1
                continue
            found = self.title(i)
            if found is not None:
                text, level, last = found
                self.close_lists()
                self.emit(Block(BlockKind.HEADING, clean(text), i + 1, last + 1, level=level))
                i = last + 1
                continue
            after_table = self.csv_table(i) or self.table(i)
            if after_table:
                i = after_table
                continue
            self.line(i, raw)
            i += 1
        return self.blocks

    def attribute(self, i: int) -> bool:
        """An AsciiDoc block attribute line ("[source,yaml]", "[NOTE]") right over a delimited block."""
        below = self.lines[i + 1].strip() if i + 1 < len(self.lines) else ""
        return bool(BRACKETED.match(self.lines[i].strip())) and bool(LISTING.match(below) or COMPOUND.match(below))

    def delimited(self, i: int) -> int:
        """Read an AsciiDoc delimited block opening at line ``i``: after a block attribute line, or after a
        blank line with text right inside both delimiters and two lines or more (a rule between paragraphs
        has blank lines around it; a title over- and underlined has one line). A listing is one code block;
        the delimiters of other blocks are dropped and their lines read as notes. The line after the block
        (or the first inside it), or 0 when no block opens here."""
        s = self.lines[i].strip()
        listing = bool(LISTING.match(s))
        if not (listing or COMPOUND.match(s)) or self.lines[i][:1].isspace():
            return 0
        end = next((j for j in range(i + 1, len(self.lines)) if self.lines[j].strip() == s), 0)
        if not end:
            return 0
        above = self.lines[i - 1].strip() if i else ""
        tight = bool(self.lines[i + 1].strip()) and bool(self.lines[end - 1].strip()) and end - i > 2
        if not (BRACKETED.match(above) or (not above and tight)):
            return 0
        self.close_lists()
        if not listing:
            self.dropped.update((i, end))
            return i + 1
        code = "\n".join(x.rstrip() for x in self.lines[i + 1 : end]).strip("\n")
        if code.strip():
            self.emit(Block(BlockKind.CODE, code, i + 2, end, parents=self.parents()))
        return end + 1

    def csv_table(self, i: int) -> int:
        """Read comma-separated rows starting at line ``i`` (a header naming the columns and two rows or more with
        as many fields, or more rows of the table being read after a remark between them) as one row per line,
        each field with its column's name; the line after them, or 0 when none starts here."""
        fields = csv_fields(self.lines[i])
        if fields is None:
            return 0
        new = len(fields) != len(self.csv_header)  # else a row of the table read before a remark line
        if new and not _names_columns(fields):
            return 0
        header = fields if new else self.csv_header
        rows = _csv_rows(self.lines, i + 1 if new else i, len(header))
        if not rows:
            return 0
        j = rows[-1][0] + 1
        units = new and _gives_units(rows[0][1])
        if units:
            # ",,,km,m,h:mm": the units of the columns, read with their names ("dist (km): 48.5")
            header = [f"{h} ({u})" if u else h for h, u in zip(header, rows.pop(0)[1], strict=True)]
        if len(rows) < (2 if new and not units else 1):  # a new table shows two rows, or its units and one
            return 0
        self.close_lists()
        self.csv_header = header
        for k, row in rows:
            self.emit(Block(BlockKind.TABLE_ROW, row_text(header, row), k + 1, k + 1, parents=self.parents()))
        return j

    def table(self, i: int) -> int:
        """Read a fixed-width table starting at line ``i`` (its header, a rule maybe, two rows or more) as one
        row per line, each cell with its column's header; the line after it, or 0 when none starts here."""
        if _dashes(self.lines[i]):
            return 0  # a rule under no header
        header = _cells(self.lines[i])
        below = next((x for x in self.lines[i + 1 : i + 3] if x.strip() and not TABLE_RULE.match(x.rstrip())), "")
        first = _cells(below) if below and "|" not in below else []
        if header and len(first) == len(header) + 1 and first[0][0] < header[0][0] - 1:
            header = [(first[0][0], ""), *header]  # a blank corner over the column that names the rows
        underlined = i + 1 < len(self.lines) and _underlines(header, self.lines[i + 1])
        if len(header) < MIN_COLUMNS or (not underlined and any(_FIGURE.match(cell) for _, cell in header[1:])):
            # a header names its columns ("7800X3D  7700X" over a rule under each of them does too);
            # "olive oil   ~ 250   (1 oz packets)" is a row of a list
            return 0
        barred = "|" in self.lines[i]  # "a | b | c": rows part their cells by bars too, aligned or not
        j, rows = i + 1, []
        after_header = self.lines[j].strip() if j < len(self.lines) else "-"
        if barred and not after_header and ASCIIDOC_TABLE.match(self.lines[i - 1].strip() if i else ""):
            j += 1  # AsciiDoc sets the header row apart by a blank line
        while j < len(self.lines) and self.lines[j].strip():
            line = self.lines[j].rstrip()
            if TABLE_RULE.match(line):
                j += 1
                continue
            if barred:
                row = bar_cells(line) if "|" in line else []
                if not 2 <= len(row) <= len(header):
                    break
            else:
                cells = _fixed_row(header, line) if len(_cells(line)) >= 2 else None
                if cells is None:
                    break
                row = cells
            rows.append((j, row))
            j += 1
        if len(rows) < 2:
            return 0
        indent = _indent(self.lines[i])
        while self.items and self.items[-1].indent >= indent:
            self.items.pop()  # a table indented under an item is that item's: its rows sit under it
        self.intro = ""
        self.cards.forget()
        names = [TEXTILE_HEADER.sub("", h) for _, h in header]
        for k, row in rows:
            self.emit(Block(BlockKind.TABLE_ROW, row_text(names, row), k + 1, k + 1, parents=self.parents()))
        return j

    def line(self, i: int, raw: str) -> None:
        n = i + 1
        indent = _indent(raw)
        body = raw.strip()
        attached, self.attach = self.attach and not _marked(body), False
        if attached:
            while self.items and self.items[-1].attached:
                self.items.pop()  # "+" lines after each other all attach to the item they follow
            attached = bool(self.items)
            if attached:
                indent = self.items[-1].indent + 1  # a point of the item above, as if indented under it
        if self.continues(indent, body, n):
            return
        if self.intro:  # "types:", its indented lines, then a line back at its margin: no item of that list
            if indent > self.intro_indent:
                self.intro_deeper = True
            elif self.intro_deeper:
                self.intro = ""
        number: tuple[str, ...] = ()
        body = TEXTILE_BLOCK.sub("", body)
        hashed = self.hash_list(i)
        numbered = None if hashed else NUMBERED.match(body)
        letter = (numbered.group("letter") or numbered.group("dotted") or "") if numbered else ""
        letter = letter if len(letter) == 1 else ""  # "iv)" is a roman numeral
        bullet = HASH_ITEM.match(body) if hashed else BULLET.match(body)
        marked = bool(numbered or bullet)
        # an indented line with no mark and no "...:" over it: a point of an outline kept by indentation alone,
        # under the line it is indented from, as a bullet would be
        nested = not marked and indent > 0 and not self.intro
        if numbered:
            num = numbered.group("num")
            number = tuple(x for x in (num or "").rstrip(".)/").split(".") if x)
            body = body[numbered.end() :]
        elif bullet:
            body = TASK_BOX.sub("", body[bullet.end() :])
            indent += 2 * (len(bullet.group("mark")) - 1)  # "**" sits under "*" as if indented
        # leave the items this line is not under
        while self.items and not self.under(
            self.items[-1], indent, number, marked, bool(bullet and not numbered), letter
        ):
            self.items.pop()
        if letter == "a" and self.items and self.items[-1].indent == indent:
            self.items[-1].letters = True
        text = clean(_leader(body))
        if not text:
            return
        if not (marked or nested or self.items):
            block, replaces = self.cards.block(text, n, n, (), self.intro or self.asked(n) or self.record(i))
            if replaces:
                self.blocks.pop()
            self.emit(block)
            if (
                text.endswith(":")
                or (self.numbers_from_one(i) and ": " not in text and reads_as_title(text))
                or (self.bullets_after(i, indent) and names_items(text))
            ):
                # "types:" over its items, or a line that reads as a title right over a list numbered from 1
                # ("@finn - thread saved 2023-11-14" over "1/ ...", "2/ ..."; not "Attendees: Dan, Marta"
                # over the agenda, nor a sentence), or a few words on a line of their own right over bullets
                # ("what to bring (permit day)" over "* birth certificate"): the list's lead
                self.open_intro(text, indent)
            elif self.indented_under(i, indent):
                self.items.append(_Open(indent, (), item_label(text)))  # the lines indented under it are its points
            return
        self.cards.forget()
        # "1)", "2.1", "a)", "# step": an item of a numbered list
        kind = BlockKind.STEP if numbered or hashed else BlockKind.ITEM
        self.emit(Block(kind, text, n, n, parents=self.parents(), lead=self.intro if not self.items else ""))
        self.items.append(_Open(indent, number, item_label(text), attached=attached))

    def numbers_from_one(self, i: int) -> bool:
        """Whether the line after line ``i`` opens a numbered list: it is numbered 1 ("1.", "1)", "1/")."""
        found = NUMBERED.match(self.lines[i + 1].strip()) if i + 1 < len(self.lines) else None
        return bool(found and (found.group("num") or "").rstrip(".)/") == "1")

    def bullets_after(self, i: int, indent: int) -> bool:
        """Whether line ``i`` stands on its own (a blank line or nothing above it) right over a bulleted line
        at its indentation or deeper."""
        after = self.lines[i + 1] if i + 1 < len(self.lines) else ""
        alone = i == 0 or not self.lines[i - 1].strip()
        return alone and bool(BULLET.match(after.strip())) and _indent(after) >= indent

    def indented_under(self, i: int, indent: int) -> bool:
        """Whether the line after line ``i`` is indented deeper than ``indent`` and carries no mark: a point of an
        outline kept by indentation alone."""
        after = self.lines[i + 1] if i + 1 < len(self.lines) else ""
        return bool(after.strip()) and _indent(after) > indent and not _marked(after.strip())

    @staticmethod
    def under(
        top: _Open, indent: int, number: tuple[str, ...], marked: bool, bullet: bool = False, letter: str = ""
    ) -> bool:
        if indent > top.indent:
            return True
        if indent < top.indent or not marked or not top.number:
            return False
        if letter:  # "a)" after "4." or "11.4" at the margin opens lettered points under the numbered clause
            return letter == "a" or top.letters
        # same indentation: "3.1" sits under "3.", "3.1.2" under "3.1"; bullets under a numbered title
        # ("4. Retention & Compaction" then "● ..." lines, as a word processor exports its headings)
        if bullet:
            return names_items(top.text)
        return bool(number) and len(number) > len(top.number) and number[: len(top.number)] == top.number

    def open_intro(self, text: str, indent: int) -> None:
        """A line ending with ':' at ``indent`` leads the list that follows it."""
        self.intro = text.rstrip(":").strip()
        self.intro_indent, self.intro_deeper = indent, False

    def asked(self, n: int) -> str:
        """The question a paragraph at line ``n`` answers (``question_above``)."""
        last = self.last
        if last is None or last.kind is not BlockKind.PARAGRAPH:
            return ""
        return question_above(last.text, last.end, last.lead, n)

    def record(self, i: int) -> str:
        """The line a field at line ``i`` is recorded under (``record_head``), else "". The field right after
        another is recorded under the same line: read once per run of fields, not once per field."""
        if not FIELD.match(self.lines[i].strip()):
            return ""
        last = self.blocks[-1] if self.blocks else None
        if last is None or last.end != i or self.field_run != (last.start, last.end):
            self.field_head = record_head(self.lines, i, self.blocks)
        self.field_run = (i + 1, i + 1)
        return self.field_head

    def continues(self, indent: int, body: str, n: int) -> bool:
        """Join a wrapped line to the block above it."""
        last = self.last
        if last is None or self.last_line != n - 1 or last.is_heading or last.kind is BlockKind.CODE:
            return False
        if NUMBERED.match(body) or BULLET.match(body) or CARD.match(body) or DEFINITION.match(body):
            return False
        if indent == self.value_column:  # "Supply ...... 2.5mm² cable from the garage," / "  along the lawn"
            self.join(n, body)
            return True
        if last.kind in LIST_ITEMS and self.items and indent <= self.items[-1].indent:
            return False
        opened = is_open_line(last.text) or body[:1] in ",;)]}"
        if not (opened and is_continuation_start(body)):
            return False
        self.join(n, body)
        return True

    def join(self, n: int, body: str) -> None:
        """Add line ``n``'s text to the block read last, which now ends at that line."""
        last = self.last
        assert last is not None
        text = unhyphenate(last.text, clean(body))
        joined = Block(last.kind, text, last.start, n, last.level, last.parents, last.lead)
        self.blocks[-1] = joined
        self.last, self.last_line = joined, n
        if joined.kind in LIST_ITEMS and self.items:
            self.items[-1].text = item_label(joined.text)


# a turn of a talk or a line of notes that asks something: "... ?", or (after a time, a speaker and fillers)
# a question word first ("and what oil does it take"), or a verb asking of someone ("can you do it", "is that
# the same size"), as speech written down without its question mark; "Can be attached to ..." and "When X,
# Y" say something
_ASKS = re.compile(
    r"^(?:\(?\d{1,2}:\d{2}(?::\d{2})?\)?\s*)?(?:[A-Z][\w .'-]{0,30}:\s+)?(?:(?:ok|okay|so|and|right|um|uh|but|yeah"
    r"|well|hi|hey)\b[\s,]*)*(?:(?:what|what's|whats|how(?! to\b)|where|which|who|why)\b(?!\s*[:—–-])"
    r"|(?:is|are|do|does|did|can|could|will|would|should)\s+(?:you|it|i|we|they|he|she|that|this|there)\b)",
    re.I,
)
_LABELLED = re.compile(r"\w\s*[:=]\s+\S")  # "why lumps: hot roux into ...": asked and answered on one line
QUESTION_WORDS = 30  # the longest question a turn asks; a longer one says more than it asks
MARKED_QUESTION_WORDS = 15  # ... and the longest line ending in "?" read as one ("W21W DRL?" doubts a figure)


def asks(text: str) -> bool:
    """Whether a paragraph asks a question in a few words: a short line ending in "?", or ``_ASKS``."""
    n = len(text.split())
    return (n <= MARKED_QUESTION_WORDS and text.rstrip().endswith("?")) or (
        n <= QUESTION_WORDS and bool(_ASKS.match(text)) and not _LABELLED.search(text)
    )


def question_above(text: str, end: int, lead: str, start: int) -> str:
    """The question a passage starting at line ``start`` answers: the paragraph ``text`` right above it (ending
    at line ``end``, a blank line between at most, no list's ``lead`` of its own) when that asks one ("and what
    oil does it take" over "Speaker 2: five W twenty"), as a talk's turns and a note's own questions go; else
    ""."""
    return text if end >= start - 2 and not lead and asks(text) else ""


# "O: WBLT L 6 cm", "Requester: Dana", "Opened: 2025-03-04": a field of a record, a short label and its value
FIELD = re.compile(r"[A-Za-z][\w/#&.'()-]*(?: [\w/#&.'()-]+){0,2}:\s+\S")
RECORD_FIELDS = 2  # the fewest fields under one line that make it a record's head
RECORD_HEAD_WORDS = 12  # ... and the most words that line has besides its remarks in brackets: a name, no sentence
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def record_head(lines: list[str], i: int, blocks: list[Block]) -> str:
    """The head of the record whose field line (``FIELD``) is line ``i`` (0-based): the paragraph right above
    a run of field lines (no blank line between, at least ``RECORD_FIELDS`` of them), standing after a blank
    line itself and naming rather than saying (a few words, no sentence break, no list mark), as a visit's
    "03/01 - S.K. (L ankle sprain)" heads its "S:" / "O:" / "A:" / "P:" lines and a ticket's number its
    "Requester:" / "Opened:" lines; else "". ``blocks``: the blocks read so far; a field's wrapped lines are
    in its paragraph."""
    end = i + 1  # the fields after this one, as many as it takes to make a record
    while end < len(lines) and end - i < RECORD_FIELDS and FIELD.match(lines[end].strip()):
        end += 1
    fields, start = end - i, i + 1  # the fields counted, and the line the paragraph above must end right over
    for b in reversed(blocks):
        if b.kind is not BlockKind.PARAGRAPH or b.parents or b.end != start - 1:
            return ""
        raw = lines[b.start - 1].strip()
        if not FIELD.match(raw):
            named = _BRACKETED.sub(" ", b.text)
            if (
                (b.start >= 2 and lines[b.start - 2].strip())
                or b.lead
                or _marked(raw)
                or fields < RECORD_FIELDS
                or len(named.split()) > RECORD_HEAD_WORDS
                or SENTENCE_BREAK.search(named)
            ):
                return ""
            return b.text
        fields, start = fields + 1, b.start
    return ""


def shows_layout(text: str) -> bool:
    """Whether a file gives its structure by layout: an indented line, a numbered outline mark, a
    flashcard, a framed, underlined or ALL-CAPS title. Flat notes (plain-line titles over ``-`` bullets, commands
    wrapped at the margin) show none, and are read by the flat outline of ``ingest.parser``."""
    lines = [x.rstrip() for x in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    if dialect(lines) or wrapped_joins(lines):
        return True
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        above = lines[i - 1].strip() if i else ""
        if line[:1].isspace() and above:
            return True
        if _opens_layout(s):
            return True
        if (
            _all_caps(s)
            and s[0].isalpha()
            and len(re.findall(r"[A-Z]{2,}", s)) >= 2
            and not _marked(s)
            and len(_ASIDE.sub("", s).split()) <= TITLE_WORDS
        ):
            # "DISK AND FILESYSTEMS", "MEMORY / OOM", "HIVE LOG 2025 (typed up later)"; a lone "STS" or
            # "IOPS |" is as likely a token of a wrapped command or a table fragment
            return True
        if s[0] in "=-" and UNDERLINE.match(s) and above and not UNDERLINE.match(above):
            return True
        if "," in s and _opens_csv(lines, i):
            return True
    return False


def _opens_csv(lines: list[str], i: int) -> bool:
    """Line ``i`` is the header of comma-separated rows: it names three columns or more, and the two lines after
    it have as many fields (a spreadsheet's export pasted into the notes)."""
    header = csv_fields(lines[i])
    if header is None or not _names_columns(header):
        return False
    return len(_csv_rows(lines, i + 1, len(header), most=2)) == 2


def _opens_layout(s: str) -> bool:
    """A numbered outline mark, a flashcard, a definition item, a framed or a bracketed title (each pattern
    tried only on a line whose first characters it could match: this runs on every line of a flat file)."""
    c = s[0]
    return bool(
        ((c.isdigit() or c == "(" or "a" <= c <= "z") and NUMBERED.match(s))
        or (s[:2] in ("Q:", "A:") and CARD.match(s))
        or ("::" in s and DEFINITION.match(s))
        or (c in "=-#*~" and FRAMED.match(s))
        or (c == "=" and EQUALS_TITLE.match(s))
        or (c == "[" and BRACKETED.match(s))
        or (c == "h" and TEXTILE_TITLE.match(s))
    )


def read_blocks(text: str, markup: str = "") -> list[Block]:
    """The blocks of a plain-text file, in order, with 1-based line spans; ``markup`` names its dialect
    (``ingest.markup``) when its name says it, else it is told by its marks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rewritten = rewrite(lines, markup)
    return _Reader(rewritten.lines, rewritten).run()


def parse_plaintext(text: str, rel: str, markup: str = "") -> list[Passage]:
    """Passages of one plain-text file's text; ``rel`` is its path relative to the notes folder."""
    return blocks_to_passages(read_blocks(text, markup), rel)
