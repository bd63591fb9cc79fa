"""Markdown notes → passages, from a real CommonMark parse (markdown-it-py, GFM tables, front matter).

Each heading, paragraph, list item, table row, code block and quote becomes one passage with the exact
source lines of its own block (token ``.map``). The section of a passage is its heading path at every level
plus the list items it is nested under, so ``max 5 per table`` under ``Local secondary index (LSI)`` is read
with its parent's subject. Notes pasted into a ``.md`` file often keep plain-line headings (``SQS Standard
Queue`` over a list, no ``#``): CommonMark reads those as lazy continuation lines of the item above, so a
title-shaped line inside a paragraph is split off as a heading, by the same shape rules as the .txt outline.
Notes also break lines by hand, a fact on each (``test_size=0.25 ...`` under ``hold out data ...``), where
CommonMark would join them into one paragraph: a line broken where the next word would still have fitted
(``_by_hand``) is a passage of its own; a paragraph wrapped at a width stays whole. Raw HTML between the
Markdown (a web clipper's ``<h2>``, ``<p>``, ``<li>``, ``<tr>``) is read as the blocks it marks up
(``ingest.htmlblock``), each on its own lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ingest.cards import CardReader, is_card
from ingest.document import Block, clean, headings_down, row_text
from ingest.htmlblock import html_blocks, in_words
from ingest.outline import (
    ACRONYM_TITLE,
    TASK_BOX,
    is_continuation_start,
    looks_like_heading,
    names_items,
    service_key,
)
from ingest.subjects import Evidence, SubjectStack, name_from_file
from kg.model import BlockKind, Passage, content_id
from kg.vocab import DOCUMENT_WORDS, OPEN_ENDINGS, POSSESSIVES

# .qmd: Quarto, .rmd: R Markdown, .mdx: Markdown with components
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdx", ".qmd", ".rmd")
LIST_LINE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])(?:\s|$)")

BREAK_TAG = re.compile(r"<br\s*/?>", re.I)
CALLOUT = re.compile(r"^\[!(?P<type>[A-Za-z-]+)\][+-]?\s*")
# a block property (Logseq) or inline field (Obsidian Dataview) on a line of its own: "janka:: 1290 lbf"
PROPERTY = re.compile(r"^(?P<key>[A-Za-z][\w-]{0,40})::[ \t]+(?P<value>\S.*)$")
# what the outliner keeps for itself: whether a block is folded, a block's id ("id:: 6423ab1e-...")
OUTLINER_STATE = re.compile(r"^(?:collapsed::[ \t]*(?:true|false)|id::[ \t]*[0-9a-f]{8}-[0-9a-f-]{27})\s*$", re.I)


# attributes after a heading, as Pandoc, kramdown and MkDocs write them: "## Fees {#fees}", "# Intro {: .lead }"
HEADING_ATTRIBUTES = re.compile(r"\s+\{[:#.-][^{}]*\}$")


def _md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").use(front_matter_plugin).use(deflist_plugin)


def inline_lines(token: Token) -> list[str]:
    """The text of an inline token, one string per source line; markup, HTML and link targets dropped."""
    lines = [""]
    for c in token.children or []:
        if c.type in ("softbreak", "hardbreak"):
            lines.append("")
        elif c.type == "text":
            # "**Visibility timeout **" is no emphasis in CommonMark: its stray markers are still markup
            lines[-1] += re.sub(r"\*\*+|__+", "", c.content)
        elif c.type == "text_special":
            lines[-1] += c.content
        elif c.type == "code_inline":
            lines[-1] += _code_text(c.content)
        elif c.type == "html_inline" and BREAK_TAG.fullmatch(c.content.strip()):
            # "Sverdrup<br>all the world's rivers": a break inside a line (a table cell's) parts two points
            text = lines[-1].rstrip()
            lines[-1] = text + ("; " if text and not text.endswith((";", ",", ".", ":")) else " ")
        elif c.type == "image":  # its alt text, escapes resolved
            lines[-1] += "".join(x.content for x in c.children or [] if x.type in ("text", "text_special"))
    return [clean(x) for x in lines]


# a code span that holds nothing but a link to the page its text names, as documentation converted from HTML
# writes an API name linked to its reference ("`[get\-queue\-attributes](https://.../get-queue-attributes.html)`"):
# the reader sees the name. A link to anything else stays as written: notes on Markdown show its syntax in code.
CODE_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")
MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _code_text(code: str) -> str:
    """What an inline code span shows: its text as written, or the name of the page the one link it wraps leads
    to, when the link's text is that name (escapes resolved)."""
    link = CODE_LINK.fullmatch(code.strip())
    if link:
        try:
            page = PurePosixPath(urlsplit(link.group(2)).path).name
        except ValueError:  # no address ("http://[x": an IPv6 host never closed)
            return code
        name = MD_ESCAPE.sub(r"\1", link.group(1))
        if name in page:
            return name
    return code


def is_open_line(line: str) -> bool:
    """A line that cannot end a thought: what follows it continues it."""
    s = line.rstrip()
    last = s.split()[-1].lower() if s.split() else ""
    return not s or s.endswith((",", "(", "[", "&", "+", "–", "—")) or last in OPEN_ENDINGS


@dataclass
class _List:
    ordered: bool
    intro: str = ""  # the line ending with ':' that introduced the items (or the last sibling that did)
    item: str = ""  # text of the open item, for the blocks nested under it
    raw: str = ""  # that text as written, with its trailing ':'
    has_para: bool = False
    has_children: bool = False


class _Reader:
    """Walks the token stream once, keeping the open lists, quotes and table."""

    def __init__(self, source: list[str]) -> None:
        self.src = source
        self.blocks: list[Block] = []
        self.lists: list[_List] = []
        self.quote = 0
        self.quote_lead = ""
        self.quote_first = False
        self.pending_intro = ""  # a paragraph ending with ':' that a list may follow
        self.header: list[str] = []
        self.row: list[str] = []
        self.in_head = False
        self.tr = Token("tr_open", "tr", 1)
        self.cards = CardReader()

    def parents(self, own_item: bool) -> tuple[str, ...]:
        lists = self.lists[:-1] if own_item else self.lists
        return tuple(lst.item for lst in lists if lst.item)

    def emit(self, block: Block, card: bool = False) -> None:
        if not card:
            self.cards.forget()
        self.blocks.append(block)
        if block.kind is not BlockKind.PARAGRAPH:
            self.pending_intro = ""

    def run(self, tokens: list[Token]) -> list[Block]:
        for i, t in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if t.type == "heading_open" and nxt is not None and t.map:
                text = HEADING_ATTRIBUTES.sub("", " ".join(x for x in inline_lines(nxt) if x))
                if text:
                    self.emit(Block(BlockKind.HEADING, text, t.map[0] + 1, t.map[1], level=int(t.tag[1:])))
                self.pending_intro = ""
            elif t.type == "paragraph_open" and nxt is not None and t.map:
                self.paragraph(nxt, t.map[0])
            elif t.type in ("bullet_list_open", "ordered_list_open"):
                if self.lists:
                    self.lists[-1].has_children = True
                intro = "" if self.lists else self.pending_intro
                self.lists.append(_List(ordered=t.type == "ordered_list_open", intro=intro))
                self.pending_intro = ""
            elif t.type in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
                self.pending_intro = ""
            elif t.type == "list_item_open":
                lst = self.lists[-1]
                lst.item, lst.raw, lst.has_para, lst.has_children = "", "", False, False
            elif t.type == "list_item_close":
                lst = self.lists[-1]
                if lst.raw.endswith(":") and not lst.has_children:
                    lst.intro = lst.item  # "- Options:" then flat siblings: it introduces them
                lst.item = ""
            elif t.type == "dl_open":  # a definition list: each term the parent of its definitions
                if self.lists:
                    self.lists[-1].has_children = True
                self.lists.append(_List(ordered=False, intro=""))
                self.pending_intro = ""
            elif t.type == "dt_open" and nxt is not None and t.map:
                term = " ".join(x for x in inline_lines(nxt) if x)
                lst = self.lists[-1]
                lst.item, lst.raw, lst.has_para, lst.has_children = term, term, True, True
                if term:
                    start = t.map[0] + 1
                    self.emit(Block(BlockKind.ITEM, term, start, start, parents=self.parents(True)))
            elif t.type == "dd_open":
                self.lists.append(_List(ordered=False, intro=""))
            elif t.type in ("dd_close", "dl_close"):
                self.lists.pop()
            elif t.type == "blockquote_open":
                self.quote += 1
                self.quote_first = True
            elif t.type == "blockquote_close":
                self.quote -= 1
                self.quote_lead = ""
            elif t.type in ("fence", "code_block") and t.map:
                code = t.content.rstrip("\n")
                if code.strip():
                    self.emit(Block(BlockKind.CODE, code, t.map[0] + 1, t.map[1], parents=self.parents(False)))
            elif t.type == "html_block" and t.map:
                self.html(t.content, t.map[0] + 1)
            elif t.type in ("thead_open", "thead_close"):
                self.in_head = t.type == "thead_open"
                self.header = [] if self.in_head else self.header
            elif t.type == "tr_open":
                self.row, self.tr = [], t
            elif t.type in ("th_open", "td_open") and nxt is not None:
                self.row.append(" ".join(x for x in inline_lines(nxt) if x))
            elif t.type == "tr_close":
                self.table_row(self.tr)
        return self.blocks

    def html(self, source: str, first_line: int) -> None:
        """Raw HTML between the Markdown: the blocks it marks up (``ingest.htmlblock``), under the lists and
        headings around it."""
        outer = self.parents(False)
        for block in html_blocks(source, first_line):
            if block.is_heading:
                self.pending_intro = ""
                self.emit(block)
            else:
                self.emit(replace(block, parents=outer + block.parents))

    def table_row(self, opener: Token) -> None:
        if self.in_head:
            self.header = list(self.row)  # the header labels the body rows; it is no passage of its own
            return
        text = row_text(self.header, self.row)
        if text and opener.map:
            start = opener.map[0] + 1
            self.emit(Block(BlockKind.TABLE_ROW, text, start, start, parents=self.parents(False)))

    def paragraph(self, inline: Token, base: int) -> None:
        # a block's properties read with it ("White oak" over "janka:: 1360 lbf": "White oak janka: 1360 lbf"),
        # what the outliner keeps for itself not at all
        lines = [
            "" if OUTLINER_STATE.match(x) else PROPERTY.sub(r"\g<key>: \g<value>", x) for x in inline_lines(inline)
        ]
        lst = self.lists[-1] if self.lists else None
        own_item = lst is not None and not lst.has_para
        if own_item and lines:
            lines[0] = TASK_BOX.sub("", lines[0])
        if not own_item and not self.quote and any(is_card(x) for x in lines):
            self.card_lines(lines, base)
            return
        if self.quote and self.quote_first and lines:
            self.quote_first = False
            callout = CALLOUT.match(lines[0])
            if callout:  # "> [!note] Title": the title heads the callout's text
                title = lines[0][callout.end() :].strip()
                lines, base = lines[1:], base + 1
                if title:
                    self.emit(Block(BlockKind.QUOTE, title, base, base, parents=self.parents(False)))
                    self.quote_lead = title.rstrip(":")
        for k, (a, b, heading) in enumerate(self.segments(lines, base, own_item)):
            text = " ".join(x for x in lines[a:b] if x)
            if not text:
                continue
            start, end = base + a + 1, base + b
            if heading:
                self.emit(Block(BlockKind.HEADING, text, start, end, level=0))
                for outer in self.lists:
                    outer.intro = ""  # a new heading ends what the last ':' line introduced
            elif k == 0 and own_item and lst is not None:
                kind = BlockKind.STEP if lst.ordered else BlockKind.ITEM
                lst.item, lst.raw, lst.has_para = text.rstrip(":").strip(), text, True
                self.emit(Block(kind, text, start, end, parents=self.parents(True), lead=lst.intro))
            else:
                kind = BlockKind.QUOTE if self.quote else BlockKind.PARAGRAPH
                beside = own_item or (lst is not None and k > 0)  # split off an item: a sibling of it
                lead = self.quote_lead if self.quote else ""
                self.emit(Block(kind, text, start, end, parents=self.parents(beside), lead=lead))
                if text.endswith(":") and lst is not None and k > 0:
                    lst.intro = text.rstrip(":").strip()
                elif lst is None and (text.endswith(":") or (b - a == 1 and not self.quote and names_items(text))):
                    # "types:", or a few words on a line of their own ("curb colors"), over the list that follows
                    self.pending_intro = text.rstrip(":").strip()
                else:
                    self.pending_intro = ""
            if lst is not None and own_item:
                lst.has_para = True

    def card_lines(self, lines: list[str], base: int) -> None:
        """A paragraph of flashcards (``**Q:** ...`` / ``**A:** ...``, ``term :: definition``) with a fact on
        each line between them: one block per line, or per sentence wrapped over lines."""
        spans: list[tuple[int, int]] = []
        for i, line in enumerate(lines):
            opened = is_open_line(lines[i - 1]) or line[:1] in ",;)]}"
            if spans and line and opened and is_continuation_start(line) and not is_card(line):
                spans[-1] = (spans[-1][0], i + 1)
            elif line:
                spans.append((i, i + 1))
        for a, b in spans:
            text = " ".join(x for x in lines[a:b] if x)
            block, replaces = self.cards.block(text, base + a + 1, base + b, self.parents(False), "")
            if replaces:
                self.blocks.pop()
            self.emit(block, card=True)
        self.pending_intro = ""

    def segments(self, lines: list[str], base: int, own_item: bool) -> list[tuple[int, int, bool]]:
        """Split a paragraph where notes used a line break as structure: a title-shaped line over a list
        (or ``ACR: Long Name``) is a heading, a line ending with ':' right over a list introduces it."""
        cuts: dict[int, bool] = {}
        if not own_item and len(lines) > 1:  # a line broken by hand is a line of its own: a fact on each line
            raw = [self.src[base + i].rstrip() if base + i < len(self.src) else "" for i in range(len(lines))]
            width = max(map(len, raw))
            # one break made by hand shows the paragraph is not wrapped at a width: its lines are the notes' own
            if any(_by_hand(raw[i - 1], raw[i], width) for i in range(1, len(lines))):
                for i in range(1, len(lines)):
                    if lines[i] and lines[i - 1] and not is_open_line(lines[i - 1]):
                        cuts[i] = False
        for i, line in enumerate(lines):
            after = self.src[base + i + 1] if base + i + 1 < len(self.src) else ""
            if i == 0 and (own_item or self.quote or len(lines) > 1 and not self._title(lines[0], lines[1])):
                continue
            if i > 0 and (not line or is_continuation_start(line) or is_open_line(lines[i - 1])):
                continue
            if self._title(line, after):
                cuts[i] = True
                if i + 1 < len(lines):
                    cuts.setdefault(i + 1, False)
            elif i > 0 and line.endswith(":") and LIST_LINE.match(after):
                cuts[i] = False
            elif i > 0 and line.startswith("|") and not lines[i - 1].startswith("|"):
                cuts[i] = False  # table fragments pasted under an item: one passage of their own
        bounds = sorted({0, *cuts})
        ends = [*bounds[1:], len(lines)]
        return [(a, b, cuts.get(a, False)) for a, b in zip(bounds, ends, strict=True) if b > a]

    @staticmethod
    def _title(line: str, after: str) -> bool:
        return (
            bool(line) and looks_like_heading(line, after) and bool(LIST_LINE.match(after) or ACRONYM_TITLE.match(line))
        )


def _by_hand(line: str, following: str, width: int) -> bool:
    """Whether the break after ``line`` was made by hand: the next line's first word would have fitted on
    it within ``width``, the longest line of the paragraph. A paragraph wrapped at a width breaks a line only
    where the next word would not have fitted, so it is never split."""
    words = following.split()
    return bool(words) and len(line) + 1 + len(words[0]) <= width


def _outline(blocks: list[Block], rel: str, evidence: Evidence, title_subject: bool) -> tuple[list[Passage], int]:
    """Heading paths and subjects for the blocks; returns the passages and how many subjects headings
    other than the document title opened."""
    file_key = _file_subject(blocks, rel, evidence)
    subjects = SubjectStack(evidence, base=file_key)
    path: list[tuple[float, str, bool]] = []  # (level, title, plain-line heading)
    top = _document_title(blocks)
    parallel = _parallel_names(blocks, evidence)
    opened = 0
    out: list[Passage] = []
    nodes = _item_nodes(blocks)
    # the outline's first level with siblings: where an outliner lists its subjects (below a lone root)
    outer = min((d for d in {len(blocks[i].parents) for i in nodes} if _count_at(blocks, nodes, d) >= 2), default=0)
    for i, b in enumerate(blocks):
        if b.is_heading:
            title = b.text.rstrip(":").strip()
            level = float(b.level) if b.level else _plain_level(path, subjects, title)
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, title, b.plain))
            is_top = i == top
            if subjects.heading(title, level, title_subject or not is_top, i in parallel) and not is_top:
                opened += 1
        elif b.kind in (BlockKind.ITEM, BlockKind.STEP):
            # an outliner's item with children is a node of the outline, like a heading one level down
            level = (path[-1][0] if path else 0.0) + ITEM_STEP * (len(b.parents) + 1)
            if i in nodes:
                subjects.item(b.text.rstrip(":").strip(), level, lowercase=len(b.parents) == outer)
            else:
                subjects.close(level)
        section = tuple(t for _, t, _ in path) + b.parents
        # the path and the subject stack hold one entry per open heading then per open item node
        depth = max((j + 1 for j, (_, key, _) in enumerate(subjects.stack) if key), default=0)
        text = b.text.rstrip(":").strip() if b.is_heading else b.text
        out.append(
            Passage(
                id=content_id(rel, b.start, b.end, text, prefix="p-"),
                file=rel,
                line_start=b.start,
                line_end=b.end,
                text=text,
                section=section,
                service=subjects.current() or file_key,
                is_heading=b.is_heading,
                lead="" if b.is_heading else b.lead,
                kind=b.kind,
                subject_depth=depth,
            )
        )
    return out, opened


ITEM_STEP = 0.01  # item nodes sit between a heading's level and the next heading level's


def _item_nodes(blocks: list[Block]) -> set[int]:
    """List items that have children: the next block sits under them (one level deeper)."""
    out = set()
    for i, b in enumerate(blocks[:-1]):
        if b.kind in (BlockKind.ITEM, BlockKind.STEP):
            below = blocks[i + 1].parents
            if len(below) == len(b.parents) + 1 and below[: len(b.parents)] == b.parents:
                out.add(i)
    return out


def _collection_title(title: str) -> bool:
    """A title over several subjects rather than one subject's own: "My AWS Study Notes", "Exam review
    notes" (a possessive, or two document words); "CloudFormation how-to notes" stays CloudFormation's."""
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", title)]
    return bool(words) and (words[0] in POSSESSIVES or sum(w in DOCUMENT_WORDS for w in words) >= 2)


def _count_at(blocks: list[Block], nodes: set[int], depth: int) -> int:
    return sum(1 for i in nodes if len(blocks[i].parents) == depth)


def _plain_level(path: list[tuple[float, str, bool]], subjects: SubjectStack, title: str) -> float:
    """A plain-line heading sits under the last '#' heading: a subject one step below it, a topic under
    the plain subject before it."""
    base = max((lvl for lvl, _, plain in path if not plain), default=0.0)
    plain_subject = any(lvl == base + 1 and key for lvl, key, _ in subjects.stack)
    return base + 1 if not plain_subject or subjects.would_open(title, sibling=True) else base + 1.5


def _parallel_names(blocks: list[Block], evidence: Evidence) -> set[int]:
    """Headings beside a sibling that names something, capitalised and never written in lowercase: the
    parallel entries of one list of subjects (``## Lambda`` beside ``## DynamoDB``; not ``## Pricing``)."""
    groups: dict[tuple[int, int], list[int]] = {}
    stack: list[int] = []
    for i, b in enumerate(blocks):
        if b.is_heading and b.level:
            while stack and blocks[stack[-1]].level >= b.level:
                stack.pop()
            groups.setdefault((stack[-1] if stack else -1, b.level), []).append(i)
            stack.append(i)
    named: set[int] = set()
    for members in groups.values():
        if len(members) > 1 and any(evidence.names_something(blocks[i].text) for i in members):
            named |= {i for i in members if evidence.never_lowercase(blocks[i].text)}
    return named


def _document_title(blocks: list[Block]) -> int:
    """Index of the file's title: its first heading when no other heading is at its level or above."""
    heads = [(i, b.level) for i, b in enumerate(blocks) if b.is_heading and b.level]
    if not heads:
        return -1
    first, level = heads[0]
    return first if all(lvl > level for _, lvl in heads[1:]) else -1


def _file_subject(blocks: list[Block], rel: str, evidence: Evidence) -> str | None:
    """The subject a file is named after, for what no heading claims: when the text uses the name (in any
    spelling) or no heading of the file names a subject and the file name does."""
    name = name_from_file(rel)
    key = service_key(name)
    if len(key) < 2:
        return None  # "x.md", "1.md": no name
    body = " ".join(b.text for b in blocks if b.kind is not BlockKind.CODE)
    words = re.findall(r"[A-Za-z0-9]+", body)
    spelled = sum(1 for n in (1, 2, 3) for i in range(len(words)) if service_key("".join(words[i : i + n])) == key)
    if len(name.split()) > 3:
        return None  # "sqs-configure-queue-parameters.md" names a page's topic, not a subject
    headed = any(b.is_heading for b in blocks)
    return key if spelled >= 2 or (not headed and evidence.names_something(name)) else None


def parse_markdown(text: str, rel: str) -> list[Passage]:
    """Passages of one Markdown file's text; ``rel`` is its path relative to the notes folder."""
    return markdown_passages(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), rel)


def markdown_passages(lines: list[str], rel: str, lines_at: list[int] | None = None) -> list[Passage]:
    """Passages of Markdown lines; ``lines_at``: the line of the file each of them stands on, when the Markdown
    was read out of another format (a notebook's cells), else a line is its own index."""
    return blocks_to_passages(markdown_source_blocks(lines, lines_at), rel)


def string_blocks(text: str, start: int, end: int, depth: int) -> list[Block]:
    """The blocks of a note's Markdown kept in one string of a file (a board's card, a JSON field) on the file
    lines the string stands on, its top headings at level ``depth + 1``: under the ``depth`` headings a reader
    puts over it."""
    blocks = markdown_source_blocks(text.replace("\r\n", "\n").split("\n"))
    top = min((b.level for b in blocks if b.is_heading and b.level), default=1)
    return headings_down([replace(b, start=start, end=end) for b in blocks], depth + 1 - top)


def distinct_passages(blocks: list[Block], rel: str) -> list[Passage]:
    """Passages of blocks among which a reader read a heading again (to head what follows it once more): each
    passage once, the one read first."""
    return unique_passages(blocks_to_passages(blocks, rel))


def unique_passages(passages: Iterable[Passage]) -> list[Passage]:
    """Each passage once (by its id, which its file, lines and text make), the one read first."""
    out: dict[str, Passage] = {}
    for p in passages:
        out.setdefault(p.id, p)
    return list(out.values())


def markdown_source_blocks(lines: list[str], lines_at: list[int] | None = None) -> list[Block]:
    """The blocks of Markdown lines, tables of every kind included, each on the lines of the file it stands on
    (``lines_at``, as for ``markdown_passages``)."""
    source, grids = grid_tables(colon_fences(indented_containers(title_block(obsidian_comments(lines)))))
    source, simple = simple_tables(source)
    blocks = markdown_blocks(source)
    if grids or simple:  # each table's rows where the table stood, under the heading above it
        blocks = sorted(blocks + grids + simple, key=lambda b: b.start)
    blocks = outliner_tables(blocks)
    if lines_at is not None:
        blocks = [replace(b, start=lines_at[b.start - 1], end=lines_at[b.end - 1]) for b in blocks]
    return blocks


def markdown_blocks(source: list[str]) -> list[Block]:
    """The blocks of Markdown lines, with the 1-based lines of ``source`` they came from."""
    return _Reader(source).run(_md().parse("\n".join(source)))


# an Obsidian comment's mark ("%% kanban:settings", "%%"), on a line of its own or around its words
COMMENT_MARK = re.compile(r"^\s*%%(?=\s|$)|(?:^|\s)%%\s*$")  # not IPython's "%%timeit"


def obsidian_comments(source: list[str]) -> list[str]:
    """Obsidian's ``%%`` comments: the marks dropped, a mark line of fewer than three words blank (a plugin's
    "%% kanban:settings"), a comment in words read as it is."""
    out = []
    code = ""
    for line in source:
        at_fence, code = _code_state(line, code)
        if not (at_fence or code) and COMMENT_MARK.search(line):
            rest = COMMENT_MARK.sub("", line).strip()
            line = rest if in_words(rest) else ""
        out.append(line)
    return out


def title_block(source: list[str]) -> list[str]:
    """Pandoc's title block (``% Title``, ``% Author``, ``% Date`` as a file's first lines): the title is the
    document's title, the lines after it are read without their mark."""
    if not source or not source[0].startswith("% "):
        return source
    out = list(source)
    out[0] = "# " + source[0][2:]
    for i in range(1, min(3, len(source))):
        if not source[i].startswith("%"):
            break
        out[i] = source[i][1:].strip()
    return out


# a container fenced by colons, as Docusaurus, VitePress, Pandoc and Quarto write admonitions and divs:
# ":::tip Title", "::: warning", ":::note[Title]", "::: {.callout-note title=\"Tip\"}", closed by a bare ":::"
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*):{3,}\s*(?P<rest>\S.*)$")
FENCE_CLOSE = re.compile(r"^[ \t]*:{3,}\s*$")
CODE_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_FENCE_NAME = re.compile(r"^(?P<name>[A-Za-z][\w-]*)?\s*(?:\[(?P<bracket>[^\]]*)\])?\s*(?P<title>.*)$")
_DIV_TITLE = re.compile(r"""\btitle\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
_DIV_CLASS = re.compile(r"(?:^|\s)\.(?:callout-)?(?P<name>[A-Za-z][\w-]*)")


def _fence_callout(rest: str) -> str:
    """The callout line a container's opening fence reads as: ``[!tip] Title``."""
    if rest.startswith("{"):  # Pandoc attributes: the first class names it, a title attribute titles it
        attrs, _, after = rest[1:].partition("}")
        cls, title = _DIV_CLASS.search(attrs), _DIV_TITLE.search(attrs)
        name = cls.group("name") if cls else ""
        said = (title.group("dq") or title.group("sq") or "") if title else ""
        text = f"{said} {after.strip()}".strip()
    else:
        m = _FENCE_NAME.match(rest)  # matches any text: every part is optional
        name = (m.group("name") or "") if m else ""
        text = ((m.group("bracket") or m.group("title") or "") if m else rest).strip()
    return f"[!{name or 'note'}] {text}".rstrip()


def _code_state(line: str, code: str) -> tuple[bool, str]:
    """Whether a line is a code fence, and the fence of the code block open after it ("" outside one)."""
    mark = CODE_FENCE.match(line)
    if not mark:
        return False, code
    return True, "" if code and mark.group(1) == code else code or mark.group(1)


def colon_fences(source: list[str]) -> list[str]:
    """Containers fenced by colons (admonitions, callouts, divs), which CommonMark reads as text: each read as a
    callout quote, its title heading its lines, the fence lines blank. A fence with no closing fence, or in a
    code block, stays as written."""
    pairs: list[tuple[int, re.Match[str], int]] = []  # (opening line, its fence, closing line)
    stack: list[tuple[int, re.Match[str]]] = []
    code = ""
    for i, line in enumerate(source):
        at_fence, code = _code_state(line, code)
        if at_fence or code:
            continue
        if FENCE_CLOSE.match(line):
            if stack:
                pairs.append((*stack.pop(), i))
        elif opened := FENCE_OPEN.match(line):
            stack.append((i, opened))
    if not pairs:
        return source
    out = list(source)
    # inner containers first (they start later): their lines are quoted again by the container around them
    for start, fence, end in sorted(pairs, key=lambda pair: pair[0], reverse=True):
        indent = fence.group("indent")
        out[start] = f"{indent}> {_fence_callout(fence.group('rest').strip())}"
        for k in range(start + 1, end):
            line = out[k]
            out[k] = f"{indent}> {line[len(indent) :]}" if line.startswith(indent) else f"> {line}"
        out[end] = ""
    return out


# a block whose body is indented under it, as Python-Markdown and MkDocs Material write admonitions ('!!! note
# "Title"'), collapsible ones ('??? tip', '???+ example') and content tabs ('=== "Linux"')
INDENTED_OPEN = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?:!!!|\?\?\?\+?)[ \t]*(?P<type>[A-Za-z][\w-]*)(?:[ \t]+[\w-]+)*|===\+?)"
    r"(?:[ \t]+\"(?P<title>[^\"]*)\")?[ \t]*$"
)
BODY_INDENT = 4  # the body's indent under its opening line
# an icon as MkDocs Material writes one (":material-alert-octagon:", ":fontawesome-solid-user:",
# ":octicons-check-16:", ":simple-github:"): nothing to read
ICON = re.compile(r" ?:(?:material|fontawesome|octicons|simple)-[a-z0-9-]+:(?:\{[^}]*\})?")
# an abbreviation's definition, as Python-Markdown, PHP Markdown Extra and MkDocs write them: "*[QOS]: Quality of
# Service", most often a run of them at the end of a page
ABBREVIATION = re.compile(r"^\*\[(?P<abbr>[^\]]+)\]:[ \t]*(?P<full>\S.*)$")


def indented_containers(source: list[str]) -> list[str]:
    """Admonitions and content tabs whose bodies are indented under their opening line, which CommonMark reads
    as a paragraph running into an indented code block: each read as a callout quote, as ``colon_fences``
    does, its title (a tab's label, else the admonition's type) heading its lines, the body brought to the
    opening line's margin. An opening line with no indented body, or in a code block, stays as written. An
    abbreviation's definition (``*[QOS]: Quality of Service``) is an item ``QOS: Quality of Service``; an icon
    (``:material-alert:``) is no text."""
    if any(":material-" in x or ":fontawesome-" in x or ":octicons-" in x or ":simple-" in x for x in source):
        source = [ICON.sub("", x) for x in source]
    if not any("!!!" in x or "???" in x or '=== "' in x or '===+ "' in x or x.startswith("*[") for x in source):
        return source
    out: list[str] = []
    code = ""
    i = 0
    while i < len(source):
        line = source[i]
        at_fence, code = _code_state(line, code)
        opened = None if code or at_fence else INDENTED_OPEN.match(line)
        abbr = None if code or at_fence or opened else ABBREVIATION.match(line)
        if abbr:  # an item of its own, "QOS: Quality of Service", not a run of them joined as one paragraph
            out.append(f"- {abbr.group('abbr').strip()}: {abbr.group('full').strip()}")
            i += 1
            continue
        end = _body_end(source, i, len(opened.group("indent").expandtabs(BODY_INDENT))) if opened else i + 1
        if opened is None or end == i + 1:
            out.append(line)
            i += 1
            continue
        indent = opened.group("indent")
        margin = len(indent.expandtabs(BODY_INDENT)) + BODY_INDENT
        title, kind = opened.group("title"), opened.group("type")
        said = title if title is not None else (kind or "").capitalize()
        out.append(f"{indent}> [!{kind or 'note'}] {said}".rstrip())
        body = [_dedent(x, margin) for x in source[i + 1 : end]]
        out += [f"{indent}> {x}".rstrip() for x in indented_containers(body)]
        i = end
    return out


def _body_end(source: list[str], start: int, indent: int) -> int:
    """The line after the body indented under line ``start`` (``start + 1`` when there is none): its lines
    are indented past ``indent`` by ``BODY_INDENT`` or are blank, and it ends with a line of text."""
    end = start + 1
    k = start + 1
    while k < len(source):
        line = source[k]
        if line.strip():
            if _margin(line) < indent + BODY_INDENT:
                break
            end = k + 1
        k += 1
    return end


def _margin(line: str) -> int:
    return len(line.expandtabs(BODY_INDENT)) - len(line.expandtabs(BODY_INDENT).lstrip())


def _dedent(line: str, margin: int) -> str:
    expanded = line.expandtabs(BODY_INDENT)
    return expanded[min(margin, _margin(expanded)) :]


_INLINE = MarkdownIt("commonmark")  # a table cell's inline markup: each call's state is its own


def _inline(cell: str) -> str:
    """A table cell's text with its inline Markdown read ("**$155**" is "$155")."""
    tokens = _INLINE.parseInline(cell) if cell else []
    return " ".join(x for x in inline_lines(tokens[0]) if x) if tokens else cell


GRID_RULE = re.compile(r"^\s*\+(?:[-=:]+\+)+\s*$")  # "+-----+------+", "+=====+======+" under the header


def grid_tables(source: list[str]) -> tuple[list[str], list[Block]]:
    """Grid tables (Pandoc's, as reStructuredText writes them: ``+---+`` rules around ``|`` rows, ``+===+``
    under the header), which CommonMark does not read: each body row one table row labelled by the header,
    a cell written over several lines read as one. Returns the source with the tables' lines blank (the
    Markdown reader skips them) and the rows."""
    out, rows = list(source), []
    i = 0
    while i < len(source):
        if not (GRID_RULE.match(source[i]) and i + 1 < len(source) and source[i + 1].lstrip().startswith("|")):
            i += 1
            continue
        header: list[str] = []
        body: list[tuple[int, int, list[str]]] = []
        cells: list[list[str]] = []
        first = i
        j = i
        while j < len(source) and (GRID_RULE.match(source[j]) or source[j].lstrip().startswith("|")):
            if GRID_RULE.match(source[j]):
                if cells:
                    body.append((first, j, [" ".join(c) for c in cells]))
                    cells = []
                if "=" in source[j] and not header and body:
                    header = body[-1][2]
                    body.clear()
            else:
                if not cells:
                    first = j
                parts = [c.strip() for c in source[j].strip().strip("|").split("|")]  # markup read once joined
                cells += [[] for _ in range(len(parts) - len(cells))]
                for k, c in enumerate(parts):
                    if c:
                        cells[k].append(c)
            out[j] = ""
            j += 1
        if cells:
            body.append((first, j, [" ".join(c) for c in cells]))
        for start, end, row in body:
            text = row_text([_inline(c) for c in header], [_inline(c) for c in row])
            if text:
                rows.append(Block(BlockKind.TABLE_ROW, text, start + 1, end))
        i = j
    return out, rows


OUTLINER_TABLE = re.compile(r"^\{\{\s*table\s*\}\}$", re.I)  # Roam's "{{[[table]]}}" once its link is read


def outliner_tables(blocks: list[Block]) -> list[Block]:
    """An outliner's table (Roam's ``{{[[table]]}}``): each child of the table block opens a row whose cells
    are nested one under the other ("Total frame time" > "8 ms" > "5.9 ms"); the first row is the header.
    Its rows read as table rows (``row_text``), not as a chain of items each under the last."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if not (b.kind is BlockKind.ITEM and OUTLINER_TABLE.match(b.text)):
            out.append(b)
            i += 1
            continue
        under = (*b.parents, b.text)
        rows: list[list[Block]] = []
        i += 1
        while i < len(blocks) and blocks[i].parents[: len(under)] == under:
            if len(blocks[i].parents) == len(under):
                rows.append([])
            if rows:
                rows[-1].append(blocks[i])
            i += 1
        header = [c.text for c in rows[0]] if rows else []
        for cells in rows[1:]:
            text = row_text(header, [c.text for c in cells])
            if text:
                out.append(Block(BlockKind.TABLE_ROW, text, cells[0].start, cells[-1].end, parents=b.parents))
    return out


def blocks_to_passages(blocks: list[Block], rel: str) -> list[Passage]:
    """Passages of one file's blocks (from Markdown or plain text): heading paths and subjects added."""
    if not blocks:
        return []
    body = "\n".join(b.text for b in blocks if not b.is_heading and b.kind is not BlockKind.CODE)
    evidence = Evidence(body, [b.text for b in blocks], [b.text for b in blocks if b.is_heading])
    passages, opened = _outline(blocks, rel, evidence, title_subject=True)
    top = _document_title(blocks)
    if top >= 0 and opened and passages[top].service and _collection_title(blocks[top].text):
        # "# My AWS Study Notes" over "## Lambda", "## DynamoDB": a collection's title is no entity
        passages, _ = _outline(blocks, rel, evidence, title_subject=False)
    title = name_from_file(rel)
    if title and not any(b.is_heading and b.level == 1 for b in blocks):
        # a note with no title heading is titled by its file name, as note apps show it ("train test split.md")
        passages = [
            p
            if p.section and service_key(p.section[0]) == service_key(title)
            else replace(p, section=(title, *p.section), subject_depth=p.subject_depth + 1 if p.subject_depth else 0)
            for p in passages
        ]
    return passages


SIMPLE_RULE = re.compile(r"^\s*-{3,}(?:[ \t]+-{3,})+\s*$")  # "-------  ------  ----": a column's width each


def simple_tables(source: list[str]) -> tuple[list[str], list[Block]]:
    """Pandoc's simple tables: a header line over a rule of dash runs, one per column ("-----  ----"), then a
    row per line up to a blank line or a closing rule; each cell is the text under its column's run (from its
    start to the next one's). CommonMark reads the rule as a thematic break and the rows as one paragraph.
    Returns the source with the tables' lines blank and the rows, labelled by the header."""
    out, rows = list(source), []
    i = 0
    while i < len(source):
        rule = SIMPLE_RULE.match(source[i])
        above = source[i - 1] if i else ""
        if not rule or not above.strip() or i + 1 >= len(source) or not source[i + 1].strip():
            i += 1
            continue
        starts = [m.start() for m in re.finditer(r"-{3,}", source[i])]
        spans = list(zip(starts, [*starts[1:], None], strict=True))
        header = _cut(above, spans)
        out[i - 1] = out[i] = ""
        j = i + 1
        while j < len(source) and source[j].strip() and not SIMPLE_RULE.match(source[j]):
            text = row_text(header, _cut(source[j], spans))
            if text:
                rows.append(Block(BlockKind.TABLE_ROW, text, j + 1, j + 1))
            out[j] = ""
            j += 1
        if j < len(source) and SIMPLE_RULE.match(source[j]):
            out[j] = ""  # the closing rule
        i = j
    return out, rows


def _cut(line: str, spans: list[tuple[int, int | None]]) -> list[str]:
    """A simple table's line cut into its columns' cells."""
    return [_inline(line[a:b].strip()) for a, b in spans]
