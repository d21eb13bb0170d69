"""Where the project's committed inputs and the database live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_DIR / "data"


def database_path() -> Path:
    """The database the app and CLI use: $JUNHENG_DB, else data/junheng.duckdb."""
    return Path(os.environ.get("JUNHENG_DB") or DATA_DIR / "junheng.duckdb")


def read_only() -> bool:
    """True when JUNHENG_READONLY is set (1/true/yes): the app then writes nothing — no import,
    no first-start demo build — for a copy served to a team."""
    return os.environ.get("JUNHENG_READONLY", "").strip().lower() in ("1", "true", "yes")
