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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from fit import (  # noqa: E402  (the fit's own leave-one-corpus-out count, smoothing grid and probabilities)
    SMOOTHING_GRID,
    LeftOut,
    Smoothing,
    out_of_corpus,
)


def best_one(left: LeftOut, names: list[str], without: str | None) -> float:
    """The smoothing of the grid for every kind with the most rows handled right (the more on ties)."""
    return max(SMOOTHING_GRID, key=lambda m: (left.handled(names, m, without), m))


def best_each(left: LeftOut, names: list[str], without: str | None) -> Smoothing:
    """Each kind's smoothing of the grid with the most of its rows handled right (the more on ties)."""
    kinds = sorted({k for k in left.kinds if k is not None})
    return {k: max(SMOOTHING_GRID, key=lambda m: (left.handled(names, m, without, k), m)) for k in kinds}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache/fit", help="make fit's cache (its train rows)")
    args = ap.parse_args()
    rows = json.loads((args.cache / "train-signals.json").read_text(encoding="utf-8"))
    cal = json.loads((ROOT / "kg/qa/calibration.json").read_text(encoding="utf-8"))
    left = LeftOut(out_of_corpus(rows, float(cal["meta"]["C"])), rows)
    names = sorted(left.by)
    one = each = 0
    for name in names:
        others = [c for c in names if c != name]
        one += left.handled([name], best_one(left, others, name))
        each += left.handled([name], best_each(left, others, name))
    print(f"{len(rows)} train questions, {len(names)} corpora, C {cal['meta']['C']}")
    print(f"one smoothing for every kind, chosen without each corpus: {one} handled right")
    print(f"one smoothing for each kind, chosen without each corpus: {each} handled right")
    print("  each kind's choice on all train corpora:", best_each(left, names, None))
    print("every kind at one fixed smoothing: " + ", ".join(f"{m}: {left.handled(names, m)}" for m in SMOOTHING_GRID))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
