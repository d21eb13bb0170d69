"""The official 优质均衡 assessment (教督〔2017〕6号, DOMAIN.md §2) per county, stage and year.

Heavy lifting (school indicators from teacher rows, facilities and funding; enrolment-weighted
coefficients of variation) happens in DuckDB. The per-criterion verdicts are then derived from
the small county × stage frame with vectorised pandas, one block per kind of check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import duckdb
import numpy as np
import pandas as pd

from analytics.criteria import RESOURCE_IDS, STAGES, Criteria, Criterion, load_criteria

STATUSES = ("pass", "near", "far", "insufficient")  # 达标, 差1–2项, 差3项及以上, 数据不足
OVERALL = "all"


def weighted_cv(values: Sequence[float], weights: Sequence[float]) -> float:
    """Enrolment-weighted coefficient of variation (校际差异系数), DOMAIN.md §2.1.

    X̄ = Σ PᵢXᵢ / P, S = sqrt(Σ (Pᵢ/P)(Xᵢ − X̄)²), CV = S / X̄.
    """
    x = np.asarray(list(values), dtype=float)
    p = np.asarray(list(weights), dtype=float)
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
    if mean == 0:
        raise ValueError("weighted_cv: weighted mean is zero, the coefficient is undefined")
    var = float((p / total * (x - mean) ** 2).sum())
    return math.sqrt(var) / mean


# --------------------------------------------------------------------------------------------
# SQL

WEIGHTED_CV_SQL = """
-- Enrolment-weighted CV of column `x` weighted by `w` per group `g` of table `t`, two passes.
WITH means AS (
    SELECT g, sum(w * x) / sum(w) AS mean, sum(w) AS total FROM {table} GROUP BY g
)
SELECT t.g, sqrt(sum(t.w / m.total * (t.x - m.mean) ^ 2)) / nullif(m.mean, 0) AS cv
FROM {table} t JOIN means m USING (g)
GROUP BY t.g, m.mean, m.total
"""


def weighted_cv_sql(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """Weighted CV per group for a relation with columns g, x, w (the SQL twin of weighted_cv)."""
    return con.execute(WEIGHTED_CV_SQL.format(table=table)).df()


SCHOOL_SQL = """
WITH stage_rows AS (
    SELECT ssy.school_id, ssy.year, ssy.stage, ssy.students, ssy.classes, ssy.max_class_size,
           s.adcode, s.name, s.kind, s.locale, s.is_public,
           sum(ssy.students) OVER school AS school_students,
           sum(ssy.classes)  OVER school AS school_classes,
           sum(ssy.students * CASE ssy.stage WHEN 'primary' THEN cy.public_funding_norm_primary
                                             ELSE cy.public_funding_norm_junior END) OVER school
               AS norm_amount
    FROM school_stage_year ssy
    JOIN schools s USING (school_id)
    LEFT JOIN county_year cy ON cy.adcode = s.adcode AND cy.year = ssy.year
    WHERE $year IS NULL OR ssy.year = $year
    WINDOW school AS (PARTITION BY ssy.school_id, ssy.year)
), staff AS (
    SELECT school_id, year, stage,
           count(*) FILTER (WHERE full_time AND (degree IN ('bachelor', 'postgraduate')
                            OR (stage = 'primary' AND degree = 'associate'))) AS teachers_degree,
           count(*) FILTER (WHERE full_time AND backbone <> 'none') AS teachers_backbone,
           count(*) FILTER (WHERE full_time AND subject IN ('pe', 'music', 'art')) AS teachers_pe_arts,
           count(*) FILTER (WHERE full_time) AS teachers_full_time
    FROM teachers
    WHERE $year IS NULL OR year = $year
    GROUP BY school_id, year, stage
), money AS (
    SELECT school_id, year,
           sum(amount_yuan) FILTER (WHERE item = 'public_funding') AS public_funding,
           sum(amount_yuan) FILTER (WHERE item = 'teacher_training') AS training_funding
    FROM funding
    WHERE $year IS NULL OR year = $year
    GROUP BY school_id, year
), indicators AS (
    SELECT r.*,
           coalesce(st.teachers_full_time, 0) AS teachers_full_time,
           r.kind NOT IN (SELECT unnest($excluded_kinds::VARCHAR[]))
               AND NOT (r.kind = '教学点' AND r.school_students < $small_tp)
               AND r.students > 0 AS eligible,
           100.0 * coalesce(st.teachers_degree, 0) / nullif(r.students, 0)   AS r1,
           100.0 * coalesce(st.teachers_backbone, 0) / nullif(r.students, 0) AS r2,
           100.0 * coalesce(st.teachers_pe_arts, 0) / nullif(r.students, 0)  AS r3,
           -- facilities are per school: apportioned by enrolment share, so per pupil they are
           -- the school total over all its pupils
           sy.teaching_area_m2 / nullif(r.school_students, 0)            AS r4,
           sy.sports_area_m2 / nullif(r.school_students, 0)              AS r5,
           sy.equipment_value_yuan / nullif(r.school_students, 0)        AS r6,
           100.0 * sy.multimedia_rooms / nullif(r.school_students, 0)    AS r7,
           sy.music_rooms, sy.music_room_min_m2, sy.art_rooms, sy.art_room_min_m2,
           m.public_funding, m.training_funding
    FROM stage_rows r
    LEFT JOIN staff st USING (school_id, year, stage)
    LEFT JOIN school_year sy USING (school_id, year)
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
       CASE WHEN j.eligible THEN
           (j.q1 >= 1)::INT + (j.q2 >= 1)::INT + (j.q3 >= 1)::INT + (j.q4 >= 1)::INT
             + (j.q5 >= 1)::INT + (j.q6 >= 1)::INT + (j.q7 >= 1)::INT >= $min_met
           AND least(j.q1, j.q2, j.q3, j.q4, j.q5, j.q6, j.q7) >= $floor_ratio
       END AS compliant,
       -- G3: music and art rooms per 12 classes, with their smallest areas
       CASE WHEN j.eligible THEN
           j.music_rooms >= ceil(j.school_classes / $classes_per_room)
           AND j.art_rooms >= ceil(j.school_classes / $classes_per_room)
           AND coalesce(j.music_room_min_m2, 0) >= $music_m2
           AND coalesce(j.art_room_min_m2, 0) >= $art_m2
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
       -- G6: village schools and teaching points under 100 pupils funded as if they had 100
       j.locale = 'rural' AND j.school_students BETWEEN 1 AND $floor_students - 1
           AND j.kind NOT IN (SELECT unnest($excluded_kinds::VARCHAR[])) AS g6_applies,
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

COUNTY_SQL = """
WITH s AS (SELECT * FROM school_indicators WHERE eligible),
means AS (
    SELECT adcode, year, stage,
           count(*) AS schools_assessed,
           sum(students) AS students_assessed,
           sum(students * r1) / sum(students) AS mean_r1, sum(students * r2) / sum(students) AS mean_r2,
           sum(students * r3) / sum(students) AS mean_r3, sum(students * r4) / sum(students) AS mean_r4,
           sum(students * r5) / sum(students) AS mean_r5, sum(students * r6) / sum(students) AS mean_r6,
           sum(students * r7) / sum(students) AS mean_r7,
           count(*) FILTER (WHERE compliant = FALSE) AS noncompliant_schools,
           count(*) FILTER (WHERE compliant IS NULL) AS schools_no_data
    FROM s GROUP BY adcode, year, stage
), spread AS (
    SELECT s.adcode, s.year, s.stage,
           sqrt(sum(s.students * (s.r1 - m.mean_r1) ^ 2) / m.students_assessed) / nullif(m.mean_r1, 0) AS cv_r1,
           sqrt(sum(s.students * (s.r2 - m.mean_r2) ^ 2) / m.students_assessed) / nullif(m.mean_r2, 0) AS cv_r2,
           sqrt(sum(s.students * (s.r3 - m.mean_r3) ^ 2) / m.students_assessed) / nullif(m.mean_r3, 0) AS cv_r3,
           sqrt(sum(s.students * (s.r4 - m.mean_r4) ^ 2) / m.students_assessed) / nullif(m.mean_r4, 0) AS cv_r4,
           sqrt(sum(s.students * (s.r5 - m.mean_r5) ^ 2) / m.students_assessed) / nullif(m.mean_r5, 0) AS cv_r5,
           sqrt(sum(s.students * (s.r6 - m.mean_r6) ^ 2) / m.students_assessed) / nullif(m.mean_r6, 0) AS cv_r6,
           sqrt(sum(s.students * (s.r7 - m.mean_r7) ^ 2) / m.students_assessed) / nullif(m.mean_r7, 0) AS cv_r7
    FROM s JOIN means m USING (adcode, year, stage)
    GROUP BY s.adcode, s.year, s.stage, m.students_assessed,
             m.mean_r1, m.mean_r2, m.mean_r3, m.mean_r4, m.mean_r5, m.mean_r6, m.mean_r7
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
SELECT c.*, m.* EXCLUDE (adcode, year, stage), sp.* EXCLUDE (adcode, year, stage)
FROM checks c
LEFT JOIN means m USING (adcode, year, stage)
LEFT JOIN spread sp USING (adcode, year, stage)
"""

COUNTY_WIDE_SQL = """
WITH staff AS (
    SELECT s.adcode, t.year,
           avg(t.annual_pay_yuan) FILTER (WHERE t.full_time) AS teacher_pay,
           avg((t.training_hours_5y >= $hours)::INT) FILTER (WHERE t.full_time) AS training_share,
           count(*) FILTER (WHERE t.exchange_eligible) AS exchange_eligible,
           count(*) FILTER (WHERE t.exchanged) AS exchanged,
           count(*) FILTER (WHERE t.exchanged AND t.backbone <> 'none') AS exchanged_backbone,
           avg(t.certified::INT) FILTER (WHERE t.full_time) AS certified_share,
           count(*) FILTER (WHERE t.full_time) AS teachers_full_time,
           count(*) FILTER (WHERE t.full_time AND t.training_hours_year > 0) AS teachers_trained_year
    FROM teachers t JOIN schools s USING (school_id)
    WHERE $year IS NULL OR t.year = $year
    GROUP BY s.adcode, t.year
), special AS (
    SELECT adcode, year, count(DISTINCT school_id) FILTER (WHERE g7_ok = FALSE) AS g7_fail,
           count(DISTINCT school_id) FILTER (WHERE g7_ok IS NULL) AS g7_nodata
    FROM school_indicators WHERE g7_applies GROUP BY adcode, year
), units AS (
    SELECT DISTINCT adcode, year FROM school_indicators
    UNION SELECT adcode, year FROM county_year WHERE $year IS NULL OR year = $year
)
SELECT u.adcode, u.year, cy.* EXCLUDE (adcode, year), st.* EXCLUDE (adcode, year),
       coalesce(sp.g7_fail, 0) AS g7_fail, coalesce(sp.g7_nodata, 0) AS g7_nodata
FROM units u
LEFT JOIN county_year cy USING (adcode, year)
LEFT JOIN staff st USING (adcode, year)
LEFT JOIN special sp USING (adcode, year)
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


def _verdicts(c: Criterion, stage: str | None, base: pd.DataFrame, cr: Criteria) -> pd.DataFrame:
    """value / standard / passed / detail of one criterion for every row of base."""
    key = stage or "primary"
    std = c.threshold.get(key, np.nan)
    detail = pd.Series("", index=base.index, dtype=object)
    if c.check == "school_indicator":
        value = base[f"cv_{c.id.lower()}"]
        std = c.cv_threshold[stage]
        passed = _compare(value, "<=", std)
    elif c.check == "school_compliance":
        value = base["noncompliant_schools"]
        passed = (value == 0).astype("boolean").mask(base["schools_assessed"].isna())
        passed = passed.mask((value == 0) & (base["schools_no_data"].fillna(0) > 0))
    elif c.check in ("school_arts_rooms", "school_size", "class_size", "small_school_funding",
                     "training_budget"):
        col = {"school_arts_rooms": "g3", "school_size": "g4", "class_size": "g5",
               "small_school_funding": "g6", "training_budget": "q4"}[c.check]
        nodata = f"{col}_nodata" if f"{col}_nodata" in base else None
        value, passed = _school_count(base, f"{col}_fail", nodata)
        passed = passed.mask(base["students"].isna())
    elif c.check == "special_funding":
        value, passed = _school_count(base, "g7_fail", "g7_nodata")
    elif c.check == "teacher_pay":
        value = base["teacher_pay"] / base["civil_servant_pay_yuan"]
        passed = _compare(value, ">=", std)
    elif c.check == "training_hours":
        value = base["training_share"]
        passed = _compare(value, ">=", std)
    elif c.check == "teacher_exchange":
        value = base["exchanged"] / base["exchange_eligible"].where(base["exchange_eligible"] > 0)
        backbone = base["exchanged_backbone"] / base["exchanged"].where(base["exchanged"] > 0)
        share = float(c.options["backbone_share"])
        passed = (_compare(value, ">=", std) & _compare(backbone, ">=", share)).astype("boolean")
        detail = ("骨干教师占交流教师 " + (backbone * 100).round(1).astype(str) + "%").where(backbone.notna(), "")
    elif c.check == "teacher_certified":
        value = base["certified_share"]
        passed = _compare(value, ">=", std)
    elif c.check == "quality_monitoring":
        value = base["quality_monitoring_level"]
        diff = base["quality_monitoring_diff"]
        limit = float(c.options["max_difference"])
        passed = (_compare(value, ">=", std) & (diff < limit).astype("boolean").mask(diff.isna()))
        detail = ("校际差异率 " + diff.round(3).astype(str)).where(diff.notna(), "")
    elif c.check == "county_figure":
        value = base[c.column(key)]
        passed = _compare(value, c.direction, std)
    elif c.check == "attestation":
        value = _as_bool(base[c.options["column"]])
        passed = value if c.direction == "is_true" else ~value
        std = np.nan
    else:
        raise ValueError(f"{cr.path}: criterion {c.id} has unknown check {c.check!r}")
    return pd.DataFrame({
        "value": pd.to_numeric(value.astype("Float64"), errors="coerce"),
        "standard": std,
        "passed": passed.astype("boolean"),
        "detail": detail,
    })


@dataclass
class Assessment:
    """The assessment of one or all years: per school, per criterion, per county."""

    schools: pd.DataFrame    # one row per school, stage and year with R1–R7 and checks
    results: pd.DataFrame    # one row per county, year, stage and criterion
    counties: pd.DataFrame   # one row per county, year and stage (primary, junior, all)
    criteria: Criteria
    facts: pd.DataFrame = field(default_factory=pd.DataFrame)  # county-wide inputs per county and year


def _parameters(cr: Criteria, year: int | None) -> dict:
    res = cr.resource
    return {
        "year": year,
        "excluded_kinds": list(res["excluded_kinds"]),
        "small_tp": int(res["small_teaching_point_students"]),
        "min_met": int(res["min_met"]),
        "floor_ratio": float(res["floor_ratio"]),
        "classes_per_room": float(cr["G3"].options["classes_per_room"]),
        "music_m2": float(cr["G3"].options["music_room_m2"]),
        "art_m2": float(cr["G3"].options["art_room_m2"]),
        "through_kinds": list(cr["G4"].options["through_kinds"]),
        "max_through": int(cr["G4"].options["max_students_through"]),
        "max_school": int(cr["G4"].options["max_students"]),
        "max_class_primary": int(cr["G5"].options["max_class"]["primary"]),
        "max_class_junior": int(cr["G5"].options["max_class"]["junior"]),
        "floor_students": int(cr["G6"].options["floor_students"]),
        "special_min": float(cr["G7"].options["min_per_student"]),
        "training_share": float(cr["Q4"].options["min_share"]),
    }


def _standards_frame(cr: Criteria) -> pd.DataFrame:
    return pd.DataFrame([
        {"stage": s, **{f"s{i}": cr[f"R{i}"].threshold[s] for i in range(1, 8)}} for s in STAGES
    ])


def school_indicators(con: duckdb.DuckDBPyConnection, year: int | None = None,
                      criteria: Criteria | None = None) -> pd.DataFrame:
    """R1–R7, compliance and per-school G/Q checks for every school, stage (and year)."""
    cr = criteria or load_criteria()
    con.register("resource_standards", _standards_frame(cr))
    return con.execute(SCHOOL_SQL, _parameters(cr, year)).df()


def assess(con: duckdb.DuckDBPyConnection, year: int | None = None,
           criteria: Criteria | None = None) -> Assessment:
    """Assess every county of the database for one year (or all years when year is None)."""
    cr = criteria or load_criteria()
    params = _parameters(cr, year)
    con.register("resource_standards", _standards_frame(cr))
    schools = con.execute(SCHOOL_SQL, params).df()
    con.register("school_indicators", schools)
    stage_frame = con.execute(COUNTY_SQL).df()
    county_frame = con.execute(COUNTY_WIDE_SQL, {"year": year, "hours": float(cr["G9"].options["hours"])}).df()
    con.unregister("school_indicators")
    return _assemble(schools, stage_frame, county_frame, cr, con)


def _assemble(schools: pd.DataFrame, stage_frame: pd.DataFrame, county_frame: pd.DataFrame,
              cr: Criteria, con: duckdb.DuckDBPyConnection) -> Assessment:
    units = county_frame[["adcode", "year"]]
    grid = pd.concat([units.assign(stage=s) for s in STAGES], ignore_index=True)
    stage_base = (grid.merge(stage_frame, on=["adcode", "year", "stage"], how="left")
                  .merge(county_frame, on=["adcode", "year"], how="left"))
    county_base = county_frame

    parts = []
    for c in cr.items:
        if c.scope == "stage":
            for stage in c.stages:
                rows = stage_base[stage_base["stage"] == stage]
                v = _verdicts(c, stage, rows, cr)
                parts.append(pd.concat([rows[["adcode", "year", "stage"]], v], axis=1).assign(criterion=c.id))
        else:
            v = _verdicts(c, None, county_base, cr)
            parts.append(pd.concat([county_base[["adcode", "year"]], v], axis=1)
                         .assign(stage="county", criterion=c.id))
    results = pd.concat(parts, ignore_index=True)
    meta = pd.DataFrame([{"criterion": c.id, "part": c.part, "name_zh": c.name_zh, "name_en": c.name_en,
                          "unit": c.unit, "direction": c.direction, "counted": c.counted} for c in cr.items])
    results = results.merge(meta, on="criterion", how="left")
    results["gap"] = _gap(results)

    counties = _statuses(results, stage_base, units)
    regions = con.execute(
        "SELECT adcode, county_name, city_adcode, city_name, province_adcode, province_name FROM regions"
    ).df()
    counties = regions.merge(counties, on="adcode", how="right")
    order = counties["stage"].map({"primary": 0, "junior": 1, OVERALL: 2})
    counties = (counties.assign(_o=order).sort_values(["year", "adcode", "_o"], kind="stable")
                .drop(columns="_o").reset_index(drop=True))
    return Assessment(schools=schools, results=results, counties=counties, criteria=cr, facts=county_frame)


def _gap(results: pd.DataFrame) -> pd.Series:
    """How far a failed numeric criterion is from its standard (value − standard, signed to need)."""
    gap = results["standard"] - results["value"]
    gap = gap.where(results["direction"] == ">=", results["value"] - results["standard"])
    cv = results["criterion"].isin(RESOURCE_IDS)
    gap = gap.where(~cv, results["value"] - results["standard"])
    return gap.where(results["passed"].fillna(True) == False)  # noqa: E712


def _statuses(results: pd.DataFrame, stage_base: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Status per county, year and stage (and overall) from the counted criteria (DOMAIN.md §2.6)."""
    counted = results[results["counted"]]
    failed = counted[counted["passed"].fillna(True) == False]  # noqa: E712
    no_data = counted[counted["passed"].isna()]

    def label(frame: pd.DataFrame) -> pd.Series:
        return frame["criterion"].where(frame["stage"] == "county",
                                        frame["criterion"] + "·" + frame["stage"].map({"primary": "小学", "junior": "初中"}))

    rows = []
    for stage in STAGES + (OVERALL,):
        stages = list(STAGES) if stage == OVERALL else [stage]
        keep = ["county"] + stages
        f = failed[failed["stage"].isin(keep)]
        f = f.assign(label=label(f) if stage == OVERALL else f["criterion"])
        agg = f.groupby(["adcode", "year"]).agg(failed=("label", "size"), failed_criteria=("label", ", ".join))
        nd = no_data[no_data["stage"].isin(keep)].groupby(["adcode", "year"]).size().rename("no_data")
        veto = f[f["part"] == "veto"].groupby(["adcode", "year"]).size().rename("vetoes")
        out = units.set_index(["adcode", "year"]).join(agg).join(nd).join(veto).reset_index()
        out["failed"] = out["failed"].fillna(0).astype(int)
        out["no_data"] = out["no_data"].fillna(0).astype(int)
        out["veto"] = out["vetoes"].fillna(0) > 0
        out["failed_criteria"] = out["failed_criteria"].fillna("")
        sb = stage_base[stage_base["stage"].isin(stages)]
        computable = (sb.assign(ok=sb["schools_assessed"].fillna(0) > 0)
                      .groupby(["adcode", "year"])["ok"].all())
        out = out.merge(computable.rename("resource_data").reset_index(), on=["adcode", "year"], how="left")
        out["resource_data"] = out["resource_data"].fillna(False).astype(bool)
        out["status"] = np.select(
            [~out["resource_data"], out["failed"] == 0, out["failed"] <= 2],
            ["insufficient", "pass", "near"], default="far")
        if stage == OVERALL:
            # both stages together: counts add up; a CV is the worse of the two stages
            sb = sb.assign(cv_composite=sb[[f"cv_r{i}" for i in range(1, 8)]].mean(axis=1, skipna=False))
            sums = sb.groupby(["adcode", "year"]).agg(
                schools_assessed=("schools_assessed", "sum"), students_assessed=("students_assessed", "sum"),
                noncompliant_schools=("noncompliant_schools", "sum"),
                **{f"cv_r{i}": (f"cv_r{i}", "max") for i in range(1, 8)}, cv_composite=("cv_composite", "max"))
            out = out.merge(sums.reset_index(), on=["adcode", "year"], how="left")
        else:
            cols = ["adcode", "year", "schools_assessed", "students_assessed", "noncompliant_schools"] + \
                [f"mean_r{i}" for i in range(1, 8)] + [f"cv_r{i}" for i in range(1, 8)]
            out = out.merge(sb[cols], on=["adcode", "year"], how="left")
            out["cv_composite"] = out[[f"cv_r{i}" for i in range(1, 8)]].mean(axis=1, skipna=False)
        rows.append(out.drop(columns=["vetoes"]).assign(stage=stage))
    counties = pd.concat(rows, ignore_index=True)
    for col in ("schools_assessed", "students_assessed", "noncompliant_schools"):
        counties[col] = counties[col].fillna(0).astype(int)
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
    WHERE ($year IS NULL OR ssy.year = $year)
      AND s.kind NOT IN (SELECT unnest($excluded_kinds::VARCHAR[]))
    GROUP BY ALL
), money AS (
    SELECT school_id, year, sum(amount_yuan) FILTER (WHERE source = 'government') AS government
    FROM funding WHERE $year IS NULL OR year = $year GROUP BY ALL
), staff AS (
    SELECT school_id, year,
           count(*) FILTER (WHERE full_time) AS teachers,
           count(*) FILTER (WHERE full_time AND degree IN ('bachelor', 'postgraduate')) AS bachelor,
           sum(training_hours_year) FILTER (WHERE full_time) AS training_hours
    FROM teachers WHERE $year IS NULL OR year = $year GROUP BY ALL
), by_area AS (
    SELECT p.adcode, p.year, p.area,
           sum(p.students) AS students,
           sum(m.government) AS government_yuan,
           sum(sy.equipment_value_yuan) AS equipment_yuan,
           sum(st.teachers) AS teachers,
           sum(st.bachelor) AS bachelor,
           sum(st.training_hours) AS training_hours
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
       max(students)        FILTER (WHERE area = 'rural') AS rural_students,
       max(government_yuan) FILTER (WHERE area = 'rural') AS rural_government_yuan,
       max(equipment_yuan)  FILTER (WHERE area = 'rural') AS rural_equipment_yuan,
       max(teachers)        FILTER (WHERE area = 'rural') AS rural_teachers,
       max(bachelor)        FILTER (WHERE area = 'rural') AS rural_bachelor,
       max(training_hours)  FILTER (WHERE area = 'rural') AS rural_training_hours_sum
FROM by_area
GROUP BY adcode, year
ORDER BY year, adcode
"""

GAP_SUMS = tuple(f"{area}_{part}" for area in ("urban", "rural") for part in (
    "students", "government_yuan", "equipment_yuan", "teachers", "bachelor", "training_hours_sum"))


def gap_ratios(sums: pd.DataFrame) -> pd.DataFrame:
    """Urban–rural ratios from the additive sums (so a city or province is summed, then divided).

    funding_gap = (urban − rural) / urban government funding per pupil; rural_equipment_ratio =
    rural / urban equipment value per pupil; bachelor shares of full-time teachers and their gap
    in percentage points (as a fraction); annual training hours per full-time teacher.
    """
    def per(num: str, den: str) -> pd.Series:
        return sums[num] / sums[den].where(sums[den] > 0)

    out = sums.copy()
    for area in ("urban", "rural"):
        out[f"{area}_funding_per_student"] = per(f"{area}_government_yuan", f"{area}_students")
        out[f"{area}_equipment_per_student"] = per(f"{area}_equipment_yuan", f"{area}_students")
        out[f"{area}_bachelor_share"] = per(f"{area}_bachelor", f"{area}_teachers")
        out[f"{area}_training_hours"] = per(f"{area}_training_hours_sum", f"{area}_teachers")
    urban_funding = out["urban_funding_per_student"].where(out["urban_funding_per_student"] != 0)
    out["funding_gap"] = (out["urban_funding_per_student"] - out["rural_funding_per_student"]) / urban_funding
    urban_equipment = out["urban_equipment_per_student"].where(out["urban_equipment_per_student"] != 0)
    out["rural_equipment_ratio"] = out["rural_equipment_per_student"] / urban_equipment
    out["bachelor_share_gap"] = out["urban_bachelor_share"] - out["rural_bachelor_share"]
    return out


def urban_rural_gaps(con: duckdb.DuckDBPyConnection, year: int | None = None,
                     criteria: Criteria | None = None) -> pd.DataFrame:
    """Urban (城区+镇区) vs rural (乡村) per county and year: funding, equipment, degrees, training."""
    cr = criteria or load_criteria()
    sums = con.execute(URBAN_RURAL_SQL, {"year": year, "excluded_kinds": list(cr.resource["excluded_kinds"])}).df()
    return gap_ratios(sums)


def years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """School years present in the database, ascending."""
    return [int(r[0]) for r in con.execute("SELECT DISTINCT year FROM school_stage_year ORDER BY 1").fetchall()]
