"""Progress of every Sichuan county (and city, province) against every target of each plan.

    python bench/progress.py [--db PATH]

Prints, per plan: the metric values of all regions and years (from an assessment already made,
as the app's cache holds it), the classification of every region × target, and the progress
page script run (first and warm, through Streamlit's AppTest). Target: under 1 s warm.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_db import arguments  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from analytics.assess import balance, progress, targets  # noqa: E402
from analytics.store import db


def best(fn, runs: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return min(times), out


def main() -> None:
    args = arguments(__doc__)

    with db.connect(args.db) as con:
        started = time.perf_counter()
        a = balance.assess(con, None)
        gaps = balance.urban_rural_gaps(con, None, a.criteria)
        assess_s = time.perf_counter() - started
        values_s, values = best(lambda: progress.metric_values(con, a, gaps))
    names = progress.region_names(a)
    counties = a.counties["adcode"].nunique()
    print(f"assessment of all years (cached by the app)  {assess_s:6.2f} s")
    print(f"metric values, all regions and years         {values_s:6.2f} s   ({len(values):,} values)")
    for name, plan in targets.load_plans().items():
        s, table = best(lambda: progress.progress(values, plan, int(values['year'].max()), names))
        print(f"classify {name:<28}  {s:6.2f} s   ({len(table):,} rows: {counties} counties × "
              f"{len(plan.targets)} targets + cities, province; target < 1 s)")
        print(f"  warm total (values + classify)             {values_s + s:6.2f} s")

    os.environ["JUNHENG_DB"] = str(args.db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update({"plan": "rectification-2024-2026"})
    at.switch_page("pages/progress.py")
    page_first, _ = best(lambda: at.run(), runs=1)
    assert not at.exception, at.exception
    page_warm, _ = best(lambda: at.run(), runs=3)
    print(f"progress page, first run (cold caches)       {page_first:6.2f} s")
    print(f"progress page, warm                          {page_warm:6.2f} s")


if __name__ == "__main__":
    main()
