"""BibTeX files (``.bib``: a reading list kept in JabRef, Zotero or by hand), rewritten line for line into the
layout the plain-text reader reads, as ``ingest.latex`` does for LaTeX:

- an entry (``@Article{potts2010,``) is a title: the work's title, with its first author's surname and year;
- a field (``journal = {Trends in Ecology and Evolution},``) is a line ``journal: Trends in Ecology and
  Evolution`` under it, its further lines carrying it on; a ``@String`` abbreviation used as a value reads as
  what it stands for;
- the reader's own notes on a work (``annote``, ``comment``, ``note``, ``abstract``, ``review``) are lines of
  text under its title, line for line, without the field's name; a line that starts in lower case carries on
  the one above;
- ``@Comment``, ``@Preamble`` and ``@String`` entries, the closing braces and JabRef's ``% Encoding`` line say
  nothing;
- values read as the text LaTeX typesets (``\\%``, ``--``, ``\\textit{Bombus}``, ``{\\"u}``; ``ingest.latex``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.document import Markup
from ingest.latex import inline

BIBTEX_SUFFIXES = (".bib", ".bibtex")
ENTRY = re.compile(r"^\s*@(?P<kind>[A-Za-z]+)(?:\s*\{|\()\s*(?P<rest>.*)$")
KEYED = re.compile(r"^\s*@[A-Za-z]+(?:\s*\{|\()\s*[^\s,{}()\"]+\s*,")  # "@Article{potts2010,": a work and its key
FIELD = re.compile(r"^\s*(?P<name>[A-Za-z][\w:.+-]*)\s*=\s*(?P<value>.*)$")
SILENT_KINDS = frozenset({"comment", "preamble", "string"})
NOTE_FIELDS = frozenset({"annote", "annotation", "comment", "comments", "note", "notes", "abstract", "review"})
ENCODING = re.compile(r"^%\s*Encoding\s*:", re.I)
STRING = re.compile(r'@string\s*[{(]\s*(?P<name>\w[\w-]*)\s*=\s*(?:\{(?P<braced>.*)\}|"(?P<quoted>.*)")\s*[})]', re.I)
SENTENCE_END = (".", "!", "?", ":")


@dataclass
class _Field:
    name: str
    first: int  # the line (0-based) it opens on
    parts: list[tuple[int, str]] = field(default_factory=list)  # its value, a piece per line


@dataclass
class _Entry:
    kind: str
    line: int
    key: str = ""
    fields: list[_Field] = field(default_factory=list)

    def value(self, name: str) -> str:
        return next((" ".join(t for _, t in f.parts) for f in self.fields if f.name == name), "")


def is_bibtex(lines: list[str]) -> bool:
    """Two entries or more that open as BibTeX's do (``@Article{key,``)."""
    return sum(1 for line in lines if KEYED.match(line)) >= 2


def _depth(text: str) -> int:
    """Braces opened less braces closed, escaped braces not counted."""
    text = text.replace("\\{", "").replace("\\}", "")
    return text.count("{") - text.count("}")


def _entries(lines: list[str]) -> tuple[list[_Entry], set[int]]:
    """The entries of the file, and the lines that say nothing (silent entries, closing braces)."""
    entries: list[_Entry] = []
    silent: set[int] = set()
    entry: _Entry | None = None
    depth = 0  # braces open inside the entry
    current: _Field | None = None
    for i, line in enumerate(lines):
        if entry is None:
            m = ENTRY.match(line)
            if not m:
                if ENCODING.match(line):
                    silent.add(i)
                continue
            entry = _Entry(m.group("kind").lower(), i)
            depth = 1 + _depth(m.group("rest"))
            silent.add(i)
            if entry.kind not in SILENT_KINDS:
                entry.key = m.group("rest").split(",", 1)[0].strip()
                entries.append(entry)
            if depth <= 0:
                entry = None
            continue
        if entry.kind in SILENT_KINDS:
            silent.add(i)
            depth += _depth(line)
            if depth <= 0:
                entry = None
            continue
        text = line.strip()
        if current is None and (m := FIELD.match(line)) and depth == 1:
            current = _Field(m.group("name").lower(), i)
            entry.fields.append(current)
            text = m.group("value").strip()
        before = depth
        depth += _depth(text)
        if depth <= 0:  # the entry closes on this line
            text = text[: text.rfind("}")] if "}" in text else text
            entry, current = None, None
        if current is None:
            if not text.strip(" ,"):
                silent.add(i)
            continue
        if current.first == i:
            text = text[1:] if text[:1] in '{"' else text
        if depth == 1 and before >= 1:  # the value closes on this line
            text = re.sub(r"[}\"]?\s*,?\s*$", "", text)
        current.parts.append((i, text))
        if depth == 1:
            current = None
    return entries, silent


def _strings(lines: list[str]) -> dict[str, str]:
    return {
        m.group("name").lower(): m.group("braced") if m.group("braced") is not None else m.group("quoted")
        for line in lines
        if (m := STRING.search(line))
    }


def _title(entry: _Entry, strings: dict[str, str]) -> str:
    title = inline(entry.value("title") or entry.value("booktitle")) or entry.key
    author = inline(entry.value("author") or entry.value("editor"))
    first = author.split(" and ")[0].strip()
    surname = first.split(",")[0].strip() if "," in first else (first.split()[-1] if first else "")
    year = inline(strings.get(entry.value("year").lower(), entry.value("year")))
    by = " ".join(x for x in (surname + (" et al." if " and " in author else ""), year) if x)
    return f"{title} ({by})" if by else title


def rewrite_bibtex(lines: list[str]) -> Markup:
    """The lines of a BibTeX file as the plain-text reader reads them."""
    entries, silent = _entries(lines)
    strings = _strings(lines)
    out = [inline(line.lstrip("%")) if line.lstrip().startswith("%") else line for line in lines]
    markup = Markup(out, dropped=set(silent))
    for entry in entries:
        title = _title(entry, strings)
        markup.titles[entry.line] = (title, 2)
        markup.dropped.discard(entry.line)
        out[entry.line] = title
        for f in entry.fields:
            notes = f.name in NOTE_FIELDS
            for n, (i, raw) in enumerate(f.parts):
                text = inline(strings.get(raw.strip().lower(), raw) if len(f.parts) == 1 else raw)
                if n == 0 and not notes:
                    text = f"{f.name}: {text}"
                out[i] = text
                if not text:
                    markup.dropped.add(i)
                elif n and (not notes or (text[:1].islower() and not out[f.parts[n - 1][0]].endswith(SENTENCE_END))):
                    markup.joins.add(i)
    return markup
