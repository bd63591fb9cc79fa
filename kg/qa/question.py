"""Question analysis: normalise names, find the services asked about, detect what kind of answer is wanted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.model import QuestionKind
from kg.qa.lexicon import Lexicon, ServiceMention
from kg.text import content_terms, fold, identifiers, squash, stem
from kg.units import CURRENCY_SIGNS, UNITS
from kg.vocab import FRAME_WORDS, MEASURE_ADJECTIVES, MEASURE_WORDS, PRICE_WORDS, word_pattern

_PRICING = re.compile(word_pattern(PRICE_WORDS) + rf"|[{CURRENCY_SIGNS}]")
# "can people pay by card", "pay with cash or online": how one pays, not how much
_PAY_MEANS = re.compile(
    r"\bpay(?:s|ing)?\s+(?:by|with|via|using|through|online\b|in\s+(?:cash|card|person)\b)(?:\s+\w+)?"
)
# "how much was the ph meter", "how much are lessons with dave now": a thing's "how much" is its price, and so is
# what one spends, sells it for or earns; unless another measure is named ("how much is the storage limit")
_PRICE_ASKED = re.compile(
    r"\bhow much (?:is|was|are|were|would|will)\b"
    r"|\bhow much\b.*\b(?:spend|spends|spent|sell|sells|sold|earn|earns|earned|owe|owes|owed|quote|quoted|"
    r"set (?:me|us|you|him|her|them) back)\b"
)
_OTHER_MEASURE = re.compile(
    word_pattern(
        {w for family, said in MEASURE_WORDS.items() if family != "money" for w in said.split()}
        | {"limit", "limits", "max", "maximum", "min", "minimum", "worth", "left", "in it", "in there", "difference"}
    )
)
_NUMBER = re.compile(
    r"\bhow (?:many|much|long|big|large|fast|quickly|often|far)\b|\b(?:max|maximum|min|minimum|limit|limits|"
    r"largest|smallest|biggest|size|timeout|increments?|frequency|resolution|latency|length|"
    r"duration|period|retention|number of|what year|when was|how soon|step size|capacity|lag|percent|percentage)\b"
    # a port, a version: numbers asked for by name ("which port does ...", "consul dns port", "in which
    # version was ...")
    r"|\b(?:which|what|default)\s+(?:[\w.-]+\s+){0,2}?(?:port|version|release)\b"
    r"|\b(?:port|version|release)(?:\s+(?:number|range))?\s*\??$|\bversion that\b"
)
_COMPARISON = re.compile(
    r"\bvs\.?\b|\bversus\b|\bcompared?\b|\bcomparison\b|\bdiffer(?:s|ence|ent)?\b|\binstead of\b|"
    r"\b(?:better|cheaper|faster|easier|harder|slower|more|less)\b.*\bthan\b|\bwhich one\b|"
    r"\b(?:is|are)\b.*\b(?:better|cheaper|faster|easier|harder|slower)\b|\bwhich\b.*\b(?:cheaper|faster|better)\b|"
    r"\bor\b.*\bwhich\b|\bwhich\b.*\bor\b"
)
_LIST = re.compile(
    r"\b(?:list|what are the (?:\w+ )?(?:types|kinds|options|models|components|ways|building blocks|"
    r"methods|steps|parts)|which (?:\w+ ){0,3}(?:are|can)\b.*\b(?:types|options|rules|records|models)|"
    r"(?:types|options|kinds|methods) of|building blocks|three|four|five|where can)\b"
    # "all the parts", "all the regions": things in the plural ("cope with all the stomach acid" names no list)
    r"|\ball the (?:[\w-]+\s+){0,2}?[a-z]+[^isu\W]s\b"
    # "the 3 interests damages protect", "the 5 steps of ...": a count of things, each to be named
    r"|\bthe\s+(?:[2-9]|two|three|four|five|six|seven|eight|nine|ten)\s+(?:[a-z]+\s+)?[a-z]+s\b"
    # "what job types does nomad have", "what restart modes are there": a category asked for in the plural
    r"|\bwhat (?:\w+ ){0,2}(?:types|kinds|options|modes|methods|strategies|states|levels|classes|tiers)\s+"
    r"(?:does|do|are|can|is|exist)\b"
    r"|^(?!what|how|why|when|where|who|is |are |do |does |can )[^?]*\b(?:options|types|kinds|methods|choices|"
    r"strategies)\s*\??$"
    # what a thing is made of or came with ("what goes into SOC", "what went with H4", "the checklist - what's on
    # it"), or the parts it is in nouns that name a whole series ("elements of promissory estoppel", "criteria
    # to go back to sport")
    r"|\bwhat (?:goes|go|went|gets|got|came|comes) (?:into|in|with)\b|\bwhat(?:'s|s| is| was| are)? on it\b"
    r"|^(?!.*\b(?:number of|max|min|maximum|minimum)\b).*\b(?:elements|criteria|ingredients|stages|phases)\b"
)
_DEFINITION = re.compile(
    # "what is the default ..." asks a setting's value, not what something is
    r"^(?:what(?:'s| is| are| does)|define|definition of|meaning of|explain)\b(?!.*\b(?:how|many|much|the defaults?)\b)"
    r"|\bstand for\b|\bmean\b|\bused for\b|\bdefinition\b|\bwhat does .* do\b|\bmeaning\b(?!\s+of\b)"
)
_BEST = re.compile(
    r"\b(?:should i|should an?|should my|should the|best way|best practice|recommended|recommend|prefer|"
    r"good for|how should|right way|avoid)\b"
)
# "... Which CLI command of that service ..." -- a second clause that points back at the first.
_BACKREF = re.compile(r"\b(?:that|those|this|these|such|the same)\s+(?:\w+\s+){0,2}?(?:\w+)\b")


@dataclass(frozen=True)
class Query:
    text: str  # as asked
    normalised: str  # with corrected names
    kind: QuestionKind
    services: tuple[str, ...]  # service ids named, in order
    mentions: tuple[ServiceMention, ...] = ()
    terms: tuple[str, ...] = ()  # content terms, stemmed
    service_terms: frozenset[str] = frozenset()  # terms that only name a service
    unit_family: str | None = None  # "time", "size" ... when the question names a unit
    unit: str | None = None
    corrections: tuple[str, ...] = ()
    clauses: tuple[str, ...] = field(default_factory=tuple)  # for multi-hop questions
    compared: tuple[str, ...] = ()  # the two sides of "X vs Y"
    asked: str | None = None  # the noun naming what is asked for ("which curve", "... default port")
    codes: tuple[str, ...] = ()  # identifiers typed (io1, fetch.max.bytes), squashed (kg.text.identifiers)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, QuestionKind):  # built by hand with a plain string
            object.__setattr__(self, "kind", QuestionKind(self.kind))


# A few words naming a plural thing, with no question word or verb: a request for a list.
_TERSE_PLURAL = re.compile(
    r"^(?!.*\b(?:what|which|how|why|when|where|who|is|are|does|do|can|should|will|vs)\b)"
    # the plural is the head noun, not the one a "for ..." names ("feature flag for native histograms"); a word
    # ending in -is, -us or -ss is none ("redis", "status", "class")
    r"(?:(?!\b(?:for|in|of|on|with)\b)[\w\s/@.-]){0,40}\b[a-z]{3,}[^isu\W]s\b"
    r"(?:\s+(?:for|in|of|on|with)\s+[\w\s/@.-]{1,25})?\s*\??$"
)
_VERSUS = re.compile(r"\bvs\.?\b|\bversus\b")
_HOW_MANY = re.compile(r"\bhow (?:many|much|long)\b")
_WHICH_PLURAL = re.compile(
    r"\b(?:which|what are(?: the)?|what kinds of|what types of)\b(?:\s+\S+){0,4}?\s+"
    r"(?:types|options|rules|records|models|methods|kinds|components|services|features|ways|steps|parts|"
    r"protocols|platforms|languages|strategies|policies)\b"
)
# any plural asked for before its verb ("which parsers does logql have", "what actions can a monitor trigger"),
# unless a figure or advice is asked (read first) or one is singled out ("which airways have the highest ...")
_ASKED_PLURAL = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,3}?[a-z]{2,}[^isu\W]s\s+(?:are|were|do|does|did|can|could|will|would|"
    r"should|have|has|exist|measure|support)\b"
    r"(?!.*\b(?:most|least|best|worst|highest|lowest|largest|smallest|biggest|fastest|slowest|cheapest)\b)"
    # "engine checks WOBBLE, what are the letters", "what were the causes of the war": things asked for by
    # their plural, at the end of the question or before what they belong to
    r"|\bwhat (?:are|were) (?:the|its|their|my|our) (?:[\w-]+\s+){0,2}?[a-z]{2,}[^isu\W]s"
    r"(?:\s+(?:of|in|for|on)\b.*)?\s*\??$"
)


def detect_kind(q: str, n_clauses: int) -> QuestionKind:
    # a quoted word is a name ("'better' rules"), not part of the question's frame
    q = re.sub(r"(?<!\w)['\"][^'\"]{1,40}['\"](?!\w)", " quoted ", fold(q))
    if n_clauses >= 2:
        return QuestionKind.MULTI_HOP
    if _VERSUS.search(q):
        return QuestionKind.COMPARISON
    if _PRICING.search(q if "how much" in q else _PAY_MEANS.sub(" ", q)):
        return QuestionKind.PRICING
    if _PRICE_ASKED.search(q) and not _OTHER_MEASURE.search(q):
        return QuestionKind.PRICING
    if _COMPARISON.search(q):
        return QuestionKind.COMPARISON
    if not _HOW_MANY.search(q) and (_LIST.search(q) or _WHICH_PLURAL.search(q)):
        return QuestionKind.LIST
    if _BEST.search(q):
        return QuestionKind.BEST_PRACTICE
    if _NUMBER.search(q):
        return QuestionKind.NUMBER
    if _ASKED_PLURAL.search(q):
        return QuestionKind.LIST
    if _DEFINITION.search(q):
        return QuestionKind.DEFINITION
    return QuestionKind.FEATURE


# "the serverless compute service that S3 can invoke", "the service beanstalk relies on": a thing named
# only by what it does, to be found first.
_THING = (
    r"\bthe\s+(?P<noun>(?:[\w-]+\s+){0,3}?(?:service|services|tool|feature|database|store|component|"
    r"resource|function|functions|one|thing|platform|system|type|kind|option))\s+"
)
_DESCRIBED = [
    # "the cheapest s3 storage class": find which one first
    re.compile(
        r"\bthe\s+(?P<desc>(?:cheapest|fastest|slowest|largest|smallest|newest|oldest|most expensive|"
        r"least expensive|most durable)\s+(?P<noun>[\w/@.-]+(?:\s+[\w/@.-]+){0,3}?))(?=\s*(?:[,?;]|$))",
        re.I,
    ),
    re.compile(_THING + r"(?:that|which)(?:'s|\s+is)?\s+(?P<desc>[^,?;]+)", re.I),
    re.compile(
        _THING + r"(?P<desc>[\w@-]+(?:\s+[\w@-]+)?\s+(?:relies on|depends on|runs on|is built on|uses))\b", re.I
    ),
]


# A thing described by a clause of its own: "the verb whose preterite stem is pus", "the fund my HSA is
# invested in", "the oil I sear the steak in".
# ... or by a clause with a subject of its own: "the instance type the app servers were moved to", "the band the
# club net is on"
_CLAUSE = (
    r"(?:that|thats|which|whose|who|where|(?:i|we|you|my|our|your)\s+[\w'-]+"
    r"|(?:the|a|an|my|our|your)\s+(?:[\w'-]+\s+){0,2}?[\w'-]+\s+(?:was|were|is|are|got|gets|had|has|did|does)"
    r")"
)
_WORD = (
    r"(?!(?:in|of|on|for|at|to|with|by|from|and|or|if|when|as|than|not|can|could|do|does|did|is|are|was|were|"
    r"will|would|should|has|have|had|once|since|after|before|until|while|because)\b)[\w/@.-]+"
)
_NOUN = r"(?P<noun>(?:" + _WORD + r"\s+){0,3}?" + _WORD + ")"
_DESCRIBED_THING = re.compile(r"^(?:the|a|an)\s+" + _NOUN + r"\s+(?P<desc>" + _CLAUSE + r"\b.+)$", re.I)
# ... and asked about: "what port is the boundary piece that relays my traffic", "future stem of the verb
# whose ...": a preposition or a verb before it, not "what is the thing that ..." (which asks for the thing)
_ASKED_OF_THING = re.compile(
    r"^(?P<head>.*?\b(?:of|for|in|on|at|from|by|with|to|into|does|do|did|is|are|was|were|has|have|had))\s+"
    r"(?P<article>the|that)\s+" + _NOUN + r"\s+(?P<desc>" + _CLAUSE + r"\b[^,?;]*)",
    re.I,
)
_ONLY_ASKS_THING = re.compile(r"^(?:what|which|who)(?:'s|\s+is|\s+are|\s+was|\s+were)?$", re.I)
# a pronoun pointing back at the thing the first part described ("... - what's its smoke point?")
_PRONOUN = re.compile(r"\b(?:its|it|their|they|them|he|she|his|her|him)\b")


_SET_APART = re.compile(r"\s+-\s+|,\s+|;\s+")
_NAMED_THING = re.compile(r"^(?:the|that|whatever|whichever)\s+\S+\s+\S", re.I)  # three words or more
# ... or a bare noun and its clause, when what follows asks of it ("printer that threw thermal runaway in nov -
# what nozzle size is on it"; not "lifecycle scripts that fire on npm pack, in order", which asks for them)
_BARE_THING = re.compile(r"^[\w-]+(?:\s+[\w-]+){0,2}\s+(?:that|which|who)\b", re.I)
_ASKS = re.compile(r"\b(?:what|whats|which|how|when|who|where)\b", re.I)


def split_clauses(q: str) -> tuple[str, ...]:
    """Two steps: two sentences where the second refers back to the first, or a question about a thing
    described by a relative clause (first find the thing, then ask about it)."""
    parts = [p.strip() for p in re.split(r"(?<=[.?!])\s+|\s+-\s+|;\s+", q.strip()) if p.strip()]
    if len(parts) >= 2:
        later = fold(" ".join(parts[1:]))
        first = " ".join(parts[:-1])
        if _BACKREF.search(later) or (_PRONOUN.search(later) and _DESCRIBED_THING.match(first)):
            return (first, parts[-1])
    for pattern in _DESCRIBED:
        m = pattern.search(q)
        if m:
            rest = (q[: m.start()] + "the " + m.group("noun") + q[m.end() :]).strip()
            return (m.group("desc").strip(), rest)
    m = _ASKED_OF_THING.match(q)
    if m and not _ONLY_ASKS_THING.match(m.group("head").strip()):
        rest = (q[: m.start("article")] + "the " + m.group("noun") + q[m.end() :]).strip()
        return (f"{m.group('noun')} {m.group('desc')}".strip(), rest)
    # "the PFP marathoner - what's the real race date", "the printer next to the window, how hot can its
    # hotend go": a thing named by what is said of it, set apart before what is asked of it
    apart = _SET_APART.split(q.strip(), maxsplit=1)
    if (
        len(apart) == 2
        and apart[1].strip(" ?")
        and (
            _NAMED_THING.match(apart[0])
            or (_BARE_THING.match(apart[0]) and (_ASKS.search(apart[1]) or _PRONOUN.search(fold(apart[1]))))
        )
    ):
        return (apart[0].strip(), apart[1].strip())
    return ()


# Unit words a question's terms leave out ("how many seconds"); names of physical measures stay ("mile
# repeats", "a cup of stock"): they also name things.
UNIT_TERMS = frozenset(
    stem(u)
    for u, (_, family, _f) in UNITS.items()
    if u.isalpha() and len(u) > 1 and family in ("time", "size", "percent")
) - {"x"}
# Unit spellings that are other words in a question ("mi", "g", "v") or name a thing more than a measure ("a mile").
_NOT_UNITS_ASKED = frozenset(
    """x min mi g v w l ma mw mv kv kw wh hpa ml cm cl dl lb ft atm deg kt mile foot inch yard kilo gram cup
    ounce ul m bar db ah ns mo cc""".split()
)
_MEASURE = {w: fam for fam, ws in MEASURE_WORDS.items() for w in ws.split()}
_SQUARE = frozenset(("square", "sq"))  # before a length unit, an area's: "square metres", "sq ft"
_SQUARED = {"meters": "m²", "cm": "cm²", "km": "km²", "ft": "sq ft", "inches": "sq in"}


_SIDES = re.compile(
    r"(?P<a>[\w/@.-]+(?:\s+[\w/@.-]+){0,2})\s+(?:vs\.?|versus|or|compared to|instead of|than)\s+"
    r"(?:an?\s+|the\s+|plain\s+)?(?P<b>[\w/@.-]+(?:\s+[\w/@.-]+){0,2})"
)


# a comparative or "which": the question weighs one side against the other
_WHICH_SIDE = re.compile(
    r"\b(?:which|cheaper|pricier|dearer|costlier|more|less|fewer|bigger|larger|smaller|higher|lower|longer|shorter|"
    r"faster|slower|quicker|heavier|lighter|better|worse|newer|older|stronger|weaker|wider|narrower|warmer|colder|"
    r"hotter|cooler)\b"
)


def compared_sides(q: str) -> tuple[str, ...]:
    m = _SIDES.search(fold(q))
    if not m:
        return ()

    def keep(w: str) -> bool:
        return w not in FRAME_WORDS and w != "use" and any(ch.isalnum() for ch in w)

    a = [w for w in m.group("a").split() if keep(w)]
    b = [w for w in m.group("b").split() if keep(w)]
    return (" ".join(a[-2:]), " ".join(b[:2])) if a and b else ()


# "is it fine to park here": all right, not a fine to pay
_FINE_AS_WELL = frozenset("is it its s be are am im was were feel feels felt look looks seem seems all that".split())
# "how long can a table name be (in postgres)": how long a thing may be, not how long something lasts
_LENGTH_ASKED = re.compile(
    r"\bhow long (?:can|could|may|must|should|will|is|are)\b[^?]*?\bbe(?:\s+(?:in|on|for|of|with)\b[^?]*)?\s*\??$"
)


# A unit word after a number, an article or a quantifier names a period or an amount the question is about
# ("3 year commitment", "a month", "per week", "these days"), not the unit it asks in; so does a period
# spelt out in the singular ("golden hour", "flag day", "on call week").
_UNIT_CONTEXT = frozenset("a an per each every one this that these those last next first same whole".split())
_PERIODS_SINGULAR = frozenset("second minute hour day week wk month year yr".split())
# What may follow a measure noun that names what is asked ("size of", "price per", "timeout default") rather
# than describe the next noun ("storage class", "price controls", "memory usage").
_AFTER_ASKED_MEASURE = frozenset(
    """of for per in on at to with from by over under above below between about into through during within
    without across around near is are was were be does do did should can could would will has have if when
    before after and or than vs i we you it they my our your the a an this that these those each every default
    defaults max maximum min minimum""".split()
)


def question_unit(q: str) -> tuple[str | None, str | None]:
    """The unit and unit family a question asks its figure in: a unit it names ("in ms", "how many GB"), else
    a word asking for a measure ("timeout", "how big", "what does it cost")."""
    folded = fold(q)
    toks = re.findall(r"[a-z%]+\+*|\d[\d.,/]*", folded)  # "sec+" is no unit; numbers kept to tell "3 year"
    for i, tok in enumerate(toks):
        before = toks[i - 1] if i else ""
        if before[:1].isdigit() or before in _UNIT_CONTEXT or tok in _PERIODS_SINGULAR:
            continue  # also "what year ...": a date is asked, not a length of time
        if before in _SQUARE and tok in UNITS and UNITS[tok][1] == "length":
            return _SQUARED.get(UNITS[tok][0]), "area"  # "in square metres", "how many sq ft"
        if tok in UNITS and tok not in _NOT_UNITS_ASKED:
            unit, family, _factor = UNITS[tok]
            return unit, family
    for i, tok in enumerate(toks):
        if tok not in _MEASURE or (tok == "long" and _LENGTH_ASKED.search(folded)):
            continue  # "how long can a table name be": a length, in characters or bytes as much as in time
        if tok == "fine" and i and toks[i - 1] in _FINE_AS_WELL:
            continue
        if tok in MEASURE_ADJECTIVES:
            if i and toks[i - 1] == "how":
                return None, _MEASURE[tok]
        elif i + 1 == len(toks) or toks[i + 1] in _AFTER_ASKED_MEASURE or toks[i + 1][:1].isdigit():
            return None, _MEASURE[tok]
    return None, None


# The noun a question asks for: the last word of the phrase after "which" / "what" / "how many", before the
# verb or preposition that follows it ("which ecdsa curve does ...", "how many wrong passwords does ...").
_ASKED = re.compile(
    r"\b(?:how many|which|what(?:'s| is| are)? the|what)\s+(?P<phrase>(?:[\w/.@-]+\s+){0,4}?[\w/.@-]+?)\s+"
    r"(?:does|do|is|are|was|were|can|could|should|would|will|did|has|have|of|for|in|on|to|at|from|by|with|"
    r"before|after|per|that|when|if|it|i|you|we|they|uses|defines|means|needs|allows|supports|runs|makes|"
    r"gets|gives|sets|requires|keeps|stores|provides|lets)\b"
)
# A terse question ends on the noun it asks for ("haproxy stats page default port"); a question word or a
# verb makes it a sentence, whose last word is not that noun.
_SENTENCE = re.compile(
    r"\b(?:what|which|who|why|when|where|how|is|are|does|do|did|can|could|should|will|would|was|were|has|have|"
    r"vs|versus|or)\b"
)
_NOT_ASKED = FRAME_WORDS | {"default", "defaults"}


def asked_noun(q: str, service_terms: frozenset[str] = frozenset()) -> str | None:
    """The word naming what the question asks for, or None when the question does not name one."""
    text = re.sub(r"[?!.]+\s*$", "", fold(q)).strip()
    m = _ASKED.search(text)
    if m:
        phrase = [w for w in m.group("phrase").split() if w not in _NOT_ASKED]
    elif not _SENTENCE.search(text):
        phrase = [w for w in text.split() if w not in _NOT_ASKED]
    else:
        return None
    phrase = [w for w in phrase if any(ch.isalpha() for ch in w) and stem(w) not in service_terms]
    return phrase[-1] if phrase else None


def analyse(question: str, lexicon: Lexicon, normalised_as: tuple[str, list[str]] | None = None) -> Query:
    """What the question asks; ``normalised_as``: ``lexicon.normalise(question)`` when already done."""
    normalised, fixes = normalised_as or lexicon.normalise(question)
    mentions = lexicon.mentions(normalised)
    services = tuple(dict.fromkeys(m.service for m in mentions))
    service_terms = frozenset(t for m in mentions for t in content_terms(m.phrase))
    named = {squash(w) for m in mentions for w in m.phrase.split()}
    clauses = split_clauses(normalised)
    unit, family = question_unit(normalised)
    kind = detect_kind(normalised, len(clauses))
    compared = compared_sides(normalised)
    if (
        kind in (QuestionKind.PRICING, QuestionKind.NUMBER, QuestionKind.FEATURE)
        and compared
        and _WHICH_SIDE.search(fold(normalised))
    ):
        # "a100 or h100 - which is cheaper per gpu hour", "more vram: l40s or a100?": two sides and a comparative
        # ask which side wins, whatever the figure the sides are weighed by
        kind = QuestionKind.COMPARISON
    asked = content_terms(normalised)
    content = [t for t in asked if t not in service_terms]
    if kind is QuestionKind.FEATURE and services and not content:
        # a bare name ("S3", "what about lambda"): say what it is, even when it ends in s ("Kinesis")
        kind = QuestionKind.DEFINITION
    elif kind is QuestionKind.FEATURE and not unit and _TERSE_PLURAL.search(fold(normalised)):
        # "firehose destinations", "codedeploy deployment configs for ec2" (not "... in bytes")
        kind = QuestionKind.LIST
    if (
        kind in (QuestionKind.FEATURE, QuestionKind.DEFINITION)
        and family not in (None, "money")
        and not _DEFINITION.search(fold(normalised))
    ):
        kind = QuestionKind.NUMBER  # "lambda /tmp disk space", "temp for a medium-rare steak": a measure is asked for
    return Query(
        text=question,
        normalised=normalised,
        kind=kind,
        services=services,
        mentions=tuple(mentions),
        # units say what form the answer takes ("in GB"), not what it is about
        terms=tuple(t for t in asked if t not in UNIT_TERMS),
        service_terms=service_terms,
        unit_family=family,
        unit=unit,
        corrections=tuple(fixes),
        clauses=clauses,
        compared=compared,
        asked=asked_noun(normalised, service_terms) if kind is not QuestionKind.DEFINITION else None,
        # a service's name is no identifier to look for ("EC2"): the service signals weigh it
        codes=tuple(c for c in identifiers(question) if c not in named),
    )
