"""Map and profile page timings and payload sizes.

    python bench/map_page.py [--db PATH]

Prints: map page script run (first, with cold caches, and warm), county selection until the
profile page is drawn (server time), and the pydeck JSON sent to the browser for Sichuan and for
the whole country. Uses Streamlit's AppTest, i.e. the real page scripts without a browser.
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

from analytics.assess import balance, county_values, metrics
from analytics.assess.criteria import load_criteria  # noqa: E402
from analytics.present import maps
from analytics.store import db


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    assert not at.exception, at.exception
    return time.perf_counter() - started


def deck_size(counties, region: str) -> int:
    metric = metrics.map_metrics(load_criteria())["status"]
    values = county_values.metric_values(counties, None, "status", int(counties["year"].max()), "all")
    data, _ = maps.county_data(region, values, metric, "zh")
    return len(maps.build_deck(region, data).to_json())


def main() -> None:
    args = arguments(__doc__)
    os.environ["JUNHENG_DB"] = str(args.db)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/map.py")
    first = timed_run(at)
    warm = min(timed_run(at) for _ in range(5))
    at.sidebar.selectbox(key="county").set_value("510104")
    select = timed_run(at)
    at.switch_page("pages/county.py")
    profile_first = timed_run(at)
    profile_warm = min(timed_run(at) for _ in range(3))

    with db.connect(args.db) as con:
        counties = balance.assess(con, None).counties
    sichuan = deck_size(counties, "510000")
    national = deck_size(counties, maps.NATIONAL)
    print(f"map page, first run (cold caches)   {first:6.2f} s   (target < 5 s)")
    print(f"map page, warm                      {warm:6.2f} s   (target < 1 s)")
    print(f"select a county (map rerun)         {select:6.2f} s")
    print(f"county profile, first draw          {profile_first:6.2f} s   (target < 1 s)")
    print(f"county profile, warm                {profile_warm:6.2f} s")
    print(f"pydeck JSON, Sichuan (183 counties) {sichuan / 1e6:6.2f} MB  (target < 2 MB)")
    print(f"pydeck JSON, China (2,875 counties) {national / 1e6:6.2f} MB  (target < 10 MB)")


if __name__ == "__main__":
    main()
