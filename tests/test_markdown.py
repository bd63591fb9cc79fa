"""Markdown notes read by a real parser: heading paths at every level, nested items, table rows, code,
quotes and callouts, with plain text and the exact source lines of every block."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ingest.extract import extract_facts
from ingest.parser import parse_file, parse_text
from kg.model import BlockKind, Passage

AWSDOCS = Path("/work/shared/corpus/awsdocs")
SQS_DOCS = AWSDOCS / "sqs"


def at(passages: list[Passage], line: int) -> Passage:
    found = [p for p in passages if p.line_start == line]
    assert len(found) == 1, f"expected one passage starting at line {line}, got {found}"
    return found[0]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


NOTES = """# Study notes

## Kubernetes

### Pods

- Pod limits:
  - max 110 pods per node
  - Local secondary index (LSI)
    - max 5 per table
- Restart policy
"""


def test_every_heading_level_is_kept_in_the_section():
    ps = parse_text(NOTES, "k8s.md")
    assert at(ps, 5).section == ("Study notes", "Kubernetes", "Pods") and at(ps, 5).is_heading
    assert at(ps, 5).kind is BlockKind.HEADING and at(ps, 5).text == "Pods"


def test_a_nested_item_is_read_with_its_parents_subject():
    ps = parse_text(NOTES, "k8s.md")
    parent = at(ps, 7)
    assert parent.text == "Pod limits:" and parent.kind is BlockKind.ITEM
    assert (parent.line_start, parent.line_end) == (7, 7), "an item's span is its own line, not its subtree"
    assert at(ps, 8).section == ("Study notes", "Kubernetes", "Pods", "Pod limits")
    assert at(ps, 10).section[-2:] == ("Pod limits", "Local secondary index (LSI)")
    assert at(ps, 11).section == ("Study notes", "Kubernetes", "Pods"), "a sibling after the sub-list"


TABLE = """## Lambda

| Service | Max timeout | Memory |
|---------|-------------|--------|
| Lambda  | 15 minutes  | 10,240 MB |
| Fargate | | 120 GB |
"""


def test_table_rows_are_labelled_by_their_header_with_their_own_line():
    ps = parse_text(TABLE, "t.md")
    rows = [p for p in ps if p.kind is BlockKind.TABLE_ROW]
    assert [(p.line_start, p.line_end) for p in rows] == [(5, 5), (6, 6)]
    assert rows[0].text == "Lambda — Max timeout: 15 minutes; Memory: 10,240 MB"
    assert rows[1].text == "Fargate — Memory: 120 GB", "empty cells are left out"
    assert not [p for p in ps if "Service" in p.text], "the header row is no passage of its own"


def test_a_table_row_gives_facts_labelled_by_the_column():
    row = next(p for p in parse_text(TABLE, "t.md") if p.kind is BlockKind.TABLE_ROW)
    facts = {f.label: (f.value, f.unit) for f in extract_facts(row, "lambda")}
    # each cell is read with its column and its row: "Max timeout Lambda", "Memory Lambda"
    assert facts["max timeout lambda"] == (15.0, "minutes")
    assert facts["memory lambda"] == (10240.0, "MB")


LIMITS = """| limit | default | max | notes |
| --- | --- | --- | --- |
| timeout | 3 s | 900 s | 15 min is the ceiling |
| memory | 128 MB | 10,240 MB | set in 1 MB steps |
"""


def test_a_limits_table_names_the_bound_and_the_row():
    rows = [p for p in parse_text(LIMITS, "l.md") if p.kind is BlockKind.TABLE_ROW]
    facts = {f.label: (f.value, f.unit) for r in rows for f in extract_facts(r, "fn")}
    assert facts["default timeout"] == (3.0, "seconds")  # "3 s": seconds, as tables write them
    assert facts["max timeout"] == (900.0, "seconds")
    assert facts["max memory"] == (10240.0, "MB")


def test_a_two_column_table_reads_name_value():
    text = "| Name | Maximum |\n| --- | --- |\n| Conditions | 10 |\n"
    (row,) = parse_text(text, "q.md")
    assert row.text == "Conditions: 10"
    assert [(f.label, f.value) for f in extract_facts(row, "iam")] == [("conditions", 10.0)]


CODE = """## Setup

```python
timeout = 900  # 15 minutes
```

    indented = 256  # KB
"""


def test_code_blocks_are_kept_verbatim_and_give_no_facts():
    ps = parse_text(CODE, "c.md")
    fenced, indented = [p for p in ps if p.kind is BlockKind.CODE]
    assert fenced.text == "timeout = 900  # 15 minutes" and (fenced.line_start, fenced.line_end) == (3, 5)
    assert indented.text == "indented = 256  # KB" and indented.line_start == 7
    assert extract_facts(fenced, "x") == [] and extract_facts(indented, "x") == []


def test_a_code_span_wrapping_a_link_to_the_page_it_names_reads_as_the_name():
    # documentation converted from HTML wraps API names in a code span around a link to their reference page
    text = (
        "1. Run one of the following commands:\n"
        "   + AWS CLI: `[get\\-queue\\-attributes](https://docs.aws.amazon.com/cli/get-queue-attributes.html)`\n"
        "   + AWS API: `[GetQueueAttributes](https://docs.aws.amazon.com/API_GetQueueAttributes.html#x)`\n"
        "   + keep `a\\-b` and `[x](not a link)`\n"
    )
    texts = [p.text for p in parse_text(text, "q.md")]
    assert "AWS CLI: get-queue-attributes" in texts
    assert "AWS API: GetQueueAttributes" in texts
    # any other code span is shown as written: CommonMark resolves no escape inside one
    assert "keep a\\-b and [x](not a link)" in texts


def test_markdown_syntax_shown_in_code_stays_as_written():
    # notes on Markdown itself show a link's syntax in a code span: its text does not name the page it leads to
    text = (
        "- a link: `[text](https://example.com/page.html)`\n- or `[Google](https://www.google.com/)`\n"
        "- not an address: `[a](http://[x)`\n"
    )
    texts = [p.text for p in parse_text(text, "md-cheatsheet.md")]
    assert texts == [
        "a link: [text](https://example.com/page.html)",
        "or [Google](https://www.google.com/)",
        "not an address: [a](http://[x)",
    ]


MIXED = """---
title: ignored front matter
tags: [a, b]
---
Queues
======

* **Retention** is \\*configurable\\* up to `14 days` <!-- check this -->
+ See [the docs](https://example.com) and [[Dead letters|DLQ page]] or [[Visibility]]

1. Create the queue
2. Send a message

Subscribers can be:

- Lambda
- Email

> [!warning] Watch out
> Messages over 256 KB are rejected\\.
"""


def test_front_matter_is_ignored_and_lines_stay_exact():
    ps = parse_text(MIXED, "m.md")
    assert not [p for p in ps if "front matter" in p.text or p.line_start <= 4]
    head = at(ps, 5)
    assert head.is_heading and head.text == "Queues" and (head.line_start, head.line_end) == (5, 6), "setext"


def test_markup_escapes_links_and_comments_are_gone_from_the_text():
    ps = parse_text(MIXED, "m.md")
    star, plus = at(ps, 8), at(ps, 9)
    assert star.kind is BlockKind.ITEM and plus.kind is BlockKind.ITEM
    assert star.text == "Retention is *configurable* up to 14 days"
    assert plus.text == "See the docs and DLQ page or Visibility"
    assert star.section == ("Queues",)
    for p in ps:
        assert "**" not in p.text and "\\" not in p.text and "<!--" not in p.text and "[[" not in p.text


def test_numbered_items_are_steps_and_a_colon_line_leads_its_list():
    ps = parse_text(MIXED, "m.md")
    assert [at(ps, n).kind for n in (11, 12)] == [BlockKind.STEP, BlockKind.STEP]
    assert at(ps, 11).text == "Create the queue"
    assert at(ps, 16).lead == "Subscribers can be" and at(ps, 17).lead == "Subscribers can be"
    assert at(ps, 11).lead == ""


def test_a_callout_keeps_its_title_and_body_without_the_marker():
    ps = parse_text(MIXED, "m.md")
    title, body = at(ps, 19), at(ps, 20)
    assert title.kind is BlockKind.QUOTE and title.text == "Watch out"
    assert body.kind is BlockKind.QUOTE and body.text == "Messages over 256 KB are rejected."
    assert body.lead == "Watch out"


FLAT = """# Messaging
- Decoupling with queues
SQS: Simple Queue Service
SQS Standard Queue
- Maximum retention is 14 days
Message Visibility Timeout
- Maximum visibility timeout is 12 hours
"""


def test_plain_line_headings_of_pasted_notes_are_split_from_the_list():
    ps = parse_text(FLAT, "flat.md")
    assert [(p.line_start, p.is_heading) for p in ps] == [
        (1, True),
        (2, False),
        (3, True),
        (4, True),
        (5, False),
        (6, True),
        (7, False),
    ]
    assert at(ps, 2).text == "Decoupling with queues", "a title line is no continuation of the item above"
    assert at(ps, 5).section == ("Messaging", "SQS: Simple Queue Service", "SQS Standard Queue")
    assert at(ps, 7).section == ("Messaging", "SQS: Simple Queue Service", "Message Visibility Timeout")
    assert at(ps, 7).service == at(ps, 5).service == "sqs"


def test_txt_files_keep_the_line_outline():
    ps = parse_text(TABLE, "t.txt")
    assert not [p for p in ps if p.kind is BlockKind.TABLE_ROW], ".txt stays on the heuristic outline"


def test_markdown_suffix_is_read_by_file_too(tmp_path):
    (tmp_path / "n.markdown").write_text(TABLE, encoding="utf-8")
    ps = parse_file(tmp_path / "n.markdown", tmp_path)
    assert [p.kind for p in ps if p.line_start == 5] == [BlockKind.TABLE_ROW] and ps[0].file == "n.markdown"


# ---- real pages (read in place, never copied) ----

needs_docs = pytest.mark.skipif(not SQS_DOCS.is_dir(), reason=f"{SQS_DOCS} is missing: no real pages to read")


def page(name: str) -> tuple[str, list[Passage]]:
    return (SQS_DOCS / name).read_text(encoding="utf-8"), parse_file(SQS_DOCS / name, SQS_DOCS)


@needs_docs
def test_real_page_nested_list_under_a_step_keeps_the_step_as_section():
    text, ps = page("sqs-api-request-authentication.md")
    n = line_of(text, "If authentication succeeds")
    item = at(ps, n)
    assert item.kind is BlockKind.ITEM
    assert item.section == ("Authenticating requests", "One of the following happens")
    step = at(ps, n - 1)
    assert step.kind is BlockKind.STEP and step.text == "One of the following happens:"
    h = line_of(text, "## Part 2: The response from AWS")
    assert at(ps, h).section == ("Authenticating requests", "Part 2: The response from AWS")


@needs_docs
def test_real_page_table_rows_are_labelled_and_give_limits():
    text, ps = page("quotas-policies.md")
    rows = [p for p in ps if p.kind is BlockKind.TABLE_ROW]
    assert [p.line_start for p in rows] == [line_of(text, f"| {name} |") for name in ("Bytes", "Conditions")] + [
        line_of(text, f"| {name} |") for name in ("Principals", "Statements", "Actions per statement")
    ]
    assert rows[1].text == "Conditions: 10" and rows[1].section == ("Quotas related to policies",)
    facts = [f for p in rows for f in extract_facts(p, "sqs")]
    assert ("actions per statement", 7.0) in {(f.label, f.value) for f in facts}


@needs_docs
def test_real_page_message_size_fact_and_parameter_table():
    text, ps = page("sqs-configure-queue-parameters.md")
    step = at(ps, line_of(text, "For **Maximum message size**, enter a value"))
    assert step.kind is BlockKind.STEP and step.text.startswith("For Maximum message size, enter a value.")
    sizes = {(f.value, f.unit, f.qualifier) for f in extract_facts(step, "sqs")}
    assert (256.0, "KB", "default") in sizes
    text, ps = page("sqs-client-side-buffering-request-batching.md")
    row = at(ps, line_of(text, "| maxBatchSizeBytes |"))
    assert row.kind is BlockKind.TABLE_ROW and row.text.startswith("maxBatchSizeBytes — Default value: 256 KB;")
    assert row.section[-1] == "Configuring AmazonSQSBufferedAsyncClient"


@needs_docs
def test_real_pages_have_plain_text_and_every_block_inside_the_file():
    for path in sorted(SQS_DOCS.glob("*.md"))[:60]:
        n_lines = len(path.read_text(encoding="utf-8").split("\n"))
        for p in parse_file(path, SQS_DOCS):
            if p.kind is BlockKind.CODE:
                continue
            assert "**" not in p.text and "\\." not in p.text and "\\(" not in p.text, (path.name, p.text)
            assert "<a name" not in p.text and "</a>" not in "".join(p.section), (path.name, p.section)
            assert 1 <= p.line_start <= p.line_end <= n_lines, (path.name, p.line_start, p.line_end)


def test_lines_broken_by_hand_are_passages_of_their_own_and_a_headless_note_is_titled_by_its_file() -> None:
    # a zettelkasten note: no heading, a fact on each line (the next line's first word would have fitted on
    # the line above, so the break was made by hand); a paragraph wrapped at a width stays whole
    note = (
        "hold out data the model never sees while fitting\n"
        "test_size=0.25 when neither size is given, shuffle=True by default\n"
        "stratify=y keeps the class shares\n"
    )
    ps = parse_text(note, "202403121015 train test split.md")
    assert [(p.line_start, p.line_end) for p in ps] == [(1, 1), (2, 2), (3, 3)]
    assert all(p.section == ("Train Test Split",) for p in ps)
    assert ps[1].context_text().startswith("Train Test Split: test_size=0.25")
    prose = (
        "Autovacuum reclaims the space of dead rows and keeps the planner's statistics fresh, so a table "
        "that is written to all day neither grows without bound nor gets planned from stale numbers."
    )
    wrapped = textwrap.fill(prose, width=40)
    assert wrapped.count("\n") >= 3
    assert [(p.line_start, p.line_end) for p in parse_text(f"# Vacuum\n\n{wrapped}\n", "w.md")[1:]] == [
        (3, 3 + wrapped.count("\n"))
    ]


LOGSEQ = """alias:: wood, lumber
- ## Hardwoods
\t- White oak #hardwood
\t  janka:: 1360 lbf
\t  price:: 9.50 EUR/bf
\t\t- good outdoors, closed pores
\t- seal / unseal
\t  collapsed:: true
\t  id:: 6423ab1e-77c1-4b5e-9a51-1f0e3d2c9b10
"""


def test_logseq_block_properties_read_with_their_block_and_outliner_state_not_at_all() -> None:
    ps = parse_text(LOGSEQ, "pages/Wood Species.md")
    assert at(ps, 1).text == "alias: wood, lumber"
    oak = at(ps, 3)
    assert oak.text == "White oak #hardwood janka: 1360 lbf price: 9.50 EUR/bf" and oak.line_end == 5
    assert at(ps, 6).section[-1] == oak.text  # what is nested under the block reads with its properties
    folded = at(ps, 7)
    assert folded.text == "seal / unseal" and folded.line_end == 9
    # a path written with "::" is no property
    rust = parse_text("- std::thread::spawn needs a 'static closure\n", "rust.md")
    assert rust[0].text == "std::thread::spawn needs a 'static closure"


def test_an_outliner_export_reads_without_its_machinery() -> None:
    # Roam and Logseq: block references by id, task markers in braces, highlights, a table of nested blocks
    text = textwrap.dedent(
        """\
        - ## Renderer
            - picked **Compatibility** ((Xk3_p9QaZ))
            - {{[[TODO]]}} look at the price of a cert ((65f1a2c3-7b1e-4d2a-9c1f-2a3b4c5d6e7f))
            - ^^never^^ ship on a Friday
        - ## Budget
            - {{[[table]]}}
                - Thing
                    - Budget
                        - Measured
                - Total frame time
                    - 8 ms
                        - 5.9 ms
                - Draw calls
                    - 150
                        - 96
            - why 8 ms: the Deck throttles
        """
    )
    ps = parse_text(text, "Godot Project Setup.md")
    texts = [p.text for p in ps]
    assert "picked Compatibility" in texts
    assert "TODO look at the price of a cert" in texts
    assert "never ship on a Friday" in texts
    rows = [p for p in ps if p.kind is BlockKind.TABLE_ROW]
    assert [(p.text, p.line_start, p.line_end) for p in rows] == [
        ("Total frame time — Budget: 8 ms; Measured: 5.9 ms", 10, 12),
        ("Draw calls — Budget: 150; Measured: 96", 13, 15),
    ]
    assert rows[0].section[-1] == "Budget" and not any("table" in t or t == "Thing" for t in texts)
    assert "why 8 ms: the Deck throttles" in texts


PANDOC = """% Exam prep
% me

## Licensing {#licensing}

Pre-licensing hours
:   75 hours total
:   course cert valid for **2 years**

Time limit
: 240 minutes

+-----------+-------------+-------------------+
| Portion   | Questions   | Passing score     |
+===========+=============+===================+
| National  | 80          | 56 correct        |
+-----------+-------------+-------------------+
| State     | 40          | 30 correct        |
|           |             | (75%)             |
+-----------+-------------+-------------------+

After the table.
"""


def test_a_definition_list_term_is_the_parent_of_each_of_its_definitions_on_their_own_lines():
    ps = parse_text(PANDOC, "p.md")
    term, first, second = at(ps, 6), at(ps, 7), at(ps, 8)
    assert term.text == "Pre-licensing hours" and term.section == ("Exam prep", "Licensing")
    assert first.text == "75 hours total" and second.text == "course cert valid for 2 years"
    assert first.section == second.section == ("Exam prep", "Licensing", "Pre-licensing hours")
    assert at(ps, 11).text == "240 minutes" and at(ps, 11).section[-1] == "Time limit"


def test_a_grid_table_reads_a_row_per_body_row_labelled_by_its_header_where_the_table_stood():
    ps = parse_text(PANDOC, "p.md")
    national, state = at(ps, 16), at(ps, 18)
    assert national.kind is state.kind is BlockKind.TABLE_ROW
    assert national.text == "National — Questions: 80; Passing score: 56 correct"
    # a cell over two lines is one cell; the row spans both lines
    assert state.text == "State — Questions: 40; Passing score: 30 correct (75%)" and state.line_end == 19
    assert not [p for p in ps if "+---" in p.text or "+===" in p.text]
    assert national.section == ("Exam prep", "Licensing") and at(ps, 22).text == "After the table."


def test_a_pandoc_title_block_titles_the_document_and_its_other_lines_lose_their_mark():
    ps = parse_text(PANDOC, "p.md")
    assert at(ps, 1).kind is BlockKind.HEADING and at(ps, 1).text == "Exam prep" and at(ps, 2).text == "me"
    assert at(parse_text("%%timeit f()\n", "n.md"), 1).text == "%%timeit f()", "a cell magic is no title block"


def test_heading_attributes_are_not_part_of_the_heading():
    assert at(parse_text(PANDOC, "p.md"), 4).text == "Licensing"
    assert at(parse_text("# Intro {: .lead }\n\ntext\n", "i.md"), 1).text == "Intro"
    assert at(parse_text("# Sets {x}\n", "s.md"), 1).text == "Sets {x}", "braces that are no attributes stay"


@pytest.mark.parametrize("name", ["week3.qmd", "analysis.Rmd", "page.mdx", "notes.mkd"])
def test_markdown_dialects_named_by_their_own_suffix_are_read_as_markdown(tmp_path, name):
    (tmp_path / name).write_text(TABLE, encoding="utf-8")
    ps = parse_file(tmp_path / name, tmp_path)
    assert [p.kind for p in ps if p.line_start == 5] == [BlockKind.TABLE_ROW]


@pytest.mark.parametrize(
    "name", ["lecture.typ", "notes.tex", "page.wiki", "todo.taskpaper", "a.text", "flats.csv", "repairs.tsv"]
)
def test_plain_text_notes_under_other_suffixes_are_notes_files(tmp_path, name):
    from ingest.pipeline import note_files

    (tmp_path / name).write_text("Storage\n- max 5 GB per user\n", encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert [p.name for p in note_files(tmp_path)] == [name]
    assert any("5 GB" in p.text for p in parse_file(tmp_path / name, tmp_path))


SIMPLE = """## Fees

  Item                     Fee       Paid to
  ------------------------ --------- -------------
  Exam fee (per attempt)   $63       testing vendor
  Licence application      **$140**  REC

Some text after.

A setext heading
----------------
"""


def test_a_pandoc_simple_table_reads_a_row_per_line_cut_at_its_columns_and_labelled_by_its_header():
    ps = parse_text(SIMPLE, "exam fees.md")
    exam, licence = at(ps, 5), at(ps, 6)
    assert exam.kind is licence.kind is BlockKind.TABLE_ROW and exam.section[-1] == "Fees"
    assert exam.text == "Exam fee (per attempt) — Fee: $63; Paid to: testing vendor"
    assert licence.text == "Licence application — Fee: $140; Paid to: REC"
    assert not [p for p in ps if p.line_start in (3, 4)], "the header labels the rows; the rule says nothing"
    assert at(ps, 8).text == "Some text after." and at(ps, 10).kind is BlockKind.HEADING


FENCED = """# Webhooks

:::tip Ack fast
Return 200 straight away,
then process async.
:::

::: {.callout-warning title="Old figure"}
The timeout was 10 s.
:::

::::note[Outer]
outer text
:::danger
inner text
:::
::::

```text
:::not a fence
```

:::info never closed
"""


def test_colon_fenced_admonitions_and_divs_read_as_callouts_titled_and_without_their_fences():
    ps = parse_text(FENCED, "w.mdx")
    assert at(ps, 3).kind is BlockKind.QUOTE and at(ps, 3).text == "Ack fast"
    body = at(ps, 4)
    assert body.kind is BlockKind.QUOTE and body.lead == "Ack fast"
    assert "Return 200 straight away" in body.text and ":::" not in body.text
    assert at(ps, 8).text == "Old figure" and at(ps, 9).text == "The timeout was 10 s."
    assert at(ps, 12).text == "Outer" and at(ps, 13).text == "outer text" and at(ps, 15).text == "inner text"
    assert not [p for p in ps if p.text.strip(":") == "" or p.text.startswith(":::danger")]
    assert at(ps, 19).text == ":::not a fence", "a fence in a code block is code"
    assert ":::info" in at(ps, 23).text, "a fence never closed stays as written"


def test_a_few_words_on_a_line_of_their_own_lead_the_list_that_follows_and_a_sentence_does_not():
    ps = parse_text(
        "# Parking\n\ncurb colors\n- red = no stopping\n- white = drop off only\n\nWe parked badly.\n- it cost 20\n",
        "p.md",
    )
    assert [at(ps, n).lead for n in (4, 5)] == ["curb colors"] * 2
    assert at(ps, 8).lead == ""


INDENTED = """# Running jobs :material-expansion-card:

!!! warning "Changed 2025-07-01"
    The maximum wall time is now **5 days**.
    Most jobs never checkpointed.

??? tip
    Catch SIGTERM and checkpoint.

    !!! note "Nested"
        inner text

=== "Slurm"

    Submit with sbatch.

!!! note
Not indented: no body.

```text
!!! note "in code"
    stays code
```

*[QOS]: Quality of Service
*[DTN]: Data Transfer Node
"""


def test_indented_admonitions_and_tabs_read_as_callouts_titled_and_abbreviations_as_items():
    ps = parse_text(INDENTED, "jobs.md")
    assert at(ps, 1).text == "Running jobs", "an icon is no text"
    assert at(ps, 3).kind is BlockKind.QUOTE and at(ps, 3).text == "Changed 2025-07-01"
    body = at(ps, 4)
    assert body.kind is BlockKind.QUOTE and body.lead == "Changed 2025-07-01" and "5 days" in body.text
    assert at(ps, 7).text == "Tip", "an admonition with no title is titled by its type"
    assert at(ps, 8).lead == "Tip" and at(ps, 10).text == "Nested" and at(ps, 11).lead == "Nested"
    assert at(ps, 13).text == "Slurm" and at(ps, 15).lead == "Slurm" and at(ps, 15).text == "Submit with sbatch."
    assert at(ps, 17).text == "!!! note", "an opening line with no indented body stays as written"
    assert not [p for p in ps if p.text.startswith(("!!! warning", "??? tip", '=== "'))]
    assert [p for p in ps if "stays code" in p.text and p.kind is BlockKind.CODE], "an admonition in code is code"
    assert at(ps, 25).kind is BlockKind.ITEM and at(ps, 25).text == "QOS: Quality of Service"
    assert at(ps, 26).text == "DTN: Data Transfer Node"


def test_a_comment_in_words_is_read_as_a_paragraph_and_a_directive_is_not() -> None:
    text = "\n".join(
        [
            "## Network Firewall",  # 1
            "",
            "- Pricing: $0.395 / endpoint-hour",  # 3
            "",
            "<!-- Speaker notes: that works out at roughly $288 per month",  # 5
            "per AZ before traffic. -->",  # 6
            "",
            "<!-- _class: lead -->",  # 8
            "<!-- clipped from https://example.com/pricing/firewall -->",  # 9
            "",
        ]
    )
    got = [(p.line_start, p.line_end, p.kind, p.text) for p in parse_text(text, "deck.md")]
    assert got[1:] == [
        (3, 3, BlockKind.ITEM, "Pricing: $0.395 / endpoint-hour"),
        (5, 6, BlockKind.PARAGRAPH, "that works out at roughly $288 per month per AZ before traffic."),
    ]


def test_a_task_lists_checkboxes_are_the_items_marks_not_their_text() -> None:
    md = "## Roses\n\n- [ ] White rose stems £1.35\n- [x] Order from the Dutch wholesaler\n1. [x] paid the deposit\n"
    txt = "ROSES\n- [ ] White rose stems £1.35\n- [x] Order from the Dutch wholesaler\n  - [ ] ask about vase life\n"
    assert [p.text for p in parse_text(md, "board.md")][1:] == [
        "White rose stems £1.35",
        "Order from the Dutch wholesaler",
        "paid the deposit",
    ]
    assert [p.text for p in parse_text(txt, "board.txt")][1:] == [
        "White rose stems £1.35",
        "Order from the Dutch wholesaler",
        "ask about vase life",
    ]
    # a link in brackets is text
    assert [p.text for p in parse_text("- [link] to the price list\n", "b.md")] == ["[link] to the price list"]


def test_an_obsidian_comment_in_words_is_read_and_a_plugins_marker_is_not() -> None:
    text = "\n".join(
        [
            "## Roses",
            "",
            "- White rose stems £1.35",
            "",
            "%% ask Jo about the delivery fee %%",  # 5
            "",
            "```python",
            "%%time",  # 8: a cell magic in code, not a comment
            "```",
            "",
            "%% kanban:settings",
            "%%",
        ]
    )
    got = [(p.line_start, p.text) for p in parse_text(text, "board.md")]
    assert got[1:] == [(3, "White rose stems £1.35"), (5, "ask Jo about the delivery fee"), (7, "%%time")]
