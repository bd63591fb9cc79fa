"""Triple store backend: Oxigraph embedded in the process (in memory, or on disk with a path)."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kg.errors import BadRequest
from kg.triples import pick_format, rows_from_json

_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


class OxigraphStore:
    def __init__(self, url: str = "oxigraph://") -> None:
        self.url = url
        path = url[len("oxigraph://") :]
        self.store = ox.Store(path) if path else ox.Store()

    def load_turtle(self, data: bytes) -> None:
        self.store.clear()
        self.store.bulk_load(data, format=ox.RdfFormat.TURTLE)

    def _run(self, query: str) -> Any:
        try:
            return self.store.query(query)
        except SyntaxError as exc:
            raise BadRequest(
                f"SPARQL query rejected (only SELECT, ASK, CONSTRUCT and DESCRIBE are allowed): {exc}",
                code="bad_sparql",
            ) from exc
        except (OSError, ValueError) as exc:
            raise BadRequest(f"SPARQL query failed: {exc}", code="bad_sparql") from exc

    def select(self, query: str) -> list[dict[str, Any]]:
        result = self._run(query)
        return rows_from_json(result.serialize(format=ox.QueryResultsFormat.JSON))

    def query(self, query: str, accept: str) -> tuple[bytes, str, str]:
        result = self._run(query)
        if isinstance(result, ox.QueryTriples):
            mime = pick_format(accept, graph=True)
            return bytes(result.serialize(format=_GRAPH_FORMATS[mime]) or b""), mime, "graph"
        mime = pick_format(accept, graph=False)
        kind = "boolean" if isinstance(result, ox.QueryBoolean) else "bindings"
        return bytes(result.serialize(format=_RESULT_FORMATS[mime]) or b""), mime, kind

    def __len__(self) -> int:
        return len(self.store)
