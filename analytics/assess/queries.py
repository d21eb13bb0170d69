"""The assessment's SQL (DuckDB): school indicators from teacher, facility and funding rows,
enrolment-weighted CVs per county and stage, the county-wide inputs; and the parameters each
query takes from the criteria file (docs/method.md says what each indicator is)."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from analytics.assess.criteria import INDICATORS, STAGES, Criteria


def weighted_cv_query(table: str, keys: Sequence[str] = ("g",), values: Sequence[str] = ("x",),
                      weight: str = "w") -> str:
    """SQL of the enrolment-weighted CV (docs/method.md §2.1) of each column of `values`, weighted by
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
    -- docs/method.md §1: whole-school facilities split by weighted enrolment. A stage's share per
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


def year_range(year: int | None) -> dict:
    """The SQL parameters first_year / last_year of one year, or of all (None): a plain range
    lets DuckDB skip the row groups of other years, where "$year IS NULL OR …" cannot."""
    return {"first_year": year, "last_year": year} if year is not None else {"first_year": 0, "last_year": 9999}


def parameters(cr: Criteria, year: int | None) -> dict:
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


def standards_frame(cr: Criteria) -> pd.DataFrame:
    return pd.DataFrame([
        {"stage": s, **{f"s{i}": cr[f"R{i}"].threshold[s] for i in range(1, 8)}} for s in STAGES
    ])
