"""Gap calculator: the plan for every Sichuan county and both stages, and its scenario database.

    python bench/gap.py [--db PATH] [--year Y]

Prints: the plan (assessment of the year included; target < 5 s), writing the scenario copy,
re-assessing it, and how many county-stages pass the resource part before and after.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_db import arguments  # noqa: E402

from analytics.assess import balance, gap  # noqa: E402
from analytics.store import db


def resource_passing(a: balance.Assessment) -> tuple[int, int]:
    r = a.results[a.results["part"] == "resource"]
    per = r.groupby(["adcode", "stage"])["passed"].apply(lambda s: bool(s.fillna(False).all()))
    return int(per.sum()), len(per)


def main() -> None:
    args = arguments(__doc__, year=True)
    with db.connect(args.db) as con:
        before = resource_passing(balance.assess(con, args.year))
        times = []
        for _ in range(3):
            started = time.perf_counter()
            plan = gap.make_plan(con, args.year)
            times.append(time.perf_counter() - started)
    started = time.perf_counter()
    scenario = gap.apply_plan(args.db, args.workdir / "scenario.duckdb", plan)
    apply_s = time.perf_counter() - started
    with db.connect(scenario) as con:
        started = time.perf_counter()
        after = resource_passing(balance.assess(con, args.year))
        reassess_s = time.perf_counter() - started
    s = plan.stages
    print(f"plan, {plan.counties['adcode'].nunique()} counties × 2 stages    {min(times):6.2f} s (best of 3; target < 5 s)")
    print(f"write scenario database             {apply_s:6.2f} s")
    print(f"re-assess the scenario              {reassess_s:6.2f} s")
    print(f"resource part passing, county-stages: {before[0]}/{before[1]} before, {after[0]}/{after[1]} after")
    print(f"plan totals: hire {int(s['teachers_hire'].sum())}, rotate {int(s['teachers_rotate'].sum())}, "
          f"teaching {s['area_m2'].sum():,.0f} m², sports {s['sports_m2'].sum():,.0f} m², equipment "
          f"{s['equipment_yuan'].sum():,.0f} yuan, multimedia rooms {int(s['multimedia_rooms'].sum())}, "
          f"cost {s['cost_yuan'].sum():,.0f} yuan")
    print(f"counties passing now {int((plan.counties['status_before'] == 'pass').sum())}, "
          f"if funded {int(plan.counties['would_pass'].sum())} of {len(plan.counties)}")


if __name__ == "__main__":
    main()
