"""Rich Text kept as notes (TextEdit's default format, WordPad's, Word's "Save as RTF"), rewritten line for line
into the layout the plain-text reader reads, as ``ingest.markup`` does for wiki markup:

- each paragraph's text goes on the source line its text starts on; the other lines it runs over (Word wraps its
  RTF source at about 255 characters), and the lines of control words alone (``\\pard\\tx560...``), say nothing;
  an empty paragraph (a line of ``\\`` alone) is a blank line;
- the header's tables (fonts, colours, styles, lists), document information, pictures, field instructions and
  every ``{\\*...}`` group say nothing;
- a list item's marker (``{\\listtext \\u8226 }``, ``{\\pntext 1.}``) is a bullet, or keeps its number, indented
  by its level (``\\ilvl``);
- a paragraph all in bold, of a title's few words, is a title: of the first level when set in a larger font than
  the text's, else of the second;
- escapes read as their character: ``\\'a3`` in the file's code page (``\\ansicpg``, Windows-1252 by default),
  ``\\u8364`` as Unicode (the ``\\uc`` fallback characters after it skipped), ``\\emdash``, ``\\rquote`` and the
  like as their sign; ``\\tab`` is a tab; a table's cells (``\\cell``) are set apart by ``|``.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from ingest.document import Markup
from ingest.outline import TITLE_WORDS

RTF_SUFFIXES = (".rtf",)
DEFAULT_SIZE = 24  # a font size in half-points: RTF's default, 12 pt
TOKEN = re.compile(
    r"\\(?P<word>[a-zA-Z]+)(?P<arg>-?\d+)? ?"  # a control word, its delimiting space taken with it
    r"|\\'(?P<hex>[0-9a-fA-F]{2})"  # a byte in the code page
    r"|\\(?P<symbol>[^a-zA-Z'])"  # a control symbol: \\ \{ \} \~ \- \_ and \ at a line's end (a paragraph)
    r"|(?P<brace>[{}])"
    r"|(?P<newline>\n)"  # a line break in the source is no text (the lines are joined by \n)
    r"|(?P<text>[^\\{}\r\n]+)"
)
# groups of the header and of the document's machinery: no text of the notes
KINDS = ("word", "hex", "symbol", "brace", "newline", "text")  # what a token is: the group it matched
SKIPPED = frozenset(
    {
        *("fonttbl", "colortbl", "stylesheet", "listtable", "listoverridetable", "info", "pict", "object"),
        *("header", "headerl", "headerr", "headerf", "footer", "footerl", "footerr", "footerf", "fldinst"),
        *("themedata", "colorschememapping", "latentstyles", "datastore", "xmlnstbl", "rsidtbl", "generator"),
        *("mmathPr", "pgdsctbl", "filetbl", "revtbl", "expandedcolortbl", "bkmkstart", "bkmkend", "pnseclvl"),
    }
)
MARKERS = frozenset({"listtext", "pntext"})  # a list item's marker, as the writer shows it
SIGNS = {
    "emdash": "\u2014",
    "endash": "\u2013",
    "lquote": "\u2018",
    "rquote": "\u2019",
    "ldblquote": "\u201c",
    "rdblquote": "\u201d",
    "bullet": "\u2022",
    "emspace": " ",
    "enspace": " ",
    "qmspace": " ",
    "tab": "\t",
    "cell": " | ",
}
ENDS = frozenset({"par", "line", "row", "sect", "page"})  # control words that end a paragraph (or a line of it)
SYMBOLS = {"~": " ", "-": "", "_": "-", "\\": "\\", "{": "{", "}": "}", "\t": "\t"}
BULLETS = frozenset("\u2022\u25e6\u25aa\u25ab\u2043\u2013\u2014-*\u00b7\u25cf\u25cb\u25a0\u25a1\u2023\u2219")


def is_rtf(lines: list[str]) -> bool:
    """Whether a file is Rich Text: it opens with ``{\\rtf``."""
    for line in lines:
        if line.strip():
            return line.lstrip().startswith("{\\rtf")
    return False


def decode_rtf(data: bytes) -> str:
    """A Rich Text file's text when it is not UTF-8: RTF is 7-bit, but some writers put their code page's bytes
    in the text as they are (``\\ansicpg``, Windows-1252 by default)."""
    page = re.search(rb"\\ansicpg(\d+)", data[:4096])
    try:
        return data.decode(f"cp{int(page.group(1))}" if page else "cp1252")
    except (LookupError, UnicodeDecodeError):
        return data.decode("latin-1")


@dataclass
class _State:
    """What a group sets and its inner groups inherit."""

    skip: bool = False
    marker: bool = False
    bold: bool = False
    size: int = DEFAULT_SIZE
    uc: int = 1  # how many fallback characters follow a \\u escape


@dataclass
class _Paragraph:
    line: int = -1  # the source line its text starts on, -1 before any text
    parts: list[tuple[str, bool, int]] = field(default_factory=list)  # (text, bold, size)
    marker: str = ""
    level: int = 0  # its list level (\\ilvl)

    @property
    def text(self) -> str:
        return "".join(t for t, _, _ in self.parts).strip()


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.out = Markup(list(lines))
        self.paragraphs: list[_Paragraph] = []
        self.para = _Paragraph()
        self.level = 0  # the list level (\ilvl) of the paragraph being read
        self.page = "cp1252"

    def run(self) -> Markup:
        text = "\n".join(self.lines)
        stack: list[_State] = []
        state = _State()
        line = 0
        skip_next = 0  # fallback characters still to skip after a \u escape
        starting = False  # the last token opened a group: a destination word may follow
        for m in TOKEN.finditer(text):
            kind = next(name for name in KINDS if m.group(name) is not None)
            opened, starting = starting, False
            if kind == "newline":
                line += 1
                continue
            if kind == "brace":
                if m.group("brace") == "{":
                    stack.append(state)
                    state = replace(state, marker=False)
                    starting = True
                else:
                    if state.marker and not state.skip:
                        self.para.marker = self.para.marker.strip()
                    state = stack.pop() if stack else _State()
                continue
            if kind == "word":
                word, arg = m.group("word"), m.group("arg")
                if opened and (word in SKIPPED or word == "rtf" and stack[:-1]):
                    state.skip = True
                if word in MARKERS:
                    state.marker = True
                    self.para.marker = ""
                if state.skip:
                    continue
                skip_next = self._word(word, arg, state, line, skip_next)
                continue
            if kind == "symbol":
                sym = m.group("symbol")
                if sym == "*" and opened:
                    state.skip = True
                    continue
                if state.skip:
                    if sym == "\n":
                        line += 1
                    continue
                if sym == "\n":
                    self._end(line)
                    line += 1
                    continue
                if skip_next:
                    skip_next -= 1
                    continue
                self._say(SYMBOLS.get(sym, ""), state, line)
                continue
            if state.skip:
                continue
            if kind == "hex":
                if skip_next:
                    skip_next -= 1
                    continue
                self._say(bytes([int(m.group("hex"), 16)]).decode(self.page, errors="replace"), state, line)
                continue
            chunk = m.group("text")
            if skip_next:
                dropped = min(skip_next, len(chunk))
                chunk, skip_next = chunk[dropped:], skip_next - dropped
            if chunk:
                self._say(chunk, state, line)
        self._end(line)
        self._place()
        return self.out

    def _word(self, word: str, arg: str | None, state: _State, line: int, skip_next: int) -> int:
        """Read one control word outside a skipped group; returns the fallback characters left to skip."""
        if word == "ansicpg" and arg:
            try:
                self.page = codecs.lookup(f"cp{arg}").name
            except LookupError:
                pass
        elif word == "uc" and arg:
            state.uc = max(0, int(arg))
        elif word == "u" and arg:
            code = int(arg)
            self._say(chr(code + 65536 if code < 0 else code), state, line)
            return state.uc
        elif word == "b":
            state.bold = arg != "0"
        elif word == "plain":
            state.bold, state.size = False, DEFAULT_SIZE
        elif word == "fs" and arg:
            state.size = int(arg)
        elif word == "pard":
            self.level = 0
        elif word == "ilvl" and arg:
            self.level = int(arg)
        elif word in ENDS:
            self._end(line)
        elif word in SIGNS:
            self._say(SIGNS[word], state, line)
        return skip_next

    def _say(self, text: str, state: _State, line: int) -> None:
        if state.marker:
            self.para.marker += text
            return
        if self.para.line < 0:
            if not text.strip():
                return  # the space after a control word at a paragraph's start is no text
            self.para.line = line
        self.para.parts.append((text, state.bold, state.size))

    def _end(self, line: int) -> None:
        """A paragraph ends on ``line``; an empty one there is a blank line."""
        para, self.para = self.para, _Paragraph()
        para.level = self.level
        if para.line < 0:
            para.line = line
        self.paragraphs.append(para)

    def _place(self) -> None:
        out = self.out
        sizes = Counter[int]()
        for para in self.paragraphs:
            for text, _, size in para.parts:
                sizes[size] += len(text.strip())
        body = sizes.most_common(1)[0][0] if sizes else DEFAULT_SIZE
        said: dict[int, str] = {}
        for para in self.paragraphs:
            text = para.text
            if para.line in said:
                if text:  # paragraphs on one source line (no line break between them): one line of text
                    said[para.line] = f"{said[para.line]} {self._text(para, text)}".strip()
                continue
            said[para.line] = self._text(para, text)
            if text and _is_title(para, text):
                level = 1 if max(size for t, _, size in para.parts if t.strip()) > body else 2
                out.titles[para.line] = (text, level)
        # a list ends where a paragraph with no marker follows its items: a line of control words between them
        # (the "\\pard" that set the list's indents back) is read as the blank line that ends it
        ends: set[int] = set()
        items = [p for p in self.paragraphs if p.text]
        for before, after in zip(items, items[1:], strict=False):
            if before.marker.strip() and not after.marker.strip():
                between = [k for k in range(before.line + 1, after.line) if k not in said]
                ends.update(between[:1])
        for i, raw in enumerate(self.lines):
            if i in said:
                out.lines[i] = said[i]
            elif i in ends:
                out.lines[i] = ""
            elif raw.strip():
                out.dropped.add(i)  # control words alone, or a wrapped paragraph's later source line

    @staticmethod
    def _text(para: _Paragraph, text: str) -> str:
        """A paragraph's line: a list item's with its marker, indented by its level."""
        mark = para.marker.strip()
        if not text or not mark:
            return text
        indent = "  " * para.level
        bullet = "- " if mark.strip(" .") and all(ch in BULLETS for ch in mark.replace(" ", "")) else f"{mark} "
        return f"{indent}{bullet}{text}"


def _is_title(para: _Paragraph, text: str) -> bool:
    """A paragraph all in bold, of a title's few words, no list item and no sentence."""
    return (
        not para.marker.strip()
        and all(bold for t, bold, _ in para.parts if t.strip())
        and len(text.split()) <= TITLE_WORDS
        and not text.endswith((".", ",", ";"))
    )


def rewrite_rtf(lines: list[str]) -> Markup:
    return _Reader(lines).run()
