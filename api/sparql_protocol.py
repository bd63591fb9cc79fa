"""SPARQL 1.1 Protocol plumbing: where the query comes from and which result format the client wants."""

from __future__ import annotations

from flask import Request

from kg.errors import BadRequest, KgqaError
from kg.triples import query_form

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TURTLE = "text/turtle"

# Accepted media types -> the format passed to Engine.sparql (aliases that common clients send included).
RESULT_TYPES = {JSON: JSON, "application/json": JSON, XML: XML, "application/xml": XML, CSV: CSV}
GRAPH_TYPES = {TURTLE: TURTLE, "application/x-turtle": TURTLE, "application/turtle": TURTLE}

READ_ONLY = "This SPARQL endpoint is read-only: SPARQL Update is not accepted."


def read_query(request: Request) -> str:
    """The query text: ?query= on GET, form field or application/sparql-query body on POST."""
    if request.method == "GET":
        source = request.args
    else:
        mimetype = request.mimetype
        if mimetype == "application/sparql-query":
            return _non_empty(request.get_data(as_text=True))
        if mimetype == "application/sparql-update":
            raise BadRequest(READ_ONLY)
        if mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raise KgqaError(
                f"Unsupported Content-Type {mimetype or '(none)'!r}: POST application/sparql-query or "
                "form-encoded query=...",
                status=415,
                code="unsupported_media_type",
            )
        source = request.form
    queries = source.getlist("query")
    if not queries and "update" in source:
        raise BadRequest(READ_ONLY)
    if len(queries) != 1:
        raise BadRequest('Send exactly one "query" parameter with the SPARQL query text.')
    return _non_empty(queries[0])


def _non_empty(query: str) -> str:
    if not query.strip():
        raise BadRequest("The SPARQL query is empty.")
    return query


def negotiate(query: str, request: Request) -> str:
    """The result format for this query and Accept header; the form's default if nothing matches."""
    graph = query_form(query) in ("construct", "describe")
    table = GRAPH_TYPES if graph else RESULT_TYPES
    best = request.accept_mimetypes.best_match(list(table)) if request.accept_mimetypes else None
    return table[best] if best else (TURTLE if graph else JSON)
