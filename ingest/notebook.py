"""Jupyter notebooks (``.ipynb``) as Jupyter saves them: the notebook's JSON read as the Markdown that
``jupyter nbconvert --to markdown`` writes of it. Markdown cells are read as they are, one document across the
cells, so a heading in one cell heads the cells after it. A code cell is read as fenced code, and its printed
output (streams, plain-text results) as an indented output block under it, as the export puts it. Each line
cites the line of the file its string stands on (a cell's source is a list of strings, a line each). A file
that is no notebook is read as other JSON is.
"""

from __future__ import annotations

from ingest.jsonnotes import Node, Text, scan
from ingest.markdown import markdown_passages
from kg.model import Passage

NOTEBOOK_SUFFIXES = (".ipynb",)
OUTPUT_KEYS = ("text", "text/plain")  # a stream's text, a result's plain-text form


def _lines(value: Node | Text | None) -> list[tuple[str, int]]:
    """A source or output field's lines, each with its file line: a list of strings (a line each, as Jupyter
    saves them) or one string of several lines (on one line of the file)."""
    texts = [v for _, v in value.items if isinstance(v, Text)] if isinstance(value, Node) else [value]
    out: list[tuple[str, int]] = []
    for t in texts:
        if isinstance(t, Text):
            out += [(line.rstrip(), t.line) for line in t.value.rstrip("\n").split("\n")]
    return out


def _outputs(cell: Node) -> list[tuple[str, int]]:
    """What a code cell printed: its streams' text and its results' plain-text form (no images, no HTML, no
    tracebacks)."""
    found = cell.get("outputs")
    out: list[tuple[str, int]] = []
    for _, output in found.items if isinstance(found, Node) else []:
        if not isinstance(output, Node):
            continue
        data = output.get("data")
        holder = data if isinstance(data, Node) else output
        for key in OUTPUT_KEYS:
            out += _lines(holder.get(key))
    return out


def parse_notebook(text: str, rel: str) -> list[Passage] | None:
    """Passages of a notebook, or None when the file is no notebook (to be read as other JSON)."""
    try:
        values = scan(text)
    except (ValueError, RecursionError):
        return None
    root = values[0] if len(values) == 1 and isinstance(values[0], Node) and values[0].is_object else None
    cells = root.get("cells") if root is not None else None
    if not isinstance(cells, Node) or cells.is_object:
        return None
    source: list[str] = []
    lines_at: list[int] = []

    def put(line: str, at: int) -> None:
        source.append(line)
        lines_at.append(at)

    for _, cell in cells.items:
        if not isinstance(cell, Node):
            continue
        kind = cell.get("cell_type")
        lines = _lines(cell.get("source"))
        if not isinstance(kind, Text) or not any(line.strip() for line, _ in lines):
            continue
        put("", lines[0][1])  # a cell is a block of its own
        if kind.value == "markdown":
            for line, at in lines:
                put(line, at)
        elif kind.value == "code":
            fence = "`" * max(3, *(len(line) - len(line.lstrip("`")) + 1 for line, _ in lines))
            put(fence, lines[0][1])
            for line, at in lines:
                put(line, at)
            put(fence, lines[-1][1])
            printed = _outputs(cell)
            if printed:
                put("", printed[0][1])
                for line, at in printed:
                    put(f"    {line}" if line.strip() else "", at)
    if not source:
        return []
    return markdown_passages(source, rel, lines_at)
