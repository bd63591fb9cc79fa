"""The triple store protocol and the factory that picks a backend from a URL.

``oxigraph://`` (or empty): Oxigraph embedded in the process, loaded from the index's graph.ttl.
``oxigraph:///path/to/dir``: the same, persisted on disk at that folder.
``http://host:port``: any SPARQL 1.1 server with the Graph Store Protocol, such as ``oxigraph serve``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from kg.errors import ConfigError

RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {"turtle": "text/turtle", "ntriples": "application/n-triples", "rdfxml": "application/rdf+xml"}


class TripleStore(Protocol):
    """A read-mostly RDF store. Queries are SPARQL 1.1; updates are refused by ``query``."""

    url: str

    def load_turtle(self, data: bytes) -> None:
        """Replace the store's default graph with this Turtle document."""
        ...

    def select(self, query: str) -> list[dict[str, Any]]:
        """Rows of a SELECT as {variable: python value} (str, int, float, bool; None when unbound)."""
        ...

    def query(self, query: str, accept: str) -> tuple[bytes, str, str]:
        """(payload, content type, kind) for SELECT/ASK ("bindings"/"boolean") or CONSTRUCT/DESCRIBE
        ("graph"). Raises kg.errors.BadRequest for syntax errors and updates."""
        ...

    def __len__(self) -> int: ...


_PROLOGUE = re.compile(r"(?is)^(?:\s|#[^\n]*\n|PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)*")


def query_form(query: str) -> str:
    """The query's first keyword after its prologue: select, ask, construct, describe, insert, ..."""
    rest = _PROLOGUE.sub("", query, count=1)
    m = re.match(r"[A-Za-z]+", rest)
    return m.group(0).lower() if m else ""


def pick_format(accept: str, graph: bool) -> str:
    """The content type to answer with, from an Accept header (first supported wins)."""
    table = GRAPH_TYPES if graph else RESULT_TYPES
    offered = set(table.values())
    for part in (accept or "").split(","):
        mime = part.split(";")[0].strip().lower()
        if mime in offered:
            return mime
        if mime == "application/json" and not graph:
            return RESULT_TYPES["json"]
    return GRAPH_TYPES["turtle"] if graph else RESULT_TYPES["json"]


def python_value(term: dict[str, str]) -> Any:
    """A SPARQL JSON results term as a Python value."""
    value = term.get("value", "")
    dt = term.get("datatype", "")
    if dt.endswith(("#integer", "#int", "#long")):
        return int(value)
    if dt.endswith(("#decimal", "#double", "#float")):
        return float(value)
    if dt.endswith("#boolean"):
        return value == "true"
    return value


def rows_from_json(payload: bytes) -> list[dict[str, Any]]:
    doc = json.loads(payload)
    names = doc.get("head", {}).get("vars", [])
    return [
        {n: python_value(b[n]) if n in b else None for n in names} for b in doc.get("results", {}).get("bindings", [])
    ]


def open_store(url: str) -> TripleStore:
    """The backend for a store URL, with a clear error listing the valid schemes."""
    url = (url or "oxigraph://").strip()
    if url.startswith("oxigraph://"):
        from kg.triples_oxigraph import OxigraphStore

        return OxigraphStore(url)
    if url.startswith(("http://", "https://")):
        from kg.triples_sparql import SparqlHttpStore

        return SparqlHttpStore(url)
    raise ConfigError(
        f"KGQA_TRIPLE_STORE={url!r} is not a supported store URL; use 'oxigraph://' (embedded), "
        "'oxigraph:///path' (embedded, on disk) or 'http://host:port' (a SPARQL 1.1 server)"
    )
