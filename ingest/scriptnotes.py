"""SQL files kept as notes (``.sql``: an analyst's queries with her notes in their comments), rewritten line for
line into the layout the plain-text reader reads:

- a comment's text is a line of notes, at its comment's indentation: ``-- NB: refunds over £500 need sign-off``,
  and each line of a ``/* ... */`` block without its ``/*``, ``*/`` and leading ``*``;
- a banner of rules (``-- =====``) around a comment is a title over what follows, as underlined titles are;
- a line of SQL stays as written (its thresholds and values are notes too: ``WHEN basket >= 50 THEN 'free'``),
  with the comment at its end.
"""

from __future__ import annotations

import re

from ingest.document import Markup

SQL_SUFFIXES = (".sql",)
LINE_COMMENT = re.compile(r"^(?P<indent>\s*)--+ ?(?P<text>.*)$")
BLOCK_OPEN = re.compile(r"^(?P<indent>\s*)/\*+\s?(?P<text>.*)$")
BLOCK_CLOSE = re.compile(r"^(?P<text>.*?)\s*\*+/\s*(?P<rest>.*)$")
BLOCK_LINE = re.compile(r"^(?P<indent>\s*)\*+(?!/)\s?(?P<text>.*)$")  # " * a line of a block" without its star


def rewrite_sql(lines: list[str]) -> Markup:
    """The lines of a SQL file as the plain-text reader reads them."""
    out = list(lines)
    in_block = False
    for i, line in enumerate(lines):
        if in_block:
            closed = BLOCK_CLOSE.match(line)
            text = closed.group("text") if closed else line
            starred = BLOCK_LINE.match(text)
            out[i] = f"{starred.group('indent')}{starred.group('text')}" if starred else text
            if closed:
                in_block = False
                out[i] = f"{out[i]} {closed.group('rest')}".rstrip()
        elif opened := BLOCK_OPEN.match(line):
            text = opened.group("text")
            closed = BLOCK_CLOSE.match(text)
            in_block = closed is None
            out[i] = opened.group("indent") + (f"{closed.group('text')} {closed.group('rest')}" if closed else text)
        elif comment := LINE_COMMENT.match(line):
            out[i] = comment.group("indent") + comment.group("text")
        if not out[i].strip():
            out[i] = ""  # a comment marker alone ("/*", "--") parts what is around it, as a blank line does
    return Markup(out)
