"""Parse time against file length: one notes file repeated 1, 4, 16 and 64 times in a single file.

Run: .venv/bin/python bench/parse_bench.py [FILE] [--repeats 3]. Parsing must stay linear in the file's
length (the 64x file: target 2 s or less on a 2-core machine); prints lines, passages and the best of
``--repeats`` runs per size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.parser import parse_text  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent / "data" / "notes" / "aws-developer-associate-notes.txt"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT, help="notes file to repeat (default: the sample)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per size; the best is reported")
    ap.add_argument("--sizes", default="1,4,16,64", help="comma-separated repeat counts")
    args = ap.parse_args()
    text = args.file.read_text(encoding="utf-8")
    text = text if text.endswith("\n") else text + "\n"
    name = "bench" + args.file.suffix
    print(f"{'copies':>6} {'lines':>8} {'passages':>9} {'seconds':>8} {'us/line':>8}")
    for n in (int(s) for s in args.sizes.split(",")):
        big = text * n
        best = float("inf")
        count = 0
        for _ in range(args.repeats):
            start = time.perf_counter()
            count = len(parse_text(big, name))
            best = min(best, time.perf_counter() - start)
        lines = big.count("\n")
        print(f"{n:>6} {lines:>8,} {count:>9,} {best:>8.2f} {best / lines * 1e6:>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
