"""Task lists in the todo.txt format (todo.txt-cli, Simpletask, Sleek: ``todo.txt``, ``done.txt``), one task a
line, rewritten line for line into the layout the plain-text reader reads: each task an item whose text comes
first, its completion mark, priority and dates after it.

``x 2025-01-03 2024-12-28 (B) Charge all 8 batteries +kit @studio due:2025-02-01`` reads as
``- Charge all 8 batteries +kit @studio due:2025-02-01 (done 2025-01-03; added 2024-12-28; priority B)``: a
task's words open its line, where a definition ("3-2-1 = 3 copies ...") or a label ("Pic-Time: ...") is told, and
the dates still say when it was added and done. A task in capitals of a few words (``2025-02-01 VENUES +venues
@ref``), as a reference list parts its tasks, is a title over the tasks under it.
"""

from __future__ import annotations

import re

from ingest.document import Markup

DATE = r"\d{4}-\d\d-\d\d"
TASK = re.compile(
    rf"^(?P<done>x\s+(?P<completed>{DATE})\s+)?(?:\((?P<priority>[A-Z])\)\s+)?(?:(?P<created>{DATE})\s+)?"
    rf"(?P<text>\S.*)$"
)
MARKED = re.compile(rf"^(?:x\s+{DATE}\s|\([A-Z]\)\s|{DATE}\s)")  # a done mark, a priority or a date first
TAGS = re.compile(r"(?:^|\s)[+@][\w.-]+|\s[a-z]+:[^\s/]\S*")  # +project, @context, due:2025-05-01
TITLE_WORDS = 4  # the most words of a task in capitals that heads the tasks under it ("VENUES +venues @ref")
TASK_SHARE = 0.6  # the least share of a file's lines that are tasks, for it to be read as a todo.txt list
TAGGED_SHARE = 0.3  # ... and of its tasks that carry a project, context or key:value tag


def is_todo_txt(lines: list[str]) -> bool:
    """Whether a file is a todo.txt list: most lines open with a done mark, a priority or a date, and many
    carry tags."""
    written = [line for line in lines if line.strip()]
    tasks = [line for line in written if MARKED.match(line)]
    return (
        len(tasks) >= 3
        and len(tasks) >= TASK_SHARE * len(written)
        and sum(1 for line in tasks if TAGS.search(line)) >= TAGGED_SHARE * len(tasks)
    )


def rewrite_todo_txt(lines: list[str]) -> Markup:
    """The lines of a todo.txt list as the plain-text reader reads them (see the module)."""
    out = []
    for line in lines:
        found = TASK.match(line.strip()) if MARKED.match(line) else None
        if not found:
            out.append(line)
            continue
        said = [
            f"done {found.group('completed')}" if found.group("done") else "",
            f"added {found.group('created')}" if found.group("created") else "",
            f"priority {found.group('priority')}" if found.group("priority") else "",
        ]
        when = "; ".join(s for s in said if s)
        words = TAGS.sub(" ", found.group("text")).split()
        if not found.group("done") and len(words) <= TITLE_WORDS and " ".join(words).isupper():
            out.append(" ".join(words))  # a task in capitals, its tags aside, heads the tasks under it
            continue
        out.append(f"- {found.group('text')}" + (f" ({when})" if when else ""))
    return Markup(out)
