"""Text converted from PDF (``pdftotext``, a PDF reader's "Save as text"): pages separated by form feeds, each
with the document's running header and footer. Rewritten line for line for the plain-text reader:

- a line at the top or the bottom of a page that recurs at the top or bottom of most pages, its numbers aside
  (``Unit 5 - Controlled drugs        Page 3 of 9``, ``© Provider 2024``, a bare page number), is page furniture and
  says nothing;
- the form feeds go, and a sentence a page break cut carries on from the last line of one page to the first of the
  next, past the furniture between;
- hard-wrapped paragraphs carry on over their lines, as in other wrapped text (``ingest.wrap``).
"""

from __future__ import annotations

import re
from collections import Counter

from ingest.document import Markup
from ingest.wrap import wrapped_joins

FORM_FEED = "\f"
FEWEST_PAGES = 3  # pages a text needs before what recurs on them tells furniture from text
EDGE = 2  # lines at the top and at the bottom of a page where furniture stands
NUMBER = re.compile(r"\d+")
SENTENCE_END = (".", "!", "?", ":", ";")


def is_pdf_text(lines: list[str]) -> bool:
    """Pages separated by form feeds, as ``pdftotext`` writes them."""
    return sum(line.count(FORM_FEED) for line in lines) >= FEWEST_PAGES - 1


def _key(line: str) -> str:
    """A line as it recurs from page to page: its numbers and spacing aside."""
    return " ".join(NUMBER.sub("#", line.replace(FORM_FEED, "")).split()).lower()


def _pages(lines: list[str]) -> list[list[int]]:
    """The indices of the lines with text on each page."""
    pages: list[list[int]] = [[]]
    for i, line in enumerate(lines):
        for _ in range(line.count(FORM_FEED)):
            pages.append([])
        if line.replace(FORM_FEED, "").strip():
            pages[-1].append(i)
    return [p for p in pages if p]


def rewrite_pdf_text(lines: list[str]) -> Markup:
    """The lines of text converted from PDF as the plain-text reader reads them."""
    out = [line.replace(FORM_FEED, "") for line in lines]
    pages = _pages(lines)
    edges = [set(p[:EDGE] + p[-EDGE:]) for p in pages]
    seen = Counter(k for edge in edges for k in {_key(out[i]) for i in edge})
    furniture = {k for k, n in seen.items() if len(pages) >= FEWEST_PAGES and n * 2 > len(pages)}
    dropped = {i for edge in edges for i in edge if _key(out[i]) in furniture}
    joins = wrapped_joins(out)
    for before, after in zip(pages, pages[1:], strict=False):
        last = next((i for i in reversed(before) if i not in dropped), None)
        first = next((i for i in after if i not in dropped), None)
        if last is None or first is None:
            continue
        tail, head = out[last].rstrip(), out[first].lstrip()
        if not tail.endswith(SENTENCE_END) and head[:1].islower():
            joins.add(first)  # the sentence the page break cut goes on
    return Markup(out, dropped=dropped, joins=joins - dropped)
