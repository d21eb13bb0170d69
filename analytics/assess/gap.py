"""Gap-to-standard calculator: what each county needs for the resource part of 优质均衡
(docs/method.md §2.1) to pass, and what it costs.

For one year, per school and stage, it plans the additions that make every school compliant
(nationally 6 of 7 standards, the 7th at ≥ 85 %: the criteria file's min_met and floor_ratio) and
every difference coefficient fall within its limit:

1. Targets: a school's missing standards are raised to the standard, except the 7 − min_met that
   are dearest to fix, which are raised only to the floor (the misses the method allows).
2. Levelling: where a CV is still above its limit, the lowest schools are raised to a common
   floor L, the smallest L that brings the CV within the limit (raising the bottom lowers both
   the spread and, relative to it, the CV) — the lowest schools come first.
3. Teachers: surplus teachers of schools above max(standard, L) rotate to schools below their
   target in the same county and stage (a sending school never drops below the standard or L);
   only what rotation cannot cover is hired.
4. Facilities are per school, so a school's addition meets the higher need of its stages.
5. Repeat from 1 with the planned values until nothing more is needed (a school of two stages
   raised for one stage can move the other stage's CV).

Nothing is ever taken from pupils: rotation is the only reduction and keeps the sender at
standard. Criteria that resources cannot fix (class sizes, school size, attestations, outcome
figures, vetoes) are listed as `unfixable`.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics.assess import balance, levelling
from analytics.assess.criteria import INDICATORS, STAGES, Criteria, load_criteria, teacher_rules
from analytics.core.errors import JunhengError
from analytics.core.paths import DATA_DIR
from analytics.store import db

COSTS_FILE = DATA_DIR / "unit_costs.toml"


class CostsError(JunhengError, ValueError):
    """A unit-costs file that cannot be used."""


@dataclass(frozen=True)
class UnitCosts:
    teaching_area_per_m2: float
    sports_area_per_m2: float
    multimedia_room: float
    equipment_per_yuan: float
    hire_regular_per_year: float
    hire_backbone_per_year: float
    hire_pe_arts_per_year: float
    rotate_per_year: float
    years: int
    note_zh: str = ""
    note_en: str = ""


def load_costs(path: str | Path | None = None) -> UnitCosts:
    """Read the unit costs (data/unit_costs.toml unless told otherwise)."""
    path = Path(path) if path else COSTS_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostsError(f"unit-costs file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CostsError(f"{path}: not valid TOML ({exc})") from None
    flat = {**raw.get("build", {}), **raw.get("buy", {}), **raw.get("teachers", {})}
    values = {}
    for name in UnitCosts.__dataclass_fields__:
        if name in ("note_zh", "note_en"):
            continue
        v = flat.get(name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise CostsError(f"{path}: '{name}' must be a number ≥ 0, got {v!r}")
        values[name] = v
    if int(values["years"]) != values["years"] or values["years"] < 1:
        raise CostsError(f"{path}: 'years' must be a whole number ≥ 1")
    src = raw.get("source", {})
    return UnitCosts(**{k: float(v) for k, v in values.items() if k != "years"}, years=int(values["years"]),
                     note_zh=src.get("note_zh", ""), note_en=src.get("note_en", ""))


@dataclass
class GapPlan:
    """The plan for one year: per school and stage, per county and stage, per county, rotations."""

    year: int
    records: pd.DataFrame    # one row per assessed school and stage: additions, rotations, cost
    stages: pd.DataFrame     # one row per county and stage (the CLI's rows)
    counties: pd.DataFrame   # one row per county: both stages, would it pass if funded
    moves: pd.DataFrame      # teacher rotations: county, stage, from, to, type, n
    costs: UnitCosts
    criteria: Criteria       # the rules it was made under (teacher conditions, hours, floors)


# --------------------------------------------------------------------------------------------
# Inputs

# --------------------------------------------------------------------------------------------
# The plan


def make_plan(con: duckdb.DuckDBPyConnection, year: int, criteria: Criteria | None = None,
              costs: UnitCosts | None = None) -> GapPlan:
    """Plan the additions for every county of the database in one year."""
    cr = criteria or load_criteria()
    uc = costs or load_costs()
    a = balance.assess(con, year, cr)
    w = levelling.start(con, year, a, cr, uc)
    levelling.solve(w)
    return _assemble(w, year, a, cr, uc)


def _assemble(w: levelling.Work, year: int, a: balance.Assessment, cr: Criteria, uc: UnitCosts) -> GapPlan:
    """The solved plan as tables: records, counties × stages, counties, rotations."""
    after = w.values()
    records = _records_table(w, uc, after)
    records["compliant_after"], results = _results_after(w, after, cr)
    stages, per_county = _county_tables(records, results, a, cr)
    return GapPlan(year=year, records=records, stages=stages, counties=per_county, moves=_moves_table(w),
                   costs=uc, criteria=cr)


def _moves_table(w: levelling.Work) -> pd.DataFrame:
    """Teacher rotations: county, stage, how many, from and to which school, the teachers' type."""
    mv = pd.DataFrame(w.moves, columns=["adcode", "stage", "from_i", "to_i", "type"])
    if mv.empty:
        return pd.DataFrame(columns=["adcode", "stage", "n", "from_school", "to_school", "degree", "backbone",
                                     "pe_arts"])
    mv = mv.groupby(["adcode", "stage", "from_i", "to_i", "type"]).size().rename("n").reset_index()
    ids = w.records["school_id"].to_numpy()
    mv["from_school"], mv["to_school"] = ids[mv["from_i"]], ids[mv["to_i"]]
    mv["degree"], mv["backbone"], mv["pe_arts"] = zip(*[levelling.TYPES[t] for t in mv["type"]])
    return mv.drop(columns=["from_i", "to_i", "type"])


def _records_table(w: levelling.Work, uc: UnitCosts, after: np.ndarray) -> pd.DataFrame:
    """One row per school record: what is added (hired, rotated, built, bought), its cost, R1–R7 after."""
    n = len(w.records)
    rot_in, rot_out = np.zeros(n), np.zeros(n)
    if w.moves:
        moved = np.array([(m[2], m[3]) for m in w.moves])
        np.add.at(rot_out, moved[:, 0], 1)
        np.add.at(rot_in, moved[:, 1], 1)
    # a school's whole addition (its senior-high part's share included: the building is one) is
    # carried by its compulsory records in proportion to their weighted pupils, so the records
    # add up to what is built and bought, and to what the scenario applies
    weight = np.nan_to_num(w.pupils * w.per_pupil)
    school_weight = np.zeros(len(w.school_totals))
    np.add.at(school_weight, w.school_of, weight)
    share = np.divide(weight, school_weight[w.school_of], out=np.zeros_like(weight),
                      where=school_weight[w.school_of] > 0)
    add = (w.school_totals - w.start_totals)[w.school_of] * share[:, None]
    out = w.records.drop(columns=["facility_per_pupil", *INDICATORS])
    out["missing_data"] = ~w.known.all(axis=1)
    out["missing_indicators"] = [",".join(f"R{k + 1}" for k in range(7) if not row[k]) for row in w.known]
    out["hire_backbone"], out["hire_pe_arts"], out["hire_regular"] = w.hires.T
    out["teachers_hire"] = w.hires.sum(axis=1)
    out["teachers_rotate_in"] = rot_in
    out["teachers_rotate_out"] = rot_out
    out["area_m2"], out["sports_m2"], out["equipment_yuan"], out["multimedia_rooms"] = add.T
    out["capital_yuan"] = (out["area_m2"] * uc.teaching_area_per_m2 + out["sports_m2"] * uc.sports_area_per_m2
                           + out["equipment_yuan"] * uc.equipment_per_yuan
                           + out["multimedia_rooms"] * uc.multimedia_room)
    out["personnel_yuan_per_year"] = (out["hire_backbone"] * uc.hire_backbone_per_year
                                      + out["hire_pe_arts"] * uc.hire_pe_arts_per_year
                                      + out["hire_regular"] * uc.hire_regular_per_year
                                      + out["teachers_rotate_in"] * uc.rotate_per_year)
    out["cost_yuan"] = out["capital_yuan"] + out["personnel_yuan_per_year"] * uc.years
    for k in range(7):
        out[f"r{k + 1}_after"] = after[:, k]
    return out


def _results_after(w: levelling.Work, after: np.ndarray, cr: Criteria) -> tuple[pd.arrays.BooleanArray, pd.DataFrame]:
    """With the plan: each record's compliance (<NA> without data), and per county and stage the
    CVs (over the schools with data), the schools without data, whether the resource part passes."""
    known, count = w.known, len(w.groups)
    ratio = after / w.standard
    met = (ratio >= 1 - 1e-9).sum(axis=1)
    compliant = (met >= int(cr.resource["min_met"])) & (
        np.nanmin(np.where(known, ratio, np.inf), axis=1) >= w.floor_ratio - 1e-9)
    compliant_after = pd.array(np.where(known.all(axis=1), compliant, False), dtype="boolean")
    compliant_after[~known.all(axis=1)] = pd.NA  # unknown, not planned for
    cvs = np.full((count, 7), np.nan)
    for k in range(7):
        ik = np.flatnonzero(known[:, k])
        present = np.bincount(w.group_of[ik], minlength=count) > 0
        cvs[present, k] = levelling.group_cvs(after[ik, k], w.pupils[ik], w.group_of[ik], count)[present]
    incomplete = np.bincount(w.group_of, ~known.all(axis=1), minlength=count).astype(int)
    failing = np.bincount(w.group_of, ~(compliant & known.all(axis=1)), minlength=count) > 0
    return compliant_after, pd.DataFrame({"adcode": pd.Series([adcode for adcode, _ in w.groups], dtype=object),
                         "stage": pd.Series([stage for _, stage in w.groups], dtype=object),
                         **{f"cv_r{k + 1}_after": cvs[:, k] for k in range(7)},
                         "schools_missing_data": incomplete,
                         "resource_pass_after": (incomplete == 0) & ~failing
                         & (cvs <= w.cv_limit[w.group_stage] + 1e-9).all(axis=1)})


STAGE_SUMS = ["students", "teachers_hire", "hire_backbone", "hire_pe_arts", "hire_regular", "teachers_rotate",
              "area_m2", "sports_m2", "equipment_yuan", "multimedia_rooms", "capital_yuan", "personnel_yuan_per_year",
              "cost_yuan"]


def _county_tables(out: pd.DataFrame, after: pd.DataFrame, a: balance.Assessment,
                   cr: Criteria) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per county and stage, and per county: the sums, the status before, the results after, the
    criteria resources cannot fix and those without data, and whether it would pass if funded."""
    # criteria resources cannot fix: failing counted criteria outside the resource part; and the
    # counted criteria without data (no plan can make a county pass while they are missing)
    counted = a.results[a.results["counted"]]
    res = counted[(counted["part"] != "resource") & (counted["passed"] == False)]  # noqa: E712
    nodata = counted[counted["passed"].isna() & ~counted["criterion"].isin(balance.RESOURCE_IDS + ("RS",))]
    res = res.assign(check=res["criterion"].map({c.id: c.check for c in cr.items}))

    keys = ["adcode", "stage"]
    out = out.rename(columns={"teachers_rotate_in": "teachers_rotate"})
    stages = out.groupby(keys)[STAGE_SUMS].sum().reset_index()
    stages["schools"] = out.groupby(keys).size().to_numpy()
    stages["schools_with_additions"] = out.assign(
        touched=(out["cost_yuan"] > 0) | (out["teachers_rotate_out"] > 0)).groupby(keys)["touched"].sum().to_numpy()
    stages["cost_per_pupil"] = stages["cost_yuan"] / stages["students"]
    counties = a.counties
    status = counties[counties["stage"].isin(STAGES)][["adcode", "stage", "status"]].rename(
        columns={"status": "status_before"})
    stages = stages.merge(status, on=keys, how="left").merge(after, on=keys, how="left")
    for col, frame in (("unfixable", res), ("missing_criteria", nodata)):
        stages = stages.merge(_criteria_lists(frame, keys).rename(col).reset_index(), on=keys, how="left")
        stages[col] = stages[col].fillna("")
    names = counties[["adcode", "county_name", "city_adcode", "city_name", "province_adcode"]].drop_duplicates("adcode")
    stages = names.merge(stages, on="adcode", how="right")
    for col in ("teachers_hire", "hire_backbone", "hire_pe_arts", "hire_regular", "teachers_rotate",
                "multimedia_rooms"):
        stages[col] = stages[col].round().astype(int)

    per_county = stages.groupby("adcode")[[*STAGE_SUMS, "schools", "schools_with_additions",
                                           "schools_missing_data"]].sum().reset_index()
    per_county = names.merge(per_county, on="adcode", how="right")
    overall = counties[(counties["stage"] == balance.OVERALL)].set_index("adcode")
    per_county["status_before"] = per_county["adcode"].map(overall["status"])
    for col, frame in (("unfixable", res), ("missing_criteria", nodata)):
        lists = _criteria_lists(frame, ["adcode"])
        per_county[col] = [lists.get(code, "") for code in per_county["adcode"]]
    per_county["resource_pass_after"] = per_county["adcode"].map(after.groupby("adcode")["resource_pass_after"].all())
    per_county["would_pass"] = would_pass(per_county)
    per_county["cost_per_pupil"] = per_county["cost_yuan"] / per_county["students"]
    return stages.reset_index(drop=True), per_county.reset_index(drop=True)


def _criteria_lists(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Criterion ids per county (keys adcode), or per county and stage (adcode, stage: the stage's
    own and the county-wide ones), each once, in the frame's order, joined by commas."""
    f = frame.assign(_order=np.arange(len(frame)))
    if "stage" in keys:
        f = pd.concat([f[f["stage"].isin(["county", s])].assign(stage=s) for s in STAGES])
    f = f.sort_values(keys + ["_order"], kind="stable").drop_duplicates(keys + ["criterion"])
    return f.groupby(keys)["criterion"].agg(",".join)


def would_pass(counties: pd.DataFrame) -> pd.Series:
    """The one rule for "passes if the plan is funded", used by the page, the CLI and the exports:
    no counted criterion outside the resource part fails or lacks data, no school lacks resource
    data, and the resource part passes with the plan applied. Criteria a province does not count
    never block."""
    return ((counties["unfixable"] == "") & (counties["missing_criteria"] == "")
            & (counties["schools_missing_data"] == 0) & counties["resource_pass_after"].fillna(False).astype(bool))


def budget_outcome(counties: pd.DataFrame, budget: float) -> dict:
    """What a budget buys: the counties funded (cheapest first, only those that need money),
    those that pass without any money, and the number passing now and after."""
    funded = fund_by_budget(counties, budget)
    paid = funded[funded["funded"] & (funded["cost_yuan"] > 0)]
    free = funded[funded["eligible"] & (funded["cost_yuan"] <= 0)]
    return {"funded": paid, "free": free, "spent": float(paid["cost_yuan"].sum()),
            "now": int((counties["status_before"] == "pass").sum()), "after": len(paid) + len(free),
            "total": len(counties)}


# --------------------------------------------------------------------------------------------
# Budget


def fund_by_budget(counties: pd.DataFrame, budget: float) -> pd.DataFrame:
    """Which counties to fund first to have the most counties passing within a budget.

    Only counties whose failing criteria are all fixable by resources can pass. Each such county
    counts one, so the most counties for the money are the cheapest ones: funding in ascending
    order of cost is exact for this problem (a knapsack with equal values; see
    an exhaustive search in the tests). Returns the counties with `funded`
    and `cumulative_yuan`, in funding order.
    """
    c = counties.copy()
    c["eligible"] = c["would_pass"]
    c = c.sort_values(["eligible", "cost_yuan"], ascending=[False, True], kind="stable").reset_index(drop=True)
    cum = c["cost_yuan"].where(c["eligible"], 0).cumsum()
    c["cumulative_yuan"] = cum.where(c["eligible"])
    c["funded"] = c["eligible"] & (cum <= budget + 1e-6)
    return c


# --------------------------------------------------------------------------------------------
# Scenario database


def apply_plan(source: str | Path, target: str | Path, plan: GapPlan) -> Path:
    """Write a copy of the database with the plan applied: facilities added, new teachers hired,
    rotated teachers moved (and marked exchanged). Marked as a scenario in its metadata."""
    source, target = Path(source), Path(target)
    if source.resolve() == target.resolve():
        raise ValueError("the scenario must be written to a new file, not over its source")
    with db.building(target, copy_of=source) as build, db.open_duckdb(build.tmp) as con:
        con.execute("BEGIN TRANSACTION")
        _apply(con, plan)
        meta = {"kind": "gap plan", "year": plan.year, "source": source.name,
                "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        con.execute("INSERT OR REPLACE INTO metadata VALUES ('scenario', ?)", [json.dumps(meta, ensure_ascii=False)])
        con.execute("COMMIT")
        balance.store(con)  # the scenario's assessment, as for any database written
        con.execute("CHECKPOINT")
    return target


def _apply(con: duckdb.DuckDBPyConnection, plan: GapPlan) -> None:
    r = plan.records
    year = plan.year
    fac = (r.groupby("school_id")[["area_m2", "sports_m2", "equipment_yuan", "multimedia_rooms"]].sum()
           .reset_index())
    fac = fac[(fac[["area_m2", "sports_m2", "equipment_yuan", "multimedia_rooms"]] > 0).any(axis=1)]
    fac["multimedia_rooms"] = fac["multimedia_rooms"].round().astype(int)
    con.register("plan_facilities", fac)
    con.execute("""
        UPDATE school_year SET teaching_area_m2 = school_year.teaching_area_m2 + f.area_m2,
                               sports_area_m2 = school_year.sports_area_m2 + f.sports_m2,
                               equipment_value_yuan = school_year.equipment_value_yuan + f.equipment_yuan,
                               multimedia_rooms = school_year.multimedia_rooms + f.multimedia_rooms
        FROM plan_facilities f WHERE school_year.school_id = f.school_id AND school_year.year = $year
    """, {"year": year})

    # rotations: pick the teachers of the right kind at the sending school, lowest ids first
    rules = teacher_rules(plan.criteria)
    if not plan.moves.empty:
        pool = con.execute(f"""
            SELECT teacher_id, school_id, stage::VARCHAR AS stage,
                   {rules.degree}::INT AS d, {rules.backbone}::INT AS b, {rules.pe_arts}::INT AS p
            FROM teachers WHERE year = $year AND full_time
              AND school_id IN (SELECT unnest($schools::VARCHAR[]))
            ORDER BY teacher_id
        """, {"year": year, "schools": sorted(set(plan.moves["from_school"]))}).df()
        pool = {k: list(g["teacher_id"]) for k, g in pool.groupby(["school_id", "stage", "d", "b", "p"])}
        taken: dict[tuple, int] = {}
        chosen = []
        for m in plan.moves.itertuples(index=False):
            key = (m.from_school, m.stage, m.degree, m.backbone, m.pe_arts)
            start = taken.get(key, 0)
            ids = pool[key][start:start + int(m.n)]
            taken[key] = start + len(ids)
            chosen += [(tid, m.to_school) for tid in ids]
        moved = pd.DataFrame(chosen, columns=["teacher_id", "to_school"])
        con.register("plan_moves", moved)
        con.execute("""
            UPDATE teachers SET school_id = m.to_school, exchanged = TRUE
            FROM plan_moves m WHERE teachers.teacher_id = m.teacher_id AND teachers.year = $year
        """, {"year": year})

    # hires: new full-time teachers, certified and trained, paid the county's average
    rows = []
    for rr in r[r["teachers_hire"] > 0].itertuples(index=False):
        tag = hashlib.md5(f"{rr.school_id}|{rr.stage}".encode()).hexdigest()[:10]
        i = 0
        for kind, count in (("backbone", rr.hire_backbone), ("pe_arts", rr.hire_pe_arts), ("regular", rr.hire_regular)):
            for _ in range(int(round(count))):
                i += 1
                rows.append((f"PLAN{year}-{tag}-{i:04d}", rr.school_id, rr.adcode, rr.stage,
                             rules.hire_backbone if kind == "backbone" else "none",
                             rules.hire_subject if kind == "pe_arts" else "other"))
    if rows:
        # a new hire counts for what the criteria file counts: its degree, backbone level, subject,
        # and the training hours of its training criterion
        new = pd.DataFrame(rows, columns=["teacher_id", "school_id", "adcode", "stage", "backbone", "subject"])
        con.register("plan_hires", new)
        con.execute("""
            INSERT INTO teachers
            SELECT h.teacher_id, $year, h.school_id, h.stage, $degree, h.backbone, h.subject,
                   TRUE, TRUE, FALSE, FALSE, $hours, 72, coalesce(p.pay, 0)
            FROM plan_hires h
            LEFT JOIN (SELECT s.adcode, avg(t.annual_pay_yuan) AS pay FROM teachers t JOIN schools s USING (school_id)
                       WHERE t.year = $year AND t.full_time GROUP BY s.adcode) p USING (adcode)
        """, {"year": year, "degree": rules.hire_degree,
              "hours": float(plan.criteria.by_check("training_hours").options["hours"])})


# --------------------------------------------------------------------------------------------
# Totals


TOTAL_COLUMNS = ["teachers_hire", "hire_backbone", "hire_pe_arts", "hire_regular", "teachers_rotate", "area_m2",
                 "sports_m2", "equipment_yuan", "multimedia_rooms", "capital_yuan", "personnel_yuan_per_year",
                 "cost_yuan", "students"]
