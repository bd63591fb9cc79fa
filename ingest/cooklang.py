"""Recipes kept in Cooklang (``.cook`` files, or the same markup saved as text), rewritten line for line into
the layout the plain-text reader reads, as ``ingest.markup`` does for wiki markup:

- a metadata line (``>> servings: 12``) reads ``servings: 12``;
- an ingredient reads as a recipe writes it, amount first: ``@bread flour{800%g}`` is ``800 g bread flour``,
  ``@salt{}`` and ``@salt`` are ``salt``;
- cookware keeps its name (``#dutch oven{}`` is ``dutch oven``) and a timer its time (``~{45%minutes}`` and
  ``~proof{14%hours}`` are ``45 minutes`` and ``14 hours``);
- a comment is the cook's own remark and reads as text: a ``-- `` line without its dashes, a ``[- ... -]``
  block without its brackets.

A step is a paragraph of its own, as Cooklang writes it (a blank line between steps).
"""

from __future__ import annotations

import re

from ingest.document import Markup

COOK_SUFFIXES = (".cook",)

METADATA = re.compile(r"^(?P<indent>\s*)>>\s*(?P<key>[^:]{1,40}):\s*(?P<value>.*)$")
# "@bread flour{800%g}", "@salt{}", "@salt": an ingredient; a multi-word name needs its braces
# (not after a letter: "bob@example.org", "C#" are no marks)
INGREDIENT = re.compile(r"(?<!\w)@(?P<name>[^\s@#~{}][^@#~{}]*?)\{(?P<amount>[^}]*)\}|(?<!\w)@(?P<word>[^\W\d_][\w-]*)")
COOKWARE = re.compile(
    r"(?<!\w)#(?P<name>[^\s@#~{}][^@#~{}]*?)\{[^}]*\}|(?<!\w)#(?P<word>[^\W\d_][\w-]*)(?=[\s.,;:!?)]|$)"
)
TIMER = re.compile(r"~(?P<name>[\w -]*)\{(?P<amount>[^}]*)\}")
BRACED = re.compile(r"[@~][^\s@#~{}][^@#~{}]{0,40}\{[^}]*\}|~\{[^}]*\}")  # an ingredient or a timer in braces
LINE_COMMENT = re.compile(r"^(?P<indent>\s*)--\s?(?P<text>.*)$")
BLOCK_OPEN = re.compile(r"\[-\s?")
BLOCK_CLOSE = re.compile(r"\s?-\]")


def _amount(amount: str) -> str:
    """``800%g`` is ``800 g``; ``3`` is ``3``."""
    qty, _, unit = amount.partition("%")
    return f"{qty.strip()} {unit.strip()}".strip()


def _ingredient(m: re.Match[str]) -> str:
    if m.group("word"):
        return m.group("word")
    amount = _amount(m.group("amount"))
    name = m.group("name").strip()
    return f"{amount} {name}" if amount else name


def _cookware(m: re.Match[str]) -> str:
    return (m.group("name") or m.group("word")).strip()


def _timer(m: re.Match[str]) -> str:
    return _amount(m.group("amount")) or m.group("name").strip()


def is_cooklang(lines: list[str]) -> bool:
    """Whether a file is Cooklang: ingredients or timers in braces on five lines or more, or on two with two
    metadata lines."""
    metadata = sum(1 for line in lines if line.lstrip().startswith(">>") and METADATA.match(line))
    braced = sum(1 for line in lines if "{" in line and BRACED.search(line))
    return braced >= 5 or (metadata >= 2 and braced >= 2)


def inline(text: str) -> str:
    text = INGREDIENT.sub(_ingredient, text)
    text = COOKWARE.sub(_cookware, text)
    return TIMER.sub(_timer, text)


def rewrite_cooklang(lines: list[str]) -> Markup:
    out = Markup(list(lines))
    in_block = False
    for i, line in enumerate(lines):
        text = line
        if in_block or "[-" in text:
            opened = BLOCK_OPEN.search(text) if not in_block else None
            if opened:
                text = text[: opened.start()] + text[opened.end() :]
                in_block = True
            closed = BLOCK_CLOSE.search(text)
            if closed:
                text = text[: closed.start()] + text[closed.end() :]
                in_block = False
            if not text.strip():
                out.dropped.add(i)
        meta = METADATA.match(text)
        if meta:
            text = f"{meta.group('indent')}{meta.group('key').strip()}: {meta.group('value')}".rstrip()
        else:
            comment = LINE_COMMENT.match(text)
            if comment:
                text = f"{comment.group('indent')}{comment.group('text')}"
        out.lines[i] = inline(text)
    return out
