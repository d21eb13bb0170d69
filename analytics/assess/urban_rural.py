"""Urban (城区+镇区) against rural (乡村) per county and year — funding, equipment, degrees,
training, pay — as additive sums and their ratios; and the additive sums per county and year
that progress shares are made of (summed over counties first, then divided)."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.assess.criteria import STAGES, Criteria
from analytics.assess.queries import year_range

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


def compute_gaps(con: duckdb.DuckDBPyConnection, year: int | None, cr: Criteria) -> pd.DataFrame:
    """The urban–rural sums and ratios from the raw tables (the one implementation)."""
    sums = con.execute(URBAN_RURAL_SQL, {**year_range(year), "excluded_kinds": list(cr.resource["excluded_kinds"])}).df()
    return gap_ratios(sums)


FUNDING_SUMS_SQL = """
SELECT s.adcode, f.year,
       sum(f.amount_yuan) AS funding_total_yuan,
       sum(f.amount_yuan) FILTER (WHERE f.source = 'donation') AS donation_yuan,
       sum(f.amount_yuan) FILTER (WHERE f.item = 'maintenance') AS maintenance_yuan
FROM funding f JOIN schools s USING (school_id)
GROUP BY s.adcode, f.year
"""


def compute_sums(con: duckdb.DuckDBPyConnection, a, gaps: pd.DataFrame) -> pd.DataFrame:
    """Additive inputs per county and year (counts, yuan, pupils) that progress shares are made of,
    from an assessment `a` (balance.Assessment: its schools, facts and criteria) and its gaps."""
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
