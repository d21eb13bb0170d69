"""One formatter keyed by unit (present/formats.py) for screens, tables and exports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analytics.present.formats import format_value

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value, unit, lang, shown", [
    (0.8523, "%", "zh", "85.2%"),
    (0.031, "pp", "en", "3.1 pp"),
    (72.25, "h", "zh", "72.2 学时"),
    (8.4, "×", "en", "8.40×"),
    (12345.6, "count", "zh", "12,346"),
    (3, "所不达标", "zh", "3"),
    (4, "级", "zh", "4"),
    (0.41234, "cv", "zh", "0.412"),
    (0.41234, "", "zh", "0.412"),
    (5.856, "m²", "zh", "5.86"),
    (16.5, "ratio", "zh", "16.5 : 1"),
    (None, "%", "zh", "—"),
    (float("nan"), "m²", "en", "—"),
])
def test_a_value_is_shown_by_its_unit(value, unit, lang, shown):
    assert format_value(value, unit, lang) == shown


def test_no_other_module_defines_a_value_formatter():
    defined = [f"{p.relative_to(ROOT)}: {n.name}" for p in (ROOT / "analytics").rglob("*.py") if p.name != "formats.py"
               for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
               if isinstance(n, ast.FunctionDef) and n.name in ("format_value", "number_format", "format_pace")]
    assert defined == []
