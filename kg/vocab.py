"""The project's one vocabulary: every cue-word list the reader and the answerer share, each said once.

A list here is English grammar (function words, finite verbs), never words of a particular notes file.
"""

from __future__ import annotations

import re

# A finite verb between spaces: a line with one is a sentence, not a title or a list item's name.
FINITE_VERB = re.compile(
    r"\s(?:is|are|was|were|can|should|will|must|has|have|had|allows?|needs?|means|lets|gets|uses|does|do)\s",
    re.I,
)

# Function words that do not count when a phrase's initials spell an acronym ("Simple Queue Service" → SQS).
STOP_INITIAL = frozenset({"and", "of", "the", "for", "to", "in", "on", "a", "an"})

# Words that name a document or a part of one, not a thing it is about: "My AWS Study Notes", "Kinesis
# Overview", "Cheat sheet". A heading made only of these is a title or a topic, never a subject; the
# subject of "Kinesis Overview" is what is left once they are set aside.
DOCUMENT_WORDS = frozenset(
    "my our notes note study guide overview summary introduction intro cheatsheet cheat sheet reference "
    "chapter lesson module section exam review tutorial basics fundamentals recap misc miscellaneous index "
    "readme draft todo".split()
)

# Words a line cannot end on when the thought is complete: a line ending on one wraps onto the next.
OPEN_ENDINGS = frozenset(
    "a an the to of by for with and or nor our your their its my in on at from into onto that this these "
    "those is are was were be been as than via using use per if when where which who whose but so such "
    "not no also can could should would will may might must do does".split()
)
