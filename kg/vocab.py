"""The project's one vocabulary: every cue-word list the reader and the answerer share, each said once.

A list here is English grammar (function words, finite verbs) or the everyday words of limits and prices,
never words of a particular notes file. Modules build their regular expressions from these lists with
``word_pattern`` rather than spelling the words again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def word_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of the words (or phrases) whole: ``\\b(?:cost|costs)\\b``.
    Longest first, so a phrase wins over a word it starts with; spaces match any run of spaces."""
    alternatives = sorted(set(words), key=lambda w: (-len(w), w))
    return r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in alternatives) + r")\b"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A finite verb between spaces: a line with one is a sentence, not a title or a list item's name.
FINITE_VERB = re.compile(
    r"\s(?:is|are|was|were|can|should|will|must|has|have|had|allows?|needs?|means|lets|gets|uses|does|do)\s",
    re.I,
)

# Function words that do not count when a phrase's initials spell an acronym ("Simple Queue Service" → SQS).
STOP_INITIAL = _words("and of the for to in on a an")

# Function words left out of search terms: they say nothing about what a question or a line is about (with
# the ones typed on a phone: "ur", "pls", "abt", "idk").
STOPWORDS = _words(
    """a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could did do does doing don't down during each either else
    etc ever every few for from further get gets got had has have having he her here hers him his how i if
    in into is isn't it it's its itself just let lets like may me might more most much must my nor
    now of off on once one or other our ours out over own per please same shall she should so some
    such than that that's the their theirs them then there these they this those through to too under until
    up upon us very via was we were what what's when where which while who whom whose why will with
    within without would you your yours whats hows i'm i've ive im should've ex e.g eg i.e ie
    ur pls plz thx cuz coz abt lol tbh ngl idk"""
)

# Words that make a number approximate ("about 100 ms", "roughly 5 GB"): the extractor marks the fact
# "approx", a label loses them, and in a question they say what form the answer takes.
APPROX_WORDS = _words("about around approx approximately roughly nearly")

# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = APPROX_WORDS | _words(
    """what which who whom whose when where why how many much long big large small often quickly
    tell explain describe define definition mean means meaning does do is are can could should would
    will there kind type kinds types way ways best good need needs want know exactly main common usually
    typically really actually happen happens stand stands called call vs versus introduced launched released
    announced difference differences compare comparison"""
)

# Words that are not what a question is about: a question of only these and a name asks what the name is.
FRAME_WORDS = STOPWORDS | QUESTION_WORDS

# Ways of saying an upper or a lower bound: questions say "largest", notes say "max".
MAX_WORDS = _words("max maximum")
MIN_WORDS = _words("min minimum")
MORE_WORDS = _words("largest biggest highest longest most")  # all mean the maximum
LESS_WORDS = _words("smallest lowest least")  # all mean the minimum

# Ways of saying what something costs: notes write "costs", "price", "charge" interchangeably.
COST_SAYINGS = _words("costs costing price prices priced pricing charge charges charged")
# Words that say something costs money: in a question they ask for a price, in a line they state one.
COST_WORDS = COST_SAYINGS | _words("cost pay paid paying bill billed billing fee fees expensive cheap cheaper cheapest")
# Everything that makes a question a price question: costs, savings, nothing to pay, and money itself.
PRICE_WORDS = COST_WORDS | _words(
    "free discount discounts discounted dollar dollars cent cents money cash rent rents salary salaries wage wages"
)

# Words said for the same thing: each is searched as the word it maps to.
SYNONYMS: dict[str, str] = {
    **{w: "max" for w in MORE_WORDS | (MAX_WORDS - {"max"})},
    **{w: "min" for w in LESS_WORDS | (MIN_WORDS - {"min"})},
    "cheapest": "cheap",
    "cheaper": "cheap",
    "savings": "saving",
    **{w: "cost" for w in COST_SAYINGS},
    # doing a job: notes say "execution", users say "run"
    **{w: "execute" for w in "run runs running ran executes execution executions executed executing".split()},
    # answering: notes say "returns", users say "gives back"
    **{w: "returns" for w in "return returned returning".split()},
}

# Contractions spelt out, so "can't" and "cannot" meet "can not".
CONTRACTIONS = {
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "shouldn't": "should not",
    "wouldn't": "would not",
    "couldn't": "could not",
    "haven't": "have not",
    "hasn't": "has not",
}

# Words that ask for a quantity of one kind without naming its unit, by unit family.
MEASURE_WORDS = {
    "time": "timeout timeouts long duration period retention lag latency wait delay frequency often "
    "quickly fast soon expire expiry expiration interval",
    "size": "size big large largest biggest memory storage space disk",
    "money": "cost costs price charge pay fee fees fare fares fine fines toll tolls tuition",
    "temperature": "temperature temp temps hot",
    "mass": "weigh weighs weight heavy",
    "length": "distance altitude height tall depth deep",
    "speed": "speed velocity",
    "pressure": "pressure",
    "area": "area acreage footprint",
}
# Of those, the words that ask for a quantity only after "how" ("how long", "how big"): elsewhere they describe
# a thing ("long polling", "a big capacitor", "the hot break").
MEASURE_ADJECTIVES = _words("long big large largest biggest fast quickly soon often hot heavy tall deep")

# A question asking for a setting's default value: "default port", "out of the box", "if unset".
DEFAULT_ASKED = re.compile(r"\bdefaults?\b|\bout of the box\b|\bif (?:not|un)set\b", re.I)

# Billing periods: "$0.0065 per hour" is a price even without a currency unit after the number.
PERIODS = _words("hour hours month months day days year years second seconds minute minutes")

# Words that can sit between a number and the noun it counts ("5 read replicas", "10 detailed metrics").
NUMBER_GAP_WORDS = _words(
    """a an the of to in on at for with and or by from per is are was be as than that this it its you your
    if then up down over under more less not no can will may must"""
)

# Words stripped from the ends of a fact's label: cue words and fillers say nothing about what is measured.
LABEL_FILLER = (
    APPROX_WORDS
    | MAX_WORDS
    | MIN_WORDS
    | _words(
        """is are was be been can could will of to the a an up at least most over under only sub cost costs
        have has had get gets with within by for in on from than more less it there which that usually always
        just also then and or each every per as into after before first vs you we they your our i choose use
        set take need there's"""
    )
)
# Bound words a label keeps at its start: "maximum message size" says which bound it is.
LABEL_KEEP_FIRST = MAX_WORDS | MIN_WORDS | {"default"}

# Words that name a document or a part of one, not a thing it is about: "My AWS Study Notes", "Kinesis
# Overview", "Cheat sheet". A heading made only of these is a title or a topic, never a subject; the
# subject of "Kinesis Overview" is what is left once they are set aside.
DOCUMENT_WORDS = frozenset(
    "my our notes note study guide overview summary introduction intro cheatsheet cheat sheet reference "
    "chapter lesson module section exam review tutorial basics fundamentals recap misc miscellaneous index "
    "readme draft todo".split()
)

# Words that open a title as someone's own collection: "My AWS Study Notes", "Our team runbook".
POSSESSIVES = frozenset({"my", "our", "team's", "teams"})

# Words a line cannot end on when the thought is complete: a line ending on one wraps onto the next.
OPEN_ENDINGS = frozenset(
    "a an the to of by for with and or nor our your their its my in on at from into onto that this these "
    "those is are was were be been as than via using use per if when where which who whose but so such "
    "not no also can could should would will may might must do does".split()
)

# A question that asks to name one of several things ("which mode ...", "what kind of index ...", "A vs B,
# which ..."): the answer says the name of the item or heading the answering line belongs to.
ASKS_NAME = re.compile(r"\bwhich\b|\bwhat (?:kind|type|sort)s? of\b|\bvs\.?(?=\s)|\bversus\b", re.I)
