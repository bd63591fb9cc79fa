"""The typed document model between a Markdown parse and passages: one block per heading, paragraph,
list item, table row, code block or quote, with the exact source lines it came from.

Blocks carry what the token stream knows (kind, level, nesting under list items, the line introducing a
list); the heading path and the subject are added afterwards, once the whole file has been read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingest.outline import normalise_text
from kg.model import BlockKind

WIKILINK = re.compile(r"!?\[\[([^\]|#]*)(?:#([^\]|]*))?(?:\|([^\]]*))?\]\]")
MAX_HEADING_LEVEL = 6  # HTML's and Markdown's deepest heading
# words of a string that make it text to read, not a marker, an id or a directive: a JSON string whatever its
# key, an HTML or Obsidian comment (a slide's speaker notes, not "_class: lead")
WORD = re.compile(r"[^\W\d_]{2,}")
TEXT_WORDS = 3


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str  # plain text: no Markdown markup, escapes resolved
    start: int  # 1-based, inclusive
    end: int  # 1-based, inclusive
    level: int = 0  # heading level 1..6; 0 for a plain-line heading of notes written without '#'
    parents: tuple[str, ...] = ()  # texts of the list items this block sits under, outermost first
    lead: str = ""  # the line ending with ':' that introduces this block's list, when no parent item does

    @property
    def is_heading(self) -> bool:
        return self.kind is BlockKind.HEADING

    @property
    def plain(self) -> bool:
        """A heading recognised from a line's shape rather than marked with '#' or an underline."""
        return self.is_heading and self.level == 0


def _wikilink(m: re.Match[str]) -> str:
    page, anchor, alias = m.group(1), m.group(2), m.group(3)
    if alias:
        return alias
    return " ".join(p.strip() for p in (page, anchor) if p and p.strip())


# An outliner's machinery inside a line (Roam, Logseq): a reference to another block by its id ("((Xk3_p9QaZ))",
# "((6563a1f2-...))") says nothing itself; a task marker in braces ("{{[[TODO]]}}") is its word; a highlight
# ("^^this^^") is its text.
BLOCK_REF = re.compile(r"\s*\(\([\w-]{6,40}\)\)")
BRACED_MARKER = re.compile(r"\{\{\s*\[?\[?(TODO|DONE|LATER|NOW|DOING|WAITING)\]?\]?\s*\}\}")
HIGHLIGHT = re.compile(r"\^\^(?=\S)(.+?)(?<=\S)\^\^")


def clean(text: str) -> str:
    """Plain text of one rendered line: wikilinks as their text, block references dropped, outliner task
    markers and highlights as their words, typography folded, spaces collapsed."""
    text = HIGHLIGHT.sub(r"\1", BRACED_MARKER.sub(r"\1", BLOCK_REF.sub("", text)))
    return re.sub(r"\s+", " ", normalise_text(WIKILINK.sub(_wikilink, text))).strip()


def bar_cells(line: str) -> list[str]:
    """The cells of a row parted by bars ("a | b | c", "| a | | c |"), empty ones kept in their column."""
    parts = line.split("|")
    if len(parts) > 1 and not parts[0].strip():
        parts = parts[1:]  # "| a | b |": the outer bars close no cell
    if len(parts) > 1 and not parts[-1].strip():
        parts = parts[:-1]
    return [cell.strip() for cell in parts]


def row_text(header: list[str], row: list[str]) -> str:
    """``Lambda — Max timeout: 15 minutes; Memory: 10,240 MB``: the first cell names the row, the others
    are read with their column's header (a two-column table reads ``name: value``)."""
    cells = [c for c in row]
    if not any(cells):
        return ""
    name, rest = cells[0], cells[1:]
    labelled = [f"{h}: {c}" if h else c for h, c in zip([*header[1:], *[""] * len(rest)], rest, strict=False) if c]
    if len(cells) == 2 and name:
        return f"{name}: {cells[1]}" if cells[1] else name
    if not name:
        return "; ".join(labelled)
    return f"{name} — {'; '.join(labelled)}" if labelled else name


@dataclass
class Markup:
    """A file's lines rewritten from its markup into plain layout (``ingest.markup``): the lines, the lines that
    say nothing, the lines that are titles with their level, the lines that continue the text before them
    (past the lines between that say nothing), and the lines that open a part."""

    lines: list[str]
    dropped: set[int] = field(default_factory=set)
    titles: dict[int, tuple[str, int]] = field(default_factory=dict)
    joins: set[int] = field(default_factory=set)  # lines that continue the text of the line read before them
    breaks: set[int] = field(default_factory=set)  # lines of text, no title, that open a part (a chat's messages)


def headings_down(blocks: list[Block], by: int) -> list[Block]:
    """The blocks with their headings ``by`` levels deeper (down to the deepest level): a note's own headings
    under the title or the frames a reader puts over them."""
    return [replace(b, level=min(b.level + by, MAX_HEADING_LEVEL)) if b.is_heading and b.level else b for b in blocks]
