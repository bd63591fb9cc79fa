"""MediaWiki's wikitext (a page's source: ``.mediawiki`` files, the pages of a Special:Export dump), rewritten
line for line into the layout the plain-text reader reads, as ``ingest.markup`` does for other wikis:

- ``== Section ==`` is a title of its level (``=`` is the page's title, ``==`` the first level under it);
- ``*`` and ``#`` lists are bullets and numbered items, nested by their marks; ``;term : definition`` and
  ``:`` indents are lines of text;
- a template's parameters, one a line (``{{Infobox venue`` / ``| capacity = 180`` / ``}}``), are lines
  ``capacity: 180`` under a line naming the template;
- a table (``{| ... |}``) is read row by row, each row on the line it starts on, its cells labelled by the
  header (``! Lamp !! Watts``): ``Fresnel — Watts: 1000 W``;
- links read as their label (``[[Loading bay|rear doors]]``, ``[https://x label]``), bold and italic quotes,
  comments, categories and magic words say nothing, a ``<ref>`` footnote reads in brackets.
"""

from __future__ import annotations

import re

from ingest.document import Markup, row_text

MEDIAWIKI_SUFFIXES = (".mediawiki",)
HEADING = re.compile(r"^(?P<marks>={1,6})\s*(?P<text>.+?)\s*(?P=marks)\s*$")
LIST = re.compile(r"^(?P<marks>[*#:;]+)\s*(?P<text>.*)$")
TEMPLATE_OPEN = re.compile(r"^\s*\{\{\s*(?P<name>[^|{}]+?)\s*(?:\|(?P<rest>.*))?$")
PARAMETER = re.compile(r"^\s*\|\s*(?P<key>[^=|{}]+?)\s*=\s*(?P<value>.*?)\s*(?P<close>\}\})?\s*$")
INTERNAL_LINK = re.compile(r"\[\[(?:[^\]|]*\|)?(?P<label>[^\]]*)\]\]")
CATEGORY = re.compile(r"\[\[\s*(?:Category|File|Image)\s*:[^\]]*\]\]", re.I)
EXTERNAL_LINK = re.compile(r"\[(?:https?|ftp)://\S+(?:\s+(?P<label>[^\]]*))?\]")
QUOTES = re.compile(r"'{2,5}")
COMMENT = re.compile(r"<!--.*?-->")
REF = re.compile(r"<ref[^>/]*>(?P<text>.*?)</ref>|<ref[^>]*/>", re.I)
TAG = re.compile(r"</?(?:br|span|div|small|big|u|s|del|ins|sup|sub|code|nowiki|center|font)\b[^>]*>", re.I)
MAGIC = re.compile(r"__[A-Z]+__")
INLINE_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")


def inline(text: str) -> str:
    """A line of wikitext as the text it shows."""
    text = CATEGORY.sub("", COMMENT.sub("", text))
    text = REF.sub(lambda m: f" ({m.group('text')})" if m.group("text") else "", text)
    text = INTERNAL_LINK.sub(lambda m: m.group("label"), text)
    text = EXTERNAL_LINK.sub(lambda m: m.group("label") or "", text)
    text = INLINE_TEMPLATE.sub(lambda m: _template_text(m.group(0)), text)
    text = MAGIC.sub("", TAG.sub(" ", QUOTES.sub("", text)))
    return " ".join(text.split())


def _template_text(template: str) -> str:
    """An inline template as its arguments' text ("{{convert|8|m}}" → "8 m"); the name alone says nothing."""
    parts = [p.split("=", 1)[-1].strip() for p in template[2:-2].split("|")[1:]]
    return " ".join(p for p in parts if p)


def _cells(line: str, mark: str) -> list[str]:
    """The cells of a table line: ``| a || b`` or ``! a !! b``, each cell's attributes (``style=... |``) dropped."""
    cells = line[1:].split(mark * 2)
    return [inline(c.split("|", 1)[1] if "|" in c and "=" in c.split("|", 1)[0] else c) for c in cells]


def rewrite_wikitext(lines: list[str]) -> Markup:
    """The lines of a page's wikitext as the plain-text reader reads them."""
    out = [""] * len(lines)
    markup = Markup(out)
    in_template = False
    table: list[int] | None = None  # the lines of the table open, from its "{|"
    header: list[str] = []
    row: list[str] = []
    row_line = -1
    numbers: dict[int, int] = {}  # the number each depth of a "#" list has reached

    def flush() -> None:
        nonlocal row, row_line
        if row and row_line >= 0:
            out[row_line] = row_text(header, row) if header and len(row) > 1 else " — ".join(row)
            markup.breaks.add(row_line)  # a row of its own: no title, and under no item of a list above the table
        row, row_line = [], -1

    for i, raw in enumerate(lines):
        line = raw.rstrip()
        stripped = line.strip()
        if table is not None:
            if stripped.startswith("|}"):
                flush()
                table = None
            elif stripped.startswith("|-") or stripped.startswith("|+"):
                flush()
                if stripped.startswith("|+"):
                    out[i] = inline(stripped[2:])  # the table's caption
            elif stripped.startswith("!"):
                header += [c for c in _cells(stripped, "!") if c]
            elif stripped.startswith("|"):
                row_line = i if row_line < 0 else row_line
                row += _cells(stripped, "|")
            elif row and stripped:
                row[-1] = f"{row[-1]} {inline(stripped)}".strip()  # a cell's text going on over its lines
            continue
        if stripped.startswith("{|"):
            table, header, row, row_line = [i], [], [], -1
            continue
        if in_template:
            if parameter := PARAMETER.match(line):
                value = inline(parameter.group("value"))
                out[i] = f"  {inline(parameter.group('key'))}: {value}" if value else ""
                in_template = not parameter.group("close")
            elif stripped.startswith("}}"):
                in_template = False
            else:
                out[i] = f"  {inline(stripped)}" if stripped else ""
            continue
        if (opened := TEMPLATE_OPEN.match(line)) and "}}" not in line:
            in_template = True
            out[i] = f"{inline(opened.group('name'))}:"
            continue
        if heading := HEADING.match(line):
            level = max(len(heading.group("marks")) - 1, 1)
            markup.titles[i] = (inline(heading.group("text")), level)
            out[i] = inline(heading.group("text"))
            continue
        if listed := LIST.match(line):
            marks, text = listed.group("marks"), inline(listed.group("text"))
            indent = "  " * (len(marks) - 1)
            numbers = {depth: n for depth, n in numbers.items() if depth <= len(marks)}
            if marks[-1] == "*":
                out[i] = f"{indent}- {text}"
            elif marks[-1] == "#":
                numbers[len(marks)] = numbers.get(len(marks), 0) + 1
                out[i] = f"{indent}{numbers[len(marks)]}. {text}"
            else:  # ";term : definition", ":" indents
                out[i] = f"{indent}{text.replace(' : ', ': ', 1)}"
            continue
        numbers = {}
        out[i] = inline(line)
    if table is not None:
        flush()
    return markup
