"""Turtle text written straight from triples, one part per notes file.

The index's graph file is a prefix header followed by independent parts (the services, then one part per notes
file). A re-ingest writes the parts of changed files only and concatenates the rest from the previous build;
rdflib's serialiser would sort and re-read the whole graph for every change. The text is plain Turtle that
rdflib, Oxigraph and any SPARQL server load as before, and it denotes the same triples as rdflib's output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import PROV, RDFS, SKOS
from rdflib.term import Node

KGQA_NS = "https://kgqa.dev/ontology#"
PREFIXES = {"kgqa": KGQA_NS, "prov": str(PROV), "rdfs": str(RDFS), "skos": str(SKOS), "xsd": str(XSD)}
HEADER = "".join(f"@prefix {name}: <{ns}> .\n" for name, ns in PREFIXES.items()) + "\n"
_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # a local name that needs no escaping in a prefixed name
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_TYPE = str(RDF.type)
_BOOLEAN, _INTEGER, _DECIMAL = str(XSD.boolean), str(XSD.integer), str(XSD.decimal)


def _iri(iri: str) -> str:
    if iri == _TYPE:
        return "a"
    for name, ns in PREFIXES.items():
        if iri.startswith(ns) and _LOCAL.match(iri, len(ns)):
            return f"{name}:{iri[len(ns) :]}"
    if _IRI_UNSAFE.search(iri):
        iri = _IRI_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04X}", iri)
    return f"<{iri}>"


def _literal(lit: Literal) -> str:
    """As rdflib's Turtle serialiser writes it: numbers and booleans bare, other literals quoted."""
    lexical = str(lit)
    datatype = str(lit.datatype) if lit.datatype is not None else ""
    if datatype == _INTEGER and re.fullmatch(r"[+-]?[0-9]+", lexical):
        return lexical
    if datatype == _BOOLEAN and lexical in ("true", "false"):
        return lexical
    if datatype == _DECIMAL and re.fullmatch(r"[+-]?[0-9]*\.?[0-9]+", lexical):
        return lexical if "." in lexical else lexical + ".0"  # "100" would read back as an integer
    quoted = '"' + lexical.translate(_STRING_ESCAPES) + '"'
    if lit.language:
        return f"{quoted}@{lit.language}"
    return f"{quoted}^^{_iri(datatype)}" if datatype else quoted


def _term(node: Node) -> str:
    if isinstance(node, Literal):
        return _literal(node)
    if isinstance(node, URIRef):
        return _iri(str(node))
    raise ValueError(f"cannot write {node!r} as Turtle: only IRIs and literals occur in the index's graph")


def turtle_part(triples: Iterable[tuple[Node, Node, Node]]) -> tuple[str, int]:
    """Turtle statements (no prefix lines: see HEADER) of these triples, grouped by subject in first-seen order,
    and how many distinct triples they are."""
    by_subject: dict[Node, dict[tuple[Node, Node], None]] = {}
    for s, p, o in triples:
        by_subject.setdefault(s, {})[(p, o)] = None
    out: list[str] = []
    count = 0
    for subject, pairs in by_subject.items():
        body = " ;\n    ".join(f"{_term(p)} {_term(o)}" for p, o in pairs)
        out.append(f"{_term(subject)} {body} .\n\n")
        count += len(pairs)
    return "".join(out), count
