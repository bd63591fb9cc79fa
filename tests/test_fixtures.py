"""The blind-written question sets cite lines that exist and state their answers (a wrong line ruins a set)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _checker():  # the committed check script, loaded as a module
    spec = importlib.util.spec_from_file_location("check_fixture_lines", FIXTURES / "check_fixture_lines.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STYLES = _checker().DEFAULT_STYLES  # every fixture corpus the checker knows


@pytest.mark.parametrize("style", STYLES)
def test_every_answerable_item_is_stated_on_its_cited_lines(style: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _checker().main([style]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("style", sorted(_checker().EXTERNAL))
def test_the_question_sets_over_real_documentation_are_stated_on_their_cited_lines(
    style: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(_checker().EXTERNAL[style])
    if not folder.is_dir():
        pytest.skip(f"the documentation folder is not on this machine ({folder})")
    assert _checker().main([style]) == 0, capsys.readouterr().out


def test_the_checker_catches_a_wrong_line() -> None:
    check = _checker()
    lines = ["# Pods", "- max 110 pods per node", "- other"]
    item = {"type": "number", "answers": ["110"], "source_lines": [3], "source_file": "x.md"}
    assert check.check_item(item, lines) == "near"
    far = ["x"] * 10 + lines
    item_far = {**item, "source_lines": [1]}
    assert check.check_item(item_far, far).startswith("ERROR")
    assert check.check_item({**item, "source_lines": [2]}, lines) == "exact"
