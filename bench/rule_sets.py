"""Switching rule sets: what the app does when a user picks another criteria file — read its
results when they were stored with the data (every rule set installed when the data was written),
else compute the whole assessment (every year, county and stage) from the school, teacher and
funding rows — beside reading the national results.

    python bench/rule_sets.py [--db PATH] [--rules all-teaching-points] [--runs 3]

Prints, per database: counties × years, the national read, the switch to the other rules as the
app makes it, their computation (best and median of --runs, warm), and how many county verdicts
differ. Then the idea of storing per-school teacher counts at write time, tried: the teacher rows
grouped by every attribute a criteria file can test (school, year, stage, degree, backbone level,
subject, the flags, and the five-year training hours, which a file may test against any number),
how many rows that keeps, and the assessment's teacher pass over the groups against over the rows.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_db import arguments  # noqa: E402

from analytics.assess import balance, criteria, queries  # noqa: E402
from analytics.store import db  # noqa: E402

# the teacher rows grouped by every attribute the teacher pass can test; `pay` keeps its sum
GROUPS_SQL = """
CREATE OR REPLACE TEMP TABLE teacher_groups AS
SELECT school_id, year, stage, degree, backbone, subject, full_time, certified, exchanged,
       exchange_eligible, training_hours_5y, training_hours_year > 0 AS training_hours_year,
       count(*) AS teachers, sum(annual_pay_yuan) AS pay
FROM teachers
GROUP BY ALL
"""


def timed(fn, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def teacher_groups(con, cr: criteria.Criteria, runs: int) -> tuple[int, int, float, float, float]:
    """(teacher rows, grouped rows, seconds to group, best teacher pass over the rows, over the groups)."""
    rules = criteria.teacher_rules(cr)
    sql = queries.TEACHER_SQL.format(degree=rules.degree, backbone=rules.backbone, pe_arts=rules.pe_arts)
    grouped = (sql.replace("count(*)", "sum(teachers)").replace("sum(annual_pay_yuan)", "sum(pay)")
               .replace("FROM teachers", "FROM teacher_groups"))
    params = {**queries.year_range(None), "hours": float(cr.by_check("training_hours").options["hours"])}
    started = time.perf_counter()
    con.execute(GROUPS_SQL)
    built = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM teachers").fetchall()[0][0]
    groups = con.execute("SELECT count(*) FROM teacher_groups").fetchall()[0][0]
    raw = timed(lambda: con.sql(sql, params=params).to_arrow_table(), runs)[0]
    over_groups = timed(lambda: con.sql(grouped, params=params).to_arrow_table(), runs)[0]
    return rows, groups, built, raw, over_groups


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
        rows, groups, built, raw, over_groups = teacher_groups(con, other, args.runs)
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
    print(f"teacher counts per school stored at write time (tried): {groups:,} groups of {rows:,} teacher rows "
          f"({groups / rows:.1%}), grouped in {built:.1f} s; the teacher pass over the rows best {raw:.2f} s, "
          f"over the groups {over_groups:.2f} s")
    print(f"verdicts differing {int((a != b).sum()):,} of {len(a):,} county-stage-years")


if __name__ == "__main__":
    main()
