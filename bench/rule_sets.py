"""Switching rule sets: what the app does when a user picks another criteria file — read its
results when they were stored with the data (every rule set installed when the data was written),
else compute the whole assessment (every year, county and stage) from the school, teacher and
funding rows — beside reading the national results.

    python bench/rule_sets.py [--db PATH] [--rules all-teaching-points] [--runs 3]

Prints, per database: counties × years, the national read, the switch to the other rules as the
app makes it, their computation (best and median of --runs, warm), and how many county verdicts
differ.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_db import arguments  # noqa: E402

from analytics.assess import balance, criteria  # noqa: E402
from analytics.store import db


def timed(fn, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def main() -> None:
    args = arguments(__doc__, extra=lambda p: (p.add_argument("--rules", default="all-teaching-points"),
                                               p.add_argument("--runs", type=int, default=3)))
    sets = criteria.read_rule_sets()
    national, other = sets.sets[criteria.NATIONAL_RULES], sets.sets[args.rules]
    con = db.connect(args.db)
    try:
        best_s, median_s, stored = timed(lambda: balance.assess(con, None, national), args.runs)
        best_l, median_l, _ = timed(lambda: balance.assess(con, None, national, lazy=True).counties, args.runs)
        kept = balance.stored_state(con, other) == "current"
        best_o, median_o, _ = timed(lambda: balance.assess(con, None, other, lazy=True).counties, args.runs)
        best_c, median_c, computed = timed(lambda: balance.compute(con, None, other), args.runs)
    finally:
        con.close()
    keys = ["adcode", "year", "stage"]
    a = stored.counties.set_index(keys)["status"]
    b = computed.counties.set_index(keys)["status"].reindex(a.index)
    units = stored.counties[["adcode", "year"]].drop_duplicates()
    print(f"database          {args.db}")
    print(f"county-years      {len(units):,} ({units['adcode'].nunique():,} counties)")
    print(f"stored (national) best {best_s:.2f} s, median {median_s:.2f} s; county verdicts only, as the "
          f"app reads them: best {best_l:.2f} s")
    print(f"switch to {args.rules}, as the app does ({'stored with the data' if kept else 'not stored: computed'}): "
          f"best {best_o:.2f} s, median {median_o:.2f} s")
    print(f"computed ({args.rules}: a rule file installed after the data was written) best {best_c:.2f} s, "
          f"median {median_c:.2f} s")
    print(f"verdicts differing {int((a != b).sum()):,} of {len(a):,} county-stage-years")


if __name__ == "__main__":
    main()
