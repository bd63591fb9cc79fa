"""Build the RDF knowledge graph (rdflib) from services, passages and facts, and validate it with SHACL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from importlib import resources
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, SKOS

from kg.model import Fact, FactKind, Passage, Service, content_id

KGQA = Namespace("https://kgqa.dev/ontology#")
ID = Namespace("https://kgqa.dev/id/")
PREDICATE_FOR_KIND = {
    FactKind.LIMIT: KGQA.hasLimit,
    FactKind.PRICING: KGQA.hasPricing,
    FactKind.FEATURE: KGQA.hasFeature,
}

PREFIXES = """PREFIX kgqa: <https://kgqa.dev/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def service_uri(sid: str) -> URIRef:
    return ID[f"service/{sid}"]


def passage_uri(pid: str) -> URIRef:
    return ID[f"passage/{pid}"]


def fact_uri(fid: str) -> URIRef:
    return ID[f"fact/{fid}"]


def file_uri(path: str) -> URIRef:
    return ID[f"file/{quote(path, safe='/')}"]


def _decimal(x: float) -> Literal:
    return Literal(Decimal(repr(float(x))).normalize(), datatype=XSD.decimal)


def ontology_graph() -> Graph:
    g = Graph()
    g.parse(data=resources.files("kg").joinpath("ontology.ttl").read_text("utf-8"), format="turtle")
    return g


def shapes_graph() -> Graph:
    g = Graph()
    g.parse(data=resources.files("kg").joinpath("shapes.ttl").read_text("utf-8"), format="turtle")
    return g


def build_graph(
    services: Sequence[Service],
    passages: Sequence[Passage],
    facts: Iterable[Fact],
    file_hashes: dict[str, str],
) -> Graph:
    g = Graph()
    g.bind("kgqa", KGQA)
    g.bind("skos", SKOS)
    g.bind("prov", PROV)
    g.bind("id", ID)
    for path, digest in sorted(file_hashes.items()):
        f = file_uri(path)
        g.add((f, RDF.type, KGQA.NotesFile))
        g.add((f, KGQA.file, Literal(path)))
        g.add((f, KGQA.sha256, Literal(digest)))
    for s in services:
        node = service_uri(s.id)
        g.add((node, RDF.type, KGQA.Service))
        if s.parent:
            g.add((node, RDF.type, KGQA.Component))
            g.add((node, KGQA.componentOf, service_uri(s.parent)))
        g.add((node, RDFS.label, Literal(s.label)))
        g.add((node, SKOS.prefLabel, Literal(s.label)))
        for alias in s.aliases:
            g.add((node, SKOS.altLabel, Literal(alias)))
    sections: dict[str, URIRef] = {}
    for p in passages:
        node = passage_uri(p.id)
        g.add((node, RDF.type, KGQA.Passage))
        g.add((node, KGQA.file, Literal(p.file)))
        g.add((node, KGQA.inFile, file_uri(p.file)))
        g.add((node, KGQA.lineStart, Literal(p.line_start, datatype=XSD.integer)))
        g.add((node, KGQA.lineEnd, Literal(p.line_end, datatype=XSD.integer)))
        g.add((node, KGQA.text, Literal(p.text)))
        if p.is_heading:
            g.add((node, KGQA.isHeading, Literal(True)))
        if p.service:
            g.add((node, KGQA.about, service_uri(p.service)))
        if p.section:
            key = f"{p.file}\x1f{p.heading}"
            if key not in sections:
                sections[key] = ID[f"section/{content_id(p.file, p.heading)}"]
                g.add((sections[key], RDF.type, KGQA.Section))
                g.add((sections[key], KGQA.headingPath, Literal(p.heading)))
                g.add((sections[key], RDFS.label, Literal(p.section[-1])))
            g.add((node, KGQA.section, sections[key]))
    for fact in facts:
        node = fact_uri(fact.id)
        g.add((node, RDF.type, KGQA[fact.kind]))
        g.add((service_uri(fact.service), PREDICATE_FOR_KIND[fact.kind], node))
        g.add((node, RDFS.label, Literal(fact.label)))
        g.add((node, KGQA.statement, Literal(fact.text)))
        g.add((node, KGQA.source, passage_uri(fact.passage)))
        g.add((node, PROV.wasDerivedFrom, passage_uri(fact.passage)))
        if fact.value is not None:
            g.add((node, KGQA.value, _decimal(fact.value)))
        if fact.value_max is not None:
            g.add((node, KGQA.valueMax, _decimal(fact.value_max)))
        if fact.unit:
            g.add((node, KGQA.unit, Literal(fact.unit)))
        if fact.base_value is not None:
            g.add((node, KGQA.baseValue, _decimal(fact.base_value)))
        if fact.base_unit:
            g.add((node, KGQA.baseUnit, Literal(fact.base_unit)))
        if fact.qualifier:
            g.add((node, KGQA.qualifier, Literal(fact.qualifier)))
        if fact.billing_unit:
            g.add((node, KGQA.billingUnit, Literal(fact.billing_unit)))
    return g


def validate(data: Graph) -> tuple[bool, str]:
    """SHACL validation of a built graph against kg/shapes.ttl (with the ontology for class inference)."""
    from pyshacl import validate as shacl_validate

    conforms, _report_graph, report_text = shacl_validate(
        data, shacl_graph=shapes_graph(), ont_graph=ontology_graph(), inference="rdfs", advanced=True
    )
    return bool(conforms), str(report_text)
