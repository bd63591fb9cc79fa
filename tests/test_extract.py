"""Fact extraction on real passages of the sample notes and of the messaging fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract import extract_facts
from kg.model import Fact, Passage
from kg.units import format_alt, labelled_families, parse_quantity, to_base

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/fixtures/notes_other/messaging-notes.md"
NOTES = "aws-developer-associate-notes.txt"


def passage(text: str, line: int, section: tuple[str, ...] = (), file: str = NOTES) -> Passage:
    return Passage(id=f"p-{line}", file=file, line_start=line, line_end=line, text=text, section=section)


def one(facts: list[Fact], kind: str) -> Fact:
    hits = [f for f in facts if f.kind == kind]
    assert len(hits) == 1, facts
    return hits[0]


LAMBDA_LIMITS = ("AWS Lambda", "AWS Lambda Limits to Know - per region", "Execution")


def test_lambda_maximum_execution_time_is_900_seconds_and_15_minutes_is_the_same():
    p = passage("Maximum execution time: 900 seconds (15 minutes)", 1267, LAMBDA_LIMITS)
    facts = extract_facts(p, "aws-lambda")
    f = one(facts, "Limit")
    assert len(facts) == 1  # "(15 minutes)" restates the limit, it is not a second one
    assert (f.value, f.unit, f.base_value, f.base_unit) == (900, "seconds", 900, "seconds")
    assert f.label == "maximum execution time"
    assert f.service == "aws-lambda" and f.passage == "p-1267"
    assert to_base(15, "minutes") == (f.base_value, f.base_unit)
    assert format_alt(f.base_value, f.base_unit) == "15 minutes"


def test_up_to_five_lsis_per_table():
    p = passage("Can have up to 5 LSI's per table", 1064, ("DynamoDB (No-SQL)", "Local Secondary Index (LSI)"))
    f = one(extract_facts(p, "dynamodb"), "Limit")
    assert f.value == 5 and f.qualifier == "up to"
    assert "LSI" in f.label and "per table" in f.label


def test_t2_small_hourly_price():
    p = passage(
        "t2.small in US-EAST-1 (VIRGINIA), cost $0.023 per Hour",
        125,
        ("EC2: Virtual Machines", "EC2 Pricing"),
    )
    facts = extract_facts(p, "ec2")
    f = one(facts, "Pricing")
    assert len(facts) == 1  # neither the 2 of t2 nor the 1 of US-EAST-1 is a fact
    assert (f.value, f.unit, f.billing_unit) == (0.023, "USD", "per hour")
    assert f.label == "t2.small in US-EAST-1 (VIRGINIA)"


def test_memory_range_and_increment():
    p = passage("Memory allocation: 128 MB – 3008 MB (64 MB increments)", 1266, LAMBDA_LIMITS)
    facts = extract_facts(p, "aws-lambda")
    ranged = next(f for f in facts if f.qualifier == "range")
    assert (ranged.value, ranged.value_max, ranged.unit) == (128, 3008, "MB")
    assert ranged.base_value == 128 * 1024**2
    assert ranged.label == "memory allocation"
    assert any(f.value == 64 and f.unit == "MB" for f in facts)


def test_spot_discount_up_to_90_percent():
    p = passage(
        "Can get a discount of up to 90% compared to On-demand",
        92,
        ("EC2: Virtual Machines", "Spot Instances"),
    )
    f = one(extract_facts(p, "ec2"), "Pricing")
    assert (f.value, f.unit, f.qualifier) == (90, "%", "discount")


def test_price_per_million_requests_and_its_restatement():
    p = passage(
        "$0.20 per 1 million requests thereafter ($0.0000002 per request)",
        1162,
        ("AWS Lambda", "AWS Lambda Pricing: example", "Pay per calls"),
    )
    facts = extract_facts(p, "aws-lambda")
    assert len(facts) == 1, facts  # the 1 million belongs to the billing unit; the parenthesis restates
    f = facts[0]
    assert (f.kind, f.value, f.unit, f.billing_unit) == ("Pricing", 0.2, "USD", "per 1 million requests")


def test_free_tier_and_cents():
    free = one(extract_facts(passage("First 25 GB of storage is free", 1016), "dynamodb"), "Pricing")
    assert (free.value, free.unit, free.qualifier) == (25, "GB", "free")
    cents = one(
        extract_facts(passage("Storage costs of 25 cents per additional GB per Month", 1017), "dynamodb"),
        "Pricing",
    )
    assert (cents.value, cents.unit, cents.billing_unit) == (0.25, "USD", "per gb per month")


@pytest.mark.parametrize(
    "text",
    [
        "Users must be created with the proper permissions. IAM is central to AWS.",
        "Classic Load Balancer (v1 - older generation - 2009)",
        "URL: 169.254.169.254/latest/meta-data",
        "If the response is not 200 (OK), then the instance is unhealthy",
        "6 seconds, it costs $0.023/60 = $0.000383 (minimum of 60 seconds)",
        "An EBS Volume in us-east-1a cannot be attached to us-east-1b",
        'Same key overwrite will increment the "version": 1, 2, 3',
    ],
)
def test_lines_without_facts_give_none(text: str):
    assert extract_facts(passage(text, 10, ("Section",)), "svc") == []


def test_worked_example_section_gives_no_facts():
    p = passage(
        "Using 28 GB of storage",
        1034,
        ("DynamoDB (No-SQL)", "Developer Associate Specific Topics", "Example"),
    )
    assert extract_facts(p, "dynamodb") == []


def test_feature_is_conservative():
    feat = one(
        extract_facts(passage("Supports atomic counters, using the UpdateItem operation", 1023), "dynamodb"),
        "Feature",
    )
    assert feat.value is None and feat.label == "atomic counters"
    assert extract_facts(passage("If you can have a small margin of error, then use atomic counters", 1025), "x") == []
    assert extract_facts(passage("Can ONLY be created when creating a table", 1062), "dynamodb") == []


def test_extraction_is_deterministic():
    p = passage("Aurora storage automatically grows in increments of 10GB, up to 64 TB", 447, ("RDS vs. Aurora",))
    first = extract_facts(p, "aurora")
    assert first == extract_facts(p, "aurora")
    assert [f.value for f in first] == [10, 64]
    assert len({f.id for f in first}) == len(first)


def test_parse_quantity_forms():
    values = [(q.value, q.unit, q.value_max) for q in parse_quantity("3-63 characters, 1 or 3 years, ~100ms")]
    assert values == [(3, "characters", 63), (1, "years", None), (3, "years", None), (100, "ms", None)]
    assert parse_quantity("1,000,000 requests")[0].value == 1_000_000
    assert parse_quantity("between 1 sec to 20 sec")[0].value_max == 20
    assert parse_quantity("5 gb")[0].base_value == 5 * 1024**3
    assert parse_quantity("claims 5x performance")[0].unit == "x"
    assert parse_quantity("EC2 t2.small AES-256 us-east-1 v2 1st") == []


def test_a_figure_under_a_label_that_is_a_unit_is_of_that_units_family():
    assert labelled_families("Spring — First reh: 7 Jan; Weeks: 12; Half term (no reh): 18 Feb") == {"time"}
    assert labelled_families("Duration (mins) = 45") == {"time"}
    assert labelled_families("Disk size (GB): 30") == {"size"}
    assert labelled_families("Min: 5; Max: 9") == set()  # a minimum, not minutes
    assert labelled_families("Weeks: twelve") == set()
    # a label naming a price states money, with or without its currency
    assert labelled_families("Moes TRV (x5) — Price: 34.00 each; Shop: AliExpress") == {"money"}
    assert labelled_families("routes: long; entry_fee=45 (long, early bird)") == {"money"}
    assert labelled_families("Hire fee (Sat): 1,200") == {"money"}
    assert labelled_families("Shop: 34") == set()


def test_fixture_notes_give_facts_for_four_services():
    from ingest.parser import parse_file

    facts = []
    for p in parse_file(FIXTURE, FIXTURE.parent):
        facts += extract_facts(p, p.service or "unknown")
    by_service = {f.service for f in facts if f.kind in ("Limit", "Pricing")}
    assert len(by_service) >= 4, by_service
    prices = {(f.value, f.billing_unit) for f in facts if f.kind == "Pricing"}
    assert (0.4, "per 1 million requests") in prices
    assert any(f.kind == "Limit" and f.base_value == 256 * 1024 and f.base_unit == "bytes" for f in facts)


def test_durations_written_with_their_unit_glued_on() -> None:
    from kg.units import parse_quantity

    assert [(q.value, q.unit) for q in parse_quantity("min_healthy_time default 10s, ttl 768h")] == [
        (10.0, "seconds"),
        (768.0, "hours"),
    ]
    assert parse_quantity("100s of instances") == [] and parse_quantity("since the 1990s") == []


def test_measures_of_the_physical_world_have_their_family_and_base_unit() -> None:
    """Notes on cooking, medicine, flying or electronics state temperatures, weights, pressures and the like."""
    got = [
        (q.value, q.unit, q.family, q.base_unit)
        for q in parse_quantity("sear at 230°C / 450°F, 200 g, PaO2 60 mmHg, 55 kt, 122.75 MHz, 3.3V at 20 mA")
    ]
    assert got == [
        (230, "°C", "temperature", "degrees"),
        (450, "°F", "temperature", "degrees"),
        (200, "g", "mass", "g"),
        (60, "mmHg", "pressure", "kPa"),
        (55, "kt", "speed", "km/h"),
        (122.75, "MHz", "frequency", "Hz"),
        (3.3, "V", "voltage", "V"),
        (20, "mA", "current", "A"),
    ]
    assert parse_quantity("1,000 ft")[0].base_value == pytest.approx(304.8)
    lithium = parse_quantity("lithium 0.6-1.2 mEq/L")[0]
    assert (lithium.unit, lithium.family, lithium.value_max) == ("mEq/L", "concentration", 1.2)
    # the same letters in another case are other words: load balancers, key-value stores, a 5G network
    assert [(q.value, q.family) for q in parse_quantity("2 LB, 3 KV stores, 5G")] == [(2, "none"), (3, "none")]


def test_pressures_in_bar_short_times_bandwidths_and_charges_are_measures() -> None:
    """A diving cylinder's fill, a memory's latency, a link's bandwidth, a battery: units notes state them in."""
    text = "fill 232 bar, CL36 = 12.9 ns, link 10 Gbps, 3000 mAh, 400 ppm, 60 dBA, 2 tonnes, 6 mo, at 30 m"
    assert [(q.value, q.unit, q.family) for q in parse_quantity(text)] == [
        (232, "bar", "pressure"),
        (12.9, "ns", "time"),
        (10, "Gbps", "bandwidth"),
        (3000, "mAh", "charge"),
        (400, "ppm", "concentration"),
        (60, "dB", "level"),
        (2, "tonnes", "mass"),
        (6, "months", "time"),
        (30, "meters", "length"),
    ]
    assert parse_quantity("232 bar")[0].base_value == pytest.approx(23200)  # kPa
    assert parse_quantity("100 Mbps")[0].base_value == pytest.approx(1e8)  # bits per second
    # the same letters in another case, or glued on, are other things: 2 name-server records, 3 databases, a
    # 45-minute timeout, 250 millicores, five million
    assert [(q.value, q.family) for q in parse_quantity("2 NS records, 3 DB, MO 5")] == [
        (2, "count"),
        (3, "none"),
        (5, "none"),
    ]
    assert parse_quantity("timeout 45m, cpu 250m, $5m") == []


def test_areas_are_a_measure_of_their_own() -> None:
    got = [(q.value, q.unit, q.family) for q in parse_quantity("glass 26.1 m² (281 sq ft), plot 0.5 ha, flat 65 m2")]
    assert got == [(26.1, "m²", "area"), (281, "sq ft", "area"), (0.5, "ha", "area"), (65, "m²", "area")]
    assert parse_quantity("281 sq ft")[0].base_value == pytest.approx(26.105, abs=0.001)
    # an M.2 drive is no area
    assert [(q.value, q.family) for q in parse_quantity("2 M2 SSDs")] == [(2, "none")]


def test_amounts_in_other_currencies_are_money() -> None:
    got = [(q.value, q.unit, q.family) for q in parse_quantity("25€/hour, 5-pack = 110 €, £40 a year, 100 EUR, $9")]
    assert got == [
        (25, "EUR", "money"),
        (5, None, "none"),
        (110, "EUR", "money"),
        (40, "GBP", "money"),
        (100, "EUR", "money"),
        (9, "USD", "money"),
    ]
    assert to_base(40, "GBP") == (40, "GBP")
    price = one(extract_facts(passage("private lessons: 25€/hour in person", 7), "lessons"), "Pricing")
    assert (price.value, price.unit) == (25, "EUR")


def test_a_question_asks_a_measure_by_its_word_or_unit() -> None:
    from kg.qa.question import question_unit

    assert question_unit("how much does the 75mm lens weigh") == (None, "mass")
    assert question_unit("what temp do i pull a medium-rare steak at") == (None, "temperature")
    assert question_unit("how many mg of lorazepam") == ("mg", "mass")
    assert question_unit("minimum altitude over a city") == (None, "length")
    assert question_unit("how deep is the safety stop") == (None, "length")
    assert question_unit("max fill pressure in bar") == (None, "pressure")  # by its word: "bar" is a word too
    assert question_unit("deep learning rate") == (None, None)  # "deep" asks for a depth only after "how"
    # a bar, a db or an m in a question is no unit asked for
    assert question_unit("buy from the barn bar") == (None, None)
    assert question_unit("which db for sessions") == (None, None)
    # a unit's letters that are another word in a question: a key-value store, a load balancer, machine learning
    assert question_unit("max number of keys in the consul kv store") == (None, None)
    assert question_unit("which lb for grpc") == (None, None)
    # a fee, a fare or a fine is paid in money; "fine" as in all right asks for nothing
    assert question_unit("fine for parking too close to a hydrant") == (None, "money")
    assert question_unit("late fees on rent") == (None, "money")
    assert question_unit("is it fine to park here") == (None, None)


def test_requests_per_second_shortened_are_a_rate_of_requests() -> None:
    short, long = parse_quantity("live: 100 req/s, burst 200")[0], parse_quantity("100 requests per second")[0]
    assert (short.family, short.base_unit) == (long.family, long.base_unit) == ("rate", "request/second")


def test_a_unit_in_brackets_after_the_number_is_its_unit() -> None:
    read = [(q.value, q.unit) for q in parse_quantity("poke_interval: 60 (seconds, default), max 5 [GB], 2 (hrs)")]
    assert read == [(60.0, "seconds"), (5.0, "GB"), (2.0, "hours")]
    # a bracket that opens with no unit, or with a one-letter one, says nothing of the number
    assert [q.unit for q in parse_quantity("limit 10 (per account), 3 (s) and 5 (x)")] == [None, None, None]


def test_amounts_in_more_currencies_and_written_before_the_number() -> None:
    text = "R$ 40, € 12, CHF 45, 250 kr, 3 CAD, US$ 5, AWS$5, 110 € 5-pack, 3 PHP files"
    got = [(q.value, q.unit) for q in parse_quantity(text)]
    assert got == [
        (40, "BRL"),
        (12, "EUR"),
        (45, "CHF"),
        (250, "KR"),
        (3, "CAD"),
        (5, "USD"),
        (5, "USD"),  # the "S$" of "AWS$" is no Singapore dollar
        (110, "EUR"),
        (5, None),  # the euro sign before it is the 110's
        (3, "files"),  # scripts, not pesos
    ]
    assert {q.family for q in parse_quantity("R$ 40, CHF 45, 250 kr")} == {"money"}


def test_amounts_as_indian_english_writes_them() -> None:
    text = (
        "80C limit Rs. 1,50,000/- only; CTC Rs 22,50,000 p.a.; HRA ₹2.5L; cover ₹2 cr; loan 45 lakhs; "
        "paid 12,500/- cash; Rs.50,000; 1,00,00,000"
    )
    got = [(q.value, q.unit) for q in parse_quantity(text)]
    assert got == [
        (150000, "INR"),  # two digits between the commas before the last three: the Indian grouping
        (2250000, "INR"),
        (250000, "INR"),  # an L after an amount of money is a lakh
        (20000000, "INR"),  # a cr a crore
        (4500000, None),
        (12500, "¤"),  # "/-": a whole amount of money, its currency not named
        (50000, "INR"),  # "Rs." glued to the amount
        (10000000, None),
    ]
    # without money before them "L" is litres and "cr" no unit; a western grouping reads as before
    assert [(q.value, q.unit) for q in parse_quantity("2L of water, a 3 cr course, 1,234,567 in all")] == [
        (2, "L"),
        (3, None),
        (1234567, None),
    ]


def test_a_file_with_decimal_commas_reads_its_numbers_so() -> None:
    from kg.units import writes_decimal_comma

    dutch = "stroom 0,2735 EUR/kWh\nself-use 1.525 kWh = 34,5 % of production\nprice € 5.290,- incl btw\n"
    assert writes_decimal_comma(dutch)
    # versions, outline numbers, times and CSV fields are no decimals of either kind
    english = "1.1 Setup\nPython 3.12, 0.5 s timeout\nride,0,07:34,0:00\n"
    assert not writes_decimal_comma(english)
    assert not writes_decimal_comma("costs 1,2 and 3\n")  # one comma number says too little
    # numbering at the start of a line is no decimal point, on any line
    assert writes_decimal_comma("NOTES\n1.1 Prices\n- 0,25 € a bottle\n  1.2 Deposit\n- 0,08 € a can\n")
    got = [(q.value, q.unit) for q in parse_quantity("self-use 1.525 kWh = 34,5 % of production", comma=True)]
    assert got == [(1525, "kWh"), (34.5, "%")]
    got = [(q.value, q.unit) for q in parse_quantity("price € 5.290,- or 7.450,00 EUR; 249,- EUR", comma=True)]
    assert got == [(5290, "EUR"), (7450, "EUR"), (249, "EUR")]
    # an amount written "249,-" is money whether its currency is named or not
    assert [(q.value, q.family) for q in parse_quantity("extra warranty (249,-)", comma=True)] == [(249, "money")]
    assert [q.value for q in parse_quantity("spin at 12 000 x g, then 0,1 mL", comma=True)] == [12000, 0.1]
    # the same text read as English notes write it
    assert [q.value for q in parse_quantity("self-use 1.525 kWh = 34,5 %")] == [1.525, 34, 5]


def test_a_notes_file_with_decimal_commas_gives_facts_of_its_values() -> None:
    from ingest.parser import parse_text

    text = "HEAT PUMP\n- price: 4.950,00 EUR incl install\n- heat loss 5,2 kW at -10 degC\n- gas 1,2890 EUR/m3\n"
    passages = parse_text(text, "heatpump.txt")
    assert passages and all(p.decimal_comma for p in passages)
    values = {(f.value, f.unit) for p in passages for f in extract_facts(p, "heat pump")}
    assert {(4950, "EUR"), (5.2, "kW")} <= values
    assert not any(p.decimal_comma for p in parse_text("- price: $4,950.00\n- 5.2 kW heat loss\n", "hp.txt"))


def test_short_units_and_numeric_dates() -> None:
    from kg.units import without_dates

    got = [(q.value, q.unit, q.family) for q in parse_quantity("25 yr warranty, 3 wks, 605 m3 gas, 21 degC, 5 ul")]
    assert got == [
        (25, "years", "time"),
        (3, "weeks", "time"),
        (605, "m3", "volume"),
        (21, "°C", "temperature"),
        (5, "µl", "volume"),
    ]
    # a date written in numbers is no figure: day or month first, a four-digit year or two digits each
    assert without_dates("read on 01-06-2025, 3/12/2025 and 01.06.25").split() == ["read", "on", ",", "and"]
    assert without_dates("Django 4.2.11, nginx 1.25.3") == "Django 4.2.11, nginx 1.25.3"
