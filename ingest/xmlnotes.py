"""XML files of notes (``.xml``), read by what their root element says they are:

- a MediaWiki export (``<mediawiki>``, Special:Export): each page's title heads its newest revision's wikitext,
  read by ``ingest.wikitext`` on the file lines it stands on, the page's own headings one level under the title;
- an SMS backup (``<smses>``, SMS Backup & Restore): each message's text (``body``, an MMS's text parts) on the
  line of its element, under the name of the contact it was sent to or received from;
- any other XML: the text of its elements, as the HTML reader reads a page's.

A file that is no XML is read as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingest.document import Block, clean, headings_down
from ingest.htmlblock import html_blocks
from ingest.markdown import distinct_passages, string_blocks
from ingest.plaintext import read_blocks
from ingest.xmlscan import At, scan_xml, xml_bytes
from kg.model import BlockKind, Passage

XML_SUFFIXES = (".xml",)
# a character beyond the Basic Multilingual Plane written as the two UTF-16 halves it is made of, each a character
# reference ("&#55357;&#56397;", as SMS Backup & Restore writes an emoji): no XML parser reads it
SURROGATES = re.compile(
    r"&#(?:(?P<hi>5[56]\d{3})|x(?P<hix>[dD][89abAB][0-9a-fA-F]{2}));&#(?:(?P<lo>5[67]\d{3})|x(?P<lox>[dD][c-fC-F][0-9a-fA-F]{2}));"
)
LONE_SURROGATE = re.compile(r"&#(?:5[5-7]\d{3}|x[dD][89a-fA-F][0-9a-fA-F]{2});")
ROOT = re.compile(r"<(?!\?|!)(?P<name>[\w:.-]+)")  # the first element's tag, after the declaration and comments


@dataclass
class _Revision:
    timestamp: str = ""
    line: int = 0  # the file line the text starts on
    text: list[str] = field(default_factory=list)


@dataclass
class _Page:
    title: str = ""
    line: int = 0
    revisions: list[_Revision] = field(default_factory=list)


def _joined(m: re.Match[str]) -> str:
    hi = int(m.group("hi")) if m.group("hi") else int(m.group("hix"), 16)
    lo = int(m.group("lo")) if m.group("lo") else int(m.group("lox"), 16)
    if not (0xD800 <= hi <= 0xDBFF and 0xDC00 <= lo <= 0xDFFF):
        return m.group(0)
    return f"&#{0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)};"


def readable(text: str) -> str:
    """The XML with characters written as UTF-16 halves referenced one by one written as the character they
    make, and a half left alone as nothing: what a parser can read, on the same lines."""
    return LONE_SURROGATE.sub("", SURROGATES.sub(_joined, text))


def _root(text: str) -> str:
    body = re.sub(r"<!--.*?-->", "", text[:20000], flags=re.S)
    found = ROOT.search(body)
    return found.group("name").split(":")[-1].lower() if found else ""


def _wiki_pages(text: str) -> list[_Page] | None:
    pages: list[_Page] = []
    open_tags: list[str] = []

    def start(at: At, name: str, attrs: dict[str, str]) -> None:
        line = at.line
        open_tags.append(name)
        if name == "page":
            pages.append(_Page(line=line))
        elif name == "revision" and pages:
            pages[-1].revisions.append(_Revision())
        elif name == "text" and pages and pages[-1].revisions:
            pages[-1].revisions[-1].line = line
        elif name == "title" and pages:
            pages[-1].line = line

    def end(at: At, name: str) -> None:
        if open_tags:
            open_tags.pop()

    def chars(data: str) -> None:
        if not pages or not open_tags:
            return
        tag, page = open_tags[-1], pages[-1]
        if tag == "title" and len(open_tags) >= 2 and open_tags[-2] == "page":
            page.title += data
        elif tag == "timestamp" and page.revisions:
            page.revisions[-1].timestamp += data
        elif "text" in open_tags and page.revisions:  # markup left unescaped inside the text is text too
            page.revisions[-1].text.append(data)

    return pages if scan_xml(xml_bytes(text), start, end, chars) else None


def _wiki_blocks(pages: list[_Page]) -> list[Block]:
    blocks: list[Block] = []
    for page in pages:
        title = clean(page.title)
        if title:
            blocks.append(Block(BlockKind.HEADING, title, page.line, page.line, 1))
        if not page.revisions:
            continue
        newest = max(page.revisions, key=lambda r: r.timestamp)  # the page as it reads now
        read = read_blocks("".join(newest.text), "mediawiki")
        shift = newest.line - 1
        blocks += headings_down([replace(b, start=b.start + shift, end=b.end + shift) for b in read], 1 if title else 0)
    return blocks


def _sms_blocks(text: str) -> list[Block] | None:
    blocks: list[Block] = []
    heard: list[str] = []  # the contact whose messages are being read
    mms: dict[str, object] = {}

    def said(body: str, line: int, who: str) -> None:
        if not body.strip():
            return
        if who != (heard[-1] if heard else None):
            heard.append(who)
            blocks.append(Block(BlockKind.HEADING, who, line, line, 1))
        blocks.extend(string_blocks(body, line, line, 1))

    def start(at: At, name: str, attrs: dict[str, str]) -> None:
        line = at.line
        who = clean(attrs.get("contact_name", "")) or clean(attrs.get("address", ""))
        if who in ("", "(Unknown)", "null"):
            who = clean(attrs.get("address", "")) or "Messages"
        if name == "sms":
            said(attrs.get("body", ""), line, who)
        elif name == "mms":
            mms.update(who=who, line=line)
        elif name == "part" and mms and attrs.get("ct", "") == "text/plain":
            said(attrs.get("text", ""), line, str(mms["who"]))

    def end(at: At, name: str) -> None:
        if name == "mms":
            mms.clear()

    return blocks if scan_xml(xml_bytes(text), start, end) else None


def parse_xml_notes(text: str, rel: str) -> list[Passage] | None:
    """Passages of an XML file, or None when it is no XML (to be read as plain text)."""
    root = _root(text)
    if not root:
        return None
    text = readable(text)
    if root == "mediawiki":
        pages = _wiki_pages(text)
        return None if pages is None else distinct_passages(_wiki_blocks(pages), rel)
    if root == "smses":
        messages = _sms_blocks(text)
        return None if messages is None else distinct_passages(messages, rel)
    if not scan_xml(xml_bytes(text), lambda at, name, attrs: None, lambda at, name: None):
        return None  # no XML
    return distinct_passages(html_blocks(text.replace("\r\n", "\n").replace("\r", "\n"), 1), rel)
