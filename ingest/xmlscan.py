"""One way the XML readers (OPML outlines, mind maps, MediaWiki exports, SMS backups) run the standard library's
expat parser over a notes file's text: as UTF-8, whatever its declaration says (the text is decoded already),
each handler told where the parser stands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from xml.parsers import expat


@dataclass(frozen=True)
class At:
    """Where the parser stands as it calls a handler: the line (1-based) and the byte offset in ``xml_bytes``."""

    line: int
    byte: int


def xml_bytes(text: str) -> bytes:
    """The bytes ``scan_xml`` parses, which ``At.byte`` indexes: the text without its byte-order mark, in UTF-8."""
    return text.lstrip("\ufeff").encode("utf-8")


def scan_xml(
    data: bytes,
    start: Callable[[At, str, dict[str, str]], None],
    end: Callable[[At, str], None],
    chars: Callable[[str], None] | None = None,
) -> bool:
    """Parse ``data`` (``xml_bytes``), ``start`` told each element's name and attributes where its tag opens,
    ``end`` where it closes, ``chars`` its character data; False when it is no XML."""
    parser = expat.ParserCreate("UTF-8")

    def at() -> At:
        return At(parser.CurrentLineNumber, parser.CurrentByteIndex)

    parser.StartElementHandler = lambda name, attrs: start(at(), name, attrs)
    parser.EndElementHandler = lambda name: end(at(), name)
    if chars is not None:
        parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True
