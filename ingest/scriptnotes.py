"""Code files kept as notes, the notes in their comments: SQL (``.sql``: an analyst's queries), shell and
PowerShell scripts (``.sh``, ``.bash``, ``.zsh``, ``.ps1``: cheat sheets that also run), rewritten line for line
into the layout the plain-text reader reads:

- a comment's text is a line of notes, at its comment's indentation: ``-- NB: refunds over £500 need sign-off``,
  ``# back to rev 3``, and each line of a block comment (``/* ... */``, PowerShell's ``<# ... #>``) without its
  marks and a ``/*`` block's leading ``*``;
- a banner of rules (``-- =====``, a line of ``#`` only) around a comment is a title over what follows, as
  underlined titles are; a script's ``#!`` line says nothing;
- a line of code stays as written (its thresholds and values are notes too: ``WHEN basket >= 50 THEN 'free'``,
  ``MAX_RETRIES=5``), with the comment at its end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.document import Markup

SQL_SUFFIXES = (".sql",)
SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".ps1", ".psm1")


@dataclass(frozen=True)
class Syntax:
    line: re.Pattern[str]  # a comment line: its indentation and text
    block_open: re.Pattern[str]
    block_close: re.Pattern[str]  # the text before the close, and what follows it
    block_line: re.Pattern[str] | None  # " * a line of a block", read without its star
    rule: re.Pattern[str] | None = None  # a comment line that is a rule of marks only ("##########")
    statements: bool = False  # a line of code is a statement (a command), unless the line above goes on into it


SQL = Syntax(
    line=re.compile(r"^(?P<indent>\s*)--+ ?(?P<text>.*)$"),
    block_open=re.compile(r"^(?P<indent>\s*)/\*+\s?(?P<text>.*)$"),
    block_close=re.compile(r"^(?P<text>.*?)\s*\*+/\s*(?P<rest>.*)$"),
    block_line=re.compile(r"^(?P<indent>\s*)\*+(?!/)\s?(?P<text>.*)$"),
)
SHELL = Syntax(
    line=re.compile(r"^(?P<indent>\s*)#+(?![>!]|requires\b)\s?(?P<text>.*)$", re.I),  # "#Requires -Version 7": code
    block_open=re.compile(r"^(?P<indent>\s*)<#\s?(?P<text>.*)$"),
    block_close=re.compile(r"^(?P<text>.*?)\s*#>\s*(?P<rest>.*)$"),
    block_line=None,
    rule=re.compile(r"^\s*#{4,}\s*$"),
    statements=True,
)
SHEBANG = re.compile(r"^#!")


def rewrite_comments(lines: list[str], syntax: Syntax) -> Markup:
    """The lines of a code file as the plain-text reader reads them."""
    out = list(lines)
    statements: set[int] = set()  # lines of code that open a statement: no title, nothing above runs into them
    in_block = False
    for i, line in enumerate(lines):
        if in_block:
            closed = syntax.block_close.match(line)
            text = closed.group("text") if closed else line
            starred = syntax.block_line.match(text) if syntax.block_line else None
            out[i] = f"{starred.group('indent')}{starred.group('text')}" if starred else text
            if closed:
                in_block = False
                out[i] = f"{out[i]} {closed.group('rest')}".rstrip()
        elif i == 0 and SHEBANG.match(line):
            out[i] = ""
        elif syntax.rule and syntax.rule.match(line):
            # a banner's rule of marks, as the reader knows rules; under a line of code it opens a banner and
            # underlines nothing
            under_code = i > 0 and lines[i - 1].strip() and not syntax.line.match(lines[i - 1])
            out[i] = "" if under_code else "=" * len(line.strip())
        elif opened := syntax.block_open.match(line):
            text = opened.group("text")
            closed = syntax.block_close.match(text)
            in_block = closed is None
            out[i] = opened.group("indent") + (f"{closed.group('text')} {closed.group('rest')}" if closed else text)
        elif comment := syntax.line.match(line):
            out[i] = comment.group("indent") + comment.group("text")
        elif syntax.statements and line.strip() and not (i and lines[i - 1].rstrip().endswith(("\\", "`"))):
            statements.add(i)  # a line of code that goes on from no line above
        if not out[i].strip():
            out[i] = ""  # a comment marker alone ("/*", "--", "#") parts what is around it, as a blank line does
    return Markup(out, breaks=statements)
