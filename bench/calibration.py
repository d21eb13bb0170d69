"""Print how realistic the demo looks: every calibration figure for 2023 and 2026 beside its
target range (data/demo_model.toml [calibration]).

    python bench/calibration.py [--db FILE]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb
from demo_db import database

from analytics.synthetic import calibration, demo


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=None, help="database to measure (default: a fresh Sichuan demo)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = database(args.db, tmp)
        with duckdb.connect(str(path), read_only=True) as con:
            table = calibration.table(con, (2023, 2026))
    targets = demo.load_model()["calibration"]
    print(table.round(3).to_string())
    print("\ntargets (2023 unless named):")
    for name, bounds in targets.items():
        print(f"  {name:34s} {bounds[0]:g} – {bounds[1]:g}")


if __name__ == "__main__":
    main()
