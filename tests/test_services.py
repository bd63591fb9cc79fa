"""Service recognition on the real notes: acronyms, long names and components merged into one service."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, NOTES, SAMPLE

from ingest.parser import parse_file, parse_text
from ingest.services import build_services
from kg.model import Passage, Service

OTHER = FIXTURES / "notes_other"
MESSAGING = OTHER / "messaging-notes.md"


def services_of(*files: tuple[Path, Path]) -> tuple[dict[str, Service], list[Passage]]:
    passages: list[Passage] = []
    for path, root in files:
        passages += parse_file(path, root)
    services, out = build_services(passages)
    assert len({s.id for s in services}) == len(services), "service ids must be unique"
    return {s.id: s for s in services}, out


@pytest.fixture(scope="module")
def sample() -> tuple[dict[str, Service], list[Passage]]:
    return services_of((SAMPLE, NOTES))


@pytest.fixture(scope="module")
def messaging() -> tuple[dict[str, Service], list[Passage]]:
    return services_of((MESSAGING, OTHER))


def components_of(services: dict[str, Service], parent: str) -> dict[str, Service]:
    return {s.label: s for s in services.values() if s.parent == parent}


def test_elb_merges_its_long_names_and_has_the_alb_as_a_component(sample, sample_lines):
    services, _ = sample
    elb = services["elb"]
    assert elb.label == "ELB" and elb.parent is None
    assert {"Elastic Load Balancers", "Elastic Load Balancer", "Load Balancers", "Load Balancer"} <= set(elb.aliases)
    assert elb.line == sample_lines.index("ELB: Elastic Load Balancers") + 1
    parts = components_of(services, "elb")
    assert "ALB" in parts["Application Load Balancer"].aliases
    assert "NLB" in parts["Network Load Balancer"].aliases
    # the component is not a second top-level service
    assert not [s for s in services.values() if s.label == "Application Load Balancer" and s.parent is None]


def test_aws_lambda_is_also_called_lambda(sample, sample_lines):
    services, passages = sample
    lam = services["aws-lambda"]
    assert lam.label == "AWS Lambda" and "Lambda" in lam.aliases
    assert lam.line == sample_lines.index("AWS Lambda") + 1
    n = sample_lines.index("- Maximum execution time: 900 seconds (15 minutes)") + 1
    limit = [p for p in passages if p.line_start == n]
    assert [p.service for p in limit] == ["aws-lambda"], "passages come back with the service id"


def test_dynamodb_indexes_are_components_with_their_acronyms(sample):
    services, _ = sample
    assert services["dynamodb"].label == "DynamoDB"
    parts = components_of(services, "dynamodb")
    assert "LSI" in parts["Local Secondary Index"].aliases
    assert "GSI" in parts["Global Secondary Index"].aliases


def test_every_passage_service_is_a_known_service(sample):
    services, passages = sample
    assert {p.service for p in passages if p.service} <= set(services)
    assert all(s.parent in services for s in services.values() if s.parent)
    assert all(s.label not in s.aliases for s in services.values())


def test_messaging_notes_give_services_with_acronym_and_long_name_merged(messaging):
    services, _ = messaging
    tops = {s.label: s for s in services.values() if s.parent is None}
    long_names = {
        "SQS": "Simple Queue Service",
        "SNS": "Simple Notification Service",
        "SES": "Simple Email Service",
    }
    for acronym, long in long_names.items():
        assert long in tops[acronym].aliases, tops[acronym]
        assert tops[acronym].file == "messaging-notes.md"
    assert len(tops) >= 4
    lines = MESSAGING.read_text(encoding="utf-8").split("\n")
    assert tops["SQS"].line == lines.index("SQS: Simple Queue Service") + 1
    assert "DLQ" in components_of(services, "sqs")["Dead Letter Queue"].aliases


def test_two_notes_folders_merge_without_duplicate_services(sample):
    services, passages = services_of((SAMPLE, NOTES), (MESSAGING, OTHER))
    sns = [s for s in services.values() if "SNS" in (s.label, *s.aliases)]
    assert [s.id for s in sns] == ["sns"], "SNS is one service once a file defines it"
    assert services["aws-lambda"].file == SAMPLE.name
    assert services["sqs"].file == "messaging-notes.md"
    assert {p.file for p in passages} == {SAMPLE.name, "messaging-notes.md"}
    assert set(sample[0]) - set(services) <= {"simple-notification-service"}


def test_kinesis_notes_are_not_filed_under_sns(messaging):
    _, passages = messaging
    kinesis = [p for p in passages if p.section and p.section[-1].startswith("Kinesis Data Streams")]
    assert kinesis
    assert all(p.service != "sns" for p in kinesis), {p.service for p in kinesis}


# ---- Markdown subjects: headings at any level, file names, definitions ----


def md_services(files: dict[str, str]) -> tuple[dict[str, Service], list[Passage]]:
    passages = [p for rel, text in files.items() for p in parse_text(text, rel)]
    services, out = build_services(passages)
    return {s.label: s for s in services}, out


STUDY = """# My AWS Study Notes

## Lambda

- Lambda runs code without servers
- Max timeout: 15 minutes

## DynamoDB

- Items are at most 400 KB

### Pricing

- on-demand pricing is per request
"""


def test_a_document_title_is_no_entity_but_its_subject_headings_are():
    services, passages = md_services({"study.md": STUDY})
    assert set(services) == {"Lambda", "DynamoDB"}
    by_line = {p.line_start: p for p in passages}
    assert by_line[6].service == services["Lambda"].id
    assert by_line[14].service == services["DynamoDB"].id, "### Pricing is a topic of DynamoDB"
    assert by_line[1].service is None


def test_a_sole_title_of_a_file_about_it_is_the_entity():
    text = "# AWS Lambda\n\n## Limits\n\n- Max timeout: 15 minutes\n\n## Pricing\n\n- pricing is per request\n"
    services, passages = md_services({"lambda.md": text})
    assert list(services) == ["AWS Lambda"] and "Lambda" in services["AWS Lambda"].aliases
    assert {p.service for p in passages} == {services["AWS Lambda"].id}


K8S = """# Container notes

## Kubernetes

Kubernetes schedules containers; a Deployment manages Pods.

### Pods

- Pods are the smallest deployable units
- max 110 per node

### Best practices

- set resource requests; best practices change
"""


def test_subjects_at_any_level_outside_aws():
    services, passages = md_services({"k8s.md": K8S})
    assert {"Kubernetes", "Pods"} <= set(services) and "Best practices" not in services
    assert "Container" not in " ".join(services), "the document title is no entity"
    by_line = {p.line_start: p for p in passages}
    assert by_line[10].service == services["Pods"].id
    assert by_line[14].service == services["Kubernetes"].id, "a topic heading stays with the subject above"


def test_a_file_named_after_its_subject_gives_it_and_spellings_merge():
    plain = "- Items are at most 400 KB\n- Use DynamoDB streams for change capture\n- DynamoDB tables scale\n"
    services, passages = md_services(
        {"14-dynamo-db.md": plain, "other.md": "# Databases\n\n## Dynamo DB\n\n- Partition key required\n"}
    )
    (db,) = services.values()
    assert db.label == "Dynamo DB", "the heading that names it gives the label"
    assert "DynamoDB" not in services and "Dynamo DB" not in db.aliases
    assert {p.service for p in passages if p.file == "14-dynamo-db.md"} == {db.id}
    assert {p.service for p in passages if p.file == "other.md" and p.line_start == 5} == {db.id}


def test_a_file_subject_is_labelled_as_its_text_spells_it_with_the_file_spelling_as_alias():
    text = "- Use DynamoDB streams for change capture\n- DynamoDB tables scale\n"
    services, _ = md_services({"14-dynamo-db.md": text})
    assert list(services) == ["DynamoDB"] and "Dynamo DB" in services["DynamoDB"].aliases


def test_a_file_named_after_a_subject_it_never_spells_still_gets_it():
    services, passages = md_services({"03-kubernetes.md": "- schedules containers\n- max 110 per node\n"})
    assert list(services) == ["Kubernetes"]
    assert all(p.service == services["Kubernetes"].id for p in passages)


def test_a_question_heading_names_no_subject_and_a_file_subject_keeps_its_own_name() -> None:
    text = (
        "[Where the files are]\ncertbot keeps certs in /etc/letsencrypt/live\n\n"
        "[Challenges]\n1) HTTP-01 over port 80, certbot answers it\n"
    )
    found, passages = build_services(parse_text(text, "certbot.txt"))
    services = {s.id: s for s in found}
    assert "where" not in services
    # the file's subject is labelled by its own name, not by its first topic heading
    assert {p.service for p in passages} == {"certbot"} and services["certbot"].label.lower() == "certbot"
