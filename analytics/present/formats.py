"""Every number as the reader sees it, keyed by its unit: one formatter for screens, tables and
exports (the metric catalogue's own `fmt`, data, refines a map's tooltip and table column)."""

from __future__ import annotations

import re

import pandas as pd

from analytics.assess import metrics
from analytics.core.i18n import t

SCHOOL_COUNT = "所不达标"  # the criteria file's unit of a count of failing schools (RS, G3–G7, Q4)


def format_value(value, unit: str, lang: str = "zh") -> str:
    """A value in its unit: shares as %, percentage points, hours, multiples, yuan, counts, levels,
    coefficients to three places, a criterion's measure (m², 人, 元…) to two. Missing: "—"."""
    if value is None or pd.isna(value):
        return "—"
    v = float(value)
    if unit == "%":
        return f"{v:.1%}"
    if unit == "pp":
        return t("unit_pp", lang, v=f"{v * 100:.1f}")
    if unit == "h":
        return t("unit_h", lang, v=f"{v:.1f}")
    if unit == "×":
        return t("unit_times", lang, v=f"{v:.2f}")
    if unit == "yuan":
        return t("unit_yuan", lang, v=f"{v:,.0f}")
    if unit == "ratio":
        return f"{v:.1f} : 1"
    if unit in ("count", SCHOOL_COUNT):
        return f"{v:,.0f}"
    if unit == "级":
        return f"{v:.0f}"
    if unit in ("", "cv"):
        return f"{v:.3f}"
    return f"{v:.2f}"  # a criterion's own measure: m², 人, 元, 间, 倍


def format_pace(pace, unit: str, lang: str = "zh") -> str:
    """Change per year; shares move in percentage points."""
    if pace is None or pd.isna(pace):
        return "—"
    p = float(pace)
    if unit in ("%", "pp"):
        return t("per_year", lang, v=t("unit_pp", lang, v=f"{p * 100:+.1f}"))
    if unit == "h":
        return t("per_year", lang, v=t("unit_h", lang, v=f"{p:+.1f}"))
    if unit == "ratio":
        return t("per_year", lang, v=f"{p:+.1f}")
    return t("per_year", lang, v=f"{p:+.3f}")


def format_target(direction: str, value: float, unit: str, year: int, lang: str = "zh") -> str:
    sign = "≥" if direction == ">=" else "≤"
    return t("with_year", lang, v=f"{sign} {format_value(value, unit, lang)}", year=year)


def is_percent(metric: metrics.Metric) -> bool:
    return metric.fmt.endswith("%}")


def column_format(metric: metrics.Metric) -> str | None:
    """The table's printf format of a metric's column, from its display format (percentages are
    shown in percent, with the one decimal used everywhere); None for words (status changes)."""
    if metric.kind == "change":
        return None
    if is_percent(metric):
        return "%.1f"
    m = re.search(r"([+]?)[,]?\.(\d+)f", metric.fmt)
    return f"%{m.group(1)}.{m.group(2)}f" if m else "%d"
