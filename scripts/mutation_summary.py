"""Per-module figures of the last `make mutate` run, read from mutmut's files in mutants/.

Killed = the tests failed on the mutant (a timeout counts as killed: the change made the code
loop or hang). Score = killed / (killed + survived + no tests). "No tests" are mutants in code
that none of the selected test files reaches: they count against the score, as survivors do.
"Not checked" mutants (a run that was stopped) are left out of the score and reported; with
--min they fail the check, since the figure is not complete. "Worker time" is the sum of the
mutants' run times: the wall time of a run is about that divided by MUTATE_JOBS.

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
NOT_KILLED = ("survived", "no tests", "suspicious", "segfault")


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
    unchecked = 0
    survivors = []
    print(
        f"{'module':32} {'killed':>6} {'surv.':>6} {'no tests':>8} {'total':>6} {'score':>7}  worker time"
    )
    for meta in metas:
        module = str(meta.relative_to("mutants"))[: -len(".meta")]
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        statuses = Counter(status_by_exit_code[code] for code in codes.values())
        killed = sum(statuses[s] for s in KILLED)
        survived = sum(statuses[s] for s in NOT_KILLED if s != "no tests")
        counted = killed + survived + statuses["no tests"]
        score = 100.0 * killed / counted if counted else 100.0
        worst = min(worst, score)
        seconds = sum(data.get("durations_by_key", {}).values())
        rest = f"   {statuses['not checked']} NOT CHECKED" if statuses["not checked"] else ""
        unchecked += statuses["not checked"]
        print(
            f"{module:32} {killed:6} {survived:6} {statuses['no tests']:8} {counted:6}"
            f" {score:6.1f} %  {seconds / 60:5.1f} min{rest}"
        )
        survivors += [key for key, code in codes.items() if status_by_exit_code[code] in NOT_KILLED]
    if args.survivors:
        print("\nnot killed (see one with `.venv/bin/mutmut show NAME`):")
        print("\n".join(f"  {name}" for name in sorted(survivors)))
    if args.min is not None and (worst < args.min or unchecked):
        why = f"{unchecked} mutants not checked" if unchecked else f"lowest score {worst:.1f} %"
        print(f"\n{why}: below {args.min:.0f} % or incomplete", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
