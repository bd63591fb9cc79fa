"""Jupyter notebooks read as the Markdown nbconvert writes of them, each line on the file line its string is on."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.parser import parse_text
from kg.model import BlockKind
from tests.conftest import ingest_one


def notebook(cells: list[dict[str, object]]) -> str:
    """A notebook as Jupyter saves it: one-space indent, sorted keys, a source line per string."""
    doc = {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def markdown(*lines: str) -> dict[str, object]:
    return {"cell_type": "markdown", "id": "m", "metadata": {}, "source": [f"{x}\n" for x in lines[:-1]] + [lines[-1]]}


def code(source: list[str], printed: list[str], result: str = "") -> dict[str, object]:
    outputs: list[dict[str, object]] = [{"name": "stdout", "output_type": "stream", "text": printed}]
    if result:
        outputs.append(
            {
                "data": {"text/plain": [result], "image/png": "iVBOR"},
                "execution_count": 3,
                "metadata": {},
                "output_type": "execute_result",
            }
        )
    return {"cell_type": "code", "execution_count": 3, "id": "c", "metadata": {}, "outputs": outputs, "source": source}


NOTEBOOK = notebook(
    [
        markdown("## Ridge regression", "", "- default `alpha` = 1.0", "- **Update:** tune it with `RidgeCV`"),
        code(["model = Ridge(alpha=0.5).fit(X, y)\n", "print(score)"], ["R^2 on test: 0.83\n", "RMSE: 4.1\n"], "0.83"),
        markdown("### Lasso", "sparse coefficients, default `alpha` = 1.0 too"),
    ]
)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_a_notebook_reads_as_its_markdown_with_code_and_printed_output_on_their_own_lines() -> None:
    got = [
        (p.line_start, p.line_end, p.kind, p.section[1:], p.text) for p in parse_text(NOTEBOOK, "wk2 regression.ipynb")
    ]
    at = lambda needle: line_of(NOTEBOOK, needle)  # noqa: E731
    assert got == [
        (at("## Ridge"), at("## Ridge"), BlockKind.HEADING, ("Ridge regression",), "Ridge regression"),
        (at("- default"), at("- default"), BlockKind.ITEM, ("Ridge regression",), "default alpha = 1.0"),
        (at("**Update:**"), at("**Update:**"), BlockKind.ITEM, ("Ridge regression",), "Update: tune it with RidgeCV"),
        (
            at("model = "),
            at('"print'),
            BlockKind.CODE,
            ("Ridge regression",),
            "model = Ridge(alpha=0.5).fit(X, y)\nprint(score)",
        ),
        (at("R^2 on"), at('"0.83"'), BlockKind.CODE, ("Ridge regression",), "R^2 on test: 0.83\nRMSE: 4.1\n0.83"),
        (at("### Lasso"), at("### Lasso"), BlockKind.HEADING, ("Ridge regression", "Lasso"), "Lasso"),
        (
            at("sparse"),
            at("sparse"),
            BlockKind.PARAGRAPH,
            ("Ridge regression", "Lasso"),
            "sparse coefficients, default alpha = 1.0 too",
        ),
    ]


def test_json_that_is_no_notebook_is_read_as_other_json_and_no_json_as_text() -> None:
    other = json.dumps({"title": "Ridge", "text": "default alpha is 1.0 in scikit-learn"}, indent=1)
    assert [p.text for p in parse_text(other, "model.ipynb")][-1] == "default alpha is 1.0 in scikit-learn"
    assert [p.text for p in parse_text("alpha = 1.0 {unclosed\n", "broken.ipynb")] == ["alpha = 1.0 {unclosed"]


def test_notebooks_are_ingested(tmp_path: Path) -> None:
    ingest_one(tmp_path, "wk2.ipynb", NOTEBOOK)
