"""Import timings: the Sichuan demo exported in the template format, then imported into a new
database, from CSV and from XLSX (one workbook per table and year).

    python bench/import.py [--db PATH] [--skip-xlsx]

Targets: CSV under 15 s (issue "national scale"), XLSX under 3 minutes. Also checks that the
imported database gives the same assessment as the source.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from demo_db import database  # noqa: E402

from analytics.assess import balance  # noqa: E402
from analytics.ingest import importer, templates
from analytics.store import db


def same_assessment(a: Path, b: Path) -> bool:
    cols = ["adcode", "year", "stage", "status", "failed", "cv_composite"]
    with db.connect(a) as x, db.connect(b) as y:
        p = balance.assess(x).counties[cols].sort_values(cols[:3]).reset_index(drop=True)
        q = balance.assess(y).counties[cols].sort_values(cols[:3]).reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(p, q, check_dtype=False)
        return True
    except AssertionError:
        return False


def run(fmt: str, source: Path, work: Path) -> None:
    out = work / fmt
    started = time.perf_counter()
    with db.connect(source) as con:
        paths = templates.export_tables(con, out, fmt)
    export_s = time.perf_counter() - started
    size = sum(p.stat().st_size for p in paths) / 1e6
    target = work / f"imported_{fmt}.duckdb"
    started = time.perf_counter()
    result = importer.import_files(target, [(p.name, p.read_bytes()) for p in paths], new=True)
    import_s = time.perf_counter() - started
    print(f"{fmt.upper():4s} export-tables {export_s:6.1f} s, {len(paths)} files, {size:,.0f} MB")
    print(f"{fmt.upper():4s} import        {import_s:6.1f} s  ({result.message}; target "
          f"{'15 s' if fmt == 'csv' else '180 s'}); same assessment: {same_assessment(source, target)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path)
    p.add_argument("--skip-xlsx", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        args.db = database(args.db, work)
        run("csv", args.db, work)
        if not args.skip_xlsx:
            run("xlsx", args.db, work)


if __name__ == "__main__":
    main()
