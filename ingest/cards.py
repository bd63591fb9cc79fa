"""Flashcard lines, for the Markdown and the plain-text reader alike: ``Q: ...`` / ``A: ...`` pairs,
Cornell notes' ``CUE: ...`` / ``NOTES: ...`` pairs and ``term :: definition`` cards (Anki and similar
exports).

A card is read as one passage: the answer's (or definition's) text, under its question (or term) as its
section, so that a question worded like the card's finds the answer and the answer is what is said. Its
lines run from the question to the answer, so the citation shows both.
"""

from __future__ import annotations

import re

from ingest.document import Block
from kg.model import BlockKind

CARD = re.compile(r"(?P<label>[QA]|CUE|NOTES):\s+(?=\S)")
QUESTIONS = ("Q", "CUE")
# "EDNS0 :: extension ...": spaces around '::' (Logseq's "key:: value" properties and C++'s "std::map" have none)
DEFINITION = re.compile(r"(?P<term>\S[^:]{0,60}?)\s+::\s+(?=\S)")


def is_card(line: str) -> bool:
    s = line.strip()
    return bool(CARD.match(s) or DEFINITION.match(s))


class CardReader:
    """Pairs answers with the question right before them while a reader emits its blocks."""

    def __init__(self) -> None:
        self.question: Block | None = None

    def forget(self) -> None:
        """Anything but an answer after a question: the question stands alone."""
        self.question = None

    def block(self, text: str, start: int, end: int, parents: tuple[str, ...], lead: str) -> tuple[Block, bool]:
        """The block of one line of text that may be a card, and whether it replaces the block before it
        (an answer takes its question's place). The Q:/A: labels are dropped like list marks."""
        card = CARD.match(text)
        if card is None:
            self.question = None
            definition = DEFINITION.match(text)
            term = (definition.group("term").strip(),) if definition else ()
            return Block(BlockKind.PARAGRAPH, text, start, end, parents=(*parents, *term), lead=lead), False
        body = text[card.end() :].strip()
        if card.group("label") in QUESTIONS:
            self.question = Block(BlockKind.PARAGRAPH, body, start, end, parents=parents, lead=lead)
            return self.question, False
        question, self.question = self.question, None
        if question is None:  # "NOTES: ..." on its own is a line of notes like any other
            said = body if card.group("label") == "A" else text
            return Block(BlockKind.PARAGRAPH, said, start, end, parents=parents, lead=lead), False
        parents = (*question.parents, question.text)
        return Block(BlockKind.PARAGRAPH, body, question.start, end, parents=parents, lead=question.lead), True
