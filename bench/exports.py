"""Briefing pack timings: every file of one region's briefing (sheet PDF/PNG, maps in PNG 2×/3×,
SVG and PDF, charts, Excel tables, slides), for 四川省 and for one county, with and without slides.

    python bench/exports.py [--db PATH] [--year Y]

Targets: a full pack under 20 s (briefing issue) and under 10 s (issue "national scale"). The
first lines time the one-off font preparation (the CJK subset kept in the temp folder) and the
start of the rendering helper process (once per server).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_db import arguments  # noqa: E402

from analytics.assess import balance, progress, targets  # noqa: E402
from analytics.assess.criteria import load_criteria  # noqa: E402
from analytics.export import exports, output, pack, rendering  # noqa: E402
from analytics.present import fonts
from analytics.store import db


def main() -> None:
    args = arguments(__doc__, year=True)
    started = time.perf_counter()
    fonts.check()
    fonts._base_font()
    print(f"fonts ready (registration, glyph check, common subset)  {time.perf_counter() - started:6.2f} s")
    started = time.perf_counter()
    warm = rendering.start_helper()  # once per server: the Briefing page starts it when it opens
    print(f"render helper {'started and warm' if warm and warm.result() else 'unavailable (rendered here)'}"
          f"             {time.perf_counter() - started:6.2f} s")
    with db.connect(args.db) as con:
        cr = load_criteria()
        a = balance.assess(con, None, cr)
        gaps = balance.urban_rural_gaps(con, None, cr)
        values = progress.metric_values(con, a, gaps)
        ctx = output.context_from(db.metadata(con), db.is_synthetic(con))
    names = progress.region_names(a)
    plan = targets.load_plans()["rectification-2024-2026"]
    table = progress.progress(values, plan, args.year, names)
    for region in ("510000", "513401"):
        for with_slides in (False, True):
            fonts._subset.cache_clear()  # each run cuts its own SVG font subsets, as a fresh request would
            started = time.perf_counter()
            files = pack.briefing_pack(exports.Briefing(a, gaps, cr, region, args.year, "all", ctx, plan, values,
                                                        table, names), slides=with_slides)
            took = time.perf_counter() - started
            size = sum(len(b) for b in files.values()) / 1e6
            label = "with slides" if with_slides else "no slides  "
            print(f"briefing pack {names[region]:<6} {label} {len(files):3d} files {size:5.1f} MB  {took:6.2f} s"
                  "   (target < 10 s)")


if __name__ == "__main__":
    main()
