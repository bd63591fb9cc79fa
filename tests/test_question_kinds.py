"""Question analysis without the model: the kind of answer wanted, what the question is about, the unit asked.

The lexicon is built from three hand-made services, no notes and no index.
"""

from __future__ import annotations

import pytest

from kg.model import Passage, QuestionKind, Service
from kg.qa.lexicon import Lexicon
from kg.qa.question import Query, analyse
from kg.text import stem

SERVICES = [
    Service("kafka", "Kafka"),
    Service("rabbitmq", "RabbitMQ"),
    Service("postgresql", "PostgreSQL", ("Postgres",)),
]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(SERVICES, [])


def ask(lexicon: Lexicon, question: str) -> Query:
    return analyse(question, lexicon)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # a count or a size: the answer is a number with its unit
        ("how many partitions can a kafka topic have", QuestionKind.NUMBER),
        ("What is the largest message Kafka accepts in MB?", QuestionKind.NUMBER),
        # a duration asked without "how long": the measure word says a number is wanted
        ("kafka retention period", QuestionKind.NUMBER),
        ("oven temp for the kafka team pizza night", QuestionKind.NUMBER),  # a measure asked by its word
        ("how heavy is the kafka broker rack", QuestionKind.NUMBER),
        # ports, versions and percentages are numbers asked for by name
        ("which port does the kafka broker listen on", QuestionKind.NUMBER),
        ("rabbitmq management ui port", QuestionKind.NUMBER),
        ("in which postgres version was MERGE added", QuestionKind.NUMBER),
        ("what percentage of memory does rabbitmq use before it blocks publishers", QuestionKind.NUMBER),
        # money words win over "how much": the answer is a price, not any number
        ("how much does a postgres replica cost", QuestionKind.PRICING),
        ("what does a kafka broker cost per hour", QuestionKind.PRICING),
        ("is there a free tier for rabbitmq", QuestionKind.PRICING),
        ("how much cash does a kafka support contract take", QuestionKind.PRICING),  # money by its name
        # how one pays is no price; how much one pays is
        ("can people pay by card for the kafka course", QuestionKind.FEATURE),
        ("how much do i pay by card for the kafka course", QuestionKind.PRICING),
        # a thing's "how much" is its price, and so is what one spends, sells it for or earns ...
        ("how much was the kafka streams book", QuestionKind.PRICING),
        ("how much are rabbitmq support hours now", QuestionKind.PRICING),
        ("how much did we spend on the postgres training", QuestionKind.PRICING),
        ("how much would the spare broker have set us back", QuestionKind.PRICING),
        # ... unless another measure is named
        ("how much is the kafka message size limit", QuestionKind.NUMBER),
        ("how much is the postgres storage on the replica", QuestionKind.NUMBER),
        ("how much does the kafka broker rack weigh", QuestionKind.NUMBER),
        # "what is X" and "what does X stand for" want a definition
        ("what is a consumer group", QuestionKind.DEFINITION),
        ("what does WAL stand for", QuestionKind.DEFINITION),
        # ... but "what is the default X" asks for a setting's value
        ("what's the default isolation level in postgres", QuestionKind.FEATURE),
        ("what is a default privilege", QuestionKind.DEFINITION),  # "default" as part of the term
        # a bare name asks what the thing is, even one that ends like a plural
        ("postgres", QuestionKind.DEFINITION),
        ("tell me about rabbitmq", QuestionKind.DEFINITION),
        # two named sides
        ("kafka vs rabbitmq", QuestionKind.COMPARISON),
        ("is kafka faster than rabbitmq", QuestionKind.COMPARISON),
        # two sides and a comparative ask which side wins, though a price or a figure weighs them
        ("kafka or rabbitmq - which is cheaper per broker hour", QuestionKind.COMPARISON),
        ("more partitions: kafka or rabbitmq?", QuestionKind.COMPARISON),
        ("how much is the kafka course for 1 or 2 people", QuestionKind.PRICING),  # a price, not two sides
        # several things of one sort: the answer gathers a list
        ("what are the types of indexes in postgresql", QuestionKind.LIST),
        ("postgresql index types", QuestionKind.LIST),  # terse plural, no question word
        ("what are the 3 isolation levels postgres offers", QuestionKind.LIST),  # a count of things to name
        ("which extensions does postgresql ship with", QuestionKind.LIST),  # any plural asked before its verb
        ("what were the causes of the outage", QuestionKind.LIST),  # things asked for by their plural
        ("my daily practice routine, all the parts", QuestionKind.LIST),  # "all the" before a plural
        ("what goes into the stock for a risotto", QuestionKind.LIST),  # what a thing is made of
        ("my packing list for the trip - what's on it", QuestionKind.LIST),
        ("elements of adverse possession", QuestionKind.LIST),  # a noun naming a whole series
        ("max number of stages per pipeline", QuestionKind.NUMBER),  # ... unless a figure of them is asked
        ("how does the bacterium cope with all the stomach acid", QuestionKind.FEATURE),  # "all the" before a mass noun
        ("which replicas are lagging the most", QuestionKind.FEATURE),  # one singled out
        ("in what increments does postgres storage grow", QuestionKind.NUMBER),  # a figure, asked in the plural
        # a terse singular whose "for ..." names a plural thing asks for one thing, not a list
        ("config flag for kafka transactions", QuestionKind.FEATURE),
        # advice
        ("should i use a btree index for equality lookups", QuestionKind.BEST_PRACTICE),
        # a second sentence that points back at the first: two steps
        (
            "Which database stores JSON documents? What is the largest document that database accepts?",
            QuestionKind.MULTI_HOP,
        ),
        # a thing named only by what it is: find it first, then ask about it
        ("the cheapest storage tier, how long must data stay", QuestionKind.MULTI_HOP),
        # anything else: a capability
        ("can kafka replay old messages", QuestionKind.FEATURE),
    ],
)
def test_kind(lexicon: Lexicon, question: str, kind: QuestionKind) -> None:
    assert ask(lexicon, question).kind is kind


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("which compression codec does kafka use by default", "codec"),
        ("how many replicas can a postgres primary have", "replicas"),
        ("rabbitmq management ui default port?", "port"),  # terse: the last word, "default" set aside
        ("what is the shortest retention period kafka allows", "period"),
        ("is kafka faster than rabbitmq", None),  # a sentence that names no asked thing
        ("what is a consumer group", None),  # a definition asks about its subject, not for a noun
    ],
)
def test_the_noun_asked_for(lexicon: Lexicon, question: str, asked: str | None) -> None:
    assert ask(lexicon, question).asked == asked


def test_a_misspelt_word_meets_the_notes_spelling() -> None:
    notes = [Passage("p1", "n.txt", 1, 1, "RADIUS 1813 accounting over UDP", ("Ports",))]
    lex = Lexicon(SERVICES, notes, frozenset({"port", "radius", "accounting", "which"}))
    assert lex.normalise("which port is radius acounting on")[0] == "which port is radius accounting on"
    assert lex.correct("accountancy") == "accountancy"  # no word of the notes within reach: left as typed
    versions = Lexicon(SERVICES, [Passage("p2", "n.txt", 2, 2, "HTTP/3 runs over QUIC", ("Web",))])
    assert versions.normalise("does http3 use udp")[0] == "does http/3 use udp"


def test_ordinary_words_are_told_from_jargon_by_the_word_as_typed() -> None:
    lex = Lexicon(SERVICES, [], frozenset({"how", "lag", "calculated", "refrigerator", "defrost"}))
    found = lex.common_terms("how is consumer lag calculated in the refrigerator, by xmin")
    # the stems "calcul" and "refriger" are no words; the words typed are
    assert {stem("calculated"), stem("refrigerator"), "lag"} <= found
    assert "xmin" not in found and stem("consumer") not in found  # not in the model's vocabulary


def test_kind_serialises_as_its_plain_name(lexicon: Lexicon) -> None:
    # the JSON answer says "best_practice", as it always did
    assert ask(lexicon, "should i use a btree index").kind == "best_practice"
    assert Query(text="x", normalised="x", kind="list", services=()).kind is QuestionKind.LIST  # type: ignore[arg-type]


def test_focus_terms_leave_out_frame_words_and_units(lexicon: Lexicon) -> None:
    q = ask(lexicon, "What is the largest message Kafka accepts in MB?")
    # "largest" is searched as "max", "what is the" is dropped, and "MB" says the form, not the topic
    assert q.terms == ("max", stem("message"), "kafka", stem("accepts"))
    assert q.services == ("kafka",)
    assert q.service_terms == frozenset({"kafka"})


def test_service_names_are_found_by_alias_and_through_typos(lexicon: Lexicon) -> None:
    assert ask(lexicon, "how do postgres replicas work").services == ("postgresql",)
    q = ask(lexicon, "kafak retention")
    assert q.services == ("kafka",)
    assert q.corrections == ("kafak → kafka",)


def test_a_name_typed_right_is_never_corrected(lexicon: Lexicon) -> None:
    assert ask(lexicon, "postgres").corrections == ()


@pytest.mark.parametrize(
    ("question", "unit", "family"),
    [
        ("What is the largest message Kafka accepts in MB?", "MB", "size"),
        ("how long can a kafka consumer wait, in minutes", "minutes", "time"),
        ("kafka retention period", None, "time"),  # a duration with no unit named
        ("how big can a postgres row be", None, "size"),
        # how long a thing may be is a length, in characters or bytes as much as in time
        ("how long can a table name be in postgres?", None, None),
        ("how long can a kafka message be delayed", None, "time"),
        # "per GB" is how a price is billed, not the unit the answer should be in
        ("what is the price per GB of kafka storage", None, "money"),
        # a unit after a number, an article or a quantifier, or a period in the singular, is what the question
        # is about, not the unit it asks in
        ("kafka storage price with a 3 year commitment", None, "money"),
        ("how many times a week can kafka rebalance", None, None),
        ("kafka lag these days", None, "time"),
        ("postgres setting for the golden hour", None, None),
        # a measure word describing the next noun asks for no measure ("memory usage", "storage class") ...
        ("is postgres memory usage logged", None, None),
        ("which postgres storage class is the default", None, None),
        # ... and an adjective asks for one only after "how"
        ("what is long polling in kafka", None, None),
        ("how long does a kafka broker wait", None, "time"),
        # a length unit squared asks for an area
        ("total glass area of the kafka greenhouse in square metres", "m²", "area"),
        ("how many sq ft is the postgres office", "sq ft", "area"),
    ],
)
def test_unit_asked(lexicon: Lexicon, question: str, unit: str | None, family: str | None) -> None:
    q = ask(lexicon, question)
    assert (q.unit, q.unit_family) == (unit, family)


def test_comparison_sides(lexicon: Lexicon) -> None:
    assert ask(lexicon, "kafka vs rabbitmq").compared == ("kafka", "rabbitmq")
    assert ask(lexicon, "should I use streams or queues").compared == ("streams", "queues")


def test_two_step_questions_are_split_into_their_clauses(lexicon: Lexicon) -> None:
    q = ask(lexicon, "Which database stores JSON documents? What is the largest document that database accepts?")
    assert q.clauses == ("Which database stores JSON documents?", "What is the largest document that database accepts?")
    q = ask(lexicon, "the cheapest storage tier, how long must data stay")
    assert q.clauses[0] == "cheapest storage tier"  # found first


@pytest.mark.parametrize(
    ("question", "clauses"),
    [
        # a thing described by a relative clause, asked about by what comes before it
        (
            "what is the default port of the server that relays client traffic",
            ("server that relays client traffic", "what is the default port of the server"),
        ),
        (
            "boiling point of the liquid whose formula is H2O",
            ("liquid whose formula is H2O", "boiling point of the liquid"),
        ),
        # ... or by a clause of the writer's own ("the lens I bought")
        ("weight of the lens I bought last spring", ("lens I bought last spring", "weight of the lens")),
        # a described thing, then a question pointing back at it with a pronoun
        (
            "the queue that keeps messages in order - what is its throughput limit",
            ("the queue that keeps messages in order", "what is its throughput limit"),
        ),
        # ... that ends the question ("the kettle we bought")
        ("wattage of the kettle we bought", ("kettle we bought", "wattage of the kettle")),
        # ... or with a subject of its own ("the shed the mower is kept in")
        (
            "padlock code of the shed the mower is kept in",
            ("shed the mower is kept in", "padlock code of the shed"),
        ),
        # "thats" written without its apostrophe
        (
            "opening hours for the bakery thats closed on tuesdays",
            ("bakery thats closed on tuesdays", "opening hours for the bakery"),
        ),
        # a bare noun and its clause, set apart before a question about it
        (
            "router that dropped wifi last week - what firmware is on it",
            ("router that dropped wifi last week", "what firmware is on it"),
        ),
        # a thing named by what is said of it, set apart before what is asked of it, no pronoun needed
        ("the PFP marathoner - what's the real race date", ("the PFP marathoner", "what's the real race date")),
        (
            "the printer fablab nord gave us, max build height?",
            ("the printer fablab nord gave us", "max build height?"),
        ),
    ],
)
def test_a_thing_described_by_a_clause_is_found_first(
    lexicon: Lexicon, question: str, clauses: tuple[str, ...]
) -> None:
    q = ask(lexicon, question)
    assert q.kind is QuestionKind.MULTI_HOP
    assert q.clauses == clauses


@pytest.mark.parametrize(
    "question",
    [
        "what is the port that postgres listens on",  # asks for the described thing itself: one step
        "which region does the sdk use if I set none",  # "if I ...": a condition, not a described thing
        "lambda - what is its max timeout",  # the first part names the thing, it describes nothing
        "what does the base image in my dockerfile weigh",  # "in my ...": no clause after the noun
        "accuracy of the model once the bug was fixed",  # "once ...": a time, not a described thing
        "error codes that come back from the upload api, in order",  # asks for the described things
    ],
)
def test_one_step_questions_are_not_split(lexicon: Lexicon, question: str) -> None:
    assert ask(lexicon, question).clauses == ()
