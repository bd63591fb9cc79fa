"""Notes kept as JSON: a chat app's export (Slack, Mattermost, Discord), a notes or board app's (Google Keep,
Trello, Notion's API), records a script wrote. The file is read as the text it holds, each piece on the line its
string value stands on:

- a string is text when its key says so (``text``, ``body``, ``content``, ``note``, ``description`` ...) or when it
  is words (three or more); ids, timestamps, flags, user names and links say nothing;
- an object's ``title`` / ``name`` / ``subject`` heads the text in it and in the objects under it, when it has any;
- a message others reply to (their ``thread_ts`` / ``parent_id`` names its ``ts`` / ``id``) heads its replies by
  its first line, and its replies are read right after it, wherever the export put them;
- a text's lines (``\\n`` in the string) are its lines, read as Markdown: Slack's ``*bold*``, ``• `` bullets,
  ``<url|label>`` links (their label), ``<@U123>`` mentions, ``:emoji:`` codes and ``&amp;`` entities are read as
  Markdown's marks, the label, nothing, nothing and their sign.

Every passage cites the line of the string it was read from; a string of several lines gives several passages
on that one line. A file that is no JSON is read as plain text.
"""

from __future__ import annotations

import html
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ingest.document import TEXT_WORDS, WORD, Block, clean
from ingest.markdown import LIST_LINE, blocks_to_passages, markdown_blocks
from kg.model import BlockKind, Passage

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
TEXT_KEYS = frozenset(
    {
        "text",
        "body",
        "content",
        "contents",
        "textcontent",
        "note",
        "notes",
        "description",
        "desc",
        "details",
        "summary",
        "message",
        "comment",
        "answer",
        "question",
        "front",
        "back",
        "value",
        "excerpt",
    }
)
TITLE_KEYS = ("title", "name", "subject", "heading", "topic", "label")
ID_KEYS = ("ts", "id", "uuid", "guid")
REPLY_KEYS = ("thread_ts", "parent_id", "parentid", "parent", "in_reply_to", "reply_to", "replyto")
TITLE_WORDS = 12  # the longest title an object's name may be
TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,]|-?\d[\w.+-]*|true|false|null|\s+')
URLISH = re.compile(r"^\S*(?:://|\\|/)\S*$|^[\w.+-]+@[\w.-]+$")  # a link, a path, an address: no text

# Slack's mrkdwn
MENTION = re.compile(r"<[@!#][^>]*>")
LINK = re.compile(r"<(?P<url>[a-z][\w+.-]*:[^>|]*)(?:\|(?P<label>[^>]*))?>", re.I)
EMOJI = re.compile(r"(?<![\w:]):[a-z][a-z0-9_+-]*:(?![\w:])")
BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
BULLET = re.compile(r"^(?P<indent>\s*)[•◦▪‣·]\s*")
HEADING = re.compile(r"^#{1,6}\s+\S")  # a Markdown heading: "# Trip day", not "#general"
SECTION_HEADING = re.compile(r"^#{2,6}\s+\S")  # a heading under a note's title: "### Key temperatures"


@dataclass
class Text:
    value: str
    line: int
    end: int = 0  # the last line of a text read from runs over several lines (``_runs``)


@dataclass
class Node:
    """An object or an array and what is in it, in order: (key, value) pairs, the key None in an array."""

    line: int
    is_object: bool
    items: list[tuple[str | None, Text | Node | None]] = field(default_factory=list)

    def strings(self) -> list[tuple[str, Text]]:
        return [(k.lower(), v) for k, v in self.items if k is not None and isinstance(v, Text)]

    def get(self, key: str) -> Node | Text | None:
        """The value of a key of an object (None when it has no such key, or its value is a number, flag or null)."""
        return next((v for k, v in self.items if k == key), None)

    def first(self, keys: tuple[str, ...]) -> Text | None:
        found = dict(self.strings())
        return next((found[k] for k in keys if k in found), None)


def scan(text: str) -> list[Node | Text]:
    """The JSON values of a file, each string with its 1-based line (JSON Lines: one value a line). Raises
    ValueError when the text is no JSON."""
    return read_json(text)[1]


@lru_cache(maxsize=1)  # a .json file is tried as a Trello board, then as notes: one reading serves both
def read_json(text: str) -> tuple[object, list[Node | Text]]:
    """A file's JSON value (JSON Lines: the list of its lines' values) and its values as ``scan`` gives them,
    read once. Raises ValueError when the text is no JSON."""
    return _check(text), _scan(text)


def _scan(text: str) -> list[Node | Text]:
    breaks = [m.start() for m in re.finditer("\n", text)]
    top: list[Node | Text] = []
    stack: list[Node] = []
    key: str | None = None
    pending: str | None = None  # a string that may be a key, until ':' or what follows shows it
    pending_line = 0
    pos = 0

    def put(value: Node | Text | None) -> None:
        nonlocal key
        if stack:
            stack[-1].items.append((key if stack[-1].is_object else None, value))
        elif value is not None:
            top.append(value)
        key = None

    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"not JSON at offset {pos}")
        tok, pos = m.group(0), m.end()
        if tok.isspace():
            continue
        if pending is not None and tok != ":":
            put(Text(pending, pending_line))
            pending = None
        if tok.startswith('"'):
            pending, pending_line = json.loads(tok), bisect_right(breaks, m.start()) + 1
        elif tok == ":":
            if pending is None or not stack or not stack[-1].is_object:
                raise ValueError(f"not JSON at offset {m.start()}")
            key, pending = pending, None
        elif tok in "{[":
            node = Node(bisect_right(breaks, m.start()) + 1, tok == "{")
            put(node)
            stack.append(node)
        elif tok in "}]":
            if not stack or stack[-1].is_object != (tok == "}"):
                raise ValueError(f"not JSON at offset {m.start()}")
            stack.pop()
        elif tok != ",":
            put(None)  # a number, true, false, null: no text
    if pending is not None:
        put(Text(pending, pending_line))
    if stack:
        raise ValueError("JSON ends inside an object or array")
    return top


def _check(text: str) -> object:
    """The text's JSON value, or the list of its lines' values when it is JSON Lines (a value on each line);
    raises ValueError when it is neither."""
    try:
        return json.loads(text)
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _is_text(key: str | None, value: str) -> bool:
    s = value.strip()
    if not s or URLISH.match(s):
        return False
    # three words or more, apart: "partly-cloudy-day" and a hex id ("582FA7BE9D9D...") are one token, no text
    return (key or "").lower() in TEXT_KEYS or (len(WORD.findall(s)) >= TEXT_WORDS and len(s.split()) > 1)


def _title(node: Node) -> Text | None:
    found = node.first(TITLE_KEYS)
    if found is None:
        return None
    s = found.value.strip()
    if not s or "\n" in s or len(s.split()) > TITLE_WORDS or URLISH.match(s) or not WORD.search(s):
        return None
    return found


def _has_text(value: Node | Text | None, key: str | None = None) -> bool:
    if isinstance(value, Text):
        return _is_text(key, value.value)
    if isinstance(value, Node):
        return any(
            _has_text(v, k) for k, v in value.items if not (isinstance(v, Text) and (k or "").lower() in TITLE_KEYS)
        )
    return False


def _runs(value: Node | Text | None) -> Text | None:
    """Rich text written as runs, read as the one text they make, on the line of its first run: an array of
    strings and typed runs, objects with a ``type`` and the run's ``text`` (Telegram's ``text`` and
    ``text_entities``: a bold or link run between plain ones). None for anything else (a list of strings, a
    checklist's items)."""
    if not isinstance(value, Node) or value.is_object or not value.items:
        return None
    parts: list[Text] = []
    typed = False
    for _, item in value.items:
        if isinstance(item, Text):
            parts.append(item)
            continue
        if not isinstance(item, Node) or not item.is_object:
            return None
        run, kind = item.get("text"), item.get("type")
        if not isinstance(run, Text) or not isinstance(kind, Text) or any(isinstance(v, Node) for _, v in item.items):
            return None
        parts.append(run)
        typed = True
    return Text("".join(p.value for p in parts), parts[0].line, parts[-1].line) if typed else None


def _opens_section(value: Node | Text | None) -> bool:
    """Whether a value is read under a heading of its own: an object with a title and text, or an array of them."""
    if not isinstance(value, Node):
        return False
    if value.is_object:
        return _title(value) is not None and _has_text(value)
    return any(_opens_section(v) for _, v in value.items)


def inline(line: str, title: bool = False) -> str:
    """One line of a string as Markdown: Slack's links, mentions, emoji codes, entities and bullets read; a
    line opening with "#" is a hashtag or a channel, no heading, unless it is the ``title`` of a note."""
    line = LINK.sub(lambda m: m.group("label") or m.group("url"), MENTION.sub("", line))
    line = html.unescape(EMOJI.sub("", line))
    line = BOLD.sub(r"**\1**", line)
    bullet = BULLET.match(line)
    if bullet:
        line = bullet.group("indent") * 2 + "- " + line[bullet.end() :]
    elif line.lstrip().startswith("#") and not (title and HEADING.match(line)):
        line = "\\" + line.lstrip()  # a hashtag or a channel opens no heading
    return line.rstrip()


def _lines(value: str) -> list[str]:
    """A text's lines as Markdown: each line of its own, as an app's line breaks are the writer's (a list's
    items and a table's rows still run on together)."""
    out: list[str] = []
    raws = value.replace("\r\n", "\n").split("\n")
    # a note of more lines opens with a Markdown heading ("# Trip day\n\n88 went": its title) and has its sections
    # under "## ..." to "###### ..." headings ("### Key temperatures"); "# of guests" further on is no heading
    noted = sum(1 for raw in raws if raw.strip()) > 1
    for i, raw in enumerate(raws):
        line = inline(raw, title=noted and (i == 0 or bool(SECTION_HEADING.match(raw))))
        last = out[-1] if out else ""
        together = LIST_LINE.match(last) and LIST_LINE.match(line) or last.startswith("|") and line.startswith("|")
        if last and line and not together:
            out.append("")
        out.append(line)
    return out


class _Writer:
    """The blocks a file's JSON values read as. A text is read as Markdown; its first line is an outline node
    the rest of it sits under, as an outliner's item with children, so that each text is a part of its own."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def text(self, t: Text, parents: tuple[str, ...] = ()) -> str:
        """Put one text under ``parents``; returns its first line (what its replies sit under)."""
        read = markdown_blocks(_lines(t.value))
        if not read:
            return ""
        head = read[0].text.rstrip(":").strip()  # a list's lead, as it names what is under it
        sections: list[Block] = []  # the text's own headings open over the block being read, outermost first
        for i, b in enumerate(read):
            # the first line opens the text's part, as a new item of an outline closes the one before it; a heading
            # further on is an item of it that what follows sits under, up to the next heading of its level
            kind = (
                BlockKind.ITEM if b.kind is BlockKind.HEADING or (i == 0 and b.kind is BlockKind.PARAGRAPH) else b.kind
            )
            if i and b.is_heading:
                sections = [h for h in sections if h.level < b.level]
            under = parents if i == 0 else (*parents, head, *(h.text for h in sections), *b.parents)
            self.blocks.append(
                replace(b, kind=kind, start=t.line, end=max(t.end, t.line), level=0, parents=under, lead="")
            )
            if i and b.is_heading:
                sections.append(b)
        return head

    def node(self, node: Node, level: int, parents: tuple[str, ...] = ()) -> str:
        """Put an object or an array; returns the first line of its first text."""
        title = _title(node) if node.is_object else None
        if title is not None and _has_text(node):
            self.blocks.append(Block(BlockKind.HEADING, clean(inline(title.value)), title.line, title.line, level))
            level, parents = level + 1, ()
        records = [v for _, v in node.items if isinstance(v, Node) and v.is_object]
        if not node.is_object and records and len(records) == len(node.items):
            return self.records(records, level, parents)
        first = ""
        read: set[str] = set()  # texts read of this object: the same text again (runs repeating it) is not read
        # what opens a section of its own (an object with a title: an attached link's card, a board's list) comes
        # after the object's own text, as a document's sub-sections do: its heading then heads nothing of the rest
        for key, item in sorted(node.items, key=lambda item: _opens_section(item[1])):
            value = _runs(item) or item
            if isinstance(value, Text):
                if value is not title and _is_text(key, value.value) and value.value.strip() not in read:
                    read.add(value.value.strip())
                    head = self.text(value, parents)
                    first = first or head
            elif isinstance(value, Node):
                head = self.node(value, level, parents)
                first = first or head
        return first

    def records(self, records: list[Node], level: int, parents: tuple[str, ...] = ()) -> str:
        """Objects in a row; a record others reply to has its replies read right after it, under its first
        line."""
        by_id: dict[str, Node] = {}
        replies: dict[int, list[Node]] = {}
        for r in records:
            rid = r.first(ID_KEYS)
            parent = r.first(REPLY_KEYS)
            if parent is not None and parent.value in by_id and by_id[parent.value] is not r:
                replies.setdefault(id(by_id[parent.value]), []).append(r)
            elif rid is not None:
                by_id[rid.value] = r
        replied = {id(x) for xs in replies.values() for x in xs}
        first = ""
        for r in records:
            if id(r) in replied:
                continue
            head = self.node(r, level, parents)
            first = first or head
            under = (*parents, head) if head and _title(r) is None else parents
            for x in replies.get(id(r), []):
                self.node(x, level, under)
        return first


def parse_json_notes(text: str, rel: str) -> list[Passage] | None:
    """Passages of a JSON notes file, or None when the file is no JSON (to be read as plain text)."""
    out = _Writer()
    try:
        # the file's values read as one array: JSON Lines' objects are records in a row, as an array's are
        out.node(Node(1, False, [(None, value) for value in scan(text)]), 1)
    except (ValueError, RecursionError):  # no JSON, or nested deeper than it can be read: its text as written
        return None
    return blocks_to_passages(out.blocks, rel)
