"""Text helpers without the model: stemming, typo distance, folding, search terms."""

from __future__ import annotations

import threading

import pytest

from kg.qa.evaluate import fold as eval_fold
from kg.text import content_terms, edit_distance, fold, fold_quotes, identifiers, squash, stem, terms


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("replicas", "replica"),  # a question in the plural finds a line in the singular
        ("encrypted", "encryption"),  # "is it encrypted" finds "encryption at rest"
        ("policies", "policy"),
        ("subscribing", "subscribe"),
        ("configured", "configuration"),
    ],
)
def test_word_forms_meet(a: str, b: str) -> None:
    assert stem(a) == stem(b)


@pytest.mark.parametrize("word", ["region", "bus", "class", "status", "analysis"])
def test_words_that_only_look_inflected_keep_their_ending(word: str) -> None:
    # "region" is no "regi" + "on" and "status" no plural: cut, they would meet unrelated words
    assert stem(word) in (word, word[:-1]) and stem(word) != stem(word[:-2])


@pytest.mark.parametrize("name", ["sqs", "t2.small", "us-east-1", "x-ray", "s3"])
def test_short_names_and_identifiers_stay_whole(name: str) -> None:
    # a lookup of "t2.small" must find "t2.small", not "t2.smal"
    assert stem(name) == name


@pytest.mark.parametrize(
    ("question", "line"),
    [
        ("how many calories per ounce", "target: 125 cal/oz"),  # notes abbreviate the units questions spell out
        ("weight in kilograms", "pack weight 9.5 kg"),
        ("how many gallons of fuel", "56 gal total"),
        ("teaspoons of salt", "2 tsp salt"),
    ],
)
def test_spellings_of_one_unit_meet(question: str, line: str) -> None:
    asked = set(terms(question)) - set(terms("how many per of in"))
    assert asked - {"fuel", "salt", "weight"} <= set(terms(line))


@pytest.mark.parametrize("word", ["foot", "yard", "minutes", "seconds", "percent"])
def test_units_that_are_other_words_or_only_say_the_answers_form_keep_their_own_term(word: str) -> None:
    # "foot" is a part of the body as often as 12 inches; time units are left to the unit families
    assert terms(word) == [stem(word)]


def test_lower_case_plural_acronyms_meet_their_singular() -> None:
    # users type "vpcs" or "sdks" for the plural of VPC and SDK
    assert stem("vpcs") == "vpc"
    assert stem("sdks") == "sdk"


def test_stemming_is_safe_across_threads() -> None:
    words = ["replicas", "encrypted", "policies", "configuration", "subscribers"] * 50
    expected = [stem(w) for w in words]
    stem.cache_clear()
    results: list[list[str]] = []

    def work() -> None:
        results.append([stem(w) for w in words])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_question_and_notes_wording_meet_in_terms() -> None:
    # a question says "largest" and "price", notes say "max" and "costs"
    assert terms("largest upload") == terms("max upload")
    assert terms("price of a backup") == terms("costs of a backup")
    # users say "run", notes say "execution"
    assert set(terms("how long can a job run")) & set(terms("job execution time"))


def test_terms_drop_function_words_and_keep_identifier_parts() -> None:
    toks = terms("the size of an m5.large instance")
    assert "the" not in toks and "of" not in toks
    assert "m5.large" in toks and "m5" in toks and stem("large") in toks


def test_content_terms_leave_out_what_only_frames_the_question() -> None:
    # "what is", "roughly", "how many" say what form the answer takes, not what it is about
    assert content_terms("roughly how many workers does a cluster need?") == [stem("workers"), stem("cluster")]
    assert content_terms("what's the difference between") == []


@pytest.mark.parametrize(
    ("typed", "name", "distance"),
    [
        ("lamda", "lambda", 1),  # a letter left out
        ("kafak", "kafka", 1),  # two letters swapped count once
        ("postgers", "postgres", 1),
        ("redsi", "redis", 1),
    ],
)
def test_typo_distance(typed: str, name: str, distance: int) -> None:
    assert edit_distance(typed, name) == distance


def test_typo_distance_is_cut_off_above_the_limit() -> None:
    # far-apart words are not compared to the end: anything past the limit is limit + 1
    assert edit_distance("elasticsearch", "redis", limit=2) == 3
    assert edit_distance("abc", "abc", limit=0) == 0


def test_curly_quotes_are_folded() -> None:
    # notes written in a word processor curl their quotes; users type straight ones
    assert fold_quotes("it\u2019s \u201cfast\u201d") == 'it\'s "fast"'
    assert eval_fold("\u201cEventual\u201d") == '"eventual"'


def test_fold_spells_out_contractions_and_plural_acronyms() -> None:
    assert fold("You can\u2019t resize it") == "you can not resize it"
    assert fold("How many APIs and LSI's?") == "how many api and lsi?"
    assert fold("It gives back a token") == "it returns a token"


def test_identifiers_are_the_tokens_typed_as_code() -> None:
    found = identifiers("is io1 faster, what does fetch.max.bytes do, ClientAliveCountMax or proxy_send_timeout?")
    assert found == ("io1", "fetchmaxbytes", "clientalivecountmax", "proxysendtimeout")
    assert identifiers("what is the max timeout of a Lambda function, e.g. in 2024") == ()  # words and years
    assert squash("Fetch.Max.Bytes") == squash("fetch_max_bytes") == "fetchmaxbytes"
