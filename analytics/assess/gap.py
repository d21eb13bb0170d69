"""Gap-to-standard calculator: what each county needs for the resource part of 优质均衡
(DOMAIN.md §2.1) to pass, and what it costs.

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
import math
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics.assess import balance
from analytics.assess.criteria import STAGES, Criteria, load_criteria, teacher_rules
from analytics.core.errors import JunhengError
from analytics.core.paths import DATA_DIR
from analytics.store import db

COSTS_FILE = DATA_DIR / "unit_costs.toml"
TEACHER_IDS = ("R1", "R2", "R3")
FACILITY_IDS = ("R4", "R5", "R6", "R7")
TYPES = [(d, b, p) for d in (0, 1) for b in (0, 1) for p in (0, 1)]  # degree, backbone, PE/arts
HIRE_TYPES = {"backbone": (1, 1, 0), "pe_arts": (1, 0, 1), "regular": (1, 0, 0)}
MAX_PASSES = 8


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

# {degree}, {backbone}, {pe_arts}: the criteria file's teacher conditions (criteria.teacher_rules)
TEACHER_TYPES_SQL = """
SELECT school_id, stage::VARCHAR AS stage,
       {degree}::INT AS d,
       {backbone}::INT AS b,
       {pe_arts}::INT AS p,
       count(*) AS n
FROM teachers
WHERE year = $year AND full_time
GROUP BY ALL
"""

FACILITIES_SQL = """
SELECT school_id, teaching_area_m2 AS r4_total, sports_area_m2 AS r5_total,
       equipment_value_yuan AS r6_total, multimedia_rooms AS r7_total
FROM school_year WHERE year = $year
"""


def group_cvs(values: np.ndarray, weights: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """balance.weighted_cv of every group at once (group: each value's group number, 0 ≤ g <
    groups); NaN for a group without values or enrolment, 0 for one whose values are all 0."""
    total = np.bincount(group, weights, minlength=groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(group, weights * values, minlength=groups) / total
        var = np.bincount(group, weights / total[group] * (values - mean[group]) ** 2, minlength=groups)
        cv = np.sqrt(var) / mean
    return np.where((mean == 0) & (np.bincount(group, values != 0, minlength=groups) == 0), 0.0, cv)


def _group_numbers(groups: dict, n: int) -> np.ndarray:
    """Each of n records' group number (the position of its county and stage in `groups`)."""
    number = np.empty(n, dtype=np.int64)
    for i, idx in enumerate(groups.values()):
        number[idx] = i
    return number


def level_floors(values: np.ndarray, weights: np.ndarray, group: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Per group: the smallest floor L such that raising every value below L to L brings the
    group's weighted CV to its limit or below; NaN where the CV already is. A 60-step bisection
    run for all groups together (one at a time, nationally, it was 263,000 CV computations).

    group: each value's group number (0 ≤ g < len(limits))."""
    groups = len(limits)
    floors = np.full(groups, np.nan)
    over = group_cvs(values, weights, group, groups) > limits
    if not over.any():
        return floors
    rows = over[group]
    x, w, g = values[rows], weights[rows], group[rows]
    lo = np.where(over, np.inf, 0.0)  # the groups over their limit start from their lowest and
    hi = np.where(over, -np.inf, 0.0)  # highest value; the others are not searched
    np.minimum.at(lo, g, x)
    np.maximum.at(hi, g, x)
    target = limits * (1 - 1e-6)
    for _ in range(60):
        mid = (lo + hi) / 2
        ok = group_cvs(np.maximum(x, mid[g]), w, g, groups) <= target
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    floors[over] = hi[over]
    return floors


# --------------------------------------------------------------------------------------------
# The plan


def make_plan(con: duckdb.DuckDBPyConnection, year: int, criteria: Criteria | None = None,
              costs: UnitCosts | None = None) -> GapPlan:
    """Plan the additions for every county of the database in one year."""
    cr = criteria or load_criteria()
    uc = costs or load_costs()
    a = balance.assess(con, year, cr)
    rec = a.schools[a.schools["eligible"].fillna(False).astype(bool)].copy()
    rec = rec[["school_id", "name", "adcode", "stage", "kind", "locale", "students", "school_students",
               "facility_per_pupil", *balance.INDICATORS]]
    rec = rec.sort_values(["adcode", "stage", "school_id"]).reset_index(drop=True)
    # missing data is planned for by nobody: an indicator a school has not reported gets no target,
    # no cost and no place in its CV; the school is flagged 缺数据 and its county cannot pass
    known = rec[list(balance.INDICATORS)].notna().to_numpy()
    fpp = rec["facility_per_pupil"].to_numpy(float)  # a stage's facilities per pupil = school total × fpp
    n = len(rec)
    stage_idx = rec["stage"].map({s: i for i, s in enumerate(STAGES)}).to_numpy(dtype=int)  # int even when empty
    std = np.array([[cr[f"R{k}"].threshold[s] for k in range(1, 8)] for s in STAGES])[stage_idx]
    cv_limit = np.array([[cr[f"R{k}"].cv_threshold[s] for k in range(1, 8)] for s in STAGES])
    floor_ratio = float(cr.resource["floor_ratio"])
    spares = max(0, len(balance.INDICATORS) - int(cr.resource["min_met"]))  # standards a school may miss
    P = rec["students"].to_numpy(float)

    # teacher type counts per record: (n, 8)
    rules = teacher_rules(cr)
    tt = con.execute(TEACHER_TYPES_SQL.format(degree=rules.degree, backbone=rules.backbone, pe_arts=rules.pe_arts),
                     {"year": year}).df()
    tt["t"] = [TYPES.index((d, b, p)) for d, b, p in zip(tt["d"], tt["b"], tt["p"])]
    wide = tt.pivot_table(index=["school_id", "stage"], columns="t", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=range(len(TYPES)), fill_value=0)
    counts = (rec[["school_id", "stage"]].merge(wide.reset_index(), on=["school_id", "stage"], how="left")
              .fillna(0)[list(range(len(TYPES)))].to_numpy(float, copy=True))
    start_counts = counts.copy()
    type_matrix = np.array(TYPES, dtype=float)  # (8, 3)

    # facility totals per school (shared by a school's records; NaN where not reported)
    fac = rec[["school_id"]].merge(con.execute(FACILITIES_SQL, {"year": year}).df(), on="school_id", how="left")
    totals = fac[["r4_total", "r5_total", "r6_total", "r7_total"]].to_numpy(float, copy=True)
    school_codes, school_of = np.unique(rec["school_id"].to_numpy(), return_inverse=True)
    school_totals = np.zeros((len(school_codes), 4))
    school_totals[school_of] = np.nan_to_num(totals)
    start_totals = school_totals.copy()

    # what it costs to raise each indicator by 1 unit (per 100 pupils or per pupil) at each record
    per_unit = np.nan_to_num(1 / fpp, nan=0.0, posinf=0.0)  # school total needed per unit of a stage's value
    unit = np.column_stack([
        uc.hire_regular_per_year * uc.years * P / 100, uc.hire_backbone_per_year * uc.years * P / 100,
        uc.hire_pe_arts_per_year * uc.years * P / 100, uc.teaching_area_per_m2 * per_unit,
        uc.sports_area_per_m2 * per_unit, uc.equipment_per_yuan * per_unit, uc.multimedia_room * per_unit / 100,
    ])
    groups = rec.groupby(["adcode", "stage"], sort=False).indices
    group_of = _group_numbers(groups, n)
    group_stage = np.array([STAGES.index(stage) for _, stage in groups], dtype=int)
    moves: list[tuple] = []
    hires = np.zeros((n, 3))  # backbone, pe_arts, regular

    def values() -> np.ndarray:
        teach = 100 * (counts @ type_matrix) / P[:, None]
        facil = school_totals[school_of] * fpp[:, None]
        facil[:, 3] *= 100  # R7 per 100 pupils
        return np.where(known, np.column_stack([teach, facil]), np.nan)

    for pass_no in range(MAX_PASSES):
        X = np.where(known, values(), std)  # unknown: treated as met, so nothing is planned for it
        # 1. targets: every missing standard met, except the dearest (7 − min_met) of them, which
        # are raised only to the floor (the criteria file's min_met and floor_ratio)
        miss = X < std * (1 - 1e-12)
        saving = np.where(miss, (np.clip(std - X, 0, None) - np.clip(floor_ratio * std - X, 0, None)) * unit, -np.inf)
        T = np.where(miss, std, X)
        for spare in np.argsort(-saving, axis=1, kind="stable")[:, :spares].T:  # dearest first
            rows = np.flatnonzero(miss[np.arange(n), spare])
            T[rows, spare[rows]] = np.maximum(X[rows, spare[rows]], floor_ratio * std[rows, spare[rows]])
        # 2. levelling the lowest schools where a CV stays above its limit
        floor = np.zeros_like(X)
        for k in range(7):
            ik = np.flatnonzero(known[:, k])  # the CV is over the schools with data
            L = level_floors(T[ik, k], P[ik], group_of[ik], cv_limit[group_stage, k])[group_of[ik]]
            raise_to = ~np.isnan(L)
            T[ik[raise_to], k] = np.maximum(T[ik[raise_to], k], L[raise_to])
            floor[ik[raise_to], k] = L[raise_to]
        # 3. facilities per school: the higher need of its records (school total = value / fpp)
        need_raw = np.zeros((len(school_codes), 4))
        np.maximum.at(need_raw, school_of, np.where(known[:, 3:], T[:, 3:], 0) * per_unit[:, None])
        need_total = np.column_stack([np.ceil(need_raw[:, :3] * (1 + 1e-9) * 10) / 10,  # m², yuan: up to 0.1
                                      np.ceil(need_raw[:, 3] / 100 - 1e-9)])               # whole rooms
        short = need_raw[:, :3] > school_totals[:, :3] * (1 + 1e-9)
        add_fac = np.column_stack([np.where(short, need_total[:, :3] - school_totals[:, :3], 0),
                                   np.clip(need_total[:, 3] - school_totals[:, 3], 0, None)])
        school_totals += add_fac
        # 4. teachers: rotate surplus, then hire
        # whole teachers; the first pass forgives the levelling's safety margin (a floor of
        # 1.000001 × 4 teachers is 4), later passes round strictly up if a CV is still above
        levelled = floor[:, :3] >= T[:, :3] * (1 - 1e-12)
        tol = np.where(levelled & (pass_no == 0), 1e-4, 0.0)
        need = np.where(known[:, :3], np.ceil(T[:, :3] * P[:, None] / 100 * (1 - tol) - 1e-9), 0)
        keep = np.ceil(np.maximum(std[:, :3], floor[:, :3]) * P[:, None] / 100 - 1e-9)
        added = 0
        for (adcode, stage), idx in groups.items():
            added += _rotate_and_hire(idx, counts, need, keep, type_matrix, moves, hires, adcode, stage)
        if add_fac.sum() == 0 and added == 0:
            break

    X_after = values()
    return _assemble(year, rec, a, cr, uc, counts, start_counts, school_totals, start_totals, school_of,
                     school_codes, hires, moves, X_after, std, cv_limit, groups, group_of, group_stage,
                     floor_ratio, known, fpp)


def _rotate_and_hire(idx: np.ndarray, counts: np.ndarray, need: np.ndarray, keep: np.ndarray,
                     type_matrix: np.ndarray, moves: list, hires: np.ndarray, adcode: str, stage: str) -> int:
    """Within one county and stage: move surplus teachers to schools short of their targets
    (lowest first), then hire what is left. Returns the number of teachers added or moved."""
    have = counts[idx] @ type_matrix                       # (m, 3)
    deficit = np.clip(need[idx] - have, 0, None)
    if deficit.sum() == 0:
        return 0
    done = 0
    slack = have - keep[idx]                               # what a school can give per indicator
    receivers = np.flatnonzero(deficit.sum(axis=1) > 0)
    order = receivers[np.argsort((have[receivers] / np.maximum(need[idx][receivers], 1)).min(axis=1))]
    for r in order:
        while deficit[r].sum() > 0:
            wanted = (deficit[r] > 0).astype(float)
            best = None
            for t in sorted(range(len(type_matrix)), key=lambda t: -(type_matrix[t] @ wanted)):
                cover = type_matrix[t] @ wanted
                if cover == 0:
                    break
                # donors: have a teacher of type t, no deficit, and stay at keep after giving one
                ok = (counts[idx, t] > 0) & (deficit.sum(axis=1) == 0) & np.all(
                    (slack - type_matrix[t]) >= 0, axis=1)
                ok[r] = False
                if ok.any():
                    cand = np.flatnonzero(ok)
                    best = (t, cand[np.argmax(slack[cand].sum(axis=1))])
                    break
            if best is None:
                break
            t, d = best
            counts[idx[d], t] -= 1
            counts[idx[r], t] += 1
            slack[d] -= type_matrix[t]
            deficit[r] = np.clip(deficit[r] - type_matrix[t], 0, None)
            moves.append((adcode, stage, idx[d], idx[r], t))
            done += 1
    for r in np.flatnonzero(deficit.sum(axis=1) > 0):
        d1, d2, d3 = deficit[r]
        hb, hp = d2, d3
        hr = max(0.0, d1 - hb - hp)
        counts[idx[r], TYPES.index(HIRE_TYPES["backbone"])] += hb
        counts[idx[r], TYPES.index(HIRE_TYPES["pe_arts"])] += hp
        counts[idx[r], TYPES.index(HIRE_TYPES["regular"])] += hr
        hires[idx[r]] += (hb, hp, hr)
        done += int(hb + hp + hr)
    return done


def _assemble(year, rec, a, cr, uc, counts, start_counts, school_totals, start_totals, school_of,
              school_codes, hires, moves, X_after, std, cv_limit, groups, group_of, group_stage,
              floor_ratio, known, fpp) -> GapPlan:
    P = rec["students"].to_numpy(float)
    n = len(rec)
    rot_in = np.zeros(n)
    rot_out = np.zeros(n)
    mv = pd.DataFrame(moves, columns=["adcode", "stage", "from_i", "to_i", "type"])
    if not mv.empty:
        np.add.at(rot_in, mv["to_i"].to_numpy(), 1)
        np.add.at(rot_out, mv["from_i"].to_numpy(), 1)
        mv = (mv.groupby(["adcode", "stage", "from_i", "to_i", "type"]).size().rename("n").reset_index())
        mv["from_school"] = rec["school_id"].to_numpy()[mv["from_i"]]
        mv["to_school"] = rec["school_id"].to_numpy()[mv["to_i"]]
        mv["degree"], mv["backbone"], mv["pe_arts"] = zip(*[TYPES[t] for t in mv["type"]])
        mv = mv.drop(columns=["from_i", "to_i", "type"])
    else:
        mv = pd.DataFrame(columns=["adcode", "stage", "n", "from_school", "to_school", "degree", "backbone", "pe_arts"])

    # a school's whole addition (its senior-high part's share included: the building is one) is
    # carried by its compulsory records in proportion to their weighted pupils, so the records
    # add up to what is built and bought, and to what the scenario applies
    add_school = school_totals - start_totals
    weight = np.nan_to_num(P * fpp)
    school_weight = np.zeros(len(school_codes))
    np.add.at(school_weight, school_of, weight)
    share = np.divide(weight, school_weight[school_of], out=np.zeros_like(weight), where=school_weight[school_of] > 0)
    add = add_school[school_of] * share[:, None]
    out = rec.drop(columns=["facility_per_pupil", *balance.INDICATORS])
    out["missing_data"] = ~known.all(axis=1)
    out["missing_indicators"] = [",".join(f"R{k + 1}" for k in range(7) if not row[k]) for row in known]
    out["hire_backbone"], out["hire_pe_arts"], out["hire_regular"] = hires[:, 0], hires[:, 1], hires[:, 2]
    out["teachers_hire"] = hires.sum(axis=1)
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
        out[f"r{k + 1}_after"] = X_after[:, k]

    # with the plan: compliance per record, CV per county and stage
    ratio = X_after / std
    met = (ratio >= 1 - 1e-9).sum(axis=1)
    compliant = (met >= int(cr.resource["min_met"])) & (np.nanmin(np.where(known, ratio, np.inf), axis=1)
                                                         >= floor_ratio - 1e-9)
    out["compliant_after"] = pd.array(np.where(known.all(axis=1), compliant, False), dtype="boolean")
    out.loc[~known.all(axis=1), "compliant_after"] = pd.NA  # unknown, not planned for
    # per county and stage, all groups at once: the CVs with the plan (over the schools with data)
    count = len(groups)
    cvs = np.full((count, 7), math.nan)
    for k in range(7):
        ik = np.flatnonzero(known[:, k])
        present = np.bincount(group_of[ik], minlength=count) > 0
        cvs[present, k] = group_cvs(X_after[ik, k], P[ik], group_of[ik], count)[present]
    incomplete = np.bincount(group_of, ~known.all(axis=1), minlength=count).astype(int)
    failing = np.bincount(group_of, ~(compliant & known.all(axis=1)), minlength=count) > 0
    after = pd.DataFrame({"adcode": pd.Series([adcode for adcode, _ in groups], dtype=object),
                          "stage": pd.Series([stage for _, stage in groups], dtype=object),
                          **{f"cv_r{k + 1}_after": cvs[:, k] for k in range(7)},
                          "schools_missing_data": incomplete,
                          "resource_pass_after": (incomplete == 0) & ~failing
                          & (cvs <= cv_limit[group_stage] + 1e-9).all(axis=1)})

    # criteria resources cannot fix: failing counted criteria outside the resource part; and the
    # counted criteria without data (no plan can make a county pass while they are missing)
    counted = a.results[a.results["counted"]]
    res = counted[(counted["part"] != "resource") & (counted["passed"] == False)]  # noqa: E712
    nodata = counted[counted["passed"].isna() & ~counted["criterion"].isin(balance.RESOURCE_IDS + ("RS",))]
    checks = {c.id: c.check for c in cr.items}
    res = res.assign(check=res["criterion"].map(checks))

    keys = ["adcode", "stage"]
    sums = ["students", "teachers_hire", "hire_backbone", "hire_pe_arts", "hire_regular", "teachers_rotate_in",
            "area_m2", "sports_m2", "equipment_yuan", "multimedia_rooms", "capital_yuan", "personnel_yuan_per_year",
            "cost_yuan"]
    stages = out.groupby(keys)[sums].sum().reset_index().rename(columns={"teachers_rotate_in": "teachers_rotate"})
    stages["schools"] = out.groupby(keys).size().to_numpy()
    stages["schools_with_additions"] = out.assign(
        touched=(out["cost_yuan"] > 0) | (out["teachers_rotate_out"] > 0)).groupby(keys)["touched"].sum().to_numpy()
    stages["cost_per_pupil"] = stages["cost_yuan"] / stages["students"]
    counties = a.counties
    status = counties[counties["stage"].isin(STAGES)][["adcode", "stage", "status"]].rename(
        columns={"status": "status_before"})
    stages = stages.merge(status, on=keys, how="left").merge(after, on=keys, how="left")

    for col, frame in (("unfixable", res), ("missing_criteria", nodata)):
        stages = stages.merge(_criteria_lists(frame, ["adcode", "stage"]).rename(col).reset_index(), on=keys, how="left")
        stages[col] = stages[col].fillna("")
    names = counties[["adcode", "county_name", "city_adcode", "city_name", "province_adcode"]].drop_duplicates("adcode")
    stages = names.merge(stages, on="adcode", how="right")
    for col in ("teachers_hire", "hire_backbone", "hire_pe_arts", "hire_regular", "teachers_rotate",
                "multimedia_rooms"):
        stages[col] = stages[col].round().astype(int)

    summed = [c if c != "teachers_rotate_in" else "teachers_rotate" for c in sums] + [
        "schools", "schools_with_additions", "schools_missing_data"]
    per_county = stages.groupby("adcode")[summed].sum().reset_index()
    per_county = names.merge(per_county, on="adcode", how="right")
    overall = counties[(counties["stage"] == balance.OVERALL)].set_index("adcode")
    per_county["status_before"] = per_county["adcode"].map(overall["status"])
    for col, frame in (("unfixable", res), ("missing_criteria", nodata)):
        lists = _criteria_lists(frame, ["adcode"])
        per_county[col] = [lists.get(code, "") for code in per_county["adcode"]]
    per_county["resource_pass_after"] = per_county["adcode"].map(after.groupby("adcode")["resource_pass_after"].all())
    per_county["would_pass"] = would_pass(per_county)
    per_county["cost_per_pupil"] = per_county["cost_yuan"] / per_county["students"]
    return GapPlan(year=year, records=out, stages=stages.reset_index(drop=True),
                   counties=per_county.reset_index(drop=True), moves=mv, costs=uc, criteria=cr)


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
