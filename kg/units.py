"""Quantities in notes text: numbers with their units, normalised to one base unit per family."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.vocab import MEASURE_WORDS, NUMBER_GAP_WORDS

# unit spelling (lower case) -> (canonical unit, family, factor to the family's base unit)
_TIME = {
    "ms": ("ms", 0.001),
    "msec": ("ms", 0.001),
    "millisecond": ("ms", 0.001),
    "milliseconds": ("ms", 0.001),
    "sec": ("seconds", 1.0),
    "secs": ("seconds", 1.0),
    "second": ("seconds", 1.0),
    "seconds": ("seconds", 1.0),
    "min": ("minutes", 60.0),
    "mins": ("minutes", 60.0),
    "minute": ("minutes", 60.0),
    "minutes": ("minutes", 60.0),
    "hr": ("hours", 3600.0),
    "hrs": ("hours", 3600.0),
    "hour": ("hours", 3600.0),
    "hours": ("hours", 3600.0),
    "day": ("days", 86400.0),
    "days": ("days", 86400.0),
    "week": ("weeks", 604800.0),
    "weeks": ("weeks", 604800.0),
    "wk": ("weeks", 604800.0),
    "wks": ("weeks", 604800.0),
    # A billing month is 30 days and a year 365 days: what AWS pricing pages assume.
    "month": ("months", 2592000.0),
    "months": ("months", 2592000.0),
    "year": ("years", 31536000.0),
    "years": ("years", 31536000.0),
    "yr": ("years", 31536000.0),
    "yrs": ("years", 31536000.0),
}
_SIZE = {
    "byte": ("bytes", 1.0),
    "bytes": ("bytes", 1.0),
    "kb": ("KB", 1024.0),
    "kib": ("KB", 1024.0),
    "mb": ("MB", 1024.0**2),
    "mib": ("MB", 1024.0**2),
    "gb": ("GB", 1024.0**3),
    "gib": ("GB", 1024.0**3),
    "tb": ("TB", 1024.0**4),
    "tib": ("TB", 1024.0**4),
    "pb": ("PB", 1024.0**5),
}
# Measures of the physical world, for notes on cooking, medicine, flying, running, electronics: spelling (lower
# case) -> (canonical unit, family, factor to the family's base unit). Temperatures keep the scale they are
# written in (no factor turns °F into °C).
_PHYSICAL: dict[str, tuple[str, str, float]] = {
    **dict.fromkeys(("°f", "degf", "fahrenheit"), ("°F", "temperature", 1.0)),
    **dict.fromkeys(("°c", "degc", "celsius"), ("°C", "temperature", 1.0)),
    **dict.fromkeys(("°", "degrees", "deg", "kelvin"), ("degrees", "temperature", 1.0)),
    **dict.fromkeys(("mcg", "µg", "μg"), ("mcg", "mass", 1e-6)),
    **dict.fromkeys(("mg", "milligram", "milligrams"), ("mg", "mass", 0.001)),
    **dict.fromkeys(("g", "gram", "grams"), ("g", "mass", 1.0)),
    **dict.fromkeys(("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"), ("kg", "mass", 1000.0)),
    **dict.fromkeys(("lb", "lbs"), ("lb", "mass", 453.59237)),
    **dict.fromkeys(("oz", "ounce", "ounces"), ("oz", "mass", 28.349523)),
    **dict.fromkeys(("mm", "millimeter", "millimeters", "millimetre", "millimetres"), ("mm", "length", 0.001)),
    **dict.fromkeys(("cm", "centimeter", "centimeters", "centimetre", "centimetres"), ("cm", "length", 0.01)),
    # "m" only after a space ("at 30 m", "1.42 m"): glued on it is as often minutes or millions ("45m", "$5m")
    **dict.fromkeys(("m", "meter", "meters", "metre", "metres"), ("meters", "length", 1.0)),
    **dict.fromkeys(("km", "kilometer", "kilometers", "kilometre", "kilometres"), ("km", "length", 1000.0)),
    **dict.fromkeys(("inch", "inches"), ("inches", "length", 0.0254)),
    **dict.fromkeys(("ft", "foot", "feet"), ("ft", "length", 0.3048)),
    **dict.fromkeys(("yd", "yard", "yards"), ("yd", "length", 0.9144)),
    **dict.fromkeys(("mi", "mile", "miles"), ("miles", "length", 1609.344)),
    **dict.fromkeys(("km/h", "kph", "kmh"), ("km/h", "speed", 1.0)),
    "mph": ("mph", "speed", 1.609344),
    **dict.fromkeys(("kt", "kts", "knot", "knots"), ("kt", "speed", 1.852)),
    "mmhg": ("mmHg", "pressure", 0.133322),
    "cmh2o": ("cmH2O", "pressure", 0.0980665),
    "inhg": ("inHg", "pressure", 3.38639),
    "psi": ("psi", "pressure", 6.894757),
    "kpa": ("kPa", "pressure", 1.0),
    "hpa": ("hPa", "pressure", 0.1),
    "atm": ("atm", "pressure", 101.325),
    "hz": ("Hz", "frequency", 1.0),
    "khz": ("kHz", "frequency", 1e3),
    "mhz": ("MHz", "frequency", 1e6),
    "ghz": ("GHz", "frequency", 1e9),
    "bpm": ("bpm", "frequency", 1 / 60),
    "rpm": ("rpm", "frequency", 1 / 60),
    "mv": ("mV", "voltage", 0.001),
    **dict.fromkeys(("v", "volt", "volts"), ("V", "voltage", 1.0)),
    "kv": ("kV", "voltage", 1000.0),
    **dict.fromkeys(("µa", "μa"), ("µA", "current", 1e-6)),
    "ma": ("mA", "current", 0.001),
    **dict.fromkeys(("amp", "amps"), ("A", "current", 1.0)),
    "mw": ("mW", "power", 0.001),
    **dict.fromkeys(("w", "watt", "watts"), ("W", "power", 1.0)),
    "kw": ("kW", "power", 1000.0),
    "kwp": ("kWp", "power", 1000.0),  # a solar array's peak power
    "kva": ("kVA", "power", 1000.0),
    **dict.fromkeys(("ohm", "ohms", "ω", "Ω"), ("ohm", "resistance", 1.0)),
    **dict.fromkeys(("kohm", "kω", "kΩ"), ("kohm", "resistance", 1000.0)),
    "wh": ("Wh", "energy", 3600.0),
    "kwh": ("kWh", "energy", 3.6e6),
    "mwh": ("MWh", "energy", 3.6e9),
    "kj": ("kJ", "energy", 1000.0),
    # the calories of food labels and diet notes are kilocalories ("~90 kcal of treats", "125 cal/oz")
    **dict.fromkeys(("kcal", "kcals", "cal", "cals", "calorie", "calories"), ("kcal", "energy", 4184.0)),
    **dict.fromkeys(
        ("µl", "μl", "ul", "microliter", "microliters", "microlitre", "microlitres"), ("µl", "volume", 0.001)
    ),
    **dict.fromkeys(("ml", "milliliter", "milliliters", "millilitre", "millilitres"), ("ml", "volume", 1.0)),
    "cl": ("cl", "volume", 10.0),
    "dl": ("dl", "volume", 100.0),
    **dict.fromkeys(("l", "liter", "liters", "litre", "litres"), ("L", "volume", 1000.0)),
    **dict.fromkeys(("tsp", "teaspoon", "teaspoons"), ("tsp", "volume", 4.928922)),
    **dict.fromkeys(("tbsp", "tablespoon", "tablespoons"), ("tbsp", "volume", 14.786765)),
    **dict.fromkeys(("cup", "cups"), ("cups", "volume", 236.58824)),
    **dict.fromkeys(("gal", "gallon", "gallons"), ("gal", "volume", 3785.4118)),
    **dict.fromkeys(("m3", "m³"), ("m3", "volume", 1e6)),
    # areas: a flat's floor, a plot, a greenhouse's glass, a solar array
    **dict.fromkeys(
        ("m²", "m2", "sqm", "sq m", "sq. m", "square meter", "square meters", "square metre", "square metres"),
        ("m²", "area", 1.0),
    ),
    **dict.fromkeys(("cm²", "cm2", "sq cm", "square centimeters", "square centimetres"), ("cm²", "area", 1e-4)),
    **dict.fromkeys(("km²", "km2", "sq km", "square kilometers", "square kilometres"), ("km²", "area", 1e6)),
    **dict.fromkeys(
        ("ft²", "ft2", "sq ft", "sqft", "sq. ft", "sq. ft.", "square foot", "square feet"),
        ("sq ft", "area", 0.09290304),
    ),
    **dict.fromkeys(("in²", "sq in", "square inch", "square inches"), ("sq in", "area", 0.00064516)),
    **dict.fromkeys(("acre", "acres"), ("acres", "area", 4046.8564224)),
    **dict.fromkeys(("ha", "hectare", "hectares"), ("ha", "area", 1e4)),
    # a concentration in blood or a dose by weight: each is its own measure
    **{u.lower(): (u, "concentration", 1.0) for u in ("mg/dL", "g/dL", "mmol/L", "mEq/L", "mg/L", "ng/mL", "mg/kg")},
    **{u: (u, "concentration", 1.0) for u in ("ppm", "ppb")},  # CO2 in a room, nitrate in a tank
    # a diving cylinder's fill, a tyre, an espresso machine's pump
    "bar": ("bar", "pressure", 100.0),
    "mbar": ("mbar", "pressure", 0.1),
    "m/s": ("m/s", "speed", 3.6),
    # times shorter than a millisecond (a memory's latency, a clock's period), and months shortened ("6 mo")
    **dict.fromkeys(("ns", "nsec", "nanosecond", "nanoseconds"), ("ns", "time", 1e-9)),
    **dict.fromkeys(("µs", "μs", "usec", "microsecond", "microseconds"), ("µs", "time", 1e-6)),
    **dict.fromkeys(("mo", "mos"), ("months", "time", 2592000.0)),
    # a network link's or a disk's bandwidth in bits per second
    **{u.lower(): (u, "bandwidth", f) for u, f in (("bps", 1.0), ("kbps", 1e3), ("Mbps", 1e6), ("Gbps", 1e9))},
    # a battery's charge
    "mah": ("mAh", "charge", 1.0),
    "ah": ("Ah", "charge", 1000.0),
    # a sound's or a signal's level: decibels relative to another level, so no factor turns one into another
    **dict.fromkeys(("db", "dba"), ("dB", "level", 1.0)),
    "dbm": ("dBm", "level", 1.0),
    "fps": ("fps", "frequency", 1.0),
    "cc": ("cc", "volume", 1.0),
    **dict.fromkeys(("qt", "quart", "quarts"), ("qt", "volume", 946.35295)),
    **dict.fromkeys(("pint", "pints"), ("pints", "volume", 568.26125)),  # an imperial pint (a US one is 473 ml)
    "fl oz": ("fl oz", "volume", 29.573530),
    **dict.fromkeys(("tonne", "tonnes"), ("tonnes", "mass", 1e6)),
}
UNITS: dict[str, tuple[str, str, float]] = {
    **{k: (u, "time", f) for k, (u, f) in _TIME.items()},
    **{k: (u, "size", f) for k, (u, f) in _SIZE.items()},
    "%": ("%", "percent", 1.0),
    "percent": ("%", "percent", 1.0),
    **_PHYSICAL,
}
# Spellings read after a number only in this case, where another case is another word: "5 V" and "2 L", not
# "plan B 2 l"; "100 g", not "5G"; "20 kV", not "3 KV stores"; "2 lb", not "2 LB" (load balancers); "60 dB", not "2 DB"
# or "2 db" (databases); "5 ns", not "2 NS records"; "6 mo", not "MO".
_CASED = {
    **{u.lower(): u for u in ("V", "W", "L", "mA", "mW", "mV", "kV", "kW", "hPa", "dB", "dBA", "dBm", "Ah")},
    **{u: u for u in ("g", "lb", "lbs", "ml", "cm", "mm", "cl", "dl", "atm", "ul", "m2", "ha", "m", "ns", "mo", "mos")},
}
# One-letter symbols read only right after a spaced number ("29 s", "24 h"), never as words of a question.
SYMBOLS = {"s": "seconds", "h": "hours"}
# Currencies: a symbol before or after the amount ("$5", "€ 5.290,-", "R$ 40", "25€", "£40"), an ISO code
# before it in capitals ("EUR 1.899,00", "CHF 45") or a code or name after it ("100 EUR", "250 kr", "20 dollars").
CURRENCY_SYMBOLS = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₺": "TRY",
    "₽": "RUB",
    "₪": "ILS",
    "฿": "THB",
    "₫": "VND",
    "₱": "PHP",
    "¤": "¤",  # the sign of a currency not named: also what an amount written "249,-" is in
    **{
        f"{prefix}$": code
        for prefix, code in (
            ("US", "USD"),
            ("R", "BRL"),
            ("A", "AUD"),
            ("AU", "AUD"),
            ("C", "CAD"),
            ("CA", "CAD"),
            ("NZ", "NZD"),
            ("HK", "HKD"),
            ("S", "SGD"),
            ("MX", "MXN"),
        )
    },
    **dict.fromkeys(("Rs", "Rs.", "RS.", "rs."), "INR"),  # "Rs. 50,000/-", "Rs 1.5 lakh"
}
_ISO_CURRENCIES = frozenset(
    """USD EUR GBP JPY INR CHF CAD AUD NZD SEK NOK DKK ISK PLN CZK HUF RON BRL MXN ZAR SGD HKD CNY KRW TRY RUB
    ILS THB VND PHP""".split()
)
# names and codes after the amount in any case; the other ISO codes only in capitals ("3 CAD", not "3 cad")
_CURRENCY_WORDS = {
    **dict.fromkeys(("usd", "dollar", "dollars", "bucks"), "USD"),
    **dict.fromkeys(("eur", "euro", "euros"), "EUR"),
    "gbp": "GBP",
    "yen": "JPY",
    **dict.fromkeys(("rupee", "rupees"), "INR"),
    **dict.fromkeys(("chf", "franc", "francs"), "CHF"),
    **dict.fromkeys(("rmb", "yuan"), "CNY"),
    **dict.fromkeys(("zł", "zl", "zloty"), "PLN"),
    "kč": "CZK",
    "kr": "KR",  # kronor, kroner or krónur: the notes' author knows which
    "reais": "BRL",
}
_SYMBOL_CLASS = "".join(s for s in CURRENCY_SYMBOLS if len(s) == 1 and s != "$")
CURRENCY_SIGNS = re.escape(_SYMBOL_CLASS + "$")  # the one-character signs, for a character class
_DOTTED_SIGNS = tuple(s for s in CURRENCY_SYMBOLS if s.endswith("."))  # "Rs.": may be glued to the amount
_CURRENCY_AFTER = re.compile(
    rf"\s?(?:(?P<symbol>[{_SYMBOL_CLASS}])|(?P<code>"
    + "|".join(sorted(map(re.escape, _CURRENCY_WORDS), key=lambda w: (-len(w), w)))
    + r"|(?-i:"
    + "|".join(sorted(_ISO_CURRENCIES - {"PHP"}))  # "5 PHP files" are scripts
    + r"))\b)(?![A-Za-z])",
    re.I,
)
# before the amount: a symbol ("€ 5.290", "R$40", not the "S$" of "AWS$") or an ISO code in capitals
_CURRENCY_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?P<prefixed>"
    + "|".join(sorted((re.escape(s) for s in CURRENCY_SYMBOLS if len(s) > 1), key=lambda s: (-len(s), s)))
    + rf")|(?P<symbol>[{_SYMBOL_CLASS}$])|(?<![A-Za-z])(?P<iso>"
    + "|".join(sorted(_ISO_CURRENCIES))
    + r"))[ \u00a0]?$"
)
CURRENCIES = frozenset({*CURRENCY_SYMBOLS.values(), *_CURRENCY_WORDS.values(), *_ISO_CURRENCIES})
BASE_UNITS: dict[str, str] = {
    "time": "seconds",
    "size": "bytes",
    "percent": "%",
    "money": "USD",
    "ratio": "x",
    "temperature": "degrees",
    "mass": "g",
    "length": "meters",
    "speed": "km/h",
    "pressure": "kPa",
    "frequency": "Hz",
    "voltage": "V",
    "current": "A",
    "power": "W",
    "resistance": "ohm",
    "energy": "J",
    "volume": "ml",
    "bandwidth": "bps",
    "charge": "mAh",
}
_BASE_FAMILY = {base: family for family, base in BASE_UNITS.items()}
# Families whose units no factor converts between (°F and °C, dB and dBm)
UNCONVERTED = frozenset({"temperature", "level"})

# Things notes count: a number before one of these (or before an adjective or two and one of these)
# is a count whose base unit is the singular noun.
COUNT_NOUNS = frozenset(
    """request item instance replica unit level dimension tag type character message read write shard
    record subscription topic queue attribute function try retry attempt partition connection call
    transaction email state execution resource metric bucket user group role policy account region zone
    az center chunk consumer target invocation event node stage version file layer method component
    endpoint recipient destination filter table index key parameter output mapping condition step task
    container core vcpu characteristic rule bus transition notification delivery receive operation
    permission alarm stream workflow activity subscriber publisher producer batch thread model option
    address ip cluster volume snapshot image domain certificate lambda download upload query scan update
    gsi lsi msg""".split()
)
_IRREGULAR = {
    "policies": "policy",
    "tries": "try",
    "retries": "retry",
    "indexes": "index",
    "indices": "index",
    "activities": "activity",
    "addresses": "address",
    "queries": "query",
    "batches": "batch",
    "deliveries": "delivery",
    "req": "request",  # "100 req/s"
    "reqs": "request",
    "statuses": "status",
    "aliases": "alias",
    "az's": "az",
    "azs": "az",
}
SCALE_WORDS = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    # South Asian English: a lakh is a hundred thousand, a crore ten million ("Rs 1.5 lakh", "2 crores")
    **dict.fromkeys(("lakh", "lakhs", "lac", "lacs"), 1e5),
    **dict.fromkeys(("crore", "crores"), 1e7),
}

# "1,234,567.5", "12", "0.5"; and the Indian grouping, two digits between the commas before the last three
# ("1,50,000", "1,00,00,000"), which no other grouping writes
NUMBER = re.compile(
    r"\d{1,2}(?:,\d\d)+,\d{3}(?:\.\d+)?(?![\d,])|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?<![A-Za-z])\.\d+"
)
# Numbers as notes in most of Europe write them: a decimal comma ("0,2735", "34,5 %") and dots or single spaces
# between thousands ("1.525 kWh", "7.450,00 EUR", "12 000 x g"); a whole amount may end ",-" ("€ 5.290,-").
NUMBER_COMMA = re.compile(
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d)|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?(?![\d.,])|\d+(?:,\d+)?|,\d+"
)
_WHOLE_AMOUNT = re.compile(r",[-–]{1,2}(?![\d-])")
_WHOLE_RUPEES = re.compile(r"/-(?![\d-])")  # "Rs. 50,000/-", "12,500/-": a whole amount of money
# What tells a file's numbers apart: "0,2735", "34,5 %", "1.899,00", "249,-" are written with a decimal comma;
# "0.23", "3.5", "1,234.5" with a decimal point. "1.525" and "1,310" could be either and tell nothing.
# (each opens with the number's first digit, a digit or mark before it ruled out after it: found fast)
_COMMA_DECIMALS = re.compile(r"\d(?<![\d.,:]\d)(?:\d{0,2}(?:\.\d{3})+,\d+|\d*,(?:\d{1,2}|\d{4,})|\d*,-)(?![\d,.:])")
_POINT_DECIMALS = re.compile(r"\d(?<![.,:\w]\d)(?:\d{0,2}(?:,\d{3})+\.\d+|\d*\.(?:\d{1,2}|\d{4,}))(?![\d,.:\w])")
_LINE_START = re.compile(r"[ \t#*>+\-(\[]*$")  # "1.1 Heat pump", "## 2.3 Billing": numbering, no decimals


def writes_decimal_comma(text: str) -> bool:
    """Whether a file writes its numbers with a decimal comma: more numbers that can only be read so than
    numbers that can only be read with a decimal point (outline numbers at the start of a line not counted),
    and two at least."""
    commas = sum(1 for _ in _COMMA_DECIMALS.finditer(text))
    if commas < 2:
        return False
    points = 0
    for m in _POINT_DECIMALS.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        points += not _LINE_START.match(text, line_start, m.start())
    return commas > points


_PHYSICAL_SPELLINGS = "|".join(
    f"(?-i:{re.escape(_CASED[k])})" if k in _CASED else re.escape(k)
    for k in sorted(_PHYSICAL, key=lambda k: (-len(k), k))
)
_UNIT_AFTER = re.compile(
    r"(?P<sep>[ \t-]?)(?P<unit>[kmgt]b-(?:seconds?|hours?|months?)|milliseconds?|msec|ms|seconds?|secs?|"
    r"minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|years?|yrs?|bytes?|[kmgtp]i?b|percent|%|x|(?-i:s|h)|"
    + _PHYSICAL_SPELLINGS
    + r")(?![A-Za-z0-9'])",
    re.I,
)
_PLURAL_OF = re.compile(r"\s+of\b", re.I)
_BRACKET = re.compile(r" ?[(\[] ?")  # "60 (seconds, default)", "5 [GB]": the unit in brackets after the number
_DECADE = re.compile(r"(?<!\d)(?:19|20)\d0$")  # "the 1990s"
_SCALE_AFTER = re.compile(r"\s+(?P<scale>" + "|".join(SCALE_WORDS) + r")\b", re.I)
# after an amount of money only: "₹2.5L", "Rs 2 cr" (a lakh, a crore; "2.5L" alone is litres, "3 cr" credits)
_MONEY_SCALE = re.compile(r" ?(?P<scale>L|[cC]r)(?![A-Za-z0-9])")
_THOUSANDS = re.compile(r"[kK](?![A-Za-z0-9_])")  # "16k": a k glued to the number, no unit after
_RATE_AFTER = re.compile(r"\s*(?:/\s*(?:s|sec|second)\b|\s+per\s+(?:second|sec)\b)", re.I)
_WORD = re.compile(r"\s+(?P<word>[A-Za-z][A-Za-z'’-]*)")
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|to|and)\s*$", re.I)
_CENTS = re.compile(r"\s*cents?\b", re.I)
_OR_JOIN = re.compile(r"^\s*or\s*$", re.I)


@dataclass(frozen=True)
class Quantity:
    """One number read from text: its unit, its value in the family's base unit and where it was read."""

    value: float
    unit: str | None  # canonical: "seconds", "MB", "%", "USD", "requests"...; None for a bare number
    base_value: float | None
    base_unit: str | None
    span: tuple[int, int]  # character offsets of the number and its unit in the text
    family: str = "none"  # time | size | percent | money | ratio | count | none
    value_max: float | None = None  # set for ranges "128 MB – 3008 MB", "3-63 characters"
    approx: bool = False  # "~100ms"


def unit_after(text: str, pos: int) -> bool:
    """Whether a unit follows the number ending at ``pos`` ("2048 MB", "15 min")."""
    return _UNIT_AFTER.match(text, pos) is not None


# Numbers said in words, as transcripts and dictated notes write them: "fifteen hundred", "twenty-five",
# "three hundred and fifty", "two point five", "one and a half".
_SPOKEN_VALUES = {
    **{
        w: i
        for i, w in enumerate(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
            "seventeen eighteen nineteen".split()
        )
    },
    **{w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)},
}
_SPOKEN_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9}
_SPOKEN_WORD = r"(?:" + "|".join(sorted([*_SPOKEN_VALUES, *_SPOKEN_SCALES], key=len, reverse=True)) + r")"
SPOKEN = re.compile(
    rf"(?<![\w'-]){_SPOKEN_WORD}(?:(?:[\s-]+(?:and[\s-]+)?|\s+point\s+){_SPOKEN_WORD})*(?:\s+and\s+a\s+half)?"
    r"(?![\w'-])",
    re.I,
)
# money said in words after a spoken amount ("fifteen hundred quid", "forty bucks"); "pounds of" is a weight
_SPOKEN_MONEY = re.compile(
    r"\s+(?:(?P<gbp>quid|pounds?(?!\s+of\b))|(?P<usd>bucks|dollars?)|(?P<eur>euros?))(?![A-Za-z])", re.I
)


def spoken_value(phrase: str) -> float | None:
    """The value of a number said in words ("three hundred and fifty" 350, "two point five" 2.5), None when the
    words do not make one number ("five six", "hundred" alone reads 100)."""
    whole, _, point = re.sub(r"\s+and\s+a\s+half$", "", phrase.lower()).partition(" point ")
    total, current, last = 0.0, 0.0, ""
    for w in re.split(r"[\s-]+", whole.strip()):
        if w == "and":
            continue
        if w in _SPOKEN_VALUES:
            v = _SPOKEN_VALUES[w]
            if last in _SPOKEN_VALUES and not (
                _SPOKEN_VALUES[last] >= 20 and _SPOKEN_VALUES[last] % 10 == 0 and v < 10
            ):
                return None  # "five six" is two numbers; "twenty five" one
            current += v
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _SPOKEN_SCALES:
            total, current = total + (current or 1) * _SPOKEN_SCALES[w], 0.0
        else:
            return None
        last = w
    value = total + current
    if point:
        digits = [_SPOKEN_VALUES.get(w) for w in point.split()]
        if any(d is None or d > 9 for d in digits):
            return None
        value += float("0." + "".join(str(d) for d in digits))
    return value + (0.5 if phrase.lower().rstrip().endswith("a half") else 0.0)


def spoken_quantities(text: str) -> list[Quantity]:
    """Numbers said in words that a unit, a counted noun or money follows ("twenty five minutes", "two
    point five kilos", "fifteen hundred quid"); a number in words on its own ("the one on the left") says
    no quantity."""
    out = []
    unit: str | None
    for m in SPOKEN.finditer(text):
        value = spoken_value(m.group())
        if value is None:
            continue
        money = _SPOKEN_MONEY.match(text, m.end())
        if money:
            unit, end = ("GBP" if money.group("gbp") else "USD" if money.group("usd") else "EUR"), money.end()
        else:
            unit, end, scale = _read_unit(text, m.end())
            if unit is None or unit == "<word>":
                continue
            value *= scale
        base_value, base_unit = to_base(value, unit)
        out.append(Quantity(value, unit, base_value, base_unit, (m.start(), end), family_of(unit)))
    return out


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
# a year or a date: 1999, 2025-03-14, 14 Jul 1789, 20–21 Jun 1791, Jan 5, 2024, March 2024, 01-06-2025,
# 3/12/2025, 01.06.25 (day or month first, one separator throughout; with a two-digit year, "4.2.11" is a version)
DATE = re.compile(
    r"\b(?:19|20)\d\d(?:-\d\d){0,2}\b(?![.,]?\d)"
    r"|(?<![\w.,/-])(?:\d{1,2}(?P<sep>[./-])\d{1,2}(?P=sep)(?:19|20)\d\d|\d\d(?P<sep2>[./-])\d\d(?P=sep2)\d\d)"
    r"(?![.,/-]?\d)"
    rf"|\b(?:\d{{1,2}}{_ORDINAL}\s*[–-]\s*)?\d{{1,2}}{_ORDINAL}\s+{_MONTH}(?![a-z])(?:,?\s+\d{{3,4}}\b)?"
    rf"|\b{_MONTH}\s+\d{{1,2}}{_ORDINAL}(?:,?\s+\d{{3,4}}\b|(?=[,.:;)]|\s*$))"
    rf"|\b{_MONTH}\s+\d{{3,4}}\b",
    re.I,
)


# "Weeks: 12", "Duration (mins) = 45", a table row's "Half term: 18 Feb; Weeks: 12": a figure whose unit is the
# label it is given under (a column header, a key), not a word after it
LABELLED_FIGURE = re.compile(r"(?:^|[;—|,]\s*)([^\W\d][\w' -]{0,40}?)\s*(?:\(([^()]{1,16})\))?\s*[:=]\s*[~≈]?\d")
NOT_UNIT_LABELS = frozenset({"min", "max", "m", "s", "h", "d", "t"})  # "Min: 5" is a minimum, not minutes


# a label naming a price states an amount of money, with or without its currency ("Price: 34.00 each")
MONEY_LABELS = frozenset(MEASURE_WORDS["money"].split())


def labelled_families(text: str) -> frozenset[str]:
    """Unit families of the figures a text states under a label that is a unit ("Weeks: 12", "Time (hrs): 3")
    or names a price ("Price: 34.00", "Hire fee (Sat): 1,200")."""
    found = set()
    for m in LABELLED_FIGURE.finditer(text):
        words = [m.group(2) or "", (m.group(1).split() or [""])[-1]]
        for word in (w.strip().lower() for w in words):
            unit = UNITS.get(word) if word not in NOT_UNIT_LABELS else None
            if unit:
                found.add(unit[1])
                break
        else:
            if re.split(r"[_\s]", words[1].lower())[-1] in MONEY_LABELS:  # "Price", "entry_fee"
                found.add("money")
    return frozenset(found)


def without_dates(text: str) -> str:
    """The text without its years and dates; a year-like number with a unit is a quantity ("2048 MB")."""
    return DATE.sub(lambda m: m.group(0) if m.group(0).isdigit() and unit_after(text, m.end()) else " ", text)


def singular(noun: str) -> str:
    """The base unit of a count: the singular noun ("replicas" -> "replica", "LSI's" -> "LSI")."""
    word = re.sub(r"['’]s$", "", noun)
    low = word.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if low.endswith("ies") and len(low) > 4:
        return word[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if low.endswith("s") and not low.endswith("ss") and len(low) > 2:
        return word[:-1]
    return word


def is_count_noun(word: str) -> bool:
    return singular(word).lower() in COUNT_NOUNS


def to_base(value: float, unit: str | None) -> tuple[float | None, str | None]:
    """The value in its family's base unit: (900, "seconds"), (5 * 1024**4, "bytes"), (5, "replica")."""
    if unit is None:
        return None, None
    key = unit.lower()
    if unit in CURRENCIES or unit in ("x", "%"):
        return value, unit
    if key in UNITS:
        canon, family, factor = UNITS[key]
        return value * factor, BASE_UNITS.get(family, canon)  # a concentration is its own measure
    if key.endswith("/second"):
        base, per = to_base(value, unit[: -len("/second")])
        return base, f"{per}/second"
    return value, singular(unit)


def family_of(unit: str | None) -> str:
    if unit is None:
        return "none"
    if unit in CURRENCIES:
        return "money"
    if unit == "x":
        return "ratio"
    if unit.endswith("/second"):
        return "rate"
    hit = UNITS.get(unit.lower())
    return hit[1] if hit else _BASE_FAMILY.get(unit, "count")


def _trim(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.2f}".rstrip("0").rstrip(".")


def format_alt(base_value: float, base_unit: str) -> str | None:
    """A human alternative for a base value: 900 seconds -> "15 minutes", 5 * 1024**3 bytes -> "5 GB"."""
    if base_unit == "seconds":
        steps = [
            ("years", 31536000.0),
            ("days", 86400.0),
            ("hours", 3600.0),
            ("minutes", 60.0),
            ("seconds", 1.0),
            ("ms", 0.001),
        ]
    elif base_unit == "bytes":
        steps = [("TB", 1024.0**4), ("GB", 1024.0**3), ("MB", 1024.0**2), ("KB", 1024.0), ("bytes", 1.0)]
    else:
        return None
    for name, factor in steps:
        n = base_value / factor
        # The largest unit that gives a whole number reads best ("15 minutes", not "0.25 hours").
        if n >= 1 and abs(n - round(n)) < 1e-9:
            if round(n) == 1 and name not in ("ms", "KB", "MB", "GB", "TB"):
                name = name[:-1]
            return f"{_trim(n)} {name}"
    return None


def _number_ok(text: str, start: int, end: int) -> bool:
    """Reject digits that belong to a word or code: EC2, t2.small, AES-256, us-east-1, v2, 169.254.x."""
    before = text[start - 1] if start > 0 else " "
    if before.isalnum() or before in "._":
        return before == "." and text.endswith(_DOTTED_SIGNS, 0, start)  # "Rs.50,000"
    if before == "-" and start > 1 and text[start - 2].isalpha():
        return False
    after = text[end : end + 2]
    if after[:1] == "." and after[1:2].isalnum():
        return False
    return True


def _read_unit(text: str, pos: int) -> tuple[str | None, int, float]:
    """The unit right after a number at pos: (canonical unit, end offset, scale multiplier)."""
    scale = 1.0
    m = _SCALE_AFTER.match(text, pos)
    if m:
        scale, pos = SCALE_WORDS[m.group("scale").lower()], m.end()
    u = _UNIT_AFTER.match(text, pos)
    if u and u.group("unit") == "m" and not u.group("sep"):
        return "<word>", pos, scale  # "45m", "250m", "$5m": minutes, millicores or millions as much as metres
    if (
        u
        and u.group("unit") in ("s", "h")
        and not u.group("sep")
        and (_PLURAL_OF.match(text, u.end()) or _DECADE.search(text, 0, pos))
    ):
        return "<word>", pos, scale  # "100s of instances": hundreds, not seconds; "10s", "768h" are times
    if u and not (u.group("unit").lower() == "x" and u.group("sep")):
        word = u.group("unit").lower()
        if "-" in word:  # "GB-seconds": a compound billing measure, counted as itself
            size, per = word.split("-")
            return f"{size.upper()}-{per.rstrip('s')}s", u.end(), scale
        canon = "x" if word == "x" else SYMBOLS.get(u.group("unit")) or UNITS[word][0]
        end = u.end()
        if canon not in ("%", "x"):
            r = _RATE_AFTER.match(text, end)
            if r:
                return f"{canon}/second", r.end(), scale
        return canon, end, scale
    b = _BRACKET.match(text, pos)
    if b:
        inner = _UNIT_AFTER.match(text, b.end())
        if inner and not inner.group("sep") and len(inner.group("unit")) > 1 and "-" not in inner.group("unit"):
            unit, end, _ = _read_unit(text, b.end())
            return unit, end, scale
    if scale == 1.0 and _THOUSANDS.match(text, pos):  # "16k ip states", "10K requests": thousands
        unit, end, _ = _read_unit(text, pos + 1)
        return unit, end, 1e3
    if text[pos : pos + 1].isalnum():
        return "<word>", pos, scale  # glued to a word that is no unit: "1st", "100s", "1a"
    noun, end = _count_noun(text, pos)
    if noun:
        r = _RATE_AFTER.match(text, end)
        if r:
            return f"{noun}/second", r.end(), scale
        return noun, end, scale
    return None, pos, scale


def _count_noun(text: str, pos: int) -> tuple[str | None, int]:
    """A counted noun within three words after a number: "5 read replicas" -> "replicas"."""
    cur, found, found_end = pos, None, pos
    for _ in range(4):
        m = _WORD.match(text, cur)
        if not m:
            break
        word = m.group("word")
        if word.lower() in NUMBER_GAP_WORDS:
            break
        if is_count_noun(word):
            # the last noun of a run counts: "5 read replicas" counts replicas
            found, found_end = word.replace("’", "'"), m.end()
        elif found:
            break
        cur = m.end()
    return found, found_end


def next_word(text: str, pos: int) -> tuple[str | None, int]:
    """The word right after pos (any noun, used after "up to N" where any noun is a count)."""
    m = _WORD.match(text, pos)
    if not m or m.group("word").lower() in NUMBER_GAP_WORDS:
        return None, pos
    return m.group("word").replace("’", "'"), m.end()


def parse_quantity(text: str, comma: bool = False) -> list[Quantity]:
    """Every number in text with its unit; code, versions, IPs and words with digits are skipped. ``comma``:
    the text writes a decimal comma (``writes_decimal_comma``), so "1.525" is fifteen hundred and "0,23" a fraction."""
    raw: list[Quantity] = []
    for m in (NUMBER_COMMA if comma else NUMBER).finditer(text):
        start, end = m.span()
        if not _number_ok(text, start, end):
            continue
        digits = m.group()
        value = float(re.sub(r"[.\s]", "", digits).replace(",", ".") if comma else digits.replace(",", ""))
        whole = (_WHOLE_AMOUNT.match(text, end) if comma else None) or _WHOLE_RUPEES.match(text, end)
        if whole:
            end = whole.end()  # "249,- EUR", "(249,-)": an amount of money, whether its currency is named or not
        currency, start = _currency_before(text, start)
        short = _MONEY_SCALE.match(text, end) if currency else None
        after = _CURRENCY_AFTER.match(text, end)
        if short:
            unit, uend, scale = None, short.end(), SCALE_WORDS["lakh" if short.group("scale") == "L" else "crore"]
        else:
            unit, uend, scale = (None, end, 1.0) if after else _read_unit(text, end)
        if unit == "<word>":
            continue
        value *= scale
        cents = _CENTS.match(text, end)
        if currency:
            unit = currency
        elif after:
            symbol, code = after.group("symbol"), after.group("code") or ""
            unit, uend = CURRENCY_SYMBOLS[symbol] if symbol else _CURRENCY_WORDS.get(code.lower(), code), after.end()
        elif cents:
            unit, value, uend = "USD", value / 100, cents.end()
        elif whole:
            unit, uend = "¤", end
        approx = bool(re.search(r"~\s*\$?$", text[:start]))
        base_value, base_unit = to_base(value, unit)
        raw.append(Quantity(value, unit, base_value, base_unit, (start, uend), family_of(unit), None, approx))
    spoken = spoken_quantities(text)
    if spoken:
        raw = sorted([*raw, *spoken], key=lambda q: q.span)
    return _join_ranges(text, raw)


def _currency_before(text: str, start: int) -> tuple[str | None, int]:
    """The currency written before the amount at ``start`` and where it begins; a symbol a space before it is
    the amount's unless it follows a number of its own ("110 € 5-pack")."""
    m = _CURRENCY_BEFORE.search(text, max(0, start - 5), start)
    if not m:
        return None, start
    if m.group().endswith((" ", "\u00a0")):  # spaced: is there a number right before the symbol?
        k = m.start() - 1
        while k >= 0 and text[k].isspace():
            k -= 1
        if k >= 0 and text[k].isdigit():
            return None, start
    found = m.group("prefixed") or m.group("symbol") or ""
    return (CURRENCY_SYMBOLS[found] if found else m.group("iso")), m.start()


def _join_ranges(text: str, qs: list[Quantity]) -> list[Quantity]:
    """ "128 MB – 3008 MB" and "3-63 characters" become one range; "1 or 3 years" lends its unit."""
    out: list[Quantity] = []
    i = 0
    while i < len(qs):
        q = qs[i]
        if i + 1 < len(qs):
            nxt = qs[i + 1]
            gap = text[q.span[1] : nxt.span[0]]
            lead = text[max(0, q.span[0] - 8) : q.span[0]].lower()
            if _RANGE_JOIN.match(gap) and gap.strip() and nxt.unit is not None:
                if q.unit is None or q.unit == nxt.unit or family_of(q.unit) == family_of(nxt.unit):
                    if gap.strip().lower() != "and" or "between" in lead:
                        lo = q if q.unit else _with_unit(q, nxt.unit)
                        out.append(_range(lo, nxt))
                        i += 2
                        continue
            if _OR_JOIN.match(gap) and q.unit is None and nxt.unit is not None:
                out.append(_with_unit(q, nxt.unit))
                i += 1
                continue
        out.append(q)
        i += 1
    return out


def _with_unit(q: Quantity, unit: str | None) -> Quantity:
    base_value, base_unit = to_base(q.value, unit)
    return Quantity(q.value, unit, base_value, base_unit, q.span, family_of(unit), q.value_max, q.approx)


def _range(lo: Quantity, hi: Quantity) -> Quantity:
    # Keep both ends in the unit of the low end so value/value_max compare directly.
    hi_base, _ = to_base(hi.value, hi.unit)
    lo_factor = (lo.base_value or 0) / lo.value if lo.value else 1.0
    value_max = hi_base / lo_factor if hi_base is not None and lo_factor else hi.value
    return Quantity(
        lo.value,
        lo.unit,
        lo.base_value,
        lo.base_unit,
        (lo.span[0], hi.span[1]),
        lo.family,
        value_max,
        lo.approx or hi.approx,
    )
