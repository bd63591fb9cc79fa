"""A project's history kept as notes: ``git log`` output pasted into a text file, rewritten line for line into
the layout the plain-text reader reads, as ``ingest.markup`` does for markup.

Each commit opens with ``commit <hash>``, then its header (``Author:``, ``Date:``, ``Merge:``), a blank line and
its message indented by four spaces and wrapped at 72 characters: a subject line, then body paragraphs,
bullets and trailers (``Fixes #212``, ``Co-authored-by: ...``). The ``commit`` line becomes a title named by
the subject, so the header and the message read under what the commit did; the header's lines stay as
``Author: ...`` and ``Date: ...`` fields; the message loses its indentation, so its bullets and lists read as
they would at the margin, its wrapped lines join (``ingest.wrap``), and its subject line stays a line of its
own, cited where it was written.
"""

from __future__ import annotations

import re

from ingest.document import Markup
from ingest.wrap import wrapped_joins

COMMIT = re.compile(r"^commit [0-9a-f]{7,40}\b")
HEADER = re.compile(r"^(?:Author|AuthorDate|Commit|CommitDate|Date|Merge):\s")
LEAST_COMMITS = 3
INDENT = "    "  # git indents a message by four spaces


def is_git_log(lines: list[str]) -> bool:
    """Whether a file holds ``git log`` output: three ``commit <hash>`` lines or more, each over a header line."""
    commits = [i for i, line in enumerate(lines) if COMMIT.match(line)]
    headed = sum(1 for i in commits if i + 1 < len(lines) and HEADER.match(lines[i + 1]))
    return headed >= LEAST_COMMITS


def rewrite_git_log(lines: list[str]) -> Markup:
    out = Markup(list(lines))
    commits: list[int] = []
    message: set[int] = set()  # the lines of the commits' messages
    for i, line in enumerate(lines):
        if COMMIT.match(line):
            commits.append(i)
        elif line.startswith(INDENT):
            out.lines[i] = line[len(INDENT) :]
            message.add(i)
            if commits and commits[-1] not in out.titles and line.strip():
                out.titles[commits[-1]] = (line.strip(), 1)  # the commit is named by its subject
                out.breaks.add(i)  # ... which is a line of its own, no title under it
    out.dropped.update(i for i in commits if i not in out.titles)  # a commit with no message says nothing
    out.joins = wrapped_joins(out.lines) & message - out.breaks  # git wraps a message's lines at 72 characters
    return out
