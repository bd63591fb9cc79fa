"""reStructuredText kept as notes (Sphinx-style notes typed in an editor), rewritten line for line into the
layout the plain-text reader reads, as ``ingest.markup`` does for wiki markup:

- a title is a line of text under a line of one repeated punctuation mark (``===``, ``---``, ``~~~``, ``^^^``,
  ...), with or without the same line over it; its level is the order in which its style first appears, as
  reStructuredText itself decides; the adornment lines say nothing;
- a field (``:Torque: 5-6 Nm``) reads ``Torque: 5-6 Nm``;
- an admonition (``.. note::``, ``.. warning:: text``, ...), a table or a figure directive reads as its text
  (its argument, unless a file name, and its body brought to the directive's margin), its options
  (``:width: 400``) dropped; a code directive's body is brought there too and read as it is; a picture or
  the document's machinery (``image``, ``toctree``, ``contents``, ``include``, link targets) says nothing; a
  comment (``.. TODO check``) is the author's own remark and reads as text;
- auto-numbered items (``#.``) are numbered;
- tables, grid (``+----+``) or simple (``=====  =====``), are left as they are: the reader reads their rules;
- a paragraph, an item or a field goes on until a blank line, however its lines were wrapped: a line at the
  same margin (under an item, at its text's margin; under a field, indented past it) carries it on;
- inline marks keep their text: ````literal````, ``*emphasis*``, ``**strong**``, ``:role:`text```,
  ```link <url>`_``, ``name_`` (a table's bars stay); a paragraph's closing ``::`` reads ``:``.
"""

from __future__ import annotations

import re

from ingest.document import MAX_HEADING_LEVEL, Markup

RST_SUFFIXES = (".rst", ".rest")

ADORNMENT = re.compile(r"^([=\-~^\"'`#*+_:.<>])\1{2,}\s*$")  # a line of one repeated punctuation mark
DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\.\s+(?P<name>[\w-]+(?::[\w-]+)?)::\s*(?P<arg>.*)$")
TARGET = re.compile(r"^\s*\.\.\s+(?:_[^:]*:|\|[^|]+\|\s+\w+::|\[[^\]]+\])")  # ".. _name:", ".. |sub| image::"
COMMENT = re.compile(r"^(?P<indent>\s*)\.\.(?:\s+(?P<text>.*))?$")
FIELD = re.compile(r"^(?P<indent>\s*):(?P<name>[^:\s`][^:`]*?):(?:\s+(?P<value>.*))?$")
AUTO_ITEM = re.compile(r"^(?P<indent>\s*)#\.\s+")
ITEM = re.compile(r"^\s*(?:[-*+•]|\(?\d{1,3}[.)]|\(?[A-Za-z][.)])\s+")  # a bullet or a numbered item
GRID_BORDER = re.compile(r"^\s*\+(?:-+\+)+\s*$")
GRID_HEADER = re.compile(r"^\s*\+(?:=+\+)+\s*$")
SIMPLE_RULE = re.compile(r"^\s*=+(?:\s+=+)+\s*$")  # "=====  =====": a simple table's rule
CODE = frozenset({"code", "code-block", "sourcecode", "math", "parsed-literal"})
# directives that hold nothing to read: a picture, the document's own machinery
SILENT = frozenset(
    {
        "image",
        "toctree",
        "contents",
        "include",
        "literalinclude",
        "raw",
        "meta",
        "index",
        "sectnum",
        "section-numbering",
        "header",
        "footer",
        "default-role",
        "role",
        "highlight",
        "tabularcolumns",
        "autosummary",
    }
)
TABLES = frozenset({"list-table", "csv-table", "table"})
OPTION = re.compile(r"^\s+:[\w-]+:(?:\s|$)")  # a directive's option (":width: 400", ":header-rows: 1")
PATH = re.compile(r"^\S*(?:[/\\]\S*|\.[A-Za-z0-9]{2,5})$")  # "rack.png", "img/rack": a file, not text
# inline marks
ROLE = re.compile(r":[\w:+-]+:`(?P<text>[^`]+)`")
LINK = re.compile(r"`(?P<text>[^`<]+?)\s*<[^`>]+>`__?")
LITERAL = re.compile(r"``(?P<text>[^`]+)``")
INTERPRETED = re.compile(r"`(?P<text>[^`]+)`_{0,2}")
STRONG = re.compile(r"(?<![\w*])\*\*(?=\S)(?P<text>[^*]+?)\*\*(?![\w*])")
EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])(?P<text>[^*]+?)\*(?![\w*])")
REFERENCE = re.compile(r"\b(?P<text>[A-Za-z0-9](?:[\w-]*[A-Za-z0-9])?)__?(?=[\s.,;:)]|$)")


def is_rst(lines: list[str]) -> bool:
    """Whether a file is reStructuredText: directives, fields, grid tables or titles adorned with marks
    other than ``=`` and ``-``, two kinds of them at least (or several directives)."""
    directives = sum(1 for line in lines if ".." in line and DIRECTIVE.match(line))
    fields = sum(1 for line in lines if line.lstrip().startswith(":") and FIELD.match(line))
    grids = sum(1 for line in lines if "+" in line and GRID_BORDER.match(line))
    literals = sum(1 for line in lines if "``" in line and LITERAL.search(line))
    adorned = sum(1 for under in _titles(lines).values() if lines[under][0] not in "=-")
    kinds = sum(1 for n in (directives, fields, grids, literals, adorned) if n)
    return directives >= 3 or (kinds >= 2 and directives + fields + grids + literals + adorned >= 4)


def _titles(lines: list[str]) -> dict[int, int]:
    """The adornment line under each title line, by the title line: a line of text under the line above it
    (or blank) and over a line of one mark at least as long as it, less one."""
    found: dict[int, int] = {}
    for i in range(len(lines) - 1):
        text = lines[i].strip()
        under = lines[i + 1].rstrip()
        if not text or lines[i][:1].isspace() or ADORNMENT.match(text) or not ADORNMENT.match(under):
            continue
        if len(under) < max(3, len(text) - 1) or (i and lines[i - 1].strip() and not ADORNMENT.match(lines[i - 1])):
            continue
        found[i] = i + 1
    return found


def inline(text: str) -> str:
    text = ROLE.sub(r"\g<text>", text)
    text = LINK.sub(r"\g<text>", text)
    text = LITERAL.sub(r"\g<text>", text)
    text = INTERPRETED.sub(r"\g<text>", text)
    text = STRONG.sub(r"\g<text>", text)
    text = EMPHASIS.sub(r"\g<text>", text)
    text = REFERENCE.sub(r"\g<text>", text)
    return text[:-1] if text.endswith("::") else text


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _body(lines: list[str], i: int, margin: int) -> range:
    """The lines of a directive's body: the lines after line ``i`` indented past ``margin`` (and the blank lines
    between them)."""
    end = i + 1
    j = i + 1
    while j < len(lines):
        if lines[j].strip():
            if _indent(lines[j]) <= margin:
                break
            end = j + 1
        j += 1
    return range(i + 1, end)


def rewrite_rst(lines: list[str]) -> Markup:
    out = Markup(list(lines))
    styles: list[tuple[str, bool]] = []
    for i, under in _titles(lines).items():
        over = i > 0 and lines[i - 1].strip() == lines[under].strip()
        style = (lines[under].strip()[0], over)
        if style not in styles:
            styles.append(style)
        out.titles[i] = (inline(lines[i].strip()), min(styles.index(style) + 1, MAX_HEADING_LEVEL))
        out.dropped.add(under)
        if over:
            out.dropped.add(i - 1)
    silent: set[int] = set()
    code: set[int] = set()  # the lines of a code directive's body and of a literal block after "::"
    numbers: dict[int, int] = {}  # the last auto-number given at each indent
    for i, line in enumerate(lines):
        if i in out.dropped or i in out.titles or i in silent:
            continue
        s = line.strip()
        if not s:
            continue
        if not AUTO_ITEM.match(line):
            numbers = {k: v for k, v in numbers.items() if k < _indent(line)}
        directive = DIRECTIVE.match(line)
        if directive:
            name = directive.group("name").lower()
            margin = len(directive.group("indent"))
            body = _body(lines, i, margin)
            if name in SILENT:
                out.dropped.add(i)
                out.dropped.update(body)
                continue
            options = set()
            for j in body:  # the options right under the directive say nothing
                if lines[j].strip() and not OPTION.match(lines[j]):
                    break
                options.add(j)
            out.dropped.update(options)
            silent.update(body)
            text = [j for j in body if j not in options and lines[j].strip()]
            shift = min((_indent(lines[j]) for j in text), default=margin) - margin
            if name in CODE:
                out.dropped.add(i)
                code.update(text)
                for j in text:  # brought to the margin: a listing, not a point of the item above it
                    out.lines[j] = lines[j][shift:]
                continue
            # an admonition, a table or a figure: its argument (no file name) and its body read as text
            arg = directive.group("arg").strip()
            arg = "" if PATH.match(arg) else inline(arg)
            if arg and name in TABLES:
                arg = f"{arg.rstrip(':')}:"  # a table's title leads its rows, as "Prices:" over a list
            out.lines[i] = f"{directive.group('indent')}{arg}" if arg else ""
            if not arg:
                out.dropped.add(i)
            for j in text:
                out.lines[j] = inline(lines[j][shift:])
            continue
        if TARGET.match(line):
            out.dropped.add(i)
            continue
        comment = COMMENT.match(line)
        if comment:
            if comment.group("text"):
                out.lines[i] = f"{comment.group('indent')}{inline(comment.group('text'))}"
            else:
                out.dropped.add(i)
            continue
        if _rule(line):
            continue  # a table's rules: the reader reads the table by them
        field = FIELD.match(line)
        if field:
            value = field.group("value") or ""
            out.lines[i] = f"{field.group('indent')}{field.group('name').strip()}: {inline(value)}".rstrip()
            out.breaks.add(i)  # a field is a line of its own, no title of the fields under it
            continue
        item = AUTO_ITEM.match(line)
        if item:
            depth = _indent(line)
            numbers[depth] = numbers.get(depth, 0) + 1
            out.lines[i] = f"{item.group('indent')}{numbers[depth]}. {inline(line[item.end() :])}"
            continue
        out.lines[i] = inline(line)
        if s.endswith("::"):  # a literal block follows: its indented lines are code, read as they are
            block = [j for j in _body(lines, i, _indent(line)) if lines[j].strip()]
            code.update(block)
            silent.update(block)
    out.joins = _paragraph_joins(lines, out, code)
    return out


def _rule(line: str) -> bool:
    """A rule of a grid table (``+----+``, ``+====+``) or of a simple one (``=====  =====``)."""
    return bool(GRID_BORDER.match(line) or GRID_HEADER.match(line) or SIMPLE_RULE.match(line))


def _tables(lines: list[str]) -> set[int]:
    """The lines of grid and simple tables: each a run of lines without a blank one that holds a rule."""
    found: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, ""]):
        if line.strip():
            run.append(i)
            continue
        if any(_rule(lines[j]) for j in run):
            found.update(run)
        run = []
    return found


def _paragraph_joins(lines: list[str], out: Markup, code: set[int]) -> set[int]:
    """The lines that carry on a paragraph, an item or a field: reStructuredText ends a paragraph only at a
    blank line, so a line under one of text at the same margin (under an item, at its text's margin; under a
    field, indented past it) is more of it, however the lines were wrapped."""
    quiet = out.dropped | set(out.titles) | code | _tables(lines)
    joins: set[int] = set()
    margin: int | None = None  # where the open paragraph's lines start; None when none is open
    deeper = False  # ... or any margin past it (a field's value)
    for i, raw in enumerate(lines):
        if not raw.strip() or i in quiet:
            margin = None
            continue
        line = out.lines[i]
        at = _indent(raw)
        starts = bool(AUTO_ITEM.match(raw) or ITEM.match(raw) or FIELD.match(raw) or DIRECTIVE.match(raw))
        if margin is not None and not starts and (at == margin or (deeper and at > margin)):
            joins.add(i)
            continue
        item = ITEM.match(raw) or AUTO_ITEM.match(raw)
        if item:
            margin, deeper = item.end(), False
        elif FIELD.match(raw):
            margin, deeper = at, True
        elif DIRECTIVE.match(raw):
            # ".. warning:: text" goes on in its body, indented under it
            below = i + 1 < len(lines) and lines[i + 1].strip() and i + 1 not in quiet
            margin, deeper = (_indent(lines[i + 1]), False) if below and _indent(lines[i + 1]) > at else (None, False)
        elif COMMENT.match(raw) or "|" in line[:1]:
            margin = None
        else:
            margin, deeper = at, False
    return joins
