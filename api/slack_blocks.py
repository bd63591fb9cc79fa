"""Block Kit messages for the Slack slash command: answer, not-in-your-notes, usage, ack and errors."""

from __future__ import annotations

import re
from typing import Any

from kg.model import Answer

MAX_CITATIONS = 3
MAX_FACTS = 3
QUOTE_CHARS = 160
SECTION_CHARS = 2900  # Slack's limit for a section's text is 3000
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

Message = dict[str, Any]


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: notes text must never become a mention, link or channel ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_CHARS)}}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def message(response_type: str, text: str, blocks: list[dict[str, Any]]) -> Message:
    return {"response_type": response_type, "text": truncate(text, SECTION_CHARS), "blocks": blocks}


def answer_message(answer: Answer, response_type: str, user_id: str = "") -> Message:
    asker = f"<@{user_id}> asked: " if _USER_ID.match(user_id) else "Question: "
    blocks: list[dict[str, Any]] = [_context(f"{asker}_{escape(shorten(answer.question, 300))}_")]
    if answer.abstained:
        lead = ":mag: *Not in your notes.* They do not answer this, so no guess is given."
        closest = "\nClosest passages (they do not answer it):" if answer.citations else ""
        blocks.append(_section(lead + closest))
        fallback = "Not in your notes."
    else:
        blocks.append(_section(f"*Answer:* {escape(answer.answer)}"))
        fallback = answer.answer
    for number, cite in enumerate(answer.citations[:MAX_CITATIONS], start=1):
        where = f"{cite.source}:{cite.lines[0]}-{cite.lines[1]}"
        blocks.append(_context(f"[{number}] `{escape(where)}` “{escape(shorten(cite.text, QUOTE_CHARS))}”"))
    if not answer.abstained and answer.facts:
        facts = [f"{f.subject} · {f.predicate} · {f.object}" for f in answer.facts[:MAX_FACTS]]
        blocks.append(_context("*Facts:* " + escape("; ".join(facts))))
    source = "searched your notes" if answer.abstained else "answered from your notes"
    blocks.append(_context(f"Confidence {answer.confidence:.0%} · kgqa {source}"))
    return message(response_type, fallback, blocks)


def usage_message(command: str) -> Message:
    text = (
        f"*Ask your notes a question.*\n"
        f"• `{command} what is the maximum execution time of a lambda function` (only you see the answer)\n"
        f"• `{command} share &lt;question&gt;` or `{command} &lt;question&gt; --share` (in the channel)\n"
        f"• `{command} help` shows this message"
    )
    return message("ephemeral", "How to use " + command, [_section(text)])


def ack_message(question: str) -> Message:
    text = f":hourglass_flowing_sand: Looking that up… _{escape(shorten(question, 300))}_"
    return message("ephemeral", "Looking that up…", [_section(text)])


def error_message(text: str) -> Message:
    return message("ephemeral", text, [_section(f":warning: {escape(text)}")])
