"""Static checks on a SPARQL query before any store sees it: size, nesting depth, and no URL dereferencing.

The checks are lexical: keywords count only outside strings, IRIs and comments, so a literal "service" in a
string, an IRI ending in /load or a variable named ?from is fine. They run for every backend.
"""

from __future__ import annotations

import re

from kg.errors import BadRequest, PayloadTooLarge

MAX_DEPTH = 32  # nested { ( [ past this are refused: deep nesting overflows the engine's parser stack

# Keywords that make the server fetch a URL (federated SERVICE, a dataset FROM / FROM NAMED, LOAD).
REFUSED_KEYWORDS = {
    "service": "SERVICE (federated query) would make this server call another URL",
    "from": "FROM / FROM NAMED would make this server load a dataset from a URL",
    "load": "LOAD would make this server fetch a URL",
}

# One token a match; only the named groups matter. Order: comments, strings, IRIs, then words.
_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
               | '''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
               | "(?:[^"\\\n\r]|\\.)*(?:"|$)
               | '(?:[^'\\\n\r]|\\.)*(?:'|$))
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>[A-Za-z_\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*:[\w.\-:%\\\u00b7\u00c0-\uffff]*
              | :[\w.\-:%\\\u00b7\u00c0-\uffff]*)
    | (?P<word>[A-Za-z_][\w]*)
    | (?P<open>[{(\[])
    | (?P<close>[})\]])
    """,
    re.VERBOSE | re.DOTALL | re.MULTILINE,
)


def check_query(query: str, max_chars: int, max_depth: int = MAX_DEPTH) -> None:
    """Raise PayloadTooLarge (413) for an over-long query, BadRequest (400) for deep nesting or a keyword
    that dereferences a URL. A query that passes may still be a syntax error: the store reports those."""
    if len(query) > max_chars:
        raise PayloadTooLarge(
            f"SPARQL query is {len(query):,} characters; the limit is {max_chars:,} (KGQA_SPARQL_MAX_CHARS).",
            code="sparql_too_long",
        )
    depth = 0
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup
        if kind == "open":
            depth += 1
            if depth > max_depth:
                raise BadRequest(
                    f"SPARQL query nests {{ }} / ( ) / [ ] deeper than {max_depth} levels; flatten it.",
                    code="sparql_too_deep",
                )
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "word":
            word = m.group(0).lower()
            if word in REFUSED_KEYWORDS:
                raise BadRequest(
                    f"SPARQL keyword {word.upper()} is not allowed on this endpoint: {REFUSED_KEYWORDS[word]}.",
                    code="sparql_forbidden_keyword",
                )
