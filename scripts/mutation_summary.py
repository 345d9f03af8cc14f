"""Per-module figures of the last `make mutate` run, read from mutmut's files in mutants/.

Killed = the tests failed on the mutant (a timeout counts as killed: the change made the code
loop or hang). Score = killed / (killed + survived + no tests). "No tests" are mutants in code
that none of the selected test files reaches: they count against the score, as survivors do.

    .venv/bin/python scripts/mutation_summary.py [--min 90] [--survivors]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = ("killed", "timeout", "caught by type check")
COUNTED = KILLED + ("survived", "no tests", "suspicious", "segfault")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=None, help="fail below this score (%%)")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    args = parser.parse_args()
    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results in mutants/: run `make mutate` first", file=sys.stderr)
        return 2
    worst = 100.0
    lines = []
    survivors = []
    for meta in metas:
        module = str(meta.relative_to("mutants"))[: -len(".meta")]
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = Counter(status_by_exit_code[code] for code in codes.values())
        killed = sum(statuses[s] for s in KILLED)
        counted = sum(statuses[s] for s in COUNTED)
        score = 100.0 * killed / counted if counted else 100.0
        worst = min(worst, score)
        rest = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if s not in KILLED)
        lines.append(f"{module:32} {killed:5}/{counted:<5} killed  {score:5.1f} %   {rest}")
        survivors += [key for key, code in codes.items() if status_by_exit_code[code] not in KILLED]
    print("\n".join(lines))
    if args.survivors:
        print("\nnot killed (see one with `.venv/bin/mutmut show NAME`):")
        print("\n".join(f"  {name}" for name in sorted(survivors)))
    if args.min is not None and worst < args.min:
        print(f"\nlowest score {worst:.1f} % is below {args.min:.0f} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
