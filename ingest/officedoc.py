"""Word (.docx) and OpenDocument (.odt) documents and PowerPoint (.pptx) decks: their paragraphs as the lines
citations count, and their blocks (headings by style or outline level, list items at their level, table rows under
their header).

Such a file has no text lines, so its lines are its body's paragraphs in document order (an empty paragraph
too, each list item too) and its table rows (one line a row, the cells joined by " | "), as Word's "Save as
Plain Text" writes one paragraph a line; a deck's are its slides' paragraphs, slide after slide in the
presentation's order, each slide's speaker notes after it. Text deleted in tracked changes, field instructions,
comments, footnotes, headers and footers are no lines and say nothing. ``office_text`` is that rendering (what
``/api/v1/source`` shows), ``office_blocks`` the document read for passages. A table-of-contents entry is a line
but says nothing (it repeats a heading), and so are a slide's footer, number and date.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from xml.etree import ElementTree

from ingest.document import MAX_HEADING_LEVEL, Block, clean, row_text
from kg.model import BlockKind
from kg.text import item_label

OFFICE_SUFFIXES = (".docx", ".odt", ".pptx")
ZIP_MAGIC = b"PK\x03\x04"
MAX_PART_BYTES = 64 * 1024 * 1024  # a part that unpacks larger is refused: no notes document is, a zip bomb is
FAKE_HEADING_WORDS = 8  # a bold paragraph of at most this many words, no sentence, stands as a heading

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"

WORD_HEADING = re.compile(r"heading\s*(\d)", re.IGNORECASE)
LIST_STYLE = re.compile(r"list(?: bullet| number| continue)?\s*(\d)", re.IGNORECASE)  # "List Bullet 2"
BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
TOC_STYLE = re.compile(r"^(?:toc|contents)[\s_]*(?:\d|heading)?", re.IGNORECASE)


# what a damaged archive or part raises: a bad header or checksum, broken compressed data, an unknown compression
# method, XML that does not parse
UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    ElementTree.ParseError,
    NotImplementedError,
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
)


class OfficeError(ValueError):
    """A document that cannot be read: not a zip, a part missing or broken, a part too large."""


@dataclass
class Line:
    """One line of a document: a paragraph or a table row."""

    text: str
    heading: int = 0  # 1.. for a heading, by its style or outline level
    list_level: int = -1  # 0.. for a list item
    ordered: bool = False  # a numbered list's item
    cells: list[str] | None = None  # a table row's cells
    header_row: bool = False  # a row marked as the table's header
    table: int = 0  # which table a row belongs to (1..)
    bold: bool = False  # every character bold: a paragraph set as a heading by hand
    silent: bool = False  # says nothing: a table-of-contents entry, a slide's footer, number or date


@dataclass
class _Doc:
    lines: list[Line] = field(default_factory=list)
    tables: int = 0  # the tables begun so far; a row belongs to the last

    def row(self, cells: list[str], header: bool) -> None:
        self.lines.append(Line(" | ".join(cells), cells=cells, header_row=header, table=self.tables))


def is_office(data: bytes) -> bool:
    """Whether the bytes are a zip holding a Word or OpenDocument text document or a PowerPoint deck."""
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            names = set(z.namelist())
    except UNREADABLE:
        return False
    return any(name in names for name in READERS)


def _part(z: zipfile.ZipFile, name: str, required: bool = True) -> ElementTree.Element | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        if required:
            raise OfficeError(f"no {name} in it") from None
        return None
    if info.file_size > MAX_PART_BYTES:
        raise OfficeError(f"{name} unpacks to {info.file_size:,} bytes (more than {MAX_PART_BYTES:,})")
    try:
        raw = z.read(name)
        if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw:
            raise OfficeError(f"{name} declares a document type (no office program writes one)")
        return ElementTree.fromstring(raw)
    except OfficeError:
        raise
    except UNREADABLE as exc:
        raise OfficeError(f"{name} cannot be read: {exc}") from exc


@lru_cache(maxsize=2)
def office_lines(data: bytes) -> tuple[Line, ...]:
    """The lines of a Word or OpenDocument text document or a PowerPoint deck; raises OfficeError when it cannot
    be read."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            names = set(z.namelist())
            for name, read in READERS.items():
                if name in names:
                    return tuple(read(z))
    except OfficeError:
        raise
    except UNREADABLE as exc:
        raise OfficeError(f"not a readable zip archive: {exc}") from exc
    raise OfficeError("neither word/document.xml, content.xml nor ppt/presentation.xml in it")


def office_text(data: bytes) -> str:
    """The document as text, one line a paragraph or table row (what its citations' line numbers count)."""
    return "\n".join(line.text for line in office_lines(data))


# --- Word -------------------------------------------------------------------------------------------------


def _attr(el: ElementTree.Element | None, name: str) -> str:
    return "" if el is None else el.get(W + name, "")


def _word_styles(z: zipfile.ZipFile) -> tuple[dict[str, int], set[str], dict[str, tuple[str, int]], set[str]]:
    """Heading level by paragraph style id, TOC style ids, the numbering id a list style lists with and the
    level its name gives ("List Bullet 2": one level in, on a list of its own), and the Title styles."""
    root = _part(z, "word/styles.xml", required=False)
    levels: dict[str, int] = {}
    toc: set[str] = set()
    numbered: dict[str, tuple[str, int]] = {}
    titles: set[str] = set()
    if root is None:
        return levels, toc, numbered, titles
    based: dict[str, str] = {}
    for s in root.iter(W + "style"):
        if _attr(s, "type") != "paragraph":
            continue
        sid = _attr(s, "styleId")
        name = _attr(s.find(W + "name"), "val") or sid
        based[sid] = _attr(s.find(W + "basedOn"), "val")
        ppr = s.find(W + "pPr")
        outline = _attr(ppr.find(W + "outlineLvl") if ppr is not None else None, "val")
        m = WORD_HEADING.fullmatch(name.strip()) or WORD_HEADING.fullmatch(sid)
        if m:
            levels[sid] = int(m.group(1))
        elif outline.isdigit() and int(outline) < 9:
            levels[sid] = int(outline) + 1
        if name.strip().lower() == "title" or sid == "Title":
            titles.add(sid)
        if TOC_STYLE.match(name.strip()) or TOC_STYLE.match(sid):
            toc.add(sid)
        num = ppr.find(f"{W}numPr/{W}numId") if ppr is not None else None
        if num is not None:
            nth = LIST_STYLE.fullmatch(name.strip())
            numbered[sid] = (_attr(num, "val"), int(nth.group(1)) - 1 if nth else 0)
    for sid in list(based):  # a style based on a heading style is that heading
        if sid not in levels:
            level = next((levels[a] for a in _ancestors(based, sid) if a in levels), None)
            if level is not None:
                levels[sid] = level
    return levels, toc, numbered, titles


def _word_numbering(z: zipfile.ZipFile) -> dict[tuple[str, int], bool]:
    """Whether a list (numbering id, level) is numbered (True) or bulleted (False)."""
    root = _part(z, "word/numbering.xml", required=False)
    if root is None:
        return {}
    abstract: dict[str, dict[int, bool]] = {}
    for a in root.iter(W + "abstractNum"):
        lv: dict[int, bool] = {}
        for lvl in a.iter(W + "lvl"):
            ilvl = _attr(lvl, "ilvl")
            fmt = _attr(lvl.find(W + "numFmt"), "val") or "decimal"
            if ilvl.isdigit():
                lv[int(ilvl)] = fmt not in ("bullet", "none")
        abstract[_attr(a, "abstractNumId")] = lv
    out: dict[tuple[str, int], bool] = {}
    for n in root.iter(W + "num"):
        for level, ordered in abstract.get(_attr(n.find(W + "abstractNumId"), "val"), {}).items():
            out[(_attr(n, "numId"), level)] = ordered
    return out


def _word_text(el: ElementTree.Element, out: list[str], bold: list[bool]) -> None:
    """The text of a paragraph's runs: deleted text, field instructions, the fallback copy of alternate
    content, comments and note references say nothing."""
    for c in el:
        tag = c.tag
        if tag in (W + "del", W + "instrText", W + "delText", MC + "Fallback", W + "pPr", W + "rPr"):
            continue
        if tag == W + "t":
            out.append(c.text or "")
            continue
        if tag == W + "tab" or tag == W + "br" or tag == W + "cr":
            out.append(" ")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag == W + "r":
            rpr = c.find(W + "rPr")
            b = rpr.find(W + "b") if rpr is not None else None
            has_text = any((t.text or "").strip() for t in c.iter(W + "t"))
            if has_text:
                bold.append(b is not None and _attr(b, "val") not in ("0", "false"))
        _word_text(c, out, bold)


def _word(z: zipfile.ZipFile) -> list[Line]:
    root = _part(z, "word/document.xml")
    assert root is not None
    levels, toc, style_numbering, titles = _word_styles(z)
    numbering = _word_numbering(z)
    used = {_attr(e, "val") for e in root.iter(W + "pStyle")}
    shift = 1 if titles & used else 0  # every styles.xml defines a Title; a document that uses it heads the rest
    body = root.find(W + "body")
    doc = _Doc()

    def paragraph(p: ElementTree.Element) -> Line:
        ppr = p.find(W + "pPr")
        sid = _attr(ppr.find(W + "pStyle") if ppr is not None else None, "val")
        out: list[str] = []
        bold: list[bool] = []
        _word_text(p, out, bold)
        text = BREAKS.sub(" ", "".join(out))  # a paragraph is one line, whatever its text holds
        line = Line(text, silent=sid in toc, bold=bool(bold) and all(bold))
        outline = _attr(ppr.find(W + "outlineLvl") if ppr is not None else None, "val")
        if sid in titles:
            line.heading = 1
        elif sid in levels:
            line.heading = min(levels[sid] + shift, MAX_HEADING_LEVEL)
        elif outline.isdigit() and int(outline) < 9:
            line.heading = min(int(outline) + 1 + shift, MAX_HEADING_LEVEL)
        num = ppr.find(W + "numPr") if ppr is not None else None
        styled_id, styled_level = style_numbering.get(sid, ("", 0))
        num_id = _attr(num.find(W + "numId") if num is not None else None, "val") or styled_id
        ilvl = _attr(num.find(W + "ilvl") if num is not None else None, "val")
        if num_id and num_id != "0" and not line.heading:
            level = int(ilvl) if ilvl.isdigit() else 0
            line.list_level = level if ilvl.isdigit() else styled_level
            line.ordered = numbering.get((num_id, level), False)
        return line

    def table(t: ElementTree.Element) -> None:
        doc.tables += 1
        for tr in t.findall(W + "tr"):  # a table inside a cell is that cell's text, no rows of its own
            header = tr.find(f"{W}trPr/{W}tblHeader") is not None
            cells = []
            for tc in tr.findall(W + "tc"):
                out: list[str] = []
                _word_text(tc, out, [])
                cells.append(" ".join("".join(out).split()))
            doc.row(cells, header)

    def walk(el: ElementTree.Element) -> None:
        for c in el:
            if c.tag == W + "p":
                doc.lines.append(paragraph(c))
            elif c.tag == W + "tbl":
                table(c)
            elif c.tag not in (W + "sectPr", W + "del", MC + "Fallback"):
                walk(c)  # content controls (w:sdt), inserted text (w:ins), alternate content

    if body is not None:
        walk(body)
    return doc.lines


# --- OpenDocument -----------------------------------------------------------------------------------------

ODF_SKIP = {OFFICE + "annotation", OFFICE + "annotation-end", TEXT + "note", TEXT + "tracked-changes"}


def _odf_styles(*roots: ElementTree.Element | None) -> tuple[dict[str, int], set[str], dict[str, dict[int, bool]]]:
    """Heading level by paragraph style, bold text styles, and list styles (level → numbered)."""
    parent: dict[str, str] = {}
    outline: dict[str, int] = {}
    bold: set[str] = set()
    lists: dict[str, dict[int, bool]] = {}
    for root in roots:
        if root is None:
            continue
        for s in root.iter(STYLE + "style"):
            name = s.get(STYLE + "name", "")
            parent[name] = s.get(STYLE + "parent-style-name", "")
            level = s.get(STYLE + "default-outline-level", "")
            m = WORD_HEADING.fullmatch(name.replace("_20_", " ").strip())
            if level.isdigit():
                outline[name] = int(level)
            elif m:
                outline[name] = int(m.group(1))
            tp = s.find(STYLE + "text-properties")
            if tp is not None and tp.get(FO + "font-weight", "") in ("bold", "700", "800", "900"):
                bold.add(name)
        for ls in root.iter(TEXT + "list-style"):
            levels: dict[int, bool] = {}
            for c in ls:
                lv = c.get(TEXT + "level", "")
                if lv.isdigit():
                    levels[int(lv) - 1] = c.tag == TEXT + "list-level-style-number"
            lists[ls.get(STYLE + "name", "")] = levels
    headings: dict[str, int] = {}
    for name in parent:
        found = next((outline[a] for a in (name, *_ancestors(parent, name)) if a in outline), None)
        if found is not None:
            headings[name] = found
    bold_all = {n for n in parent if n in bold or any(a in bold for a in _ancestors(parent, n))}
    return headings, bold_all | bold, lists


def _ancestors(parent: dict[str, str], name: str) -> list[str]:
    """The styles a style is based on, nearest first (a loop of styles based on each other ends it)."""
    out: list[str] = []
    cur = parent.get(name, "")
    while cur and cur != name and cur not in out:
        out.append(cur)
        cur = parent.get(cur, "")
    return out


def _odf_text(
    el: ElementTree.Element, styles_bold: set[str], out: list[str], bold: list[bool], inherited: bool
) -> None:
    """The text of a paragraph: spaces collapsed as ODF says, ``<text:s text:c="3"/>`` that many spaces."""
    here = inherited or el.get(TEXT + "style-name", "") in styles_bold
    if el.text:
        out.append(el.text)
        if el.text.strip():
            bold.append(here)
    for c in el:
        if c.tag not in ODF_SKIP:
            if c.tag == TEXT + "s":
                n = c.get(TEXT + "c", "1")
                out.append(" " * (int(n) if n.isdigit() else 1))
            elif c.tag in (TEXT + "tab", TEXT + "line-break"):
                out.append(" ")
            else:
                _odf_text(c, styles_bold, out, bold, here)
        if c.tail:
            out.append(c.tail)
            if c.tail.strip():
                bold.append(here)


def _odf(z: zipfile.ZipFile) -> list[Line]:
    content = _part(z, "content.xml")
    assert content is not None
    headings, bold_styles, list_styles = _odf_styles(_part(z, "styles.xml", required=False), content)
    body = content.find(f"{OFFICE}body/{OFFICE}text")
    doc = _Doc()

    def paragraph(p: ElementTree.Element, list_level: int, list_style: str, in_toc: bool) -> Line:
        out: list[str] = []
        bold: list[bool] = []
        _odf_text(p, bold_styles, out, bold, False)
        text = " ".join("".join(out).split())
        style = p.get(TEXT + "style-name", "")
        line = Line(text, silent=in_toc, bold=bool(bold) and all(bold) and style not in headings)
        if p.tag == TEXT + "h":
            level = p.get(TEXT + "outline-level", "")
            line.heading = min(int(level) if level.isdigit() else headings.get(style, 1), MAX_HEADING_LEVEL)
        elif style in headings:
            line.heading = min(headings[style], MAX_HEADING_LEVEL)
        if list_level >= 0 and not line.heading:
            line.list_level = list_level
            line.ordered = list_styles.get(list_style, {}).get(list_level, False)
        return line

    def rows(el: ElementTree.Element, header: bool) -> None:
        for tr in el:
            if tr.tag == TABLE + "table-row":
                cells = []
                for tc in tr:
                    if tc.tag in (TABLE + "table-cell", TABLE + "covered-table-cell"):
                        out: list[str] = []
                        _odf_text(tc, bold_styles, out, [], False)
                        cells.append(" ".join("".join(out).split()))
                doc.row(cells, header)
            elif tr.tag in (TABLE + "table-header-rows", TABLE + "table-rows", TABLE + "table-row-group"):
                rows(tr, header or tr.tag == TABLE + "table-header-rows")

    def table(t: ElementTree.Element) -> None:
        doc.tables += 1
        rows(t, False)

    def walk(el: ElementTree.Element, list_level: int, list_style: str, in_toc: bool) -> None:
        for c in el:
            if c.tag in ODF_SKIP:
                continue
            if c.tag in (TEXT + "p", TEXT + "h"):
                doc.lines.append(paragraph(c, list_level, list_style, in_toc))
            elif c.tag == TABLE + "table":
                table(c)
            elif c.tag == TEXT + "list":
                walk(c, list_level + 1, c.get(TEXT + "style-name", "") or list_style, in_toc)
            else:
                toc = in_toc or c.tag in (TEXT + "table-of-content", TEXT + "index-title")
                walk(c, list_level, list_style, toc)

    if body is not None:
        walk(body, -1, "", False)
    return doc.lines


# --- PowerPoint -------------------------------------------------------------------------------------------

DML = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
PML = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
TITLES = {"title", "ctrTitle"}
FURNITURE = {"ftr", "sldNum", "dt", "hdr"}  # a slide's footer, number, date and header placeholders


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id → (type's last word, target part)."""
    folder, name = posixpath.split(part)
    root = _part(z, f"{folder}/_rels/{name}.rels", required=False)
    if root is None:
        return {}
    return {
        r.get("Id", ""): (
            r.get("Type", "").rsplit("/", 1)[-1],
            posixpath.normpath(posixpath.join(folder, r.get("Target", ""))),
        )
        for r in root.iter(PACKAGE_REL + "Relationship")
    }


def _dml_text(p: ElementTree.Element) -> str:
    return BREAKS.sub(
        " ", "".join(t.text or "" if t.tag == DML + "t" else " " for t in p.iter() if t.tag in (DML + "t", DML + "br"))
    )


def _slides(z: zipfile.ZipFile) -> list[Line]:
    """A deck's lines: slide after slide in the presentation's order, each slide's paragraphs in the order its
    shape tree holds them (a table's row one line), then its speaker notes. A slide's title is a heading (under the
    deck's title when a title slide gives one), its body placeholders' paragraphs are list items at their level,
    its own text boxes paragraphs."""
    pres = _part(z, "ppt/presentation.xml")
    assert pres is not None
    by_id = _rels(z, "ppt/presentation.xml")
    order = [by_id[s.get(REL + "id", "")][1] for s in pres.iter(PML + "sldId") if s.get(REL + "id", "") in by_id]
    trees = [(slide, _part(z, slide)) for slide in order]
    titled = any(ph.get("type") == "ctrTitle" for _, root in trees if root is not None for ph in root.iter(PML + "ph"))
    doc = _Doc()

    def shapes(el: ElementTree.Element, notes: bool) -> None:
        for c in el:
            if c.tag == PML + "sp":
                ph = c.find(f"{PML}nvSpPr/{PML}nvPr/{PML}ph")
                kind = ph.get("type", "body") if ph is not None else ""
                if notes and kind != "body":
                    continue  # a notes page's slide image and number say nothing
                for p in c.iter(DML + "p"):
                    line = Line(_dml_text(p), silent=kind in FURNITURE)
                    ppr = p.find(DML + "pPr")
                    marks = {m.tag for m in ppr} if ppr is not None else set()
                    # a body placeholder's paragraphs are bulleted unless told not to be; others when told to be
                    listed = ph is not None and kind in ("body", "obj") and not notes and DML + "buNone" not in marks
                    if kind in TITLES and not notes:
                        line.heading = 1 if kind == "ctrTitle" or not titled else 2
                    elif listed or marks & {DML + "buChar", DML + "buAutoNum"}:
                        level = ppr.get("lvl", "0") if ppr is not None else "0"
                        line.list_level = int(level) if level.isdigit() else 0
                        line.ordered = DML + "buAutoNum" in marks
                    doc.lines.append(line)
            elif c.tag == PML + "graphicFrame":
                for tbl in c.iter(DML + "tbl"):
                    doc.tables += 1
                    first = tbl.find(f"{DML}tblPr")
                    for n, tr in enumerate(tbl.findall(DML + "tr")):
                        cells = [
                            " ".join(_dml_text(p) for p in tc.iter(DML + "p")).strip() for tc in tr.findall(DML + "tc")
                        ]
                        header = n == 0 and (first is None or first.get("firstRow", "1") in ("1", "true"))
                        doc.row(cells, header)
            elif c.tag in (PML + "grpSp", PML + "spTree"):
                shapes(c, notes)

    for slide, root in trees:
        tree = root.find(f"{PML}cSld/{PML}spTree") if root is not None else None
        if tree is not None:
            shapes(tree, False)
        for kind, target in _rels(z, slide).values():
            if kind == "notesSlide":
                notes = _part(z, target, required=False)
                tree = notes.find(f"{PML}cSld/{PML}spTree") if notes is not None else None
                if tree is not None:
                    shapes(tree, True)
    return doc.lines


# the part that tells each kind of file, and its reader
READERS: dict[str, Callable[[zipfile.ZipFile], list[Line]]] = {
    "word/document.xml": _word,
    "content.xml": _odf,
    "ppt/presentation.xml": _slides,
}


# --- blocks -----------------------------------------------------------------------------------------------


def office_blocks(data: bytes) -> list[Block]:
    """The blocks of a Word or OpenDocument document, each at the line (paragraph or row) it was read from.
    A bold paragraph of a few words, no sentence, outside lists and tables, heads what follows one level below
    the heading above it, as such documents set headings by hand."""
    blocks: list[Block] = []
    items: list[str] = []  # the labels of the list items open at each level
    lead = ""
    depth = 0  # the level of the heading in effect
    header: dict[int, list[str]] = {}
    for n, line in enumerate(office_lines(data), start=1):
        text = clean(line.text)
        if line.silent or not text:
            continue
        if line.cells is not None:
            cells = [clean(c) for c in line.cells]
            if line.header_row or line.table not in header:
                header[line.table] = cells
                continue
            row = row_text(header[line.table], cells)
            if row:
                blocks.append(Block(BlockKind.TABLE_ROW, row, n, n))
            continue
        if line.heading or (
            line.bold
            and line.list_level < 0
            and len(text.split()) <= FAKE_HEADING_WORDS
            and not text.endswith((".", "!", "?", ","))
        ):
            level = line.heading or min(depth + 1, MAX_HEADING_LEVEL)
            if line.heading:
                depth = line.heading
            blocks.append(Block(BlockKind.HEADING, text.rstrip(":").strip() or text, n, n, level=level))
            items, lead = [], ""
            continue
        if line.list_level >= 0:
            level = line.list_level
            parents = tuple(i for i in items[:level] if i)
            kind = BlockKind.STEP if line.ordered else BlockKind.ITEM
            blocks.append(Block(kind, text, n, n, parents=parents, lead=lead if not parents else ""))
            items = [*items[:level], *[""] * (level - len(items)), item_label(text)]
            continue
        items = []
        blocks.append(Block(BlockKind.PARAGRAPH, text, n, n))
        lead = text.rstrip(":").strip() if text.endswith(":") else ""
    return blocks
