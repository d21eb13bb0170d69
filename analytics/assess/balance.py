"""The official 优质均衡 assessment (教督〔2017〕6号, DOMAIN.md §2) per county, stage and year.

Heavy lifting (school indicators from teacher rows, facilities and funding; enrolment-weighted
coefficients of variation) happens in DuckDB. The per-criterion verdicts are then derived from
the small county × stage frame with vectorised pandas, one block per kind of check.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from functools import partial
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.assess import criteria as criteria_module
from analytics.assess.criteria import RESOURCE_IDS, STAGES, Criteria, Criterion, load_criteria, teacher_rules
from analytics.atlas import regions
from analytics.core.i18n import percent
from analytics.store import db

# DOMAIN.md §2.6, in legend order: 达标, 差1–2项, 数据不足, 差3项及以上, 不予认定
STATUSES = ("pass", "near", "incomplete", "far", "vetoed")
OVERALL = "all"
INDICATORS = tuple(f"r{i}" for i in range(1, 8))
SCHOOL_STATES = ("noncompliant", "no_data", "compliant", "not_assessed")  # worst first


def school_state(eligible, compliant) -> str:
    """A school-stage's compliance state: compliant / noncompliant / no_data (assessed, but an
    indicator without data leaves it unknown: never a pass, never a miss) / not_assessed."""
    if not eligible:
        return "not_assessed"
    if pd.isna(compliant):
        return "no_data"
    return "compliant" if compliant else "noncompliant"


def weighted_cv(values: Sequence[float], weights: Sequence[float]) -> float:
    """Enrolment-weighted coefficient of variation (校际差异系数), DOMAIN.md §2.1.

    X̄ = Σ PᵢXᵢ / P, S = sqrt(Σ (Pᵢ/P)(Xᵢ − X̄)²), CV = S / X̄.
    """
    x = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=float)
    p = np.asarray(weights if isinstance(weights, np.ndarray) else list(weights), dtype=float)
    if x.size == 0:
        raise ValueError("weighted_cv needs at least one value")
    if x.shape != p.shape:
        raise ValueError(f"weighted_cv: {x.size} values but {p.size} weights")
    if np.isnan(x).any() or np.isnan(p).any():
        raise ValueError("weighted_cv: values and weights must not be NaN")
    if (p < 0).any():
        raise ValueError("weighted_cv: weights (enrolments) must not be negative")
    total = p.sum()
    if total <= 0:
        raise ValueError("weighted_cv: total weight (enrolment) is zero")
    mean = float((p * x).sum() / total)
    if mean == 0 and not x.any():
        return 0.0  # every school at zero: no difference between schools (the standard fails instead)
    if mean == 0:
        raise ValueError("weighted_cv: weighted mean is zero, the coefficient is undefined")
    var = float((p / total * (x - mean) ** 2).sum())
    return math.sqrt(var) / mean


# --------------------------------------------------------------------------------------------
# SQL

def weighted_cv_query(table: str, keys: Sequence[str] = ("g",), values: Sequence[str] = ("x",),
                      weight: str = "w") -> str:
    """SQL of the enrolment-weighted CV (DOMAIN.md §2.1) of each column of `values`, weighted by
    `weight`, per group `keys` of `table`: columns keys…, then per value v: mean_v, total_v (Σw),
    n_v (rows; NULL when none) and cv_v. A row with v NULL is left out of v's figures entirely
    (numerator and weights). All values zero gives CV 0 (no difference), as weighted_cv does.
    Every value is done in the same two passes (one aggregate, one join back)."""
    k = ", ".join(keys)
    used = {v: f"{v} IS NOT NULL AND {weight} > 0" for v in values}
    means = ",\n               ".join(
        f"sum({weight} * {v}) FILTER (WHERE {c}) / sum({weight}) FILTER (WHERE {c}) AS mean_{v}, "
        f"sum({weight}) FILTER (WHERE {c}) AS total_{v}, nullif(count(*) FILTER (WHERE {c}), 0) AS n_{v}"
        for v, c in used.items())
    spreads = ",\n               ".join(
        f"sqrt(sum(t.{weight} / m.total_{v} * (t.{v} - m.mean_{v}) ^ 2) FILTER (WHERE t.{v} IS NOT NULL "
        f"AND t.{weight} > 0)) AS sd_{v}" for v in values)
    figures = ",\n           ".join(
        f"m.mean_{v}, m.total_{v}, m.n_{v}, "
        f"CASE WHEN m.mean_{v} <> 0 THEN s.sd_{v} / m.mean_{v} WHEN s.sd_{v} = 0 THEN 0.0 END AS cv_{v}"
        for v in values)
    return f"""
    WITH means AS (
        SELECT {k},
               {means}
        FROM {table} GROUP BY {k}
    ), spread AS (
        SELECT {k},
               {spreads}
        FROM {table} t JOIN means m USING ({k})
        GROUP BY {k}
    )
    SELECT {k},
           {figures}
    FROM means m JOIN spread s USING ({k})"""


TEACHER_SQL = """
-- every figure the assessment takes from the teacher rows, per school, year and stage, in one
-- pass over the biggest table (the school indicators and the county-wide criteria add them up);
-- {degree}, {backbone}, {pe_arts}: the criteria file's teacher conditions (criteria.teacher_rules)
SELECT school_id, year, stage::VARCHAR AS stage,
       count(*) FILTER (WHERE full_time AND {degree}) AS teachers_degree,
       count(*) FILTER (WHERE full_time AND {backbone}) AS teachers_backbone,
       count(*) FILTER (WHERE full_time AND {pe_arts}) AS teachers_pe_arts,
       count(*) FILTER (WHERE full_time) AS teachers_full_time,
       sum(annual_pay_yuan) FILTER (WHERE full_time) AS pay_full_time,
       count(*) FILTER (WHERE full_time AND training_hours_5y >= $hours) AS teachers_hours_met,
       count(*) FILTER (WHERE full_time AND certified) AS teachers_certified,
       count(*) FILTER (WHERE full_time AND training_hours_year > 0) AS teachers_trained_year,
       count(*) FILTER (WHERE exchange_eligible) AS exchange_eligible,
       count(*) FILTER (WHERE exchanged) AS exchanged,
       count(*) FILTER (WHERE exchanged AND {backbone}) AS exchanged_backbone
FROM teachers
WHERE year BETWEEN $first_year AND $last_year
GROUP BY school_id, year, stage
"""

SCHOOL_SQL = """
WITH totals AS (
    -- per school: pupils, classes and weighted pupils of both stages, and the funding norm's amount
    SELECT ssy.school_id, ssy.year,
           sum(ssy.students) AS school_students,
           sum(ssy.classes)  AS school_classes,
           sum(ssy.students * CASE ssy.stage WHEN 'primary' THEN $w_primary ELSE $w_junior END)
               AS weighted_compulsory,
           sum(ssy.students * CASE ssy.stage WHEN 'primary' THEN cy.public_funding_norm_primary
                                             ELSE cy.public_funding_norm_junior END) AS norm_amount
    FROM school_stage_year ssy
    JOIN schools s USING (school_id)
    LEFT JOIN county_year cy ON cy.adcode = s.adcode AND cy.year = ssy.year
    WHERE ssy.year BETWEEN $first_year AND $last_year
    GROUP BY ssy.school_id, ssy.year
), stage_rows AS (
    SELECT ssy.school_id, ssy.year, ssy.stage, ssy.students, ssy.classes, ssy.max_class_size,
           s.adcode, s.name, s.kind, s.locale, s.is_public,
           t.school_students, t.school_classes, t.weighted_compulsory, t.norm_amount
    FROM school_stage_year ssy
    JOIN schools s USING (school_id)
    JOIN totals t USING (school_id, year)
    WHERE ssy.year BETWEEN $first_year AND $last_year
), staff AS (
    SELECT school_id, year, stage, teachers_degree, teachers_backbone, teachers_pe_arts, teachers_full_time
    FROM teacher_counts
), money AS (
    SELECT school_id, year,
           sum(amount_yuan) FILTER (WHERE item = 'public_funding') AS public_funding,
           sum(amount_yuan) FILTER (WHERE item = 'teacher_training') AS training_funding
    FROM funding
    WHERE (year BETWEEN $first_year AND $last_year) AND item IN ('public_funding', 'teacher_training')
    GROUP BY school_id, year
), shares AS (
    -- DOMAIN.md §1: whole-school facilities split by weighted enrolment. A stage's share per
    -- pupil is its weight over the school's weighted pupils (senior-high pupils included for
    -- kinds with a senior section; unreported there, the split cannot be made: NULL).
    SELECT r.*,
           sy.teaching_area_m2, sy.sports_area_m2, sy.equipment_value_yuan, sy.multimedia_rooms,
           sy.music_rooms, sy.music_room_min_m2, sy.art_rooms, sy.art_room_min_m2,
           CASE WHEN r.kind IN (SELECT unnest($senior_kinds::VARCHAR[])) THEN sy.senior_students ELSE 0 END
               AS senior_students,
           (CASE r.stage WHEN 'primary' THEN $w_primary ELSE $w_junior END)
             / nullif(r.weighted_compulsory + $w_senior * (CASE WHEN r.kind IN (SELECT unnest($senior_kinds::VARCHAR[]))
                                                               THEN sy.senior_students ELSE 0 END), 0)
               AS facility_per_pupil
    FROM stage_rows r
    LEFT JOIN school_year sy USING (school_id, year)
), indicators AS (
    SELECT r.* EXCLUDE (teaching_area_m2, sports_area_m2, equipment_value_yuan, multimedia_rooms,
                        music_rooms, music_room_min_m2, art_rooms, art_room_min_m2),
           coalesce(st.teachers_full_time, 0) AS teachers_full_time,
           st.school_id IS NOT NULL AS teachers_reported,
           r.kind NOT IN (SELECT unnest($excluded_kinds::VARCHAR[]))
               AND NOT (r.kind = '教学点' AND r.school_students < $small_tp)
               AND r.students > 0 AS eligible,
           -- a school and stage with no teacher rows has not reported them: missing, not zero
           100.0 * st.teachers_degree / nullif(r.students, 0)   AS r1,
           100.0 * st.teachers_backbone / nullif(r.students, 0) AS r2,
           100.0 * st.teachers_pe_arts / nullif(r.students, 0)  AS r3,
           -- no facilities row (or an unknown split): NULL, left out of the indicator
           r.teaching_area_m2 * r.facility_per_pupil             AS r4,
           r.sports_area_m2 * r.facility_per_pupil               AS r5,
           r.equipment_value_yuan * r.facility_per_pupil         AS r6,
           100.0 * r.multimedia_rooms * r.facility_per_pupil     AS r7,
           r.music_rooms, r.music_room_min_m2, r.art_rooms, r.art_room_min_m2,
           m.public_funding, m.training_funding
    FROM shares r
    LEFT JOIN staff st USING (school_id, year, stage)
    LEFT JOIN money m USING (school_id, year)
), judged AS (
    SELECT i.*,
           i.r1 / std.s1 AS q1, i.r2 / std.s2 AS q2, i.r3 / std.s3 AS q3, i.r4 / std.s4 AS q4,
           i.r5 / std.s5 AS q5, i.r6 / std.s6 AS q6, i.r7 / std.s7 AS q7
    FROM indicators i JOIN resource_standards std USING (stage)
)
SELECT j.* EXCLUDE (q1, q2, q3, q4, q5, q6, q7, norm_amount),
       j.q1 AS ratio_r1, j.q2 AS ratio_r2, j.q3 AS ratio_r3, j.q4 AS ratio_r4,
       j.q5 AS ratio_r5, j.q6 AS ratio_r6, j.q7 AS ratio_r7,
       (j.q1 >= 1)::INT + (j.q2 >= 1)::INT + (j.q3 >= 1)::INT + (j.q4 >= 1)::INT
         + (j.q5 >= 1)::INT + (j.q6 >= 1)::INT + (j.q7 >= 1)::INT AS standards_met,
       -- compliant: at least min_met standards met and the rest at the floor. What is known can
       -- already decide a failure (too many known misses, or a known value under the floor;
       -- least() skips NULLs); otherwise a missing indicator leaves it unknown
       CASE WHEN j.eligible THEN CASE
           WHEN coalesce((j.q1 < 1)::INT, 0) + coalesce((j.q2 < 1)::INT, 0) + coalesce((j.q3 < 1)::INT, 0)
                + coalesce((j.q4 < 1)::INT, 0) + coalesce((j.q5 < 1)::INT, 0) + coalesce((j.q6 < 1)::INT, 0)
                + coalesce((j.q7 < 1)::INT, 0) > 7 - $min_met
             OR least(j.q1, j.q2, j.q3, j.q4, j.q5, j.q6, j.q7) < $floor_ratio THEN FALSE
           WHEN j.q1 IS NULL OR j.q2 IS NULL OR j.q3 IS NULL OR j.q4 IS NULL OR j.q5 IS NULL
             OR j.q6 IS NULL OR j.q7 IS NULL THEN NULL
           ELSE TRUE END
       END AS compliant,
       -- G3: music and art rooms per 12 classes, with their smallest areas; rooms or areas not
       -- reported are no data (NULL), unless what is reported already fails
       CASE WHEN j.eligible THEN CASE
           WHEN j.music_rooms < ceil(j.school_classes / $classes_per_room)
             OR j.art_rooms < ceil(j.school_classes / $classes_per_room) THEN FALSE
           WHEN j.music_room_min_m2 < $music_m2 OR j.art_room_min_m2 < $art_m2 THEN FALSE
           WHEN j.music_rooms IS NULL OR j.art_rooms IS NULL
             OR j.music_room_min_m2 IS NULL OR j.art_room_min_m2 IS NULL THEN NULL
           ELSE TRUE END
       END AS g3_ok,
       -- G4: school size (compulsory pupils)
       CASE WHEN j.kind NOT IN (SELECT unnest($excluded_kinds::VARCHAR[])) AND j.students > 0 THEN
           j.school_students <= CASE WHEN j.kind IN (SELECT unnest($through_kinds::VARCHAR[]))
                                     THEN $max_through ELSE $max_school END
       END AS g4_ok,
       -- G5: largest class of the stage
       CASE WHEN j.students > 0 AND j.kind NOT IN (SELECT unnest($excluded_kinds::VARCHAR[])) THEN
           j.max_class_size <= CASE j.stage WHEN 'primary' THEN $max_class_primary
                                            ELSE $max_class_junior END
       END AS g5_ok,
       -- G6: village primary schools (村小) and teaching points under 100 pupils funded as if
       -- they had 100
       ((j.kind IN (SELECT unnest($village_kinds::VARCHAR[])) AND j.locale = 'rural')
         OR j.kind IN (SELECT unnest($any_locale_kinds::VARCHAR[])))
           AND j.school_students BETWEEN 1 AND $floor_students - 1 AS g6_applies,
       j.public_funding + 1 >= j.norm_amount / nullif(j.school_students, 0) * $floor_students AS g6_ok,
       -- G7: special-education schools' public funding per pupil
       j.kind = '特殊教育学校' AND j.students > 0 AS g7_applies,
       j.public_funding / nullif(j.school_students, 0) >= $special_min AS g7_ok,
       -- Q4: teacher-training spending share of public funding
       j.students > 0 AS q4_applies,
       j.training_funding / nullif(j.public_funding, 0) AS training_share,
       coalesce(j.training_funding, 0) >= $training_share * j.public_funding AS q4_ok
FROM judged j
"""
SCHOOL_ORDER = ("year", "adcode", "stage", "school_id")  # one order of the school rows, run after run

COUNTY_SQL = """
WITH s AS (SELECT * FROM school_indicators WHERE eligible),
cv AS (""" + weighted_cv_query("s", ("adcode", "year", "stage"), INDICATORS, "students") + """
), indicator_stats AS (
    SELECT adcode, year, stage,
           """ + ",\n           ".join(f"mean_{r}, cv_{r}, n_{r} AS schools_{r}" for r in INDICATORS) + """
    FROM cv
), means AS (
    SELECT adcode, year, stage,
           count(*) AS schools_assessed,
           sum(students) AS students_assessed,
           count(*) FILTER (WHERE compliant = FALSE) AS noncompliant_schools,
           count(*) FILTER (WHERE compliant IS NULL) AS schools_no_data,
           count(*) FILTER (WHERE r1 IS NULL OR r2 IS NULL OR r3 IS NULL OR r4 IS NULL
                                  OR r5 IS NULL OR r6 IS NULL OR r7 IS NULL) AS schools_missing_resource
    FROM s GROUP BY adcode, year, stage
), checks AS (
    SELECT adcode, year, stage,
           sum(students) AS students,
           count(*) FILTER (WHERE g3_ok = FALSE) AS g3_fail, count(*) FILTER (WHERE eligible AND g3_ok IS NULL) AS g3_nodata,
           count(*) FILTER (WHERE g4_ok = FALSE) AS g4_fail,
           count(*) FILTER (WHERE g5_ok = FALSE) AS g5_fail,
           count(*) FILTER (WHERE g6_applies AND g6_ok = FALSE) AS g6_fail,
           count(*) FILTER (WHERE g6_applies AND g6_ok IS NULL) AS g6_nodata,
           count(*) FILTER (WHERE q4_applies AND q4_ok = FALSE) AS q4_fail,
           count(*) FILTER (WHERE q4_applies AND q4_ok IS NULL) AS q4_nodata
    FROM school_indicators GROUP BY adcode, year, stage
)
SELECT c.*, m.* EXCLUDE (adcode, year, stage), i.* EXCLUDE (adcode, year, stage)
FROM checks c
LEFT JOIN means m USING (adcode, year, stage)
LEFT JOIN indicator_stats i USING (adcode, year, stage)
"""

COUNTY_WIDE_SQL = """
WITH staff AS (
    SELECT s.adcode, t.year,
           sum(t.pay_full_time) / nullif(sum(t.teachers_full_time), 0) AS teacher_pay,
           sum(t.teachers_hours_met) / nullif(sum(t.teachers_full_time), 0) AS training_share,
           sum(t.exchange_eligible)::BIGINT AS exchange_eligible,
           sum(t.exchanged)::BIGINT AS exchanged,
           sum(t.exchanged_backbone)::BIGINT AS exchanged_backbone,
           sum(t.teachers_certified) / nullif(sum(t.teachers_full_time), 0) AS certified_share,
           sum(t.teachers_full_time)::BIGINT AS teachers_full_time,
           sum(t.teachers_trained_year)::BIGINT AS teachers_trained_year
    FROM teacher_counts t JOIN schools s USING (school_id)
    GROUP BY s.adcode, t.year
), special AS (
    SELECT adcode, year, count(DISTINCT school_id) FILTER (WHERE g7_ok = FALSE) AS g7_fail,
           count(DISTINCT school_id) FILTER (WHERE g7_ok IS NULL) AS g7_nodata
    FROM school_indicators WHERE g7_applies GROUP BY adcode, year
), units AS (
    -- every county and year some file reports, even one without pupils: its verdicts are then
    -- unknown (数据不足), never absent from the map
    SELECT DISTINCT adcode, year FROM school_indicators
    UNION SELECT adcode, year FROM county_year WHERE year BETWEEN $first_year AND $last_year
    UNION SELECT s.adcode, x.year FROM school_year x JOIN schools s USING (school_id)
          WHERE x.year BETWEEN $first_year AND $last_year
    UNION SELECT s.adcode, x.year FROM teacher_counts x JOIN schools s USING (school_id)
          WHERE x.year BETWEEN $first_year AND $last_year
    UNION SELECT s.adcode, x.year FROM funding x JOIN schools s USING (school_id)
          WHERE x.year BETWEEN $first_year AND $last_year
)
SELECT u.adcode, u.year, cy.* EXCLUDE (adcode, year), st.* EXCLUDE (adcode, year),
       coalesce(sp.g7_fail, 0) AS g7_fail, coalesce(sp.g7_nodata, 0) AS g7_nodata
FROM units u
LEFT JOIN county_year cy USING (adcode, year)
LEFT JOIN staff st USING (adcode, year)
LEFT JOIN special sp USING (adcode, year)
ORDER BY u.year, u.adcode
"""


# --------------------------------------------------------------------------------------------
# Criteria → verdicts


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


def _text(zh: pd.Series, en: pd.Series, present: pd.Series) -> tuple[pd.Series, pd.Series]:
    return zh.where(present, ""), en.where(present, "")


# Each check returns (value, passed, standard, (detail_zh, detail_en)) for every row of base.
# The names are the registry of analytics.assess.criteria.CHECKS (a test keeps the two in step).


def _check_school_indicator(c: Criterion, stage: str, base: pd.DataFrame, std: float):
    """The CV of one indicator; unknown when some school lacks that indicator's data."""
    i = c.id[1:]
    value = base[f"cv_r{i}"]
    std = c.cv_threshold[stage]
    missing = base["schools_assessed"].fillna(0) - base[f"schools_r{i}"].fillna(0)
    passed = _compare(value, "<=", std).mask(missing > 0)
    n = missing.astype("Int64").astype(str)
    return value, passed, std, _text("缺 " + n + " 所学校数据，差异系数按其余学校计算",
                                     n + " school(s) lack data; CV computed over the others", missing > 0)


def _check_school_compliance(c, stage, base, std):
    value = base["noncompliant_schools"]
    passed = (value == 0).astype("boolean").mask(base["schools_assessed"].isna())
    passed = passed.mask((value == 0) & (base["schools_no_data"].fillna(0) > 0))
    n = base["schools_no_data"].fillna(0).astype(int).astype(str)
    return value, passed, std, _text("缺数据学校 " + n + " 所", n + " school(s) without data",
                                     base["schools_no_data"].fillna(0) > 0)


def _per_school(column: str):
    def check(c, stage, base, std):
        nodata = f"{column}_nodata" if f"{column}_nodata" in base else None
        value, passed = _school_count(base, f"{column}_fail", nodata)
        passed = passed.mask(base["students"].isna())
        if nodata is None:
            return value, passed, std, (_blank(base), _blank(base))
        n = base[nodata].fillna(0).astype(int).astype(str)
        return value, passed, std, _text("缺数据学校 " + n + " 所", n + " school(s) without data",
                                         base[nodata].fillna(0) > 0)
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
    return value, passed, std, _text("骨干教师占交流教师 " + pct + f"（标准 ≥ {limit}）",
                                     "backbone teachers " + pct + f" of those exchanged (standard ≥ {limit})",
                                     backbone.notna())


def _check_teacher_certified(c, stage, base, std):
    return base["certified_share"], _compare(base["certified_share"], ">=", std), std, (_blank(base), _blank(base))


def _check_quality_monitoring(c, stage, base, std):
    value = base["quality_monitoring_level"]
    diff = base["quality_monitoring_diff"]
    limit = float(c.options["max_difference"])
    passed = (_compare(value, ">=", std) & (diff < limit).astype("boolean").mask(diff.isna()))
    d = diff.round(3).astype(str)
    return value, passed, std, _text("校际差异率 " + d + f"（标准 < {limit:g}）",
                                     "inter-school difference rate " + d + f" (standard < {limit:g})", diff.notna())


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


def _verdicts(c: Criterion, stage: str | None, base: pd.DataFrame, cr: Criteria) -> pd.DataFrame:
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


LazyFrame = pd.DataFrame | Callable[[], pd.DataFrame]  # a frame, or a function that reads it


class Assessment:
    """The assessment of one or all years: per school, per criterion, per county.

    schools and results may be given as functions that read the frame: each is then read when
    first used (the national map never uses either; four national years of them take 2.3 s and
    650 MB)."""

    def __init__(self, schools: LazyFrame, results: LazyFrame, counties: pd.DataFrame, criteria: Criteria,
                 facts: pd.DataFrame | None = None, stored_all: bool = False):
        self._lazy = {"schools": schools, "results": results}
        self.stored_all = stored_all  # read from the results stored with the data, every year
        self._lock = threading.Lock()
        self.counties = counties  # one row per county, year and stage (primary, junior, all)
        self.criteria = criteria
        self.facts = pd.DataFrame() if facts is None else facts  # county-wide inputs per county and year

    def _frame(self, name: str) -> pd.DataFrame:
        if callable(self._lazy[name]):
            with self._lock:
                if callable(self._lazy[name]):
                    self._lazy[name] = self._lazy[name]()
        return self._lazy[name]

    def unread(self, name: str) -> bool:
        """Whether a lazily given frame ('schools', 'results') has not been read yet."""
        return callable(self._lazy[name])

    @property
    def schools(self) -> pd.DataFrame:
        """One row per school, stage and year with R1–R7 and the per-school checks."""
        return self._frame("schools")

    @property
    def results(self) -> pd.DataFrame:
        """One row per county, year, stage and criterion."""
        return self._frame("results")

    def part(self, region: str, year: int) -> Assessment:
        """The assessment of one region (with everything in it) and one year only: small enough
        to hand to another process (a briefing pack writes its workbook in its helper)."""
        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            return frame if frame.empty else regions.within(frame[frame["year"] == year], region)
        return Assessment(schools=cut(self.schools), results=cut(self.results), counties=cut(self.counties),
                          criteria=self.criteria, facts=cut(self.facts))

    def __getstate__(self) -> dict:
        """Pickled with its frames read (a lazy frame reads through this process's connection)
        and without its lock."""
        state = {**self.__dict__, "_lazy": {name: self._frame(name) for name in self._lazy}}
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def year_range(year: int | None) -> dict:
    """The SQL parameters first_year / last_year of one year, or of all (None): a plain range
    lets DuckDB skip the row groups of other years, where "$year IS NULL OR …" cannot."""
    return {"first_year": year, "last_year": year} if year is not None else {"first_year": 0, "last_year": 9999}


def _parameters(cr: Criteria, year: int | None) -> dict:
    """The SQL parameters, read from the criteria by their check (validated when the file loads)."""
    res = cr.resource
    g3, g4, g5 = cr.by_check("school_arts_rooms"), cr.by_check("school_size"), cr.by_check("class_size")
    g6 = cr.by_check("small_school_funding")
    w = cr.weights
    return {
        **year_range(year),
        "excluded_kinds": list(res["excluded_kinds"]),
        "small_tp": int(res["small_teaching_point_students"]),
        "min_met": int(res["min_met"]),
        "floor_ratio": float(res["floor_ratio"]),
        "w_primary": w["primary"], "w_junior": w["junior"], "w_senior": w["senior"],
        "senior_kinds": list(res["senior_kinds"]),
        "classes_per_room": float(g3.options["classes_per_room"]),
        "music_m2": float(g3.options["music_room_m2"]),
        "art_m2": float(g3.options["art_room_m2"]),
        "through_kinds": list(g4.options["through_kinds"]),
        "max_through": int(g4.options["max_students_through"]),
        "max_school": int(g4.options["max_students"]),
        "max_class_primary": int(g5.options["max_class"]["primary"]),
        "max_class_junior": int(g5.options["max_class"]["junior"]),
        "floor_students": int(g6.options["floor_students"]),
        "village_kinds": list(g6.options["village_kinds"]),
        "any_locale_kinds": list(g6.options["any_locale_kinds"]),
        "special_min": float(cr.by_check("special_funding").options["min_per_student"]),
        "training_share": float(cr.by_check("training_budget").options["min_share"]),
    }


def _standards_frame(cr: Criteria) -> pd.DataFrame:
    return pd.DataFrame([
        {"stage": s, **{f"s{i}": cr[f"R{i}"].threshold[s] for i in range(1, 8)}} for s in STAGES
    ])


def assess(con: duckdb.DuckDBPyConnection, year: int | None = None,
           criteria: Criteria | None = None, lazy: bool = False) -> Assessment:
    """Assess every county of the database for one year (or all years when year is None). When
    the database holds the results of these criteria (stored when it was written, see `store`),
    they are read instead of computed again; lazy: the stored school rows and criterion results
    are read when first used, through `con` (which must then stay open)."""
    cr = criteria or load_criteria()
    kept = stored(con, cr, year, lazy)
    return kept if kept is not None else compute(con, year, cr)


def compute(con: duckdb.DuckDBPyConnection, year: int | None, cr: Criteria) -> Assessment:
    """The assessment itself, from the school, teacher and funding rows (the one implementation)."""
    params = _parameters(cr, year)
    hours = float(cr.by_check("training_hours").options["hours"])
    con.register("resource_standards", _standards_frame(cr))
    rules = teacher_rules(cr)
    sql = TEACHER_SQL.format(degree=rules.degree, backbone=rules.backbone, pe_arts=rules.pe_arts)
    con.register("teacher_counts", con.sql(sql, params={**year_range(year), "hours": hours}).to_arrow_table())
    indicators = con.sql(SCHOOL_SQL, params=params).to_arrow_table()
    con.register("school_indicators", indicators)
    stage_frame = db.frame(con, COUNTY_SQL)
    county_frame = db.frame(con, COUNTY_WIDE_SQL, year_range(year))
    for name in ("school_indicators", "teacher_counts"):
        con.unregister(name)
    return _assemble(partial(_school_frame, indicators), stage_frame, county_frame, cr, con)


def _school_frame(indicators: pa.Table) -> pd.DataFrame:
    """The school rows in their one order, as pandas: done when first used (the county verdicts
    do not need them; sorting and converting 290,000 national rows takes 0.1–0.2 s)."""
    return db.arrow_frame(indicators.sort_by([(c, "ascending") for c in SCHOOL_ORDER]))


def _assemble(schools: LazyFrame, stage_frame: pd.DataFrame, county_frame: pd.DataFrame,
              cr: Criteria, con: duckdb.DuckDBPyConnection) -> Assessment:
    units = county_frame[["adcode", "year"]].reset_index(drop=True)
    by_stage = {  # one row per unit, in the units' order (missing stages as NULL rows)
        stage: (units.assign(stage=stage).merge(stage_frame, on=["adcode", "year", "stage"], how="left")
                .merge(county_frame, on=["adcode", "year"], how="left"))
        for stage in STAGES}
    county_base = county_frame.reset_index(drop=True)
    verdicts = [Verdict(c, stage, _verdicts(c, stage, by_stage[stage] if stage else county_base, cr))
                for c in cr.items for stage in (c.stages if c.scope == "stage" else (None,))]
    results = _results(units, verdicts)
    counties = _statuses(units, verdicts, by_stage)
    regions = con.execute(
        "SELECT adcode, county_name, city_adcode, city_name, province_adcode, province_name FROM regions"
    ).df()
    counties = regions.merge(counties, on="adcode", how="right")
    order = counties["stage"].map({"primary": 0, "junior": 1, OVERALL: 2})
    counties = (counties.assign(_o=order).sort_values(["year", "adcode", "_o"], kind="stable")
                .drop(columns="_o").reset_index(drop=True))
    return Assessment(schools=schools, results=results, counties=counties, criteria=cr, facts=county_frame)


class Verdict(NamedTuple):
    """One criterion for one stage (None: county-wide) for every unit, in the units' order."""
    criterion: Criterion
    stage: str | None
    frame: pd.DataFrame  # value, standard, passed, detail, detail_en

    @property
    def scope(self) -> str:
        return self.stage or "county"


def _results(units: pd.DataFrame, verdicts: list[Verdict]) -> pd.DataFrame:
    """The long table of criterion results: one row per unit, criterion and stage (or 'county'),
    in the criteria's order, with each criterion's names and kind alongside."""
    n = len(units)
    which = pa.array(np.repeat(np.arange(len(verdicts)), n))  # the verdict of each row

    def each(field: Callable[[Verdict], str]) -> pd.Series:
        """One text per verdict, repeated along its rows (through Arrow: no Python string per row)."""
        return pa.array([field(v) for v in verdicts], pa.string()).take(which).to_pandas()

    keys = pd.DataFrame({"adcode": np.tile(units["adcode"].to_numpy(), len(verdicts)),
                         "year": np.tile(units["year"].to_numpy(), len(verdicts)),
                         "stage": each(lambda v: v.scope)})
    body = pd.concat([v.frame for v in verdicts], ignore_index=True)
    results = pd.concat([keys, body], axis=1)
    for name in ("id", "part", "name_zh", "name_en", "unit", "direction"):
        results["criterion" if name == "id" else name] = each(lambda v: getattr(v.criterion, name))
    results["counted"] = np.repeat(np.array([v.criterion.counted for v in verdicts], dtype=bool), n)
    results["gap"] = _gap(results)
    return results


# --------------------------------------------------------------------------------------------
# Results stored with the data: computed once when a database is written, read by every page

DERIVED = ("schools", "results", "counties", "facts")  # the Assessment's frames, as derived_<name> tables
STORED = (*DERIVED, "gaps", "sums")  # and the urban–rural sums and progress sums per county and year


# the code that computes the results, as loaded by this process (not as the files are now: an
# upgrade on disk must not change what a running server believes it computed)
_CODE = hashlib.sha256(Path(__file__).read_bytes() + Path(criteria_module.__file__).read_bytes()).digest()


def derivation_key(cr: Criteria) -> str:
    """What stored results depend on: the criteria in force and the code that computes them (so a
    provincial criteria file, or a new version of this module, never reads stale results)."""
    return hashlib.sha256(_CODE + repr((cr.resource, cr.items)).encode()).hexdigest()[:16]


def store(con: duckdb.DuckDBPyConnection, criteria: Criteria | None = None) -> Assessment:
    """Assess every year of the database being written (`con` on its new file) and keep the
    results in it: derived_* tables and the metadata row 'derived' (key, column types)."""
    cr = criteria or load_criteria()
    a = compute(con, None, cr)
    frames = {**{name: getattr(a, name) for name in DERIVED}, "gaps": compute_gaps(con, None, cr)}
    frames["sums"] = compute_sums(con, a, frames["gaps"])
    types = {}
    for name, frame in frames.items():
        types[name] = {c: str(t) for c, t in frame.dtypes.items()}
        con.register("derived_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE derived_{name} AS SELECT * FROM derived_frame")
        con.unregister("derived_frame")
    con.execute("INSERT OR REPLACE INTO metadata VALUES ('derived', ?)",
                [json.dumps({"key": derivation_key(cr), "types": types})])
    return a


def _stamp(con: duckdb.DuckDBPyConnection) -> dict:
    row = con.execute("SELECT value FROM metadata WHERE key = 'derived'").fetchall()
    return json.loads(row[0][0]) if row else {}


def _current_types(con: duckdb.DuckDBPyConnection, cr: Criteria) -> tuple[str, dict]:
    """The state of the stored results — 'current' (of these criteria and this code), 'stale' (of
    other criteria or an earlier version) or 'none' — and, when current, their column types."""
    info = _stamp(con)
    if not info:
        return "none", {}
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    complete = {f"derived_{n}" for n in STORED} <= tables and set(STORED) <= set(info.get("types", {}))
    current = complete and info.get("key") == derivation_key(cr)
    return ("current", info["types"]) if current else ("stale", {})


def stored_state(con: duckdb.DuckDBPyConnection, cr: Criteria) -> str:
    """'current', 'stale' (computed instead; `migrate` stores them again) or 'none'."""
    return _current_types(con, cr)[0]


def stored(con: duckdb.DuckDBPyConnection, cr: Criteria, year: int | None = None,
           lazy: bool = False) -> Assessment | None:
    """The stored assessment (of one year, or all), if the database has one for these criteria
    and this code (lazy: its school rows and criterion results read when first used)."""
    state, types = _current_types(con, cr)
    if state != "current":
        return None
    frames = {name: partial(_read, con, name, year, types[name]) for name in DERIVED}
    frames = {name: read if lazy and name in ("schools", "results") else read() for name, read in frames.items()}
    return Assessment(criteria=cr, stored_all=year is None, **frames)


def _read(con: duckdb.DuckDBPyConnection, name: str, year: int | None, types: dict[str, str]) -> pd.DataFrame:
    """One stored frame (of one year, or all) with the column types it was computed with."""
    where, params = ("", None) if year is None else (" WHERE year = $year", {"year": int(year)})
    frame = db.frame(con, f"SELECT * FROM derived_{name}{where}", params)
    for column, dtype in types.items():
        if str(frame[column].dtype) != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


def _gap(results: pd.DataFrame) -> pd.Series:
    """How far a failed numeric criterion is from its standard (value − standard, signed to need)."""
    gap = results["standard"] - results["value"]
    gap = gap.where(results["direction"] == ">=", results["value"] - results["standard"])
    cv = results["criterion"].isin(RESOURCE_IDS)
    gap = gap.where(~cv, results["value"] - results["standard"])
    return gap.where(results["passed"].fillna(True) == False)  # noqa: E712


def _joined(hits: np.ndarray, labels: list[str]) -> np.ndarray:
    """Per row of a units × verdicts mask, the labels of its hits joined by ", " in column order."""
    out = np.full(hits.shape[0], "", dtype=object)
    for j in np.flatnonzero(hits.any(axis=0)):
        rows = hits[:, j]
        out[rows] = np.where(out[rows] == "", labels[j], out[rows] + ", " + labels[j])
    return out


def _statuses(units: pd.DataFrame, verdicts: list[Verdict], by_stage: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Status per county, year and stage (and overall) from the counted criteria (DOMAIN.md §2.6).

    In this order: 不予认定 (a veto applies), 差3项及以上 (3+ counted criteria known to fail),
    数据不足 (fewer fail but a counted criterion, or some school's resource data, is missing),
    差1–2项, 达标. Criteria not counted never change the status nor appear in these lists.
    Every verdict is aligned with `units`, so each status is a sum across a units × verdicts mask.
    """
    passed = [v.frame["passed"] for v in verdicts]
    failed = np.column_stack([(p == False).fillna(False).to_numpy(dtype=bool) for p in passed])  # noqa: E712
    missing = np.column_stack([p.isna().to_numpy(dtype=bool) for p in passed])
    counted = np.array([v.criterion.counted for v in verdicts], dtype=bool)
    veto = np.array([v.criterion.part == "veto" for v in verdicts], dtype=bool)
    scope = np.array([v.scope for v in verdicts], dtype=object)
    summed = ["schools_assessed", "students_assessed", "noncompliant_schools", "schools_missing_resource"]
    cvs = [f"cv_r{i}" for i in range(1, 8)]

    rows = []
    for stage in STAGES + (OVERALL,):
        stages = list(STAGES) if stage == OVERALL else [stage]
        keep = counted & np.isin(scope, ["county", *stages])
        # criterion codes as listed: 'R4' per stage, 'R4·primary' when both stages are listed
        labels = [v.criterion.id if stage != OVERALL or v.stage is None else f"{v.criterion.id}·{v.stage}"
                  for v in verdicts]
        out = units.copy()
        for count, listed, hits in (("failed", "failed_criteria", failed & (keep & ~veto)),
                                    ("vetoes", "veto_criteria", failed & (keep & veto)),
                                    ("missing", "missing_criteria", missing & keep)):
            out[count] = hits.sum(axis=1)
            out[listed] = pd.Series(_joined(hits, labels), dtype=str)
        out["criteria_counted"] = int(keep.sum())
        out["veto"] = out["vetoes"] > 0
        out["resource_data"] = np.logical_and.reduce(
            [(by_stage[s]["schools_assessed"].fillna(0) > 0).to_numpy(dtype=bool) for s in stages])
        incomplete = (out["missing"] > 0) | ~out["resource_data"]
        out["status"] = np.select(
            [out["veto"], out["failed"] >= 3, incomplete, out["failed"] > 0],
            ["vetoed", "far", "incomplete", "near"], default="pass")
        out["coverage_criteria"] = 1 - out["missing"] / out["criteria_counted"].where(out["criteria_counted"] > 0)
        if stage == OVERALL:
            # both stages together: counts add up; a CV is the worse of the two stages
            both = [by_stage[s] for s in STAGES]
            for col in summed:
                out[col] = sum(b[col].fillna(0) for b in both)
            for col in cvs:
                out[col] = np.fmax(*(b[col].to_numpy(dtype=float, na_value=np.nan) for b in both))
            out["cv_composite"] = np.fmax(*(b[cvs].mean(axis=1, skipna=False).to_numpy(dtype=float, na_value=np.nan)
                                            for b in both))
        else:
            cols = summed + [f"{m}_r{i}" for m in ("mean", "cv", "schools") for i in range(1, 8)]
            out = pd.concat([out, by_stage[stage][cols]], axis=1)
            out["cv_composite"] = out[cvs].mean(axis=1, skipna=False)
        rows.append(out.assign(stage=stage))
    counties = pd.concat(rows, ignore_index=True)
    for col in summed:
        counties[col] = counties[col].fillna(0).astype(int)
    assessed = counties["schools_assessed"].where(counties["schools_assessed"] > 0)
    counties["coverage_schools"] = 1 - counties["schools_missing_resource"] / assessed
    return counties


# --------------------------------------------------------------------------------------------
# Roll-ups and gaps


def rollup(counties: pd.DataFrame, level: str = "city") -> pd.DataFrame:
    """Share of counties passing and counts by status per prefecture city or province."""
    key = {"city": ["city_adcode", "city_name"], "province": ["province_adcode", "province_name"]}[level]
    counts = (counties.groupby(key + ["year", "stage", "status"]).size().unstack("status", fill_value=0)
              .reindex(columns=list(STATUSES), fill_value=0))
    counts["counties"] = counts[list(STATUSES)].sum(axis=1)
    counts["pass_share"] = counts["pass"] / counts["counties"]
    out = counts.reset_index()
    out.columns.name = None
    return out.rename(columns={key[0]: "adcode", key[1]: "name"})


URBAN_RURAL_SQL = """
WITH pupils AS (
    SELECT s.adcode, ssy.year, ssy.school_id,
           CASE WHEN s.locale = 'rural' THEN 'rural' ELSE 'urban' END AS area,
           sum(ssy.students) AS students
    FROM school_stage_year ssy JOIN schools s USING (school_id)
    WHERE (ssy.year BETWEEN $first_year AND $last_year)
      AND s.kind NOT IN (SELECT unnest($excluded_kinds::VARCHAR[]))
    GROUP BY ALL
), money AS (
    SELECT school_id, year, sum(amount_yuan) FILTER (WHERE source = 'government') AS government
    FROM funding WHERE year BETWEEN $first_year AND $last_year GROUP BY ALL
), staff AS (
    SELECT school_id, year,
           count(*) FILTER (WHERE full_time) AS teachers,
           count(*) FILTER (WHERE full_time AND degree IN ('bachelor', 'postgraduate')) AS bachelor,
           sum(training_hours_year) FILTER (WHERE full_time) AS training_hours,
           sum(annual_pay_yuan) FILTER (WHERE full_time) AS pay
    FROM teachers WHERE year BETWEEN $first_year AND $last_year GROUP BY ALL
), by_area AS (
    SELECT p.adcode, p.year, p.area,
           sum(p.students) AS students,
           sum(m.government) AS government_yuan,
           sum(sy.equipment_value_yuan) AS equipment_yuan,
           sum(st.teachers) AS teachers,
           sum(st.bachelor) AS bachelor,
           sum(st.training_hours) AS training_hours,
           sum(st.pay) AS pay
    FROM pupils p
    LEFT JOIN money m USING (school_id, year)
    LEFT JOIN school_year sy USING (school_id, year)
    LEFT JOIN staff st USING (school_id, year)
    GROUP BY ALL
)
SELECT adcode, year,
       max(students)        FILTER (WHERE area = 'urban') AS urban_students,
       max(government_yuan) FILTER (WHERE area = 'urban') AS urban_government_yuan,
       max(equipment_yuan)  FILTER (WHERE area = 'urban') AS urban_equipment_yuan,
       max(teachers)        FILTER (WHERE area = 'urban') AS urban_teachers,
       max(bachelor)        FILTER (WHERE area = 'urban') AS urban_bachelor,
       max(training_hours)  FILTER (WHERE area = 'urban') AS urban_training_hours_sum,
       max(pay)             FILTER (WHERE area = 'urban') AS urban_pay_sum,
       max(students)        FILTER (WHERE area = 'rural') AS rural_students,
       max(government_yuan) FILTER (WHERE area = 'rural') AS rural_government_yuan,
       max(equipment_yuan)  FILTER (WHERE area = 'rural') AS rural_equipment_yuan,
       max(teachers)        FILTER (WHERE area = 'rural') AS rural_teachers,
       max(bachelor)        FILTER (WHERE area = 'rural') AS rural_bachelor,
       max(training_hours)  FILTER (WHERE area = 'rural') AS rural_training_hours_sum,
       max(pay)             FILTER (WHERE area = 'rural') AS rural_pay_sum
FROM by_area
GROUP BY adcode, year
ORDER BY year, adcode
"""

GAP_SUMS = tuple(f"{area}_{part}" for area in ("urban", "rural") for part in (
    "students", "government_yuan", "equipment_yuan", "teachers", "bachelor", "training_hours_sum", "pay_sum"))


def gap_ratios(sums: pd.DataFrame) -> pd.DataFrame:
    """Urban–rural ratios from the additive sums (so a city or province is summed, then divided).

    funding_gap = (urban − rural) / urban government funding per pupil; rural_equipment_ratio =
    rural / urban equipment value per pupil; bachelor shares of full-time teachers and their gap
    in percentage points (as a fraction); annual training hours per full-time teacher;
    rural_pay_premium = rural / urban average pay of full-time teachers − 1.
    """
    def per(num: str, den: str) -> pd.Series:
        return sums[num] / sums[den].where(sums[den] > 0)

    out = sums.copy()
    for area in ("urban", "rural"):
        out[f"{area}_funding_per_student"] = per(f"{area}_government_yuan", f"{area}_students")
        out[f"{area}_equipment_per_student"] = per(f"{area}_equipment_yuan", f"{area}_students")
        out[f"{area}_bachelor_share"] = per(f"{area}_bachelor", f"{area}_teachers")
        out[f"{area}_training_hours"] = per(f"{area}_training_hours_sum", f"{area}_teachers")
        out[f"{area}_pay"] = per(f"{area}_pay_sum", f"{area}_teachers")
    urban_funding = out["urban_funding_per_student"].where(out["urban_funding_per_student"] != 0)
    out["funding_gap"] = (out["urban_funding_per_student"] - out["rural_funding_per_student"]) / urban_funding
    urban_equipment = out["urban_equipment_per_student"].where(out["urban_equipment_per_student"] != 0)
    out["rural_equipment_ratio"] = out["rural_equipment_per_student"] / urban_equipment
    out["bachelor_share_gap"] = out["urban_bachelor_share"] - out["rural_bachelor_share"]
    out["rural_pay_premium"] = out["rural_pay"] / out["urban_pay"].where(out["urban_pay"] > 0) - 1
    return out


def urban_rural_gaps(con: duckdb.DuckDBPyConnection, year: int | None = None,
                     criteria: Criteria | None = None) -> pd.DataFrame:
    """Urban (城区+镇区) vs rural (乡村) per county and year: funding, equipment, degrees, training
    (stored with the data when the stamp matches, like the assessment; computed otherwise)."""
    cr = criteria or load_criteria()
    state, types = _current_types(con, cr)
    if state == "current":
        return _read(con, "gaps", year, types["gaps"])
    return compute_gaps(con, year, cr)


def compute_gaps(con: duckdb.DuckDBPyConnection, year: int | None, cr: Criteria) -> pd.DataFrame:
    """The urban–rural sums and ratios from the raw tables (the one implementation)."""
    sums = con.execute(URBAN_RURAL_SQL, {**year_range(year), "excluded_kinds": list(cr.resource["excluded_kinds"])}).df()
    return gap_ratios(sums)


# --------------------------------------------------------------------------------------------
# Additive sums per county and year (progress shares are summed over counties, then divided)

FUNDING_SUMS_SQL = """
SELECT s.adcode, f.year,
       sum(f.amount_yuan) AS funding_total_yuan,
       sum(f.amount_yuan) FILTER (WHERE f.source = 'donation') AS donation_yuan,
       sum(f.amount_yuan) FILTER (WHERE f.item = 'maintenance') AS maintenance_yuan
FROM funding f JOIN schools s USING (school_id)
GROUP BY s.adcode, f.year
"""


def county_sums(con: duckdb.DuckDBPyConnection, a: Assessment, gaps: pd.DataFrame) -> pd.DataFrame:
    """Additive inputs per county and year (counts, yuan, pupils) that progress shares are made of:
    read from the stored results when `a` is the stored assessment of every year, else computed
    from `a` and its urban–rural `gaps`."""
    if a.stored_all:
        state, types = _current_types(con, a.criteria)
        if state == "current":
            return _read(con, "sums", None, types["sums"])
    return compute_sums(con, a, gaps)


def compute_sums(con: duckdb.DuckDBPyConnection, a: Assessment, gaps: pd.DataFrame) -> pd.DataFrame:
    """Additive inputs per county and year (counts, yuan, pupils) that progress shares are made of."""
    excluded = list(a.criteria.resource["excluded_kinds"])
    schools = a.schools.drop_duplicates(["school_id", "year"])  # facilities and money are per school
    regular = schools[~schools["kind"].isin(excluded) & (schools["school_students"] > 0)]
    rural = regular[regular["locale"] == "rural"]
    special = schools[(schools["kind"] == "特殊教育学校") & (schools["school_students"] > 0)]
    pupils = schools[schools["school_students"] > 0]
    keys = ["adcode", "year"]
    # per stage: schools with equipment data, and those meeting R6's standard (missing is not a miss)
    rated = a.schools[a.schools["eligible"].fillna(False).astype(bool) & a.schools["ratio_r6"].notna()]
    equipment = (rated.assign(ok=(rated["ratio_r6"] >= 1).astype(int))
                 .groupby(keys + ["stage"]).agg(eq_records=("school_id", "size"), eq_ok=("ok", "sum"))
                 .unstack("stage"))
    equipment.columns = [f"{name}_{stage}" for name, stage in equipment.columns]
    parts = [
        a.facts[keys + ["exchanged", "exchange_eligible", "exchanged_backbone", "teachers_full_time",
                        "teachers_trained_year"]],
        equipment.reindex(columns=[f"{n}_{s}" for n in ("eq_records", "eq_ok") for s in STAGES]),
        rural.assign(mm=rural["r7"] > 0, rooms_known=rural["g3_ok"].notna(), rooms_ok=rural["g3_ok"] == True)  # noqa: E712
        .groupby(keys).agg(rural_schools=("school_id", "size"), rural_multimedia_schools=("mm", "sum"),
                           rural_rooms_known=("rooms_known", "sum"), rural_rooms_ok=("rooms_ok", "sum")),
        pupils.groupby(keys).agg(all_students=("school_students", "sum")),
        regular.groupby(keys).agg(regular_public_yuan=("public_funding", "sum"),
                                  regular_students=("school_students", "sum")),
        special.groupby(keys).agg(special_public_yuan=("public_funding", "sum"),
                                  special_students=("school_students", "sum")),
        gaps[keys + list(GAP_SUMS)],
        con.execute(FUNDING_SUMS_SQL).df(),
    ]
    out = parts[0].set_index(keys)
    for p in parts[1:]:
        out = out.join(p.set_index(keys) if not isinstance(p.index, pd.MultiIndex) else p, how="outer")
    return out.reset_index()
