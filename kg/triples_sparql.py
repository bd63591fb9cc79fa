"""Triple store backend: a remote SPARQL 1.1 server (Protocol + Graph Store Protocol), e.g. ``oxigraph serve``."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from kg.errors import BadRequest, IndexNotReady
from kg.triples import pick_format, query_form, rows_from_json

UPDATE_WORDS = ("insert", "delete", "load", "clear", "create", "drop", "copy", "move", "add")


class SparqlHttpStore:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _request(self, req: urllib.request.Request) -> tuple[bytes, str]:
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            if 400 <= exc.code < 500:
                raise BadRequest(f"SPARQL server refused the query: {detail}", code="bad_sparql") from exc
            raise IndexNotReady(f"SPARQL server {self.url} failed: HTTP {exc.code} {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise IndexNotReady(f"SPARQL server {self.url} is unreachable: {exc}") from exc

    def load_turtle(self, data: bytes) -> None:
        req = urllib.request.Request(
            f"{self.url}/store?default", data=data, method="PUT", headers={"Content-Type": "text/turtle"}
        )
        self._request(req)

    def query(self, query: str, accept: str) -> tuple[bytes, str, str]:
        form = query_form(query)
        if form in UPDATE_WORDS:
            raise BadRequest("SPARQL updates are not allowed on this endpoint", code="bad_sparql")
        graph = form in ("construct", "describe")
        mime = pick_format(accept, graph=graph)
        req = urllib.request.Request(
            f"{self.url}/query",
            data=urllib.parse.urlencode({"query": query}).encode(),
            headers={"Accept": mime, "Content-Type": "application/x-www-form-urlencoded"},
        )
        payload, ctype = self._request(req)
        ctype = ctype.split(";")[0].strip() or mime
        if graph:
            return payload, ctype, "graph"
        return payload, ctype, "boolean" if form == "ask" else "bindings"

    def select(self, query: str) -> list[dict[str, Any]]:
        payload, _ctype, _kind = self.query(query, "application/sparql-results+json")
        return rows_from_json(payload)

    def __len__(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0]["n"]) if rows else 0
