"""Time `build-demo` and print what it produced: seconds, file size, counts, rows per second.

    python bench/build_demo.py [--scope sichuan|national] [--years 2025] [--runs 1]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.synthetic import demo  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scope", choices=sorted(demo.SCOPES), default="sichuan")
    p.add_argument("--years", type=int, nargs="+", default=list(demo.DEFAULT_YEARS))
    p.add_argument("--runs", type=int, default=1)
    args = p.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        for _ in range(args.runs):
            started = time.perf_counter()
            s = demo.build_demo(path, scope=args.scope, years=tuple(args.years))
            times.append(time.perf_counter() - started)
        size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = min(times)
    teacher_rows = s.teachers_latest * len(s.years)
    print(f"scope            {args.scope} ({', '.join(map(str, s.years))})")
    print(f"build time       {best:.1f} s (best of {len(times)}: {', '.join(f'{t:.1f}' for t in times)})")
    print(f"file size        {size / 1e6:.0f} MB")
    print(f"counties         {s.counties}")
    print(f"schools          {s.schools}")
    print(f"teachers/year    {s.teachers_latest}")
    print(f"pupils/year      {s.students_latest}")
    print(f"teacher rows/s   {teacher_rows / best:,.0f}")
    print(f"peak RSS         {peak:.0f} MB")
    print(f"budget ratio     {best / 60:.2f} of the 60 s target")


if __name__ == "__main__":
    main()
