"""Property tests: the request validators and the question normaliser raise nothing but KgqaError (a 4xx
with a message), whatever they are given."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import validate
from kg.errors import KgqaError
from kg.qa.engine import Engine
from kg.qa.question import analyse

# st.text() leaves out lone surrogates; JSON "\ud800" decodes to one, so the strategies include them.
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])
any_text = st.lists(st.characters() | surrogates, max_size=80).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
anything = json_values | st.binary() | st.tuples(st.integers(), st.text())
numberish = st.text(alphabet=st.sampled_from("0123456789-+ _.e\u00b2\u0661\uff11x"), max_size=12) | any_text


def _only_kgqa_errors(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except KgqaError as exc:
        assert 400 <= exc.status < 500 and exc.message
        return None


@given(
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.integers(1, 40_000).map(lambda n: b"[" * n + b"]" * n)
)
def test_json_object_accepts_objects_and_refuses_the_rest_with_400(raw: bytes) -> None:
    value = _only_kgqa_errors(validate.json_object, raw)
    assert value is None or isinstance(value, dict)


@given(any_text | anything | st.text(max_size=1200))
def test_question_is_clean_text_or_a_4xx(value: Any) -> None:
    text = _only_kgqa_errors(validate.question, value, 1000)
    if text is not None:
        assert text == text.strip() and 0 < len(text) <= 1000 and "\x00" not in text
        text.encode("utf-8")  # no lone surrogates get past


@given(anything | numberish)
def test_top_k_is_none_an_int_in_range_or_a_4xx(value: Any) -> None:
    k = _only_kgqa_errors(validate.top_k, value)
    assert k is None or (isinstance(k, int) and 1 <= k <= 20)


@given(st.none() | numberish | st.text(alphabet="0123456789", min_size=4000, max_size=5000))
def test_int_arg_is_an_int_in_range_or_a_4xx(value: str | None) -> None:
    n = _only_kgqa_errors(lambda v: validate.int_arg("context", v, default=3, low=1, high=50), value)
    assert n is None or 1 <= n <= 50


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(any_text)
def test_the_question_normaliser_takes_any_validated_question(engine: Engine, value: str) -> None:
    text = _only_kgqa_errors(validate.question, value, engine.settings.max_question_chars)
    if text is None:
        return
    normalised, _fixes = engine.index.lexicon.normalise(text)
    assert isinstance(normalised, str)
    query = analyse(text, engine.index.lexicon)
    assert query.text and query.kind


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(any_text)
def test_answering_any_validated_question_never_fails(engine: Engine, value: str) -> None:
    text = _only_kgqa_errors(validate.question, value, engine.settings.max_question_chars)
    if text is not None:
        answer = _only_kgqa_errors(engine.answer, text)
        assert answer is None or isinstance(answer.answer, str)
