"""Criteria → verdicts: one function per kind of check (the `check` of each criterion in the
criteria file), each vectorised over the county × stage frame; criteria.CHECKS lists the same
names and a test keeps the two in step."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.assess.criteria import Criteria, Criterion
from analytics.core.i18n import each, percent


def _as_bool(series: pd.Series) -> pd.Series:
    return series.astype("boolean")


def _compare(value: pd.Series, direction: str, threshold: float) -> pd.Series:
    value = pd.to_numeric(value, errors="coerce")
    out = value >= threshold - 1e-12 if direction == ">=" else value <= threshold + 1e-12
    return out.astype("boolean").mask(value.isna())


def _school_count(frame: pd.DataFrame, fail: str, nodata: str | None) -> tuple[pd.Series, pd.Series]:
    """Schools failing a per-school check: value = count, pass = none fail (unknown if some lack data)."""
    fails = frame[fail].fillna(0)
    passed = (fails == 0).astype("boolean")
    if nodata is not None:
        passed = passed.mask((fails == 0) & (frame[nodata].fillna(0) > 0))
    return fails, passed


def _blank(base: pd.DataFrame) -> pd.Series:
    return pd.Series("", index=base.index, dtype=object)


def _text(key: str, present: pd.Series, **columns) -> tuple[pd.Series, pd.Series]:
    """A detail in both languages for the rows where `present`, from each row's values (a single
    value is the same for every row); blank elsewhere."""
    columns = {k: v if isinstance(v, pd.Series) else pd.Series(v, index=present.index) for k, v in columns.items()}
    return each(key, "zh", **columns).where(present, ""), each(key, "en", **columns).where(present, "")


# Each check returns (value, passed, standard, (detail_zh, detail_en)) for every row of base.
# The names are the registry of analytics.assess.criteria.CHECKS (a test keeps the two in step).


def _check_school_indicator(c: Criterion, stage: str, base: pd.DataFrame, std: float):
    """The CV of one indicator; unknown when some school lacks that indicator's data."""
    i = c.id[1:]
    value = base[f"cv_r{i}"]
    std = c.cv_threshold[stage]
    missing = base["schools_assessed"].fillna(0) - base[f"schools_r{i}"].fillna(0)
    passed = _compare(value, "<=", std).mask(missing > 0)
    return value, passed, std, _text("detail_cv_missing", missing > 0, n=missing.astype("Int64").astype(str))


def _check_school_compliance(c, stage, base, std):
    value = base["noncompliant_schools"]
    passed = (value == 0).astype("boolean").mask(base["schools_assessed"].isna())
    passed = passed.mask((value == 0) & (base["schools_no_data"].fillna(0) > 0))
    n = base["schools_no_data"].fillna(0).astype(int)
    return value, passed, std, _text("detail_no_data_schools", n > 0, n=n)


def _per_school(column: str):
    def check(c, stage, base, std):
        nodata = f"{column}_nodata" if f"{column}_nodata" in base else None
        value, passed = _school_count(base, f"{column}_fail", nodata)
        passed = passed.mask(base["students"].isna())
        if nodata is None:
            return value, passed, std, (_blank(base), _blank(base))
        n = base[nodata].fillna(0).astype(int)
        return value, passed, std, _text("detail_no_data_schools", n > 0, n=n)
    check.__doc__ = f"Schools failing the per-school check {column}."
    return check


def _check_special_funding(c, stage, base, std):
    value, passed = _school_count(base, "g7_fail", "g7_nodata")
    return value, passed, std, (_blank(base), _blank(base))


def _check_teacher_pay(c, stage, base, std):
    value = base["teacher_pay"] / base["civil_servant_pay_yuan"]
    return value, _compare(value, ">=", std), std, (_blank(base), _blank(base))


def _check_training_hours(c, stage, base, std):
    return base["training_share"], _compare(base["training_share"], ">=", std), std, (_blank(base), _blank(base))


def _check_teacher_exchange(c, stage, base, std):
    value = base["exchanged"] / base["exchange_eligible"].where(base["exchange_eligible"] > 0)
    backbone = base["exchanged_backbone"] / base["exchanged"].where(base["exchanged"] > 0)
    share = float(c.options["backbone_share"])
    passed = (_compare(value, ">=", std) & _compare(backbone, ">=", share)).astype("boolean")
    pct = backbone.map(percent).astype(object)  # all unknown (no teachers imported): still text
    limit = percent(share)
    return value, passed, std, _text("detail_backbone", backbone.notna(), share=pct, limit=limit)


def _check_teacher_certified(c, stage, base, std):
    return base["certified_share"], _compare(base["certified_share"], ">=", std), std, (_blank(base), _blank(base))


def _check_quality_monitoring(c, stage, base, std):
    value = base["quality_monitoring_level"]
    diff = base["quality_monitoring_diff"]
    limit = float(c.options["max_difference"])
    passed = (_compare(value, ">=", std) & (diff < limit).astype("boolean").mask(diff.isna()))
    return value, passed, std, _text("detail_difference_rate", diff.notna(), rate=diff.round(3).astype(str), limit=limit)


def _check_county_figure(c, stage, base, std):
    value = base[c.column(stage or "primary")]
    return value, _compare(value, c.direction, std), std, (_blank(base), _blank(base))


def _check_attestation(c, stage, base, std):
    value = _as_bool(base[c.options["column"]])
    passed = value if c.direction == "is_true" else ~value
    return value, passed, np.nan, (_blank(base), _blank(base))


CHECK_FUNCTIONS = {
    "school_indicator": _check_school_indicator,
    "school_compliance": _check_school_compliance,
    "school_arts_rooms": _per_school("g3"),
    "school_size": _per_school("g4"),
    "class_size": _per_school("g5"),
    "small_school_funding": _per_school("g6"),
    "training_budget": _per_school("q4"),
    "special_funding": _check_special_funding,
    "teacher_pay": _check_teacher_pay,
    "training_hours": _check_training_hours,
    "teacher_exchange": _check_teacher_exchange,
    "teacher_certified": _check_teacher_certified,
    "quality_monitoring": _check_quality_monitoring,
    "county_figure": _check_county_figure,
    "attestation": _check_attestation,
}


def verdicts(c: Criterion, stage: str | None, base: pd.DataFrame, cr: Criteria) -> pd.DataFrame:
    """value / standard / passed / detail (zh, en) of one criterion for every row of base."""
    std = c.threshold.get(stage or "primary", np.nan)
    value, passed, std, (detail_zh, detail_en) = CHECK_FUNCTIONS[c.check](c, stage, base, std)
    return pd.DataFrame({
        "value": pd.to_numeric(pd.Series(value, index=base.index).astype("Float64"), errors="coerce"),
        "standard": std,
        "passed": passed.astype("boolean"),
        "detail": detail_zh,
        "detail_en": detail_en,
    })
