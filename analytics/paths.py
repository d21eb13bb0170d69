"""Where the project's committed inputs and the default database live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_DIR / "data"
DEFAULT_DB = Path(os.environ.get("JUNHENG_DB", DATA_DIR / "junheng.duckdb"))
