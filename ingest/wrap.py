"""Hard-wrapped text: lines broken where a page, a scanner or a mail program ran out of width, not where the
writer ended a thought. OCR of scanned notes, mail saved as text and text copied out of a PDF are wrapped
so; notes typed in an editor are not.

A file is read as wrapped when its lines stop at one right margin (hardly a line runs past it: typed notes
have long lines well past where most end) and the line after many lines that reach it carries on the
sentence (it opens in lower case, or the line above split a word with a hyphen). In a wrapped file, a line
that carries on a line reaching the margin continues that line's text, as a wrapped line does in the reader
(``Markup.joins``); a word split over the two lines is whole again when they are joined (``unhyphenate``).
"""

from __future__ import annotations

import re

# a line that opens a point of its own is no carried-on text: a bullet, a number, a flashcard, a table row
_OWN_LINE = re.compile(r"^\s*(?:[-*+•●○■▪◦‣>|#]|o\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s|[QA]:\s)")
_LABEL = re.compile(r"^\s*[\w .'/-]{1,25}:\s")  # "text: ...": a label opens a line of its own
_SPLIT_WORD = re.compile(r"[A-Za-z]-$")  # "kitch-" at a line's end: the word goes on below
_SHORTEST_MARGIN = 40  # characters: narrower text is a column of short notes, not wrapped prose
_MARGIN_SHARE = 0.8  # a line reaching this share of the margin width ran out of room
_PAST_MARGIN = 1.1  # a line this many times the margin width runs past it
_MOST_PAST = 0.01  # the largest share of lines that may run past the margin in a wrapped file
_FEWEST = 5  # wrapped lines a file must show before any is joined
_WRAPPED_SHARE = 0.3  # of the lines at the margin, the least share that carry on below


def _margin(lines: list[str]) -> int:
    """The width the file's long lines run to: the 90th percentile of its line lengths."""
    lengths = sorted(len(x.rstrip()) for x in lines if x.strip())
    return lengths[int(0.9 * (len(lengths) - 1))] if len(lengths) >= 20 else 0


def _carries_on(above: str, line: str) -> bool:
    """Whether ``line`` reads as the rest of ``above``'s sentence."""
    body = line.strip()
    if not body or _OWN_LINE.match(line) or _LABEL.match(line):
        return False
    end = above.rstrip()
    if end.endswith((":", ".", "!", "?")) and not _SPLIT_WORD.search(end):
        return False
    # a sentence broken after a comma goes on whatever it opens with ("... four thousand pounds a year," /
    # "£4,000, and that counts ..."), unless the line ends with ':' and so opens what follows it
    after_comma = end.endswith(",") and not body.endswith(":")
    return body[0].islower() or after_comma or (bool(_SPLIT_WORD.search(end)) and body[0].isalpha())


def wrapped_joins(lines: list[str]) -> set[int]:
    """The lines (0-based) that carry on the line above them in a hard-wrapped file; none when the file is
    not wrapped."""
    width = _margin(lines)
    if width < _SHORTEST_MARGIN:
        return set()
    text = [x for x in lines if x.strip()]
    if sum(1 for x in text if len(x.rstrip()) > _PAST_MARGIN * width) > _MOST_PAST * len(text):
        return set()
    at_margin = [
        i for i in range(len(lines) - 1) if len(lines[i].rstrip()) >= _MARGIN_SHARE * width and lines[i + 1].strip()
    ]
    joins = {i + 1 for i in at_margin if _carries_on(lines[i], lines[i + 1])}
    if len(joins) < _FEWEST or len(joins) < _WRAPPED_SHARE * len(at_margin):
        return set()
    return joins


def unhyphenate(text: str, more: str) -> str:
    """``text`` and the line ``more`` that carries it on, joined: a word split at the end of ``text``
    ("kitch-" / "en practical") is whole again."""
    if _SPLIT_WORD.search(text) and more[:1].islower():
        return text[:-1] + more
    return f"{text} {more}"
