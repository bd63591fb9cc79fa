"""The outline parser on the real sample notes: exact line spans and heading paths of the messy constructs."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES, NOTES, SAMPLE

from ingest.outline import strip_bullet
from ingest.parser import LONE_BULLET, normalise_text, parse_file, parse_text
from kg.model import Passage

LAMBDA_LIMITS = ("AWS Lambda", "AWS Lambda Limits to Know - per region")


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    return parse_file(SAMPLE, NOTES)


def line_of(lines: list[str], text: str, after: int = 0) -> int:
    """1-based number of the first line after line `after` whose stripped text starts with `text`."""
    for i in range(after, len(lines)):
        if lines[i].strip().startswith(text):
            return i + 1
    raise AssertionError(f"{text!r} not found in the sample after line {after}")


def lines_of(lines: list[str], text: str) -> list[int]:
    return [i + 1 for i, line in enumerate(lines) if line.strip() == text]


def covering(passages: list[Passage], n: int) -> Passage:
    hits = [p for p in passages if p.line_start <= n <= p.line_end]
    assert len(hits) == 1, f"line {n} is covered by {len(hits)} passages: {hits}"
    return hits[0]


def starting(passages: list[Passage], n: int) -> Passage:
    hits = [p for p in passages if p.line_start == n]
    assert len(hits) == 1, f"{len(hits)} passages start at line {n}"
    return hits[0]


# ---- wrapped commands and templates ----


def test_dry_run_command_wrapped_over_three_lines_is_one_passage(passages, sample_lines):
    n = line_of(sample_lines, "- Some AWS CLI commands (not all) contain")
    assert sample_lines[n].strip() == "--dry-run"
    assert sample_lines[n + 1].startswith("option to simulate API calls")
    p = covering(passages, n + 1)
    assert (p.line_start, p.line_end) == (n, n + 2)
    assert p.text.startswith("Some AWS CLI commands (not all) contain --dry-run option to simulate API calls")
    # the bullet after it is its own passage
    assert starting(passages, n + 3).text.startswith("If the command is successful")


def test_fn_ref_wrapped_between_the_and_function_is_one_passage(passages, sample_lines):
    starts = [
        i + 1
        for i in range(len(sample_lines) - 2)
        if sample_lines[i].strip() == "- The" and sample_lines[i + 1].strip() == "Fn::Ref"
    ]
    assert len(starts) == 2, "the sample wraps Fn::Ref twice"
    for n in starts:
        assert sample_lines[n + 1].startswith("function can be leveraged to reference")
        p = covering(passages, n + 1)
        assert (p.line_start, p.line_end) == (n, n + 2)
        assert p.text.startswith("The Fn::Ref function can be leveraged to reference")
    assert covering(passages, starts[0]).section[-1] == "How to reference a parameter"


def test_condition_functions_listed_after_any_of_the_following_stay_with_their_sentence(passages, sample_lines):
    starts = [i + 1 for i, line in enumerate(sample_lines) if line.strip().endswith("any of the following:")]
    assert len(starts) == 2
    for n in starts:
        names = [sample_lines[n + k].strip() for k in range(5)]
        assert names == ["Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or"]
        p = covering(passages, n + 2)
        assert (p.line_start, p.line_end) == (n, n + 5)
        assert p.text.endswith("any of the following: Fn::And Fn::Equals Fn::If Fn::Not Fn::Or")
        # the next bullet starts a new passage
        assert starting(passages, n + 6).line_start == n + 6


def test_lone_dash_followed_by_a_path_joins_the_path(passages, sample_lines):
    for path in ("/my_file.txt", "/my_folder/another_folder/my_file.txt"):
        n = lines_of(sample_lines, path)[0]
        assert sample_lines[n - 2].strip() == "-"
        p = covering(passages, n)
        assert (p.line_start, p.line_end) == (n - 1, n)
        assert p.text == path
        assert p.section[-1] == "Naming convention"


def test_ebs_table_fragments_are_one_passage(passages, sample_lines):
    n = line_of(sample_lines, "EBS Volumes are characterized in Size |")
    assert [sample_lines[n].strip(), sample_lines[n + 1].strip()] == ["Throughput |", "IOPS |"]
    p = covering(passages, n)
    assert p.line_start <= n and p.line_end >= n + 2
    assert sample_lines[p.line_start - 1].strip() in ("-", "EBS Volumes are characterized in Size |")
    assert "EBS Volumes are characterized in Size | Throughput | IOPS |" in p.text
    assert p.section[-1] == "EBS Volume Types"


def test_ecr_login_pipe_pair_is_one_passage(passages, sample_lines):
    n = line_of(sample_lines, "aws ecr get-login-password")
    assert sample_lines[n].strip().startswith("docker login")
    p = covering(passages, n)
    assert p.line_start <= n and p.line_end >= n + 1
    assert "get-login-password –region eu-west-1 | docker login" in p.text


@pytest.mark.parametrize(
    ("table_line", "bullet"),
    [
        ("IOPS |", "- When in doubt always consult the AWS documentation"),
        ("docker login", "- Docker Push & Pull:"),
    ],
)
def test_bullet_after_a_table_fragment_is_its_own_passage(passages, sample_lines, table_line, bullet):
    n = line_of(sample_lines, table_line)
    assert sample_lines[n].strip() == bullet
    assert covering(passages, n).line_end == n
    assert starting(passages, n + 1).text == bullet[2:]


# ---- headings ----


def test_plain_line_headings_give_the_lambda_limit_its_heading_path(passages, sample_lines):
    h = line_of(sample_lines, "AWS Lambda Limits to Know - per region")
    heading = starting(passages, h)
    assert heading.is_heading and heading.text == "AWS Lambda Limits to Know - per region"
    n = line_of(sample_lines, "- Maximum execution time: 900 seconds (15 minutes)")
    p = covering(passages, n)
    assert (p.line_start, p.line_end) == (n, n)
    assert p.text == "Maximum execution time: 900 seconds (15 minutes)"
    assert p.section == (*LAMBDA_LIMITS, "Execution")
    assert p.heading == "AWS Lambda > AWS Lambda Limits to Know - per region > Execution"
    assert p.service == "lambda" and not p.is_heading
    deploy = covering(passages, line_of(sample_lines, "- Lambda function deployment size"))
    assert deploy.section == (*LAMBDA_LIMITS, "Deployment")
    # the next plain heading ends the lead list
    best = starting(passages, line_of(sample_lines, "AWS Lambda Best Practices"))
    assert best.is_heading and best.section == ("AWS Lambda", "AWS Lambda Best Practices")


def test_markdown_heading_strips_hashes_and_heads_the_lines_below(passages, sample_lines):
    n = line_of(sample_lines, "#### CloudFormation Resources")
    h = starting(passages, n)
    assert h.is_heading and h.text == "CloudFormation Resources"
    below = starting(passages, n + 1)
    assert below.section[0] == "CloudFormation Resources"
    assert below.text.startswith("Resources are the core of your CloudFormation template")
    assert not any("#" in p.text for p in passages if p.is_heading)


# ---- text normalisation, end of file, coverage ----


def test_curly_quotes_are_folded_without_moving_lines(passages, sample_lines):
    n = line_of(sample_lines, "- Can have up to 5 LSI\u2019s per table")
    p = covering(passages, n)
    assert (p.line_start, p.line_end) == (n, n)
    assert p.text == "Can have up to 5 LSI's per table"
    curly = re.compile("[\u2018\u2019\u201c\u201d]")
    assert sum(bool(curly.search(line)) for line in sample_lines) > 20
    assert not [p.text for p in passages if curly.search(p.text)]


def test_last_line_without_newline_is_a_passage_ending_at_line_1466(passages, sample_lines):
    assert not SAMPLE.read_bytes().endswith(b"\n")
    assert len(sample_lines) == 1466
    last = passages[-1]
    assert last.line_end == 1466 == last.line_start
    assert last.text == "Fargate Auto Scaling is much easier to setup (because serverless)"


def test_every_nonblank_line_is_covered_by_exactly_one_passage(passages, sample_lines):
    cover: dict[int, int] = {}
    for p in passages:
        assert 1 <= p.line_start <= p.line_end <= len(sample_lines)
        for n in range(p.line_start, p.line_end + 1):
            cover[n] = cover.get(n, 0) + 1
    assert [n for n, c in cover.items() if c > 1] == []
    uncovered = [n for n, line in enumerate(sample_lines, 1) if line.strip() and n not in cover]
    # only a lone "-" followed by a bullet is dropped: the bullet carries the text
    for n in uncovered:
        assert LONE_BULLET.match(sample_lines[n - 1]) and sample_lines[n].lstrip().startswith("- "), n
    assert len(uncovered) == 3
    assert not [n for n in cover if not sample_lines[n - 1].strip()], "a blank line was cited"


def test_passage_text_starts_with_its_first_line(passages, sample_lines):
    """A citation's lines are the lines the text came from."""
    for p in passages:
        first = sample_lines[p.line_start - 1]
        if LONE_BULLET.match(first):
            first = sample_lines[p.line_start]
        expected = re.sub(r"\s+", " ", normalise_text(strip_bullet(first).lstrip("#").strip()))
        if p.is_heading:
            expected = expected.rstrip(":").strip()
        assert p.text.startswith(expected), (p.line_start, p.text)


def test_ids_are_unique_and_stable_across_parses(passages):
    again = parse_file(SAMPLE, NOTES)
    assert [p.id for p in again] == [p.id for p in passages]
    assert len({p.id for p in passages}) == len(passages)


# ---- synthetic texts ----

MARKDOWN = """# Messaging
## Queues
- SQS keeps messages for 4 days
### Dead letters
- After 3 tries a message goes to the DLQ
# Storage
- S3 stores objects
"""


def test_markdown_heading_levels():
    ps = parse_text(MARKDOWN, "x.md")
    assert [(p.line_start, p.is_heading) for p in ps] == [
        (1, True),
        (2, True),
        (3, False),
        (4, True),
        (5, False),
        (6, True),
        (7, False),
    ]
    by_line = {p.line_start: p for p in ps}
    assert by_line[3].section == ("Messaging", "Queues")
    # every heading level is kept: the H3 sits under the H2 under the H1
    assert by_line[5].section == ("Messaging", "Queues", "Dead letters")
    assert by_line[5].service == by_line[3].service
    assert by_line[7].section == ("Storage",)
    assert all(p.file == "x.md" for p in ps)


def test_crlf_line_endings_give_the_same_passages_as_lf():
    text = (
        "SQS: Simple Queue Service\n- Default retention is 4 days\n"
        "- Some AWS CLI commands contain\n--dry-run\n"
        "option to simulate calls.\n\nSQS Pricing\n- $0.40 per 1 million requests\n"
    )
    lf = parse_text(text, "x.md")
    crlf = parse_text(text.replace("\n", "\r\n"), "x.md")
    assert [(p.line_start, p.line_end, p.text, p.section) for p in crlf] == [
        (p.line_start, p.line_end, p.text, p.section) for p in lf
    ]
    assert [p.id for p in crlf] == [p.id for p in lf]
    assert not any("\r" in p.text or any("\r" in s for s in p.section) for p in crlf)
    wrapped = [p for p in crlf if "--dry-run" in p.text][0]
    assert (wrapped.line_start, wrapped.line_end) == (3, 5)


def test_file_of_only_headings():
    ps = parse_text("# One\n## Two\n### Three\n", "x.md")
    assert [(p.line_start, p.text, p.is_heading) for p in ps] == [
        (1, "One", True),
        (2, "Two", True),
        (3, "Three", True),
    ]


@pytest.mark.parametrize("text", ["", "\n", "\n\n   \n\t\n", "\r\n\r\n"])
def test_empty_or_blank_text_has_no_passages(text):
    assert parse_text(text, "x.md") == []


def test_acronym_colon_long_name_heading_opens_a_service():
    text = "KMS: Key Management Service\n- Keys never leave KMS\nSNS: Simple Notification Service\n- Topics fan out\n"
    ps = parse_text(text, "x.txt")
    assert [p.is_heading for p in ps] == [True, False, True, False]
    assert ps[1].service == "kms" and ps[1].section == ("KMS: Key Management Service",)
    assert ps[3].service == "sns" and ps[3].section == ("SNS: Simple Notification Service",)


def test_blank_lines_keep_line_numbers_and_end_a_passage():
    ps = parse_text("Intro line.\n\n\nEC2: Virtual Machines\n- first thing\n\n- second thing", "x.md")
    assert [(p.line_start, p.line_end, p.text) for p in ps] == [
        (1, 1, "Intro line."),
        (4, 4, "EC2: Virtual Machines"),
        (5, 5, "first thing"),
        (7, 7, "second thing"),
    ]
    assert ps[0].service is None and ps[3].service == "ec2"


def test_heading_after_a_table_is_a_heading():
    path = FIXTURES / "notes_other" / "messaging-notes.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    n = lines.index("Step Functions") + 1
    assert lines[n - 2].endswith("|")
    ps = parse_file(path, path.parent)
    assert starting(ps, n).is_heading
    assert starting(ps, n + 1).section[-1] == "Step Functions"
