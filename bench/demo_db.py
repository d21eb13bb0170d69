"""Shared by the benchmarks: the database to measure (the one given, else a fresh Sichuan demo)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import demo  # noqa: E402


def database(given: Path | None, workdir: str | Path) -> Path:
    """`given`, or a Sichuan demo database built in workdir (about 12 s)."""
    if given is not None:
        return given
    path = Path(workdir) / "demo.duckdb"
    demo.build_demo(path)
    return path
