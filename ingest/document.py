"""The typed document model between a Markdown parse and passages: one block per heading, paragraph,
list item, table row, code block or quote, with the exact source lines it came from.

Blocks carry what the token stream knows (kind, level, nesting under list items, the line introducing a
list); the heading path and the subject are added afterwards, once the whole file has been read.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.model import BlockKind


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
