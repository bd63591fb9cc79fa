"""One smoothing of the abstention thresholds for every kind of answer, or one for each kind: measured outside
the fit, on the train split only.

``make fit`` sets each kind's threshold from the share of unanswerable questions among that kind's wrong
answers, drawn toward the share over all kinds as if ``smoothing`` more wrong answers at that share were counted;
one smoothing for every kind, chosen by leave-one-corpus-out. A kind whose training questions rarely lack an
answer in the notes (a two-step question) gets a threshold pulled far up or down by that one choice. This script
counts train questions handled right, each corpus read at thresholds counted without it, on ``make fit``'s rows
(``CACHE/train-signals.json``) and its leave-one-corpus-out probabilities (``out_of_corpus`` at the committed
regularisation):

- one smoothing for every kind, chosen without each corpus (what ``make fit`` does);
- one smoothing for each kind, each chosen on that kind's questions without each corpus;
- each fixed smoothing of the grid, for every kind (the curve ``make fit`` reports).

A kind's smoothing changes only the threshold of that kind's questions, so each kind's choice is a choice over
its own rows. Counted with each corpus left out of its own choice: the figures compare as ``make fit``'s do.

Run (after ``scripts/fit.py --cache CACHE``): .venv/bin/python bench/kind_smoothing.py --cache CACHE
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from fit import (  # noqa: E402  (the fit's own counts, threshold rule and probabilities)
    SMOOTHING_GRID,
    Counts,
    _break_even,
    _counts,
    _less,
    handled_right,
    out_of_corpus,
    row_kind,
)


def thresholds(counts: Counts, smoothing: dict[str | None, float]) -> dict[str | None, float]:
    """Each kind's threshold drawn toward the one over all kinds by its own smoothing (``make fit``'s rule with
    one smoothing a kind); None: the threshold over all kinds, for a kind not counted."""
    wrong, unanswerable = counts.get(None, (0, 0))
    overall = unanswerable / max(1, wrong)
    out: dict[str | None, float] = {None: _break_even(overall)}
    for kind, (w, u) in counts.items():
        if kind is not None:
            m = smoothing.get(kind, smoothing.get(None, 0.0))
            out[kind] = _break_even((u + m * overall) / max(1e-9, w + m))
    return out


class Split:
    """The train rows by corpus and by kind, with their out-of-corpus probabilities."""

    def __init__(self, rows: list[dict[str, Any]], probs: list[float]) -> None:
        self.rows, self.probs = rows, probs
        self.kinds = [row_kind(r) for r in rows]
        self.by: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            self.by[r["corpus"]].append(i)
        self.every = _counts(rows)
        self.own = {name: _counts([rows[i] for i in idx]) for name, idx in self.by.items()}

    def handled(self, names: list[str], smoothing: dict[str | None, float], kind: Any = ..., without: str = "") -> int:
        """Rows of corpora ``names`` (of ``kind`` only, unless ...) handled right, each corpus read at thresholds
        counted without it (and without corpus ``without``)."""
        n = 0
        for name in names:
            counts = _less(self.every, self.own[name])
            if without:
                counts = _less(counts, self.own[without])
            ts = thresholds(counts, smoothing)
            idx = [i for i in self.by[name] if kind is ... or self.kinds[i] == kind]
            n += handled_right(
                [self.probs[i] for i in idx],
                [self.rows[i] for i in idx],
                [ts.get(self.kinds[i], ts[None]) for i in idx],
            )
        return n

    def best_one(self, names: list[str], without: str) -> float:
        """The smoothing of the grid for every kind with the most rows handled right (the more on ties)."""
        return max(SMOOTHING_GRID, key=lambda m: (self.handled(names, {None: m}, without=without), m))

    def best_each(self, names: list[str], without: str) -> dict[str | None, float]:
        """Each kind's smoothing of the grid with the most of its rows handled right (the more on ties)."""
        kinds = sorted({k for k in self.kinds if k is not None})
        return {k: max(SMOOTHING_GRID, key=lambda m: (self.handled(names, {None: m}, k, without), m)) for k in kinds}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache/fit", help="make fit's cache (its train rows)")
    args = ap.parse_args()
    rows = json.loads((args.cache / "train-signals.json").read_text(encoding="utf-8"))
    cal = json.loads((ROOT / "kg/qa/calibration.json").read_text(encoding="utf-8"))
    split = Split(rows, out_of_corpus(rows, float(cal["meta"]["C"])))
    names = sorted(split.by)
    one = each = 0
    chosen: dict[str, dict[str | None, float]] = {}
    for name in names:
        others = [c for c in names if c != name]
        one += split.handled([name], {None: split.best_one(others, name)})
        chosen[name] = split.best_each(others, name)
        each += split.handled([name], chosen[name])
    print(f"{len(rows)} train questions, {len(names)} corpora, C {cal['meta']['C']}")
    print(f"one smoothing for every kind, chosen without each corpus: {one} handled right")
    print(f"one smoothing for each kind, chosen without each corpus: {each} handled right")
    print("  each kind's choice on all train corpora:", split.best_each(names, ""))
    print(
        "every kind at one fixed smoothing: "
        + ", ".join(f"{m}: {split.handled(names, {None: m})}" for m in SMOOTHING_GRID)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
