"""The gap plan's solver (gap.make_plan's passes): per school record of a year, the additions
that meet the criteria file's resource rules — targets, levelling of the lowest schools where a
difference coefficient stays above its limit, facilities per school, teachers rotated then hired.
The steps and why are in gap's docstring and docs/method.md."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from analytics.assess import balance
from analytics.assess.criteria import INDICATORS, STAGES, Criteria, teacher_rules

TYPES = [(d, b, p) for d in (0, 1) for b in (0, 1) for p in (0, 1)]  # degree, backbone, PE/arts
TYPE_MATRIX = np.array(TYPES, dtype=float)  # (8, 3): which of R1–R3 a teacher of each type counts for
HIRE_TYPES = {"backbone": (1, 1, 0), "pe_arts": (1, 0, 1), "regular": (1, 0, 0)}
MAX_PASSES = 8

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


@dataclass
class Work:
    """The plan's state as it travels through the passes. One row per school record (a school's
    stage) of the year, every array aligned with `records`; facilities are per school."""

    records: pd.DataFrame       # eligible school records, sorted by county, stage, school
    known: np.ndarray           # (n, 7): the indicator is reported (unknown: never planned for)
    per_pupil: np.ndarray       # a stage's facilities per pupil = school total × per_pupil
    pupils: np.ndarray          # the record's pupils
    standard: np.ndarray        # (n, 7): each record's standard per indicator
    cv_limit: np.ndarray        # (stages, 7): the CV limits
    floor_ratio: float          # the floor of a missed standard (criteria file)
    spares: int                 # standards a school may miss (7 − min_met)
    counts: np.ndarray          # (n, 8): full-time teachers per type (TYPES)
    school_of: np.ndarray       # each record's school number
    school_totals: np.ndarray   # (schools, 4): R4–R7 school totals, added to as planned
    unit_cost: np.ndarray       # (n, 7): what raising each indicator by one unit costs here
    groups: dict                # (adcode, stage) → the records' positions
    group_of: np.ndarray        # each record's group number
    group_stage: np.ndarray     # each group's stage number
    start_counts: np.ndarray = field(init=False)
    start_totals: np.ndarray = field(init=False)
    moves: list = field(default_factory=list)  # (adcode, stage, from, to, type) per teacher moved
    hires: np.ndarray = field(init=False)      # (n, 3): backbone, PE/arts, regular hired

    def __post_init__(self) -> None:
        self.start_counts = self.counts.copy()
        self.start_totals = self.school_totals.copy()
        self.hires = np.zeros((len(self.records), 3))

    def values(self) -> np.ndarray:
        """R1–R7 of every record with what is planned so far (NaN where not reported)."""
        teach = 100 * (self.counts @ TYPE_MATRIX) / self.pupils[:, None]
        facil = self.school_totals[self.school_of] * self.per_pupil[:, None]
        facil[:, 3] *= 100  # R7 per 100 pupils
        return np.where(self.known, np.column_stack([teach, facil]), np.nan)


def start(con: duckdb.DuckDBPyConnection, year: int, a: balance.Assessment, cr: Criteria, uc) -> Work:
    """The year's school records and what they have: teachers by type, facilities per school,
    standards, limits and unit costs (uc: gap.UnitCosts)."""
    rec = a.schools[a.schools["eligible"].fillna(False).astype(bool)].copy()
    rec = rec[["school_id", "name", "adcode", "stage", "kind", "locale", "students", "school_students",
               "facility_per_pupil", *INDICATORS]]
    rec = rec.sort_values(["adcode", "stage", "school_id"]).reset_index(drop=True)
    # missing data is planned for by nobody: an indicator a school has not reported gets no target,
    # no cost and no place in its CV; the school is flagged 缺数据 and its county cannot pass
    known = rec[list(INDICATORS)].notna().to_numpy()
    per_pupil = rec["facility_per_pupil"].to_numpy(float)
    stage_idx = rec["stage"].map({s: i for i, s in enumerate(STAGES)}).to_numpy(dtype=int)  # int even when empty
    pupils = rec["students"].to_numpy(float)
    school_codes, school_of = np.unique(rec["school_id"].to_numpy(), return_inverse=True)
    school_totals = np.zeros((len(school_codes), 4))
    school_totals[school_of] = np.nan_to_num(_facilities(con, year, rec))
    per_unit = np.nan_to_num(1 / per_pupil, nan=0.0, posinf=0.0)  # school total needed per unit of a stage's value
    unit_cost = np.column_stack([
        uc.hire_regular_per_year * uc.years * pupils / 100, uc.hire_backbone_per_year * uc.years * pupils / 100,
        uc.hire_pe_arts_per_year * uc.years * pupils / 100, uc.teaching_area_per_m2 * per_unit,
        uc.sports_area_per_m2 * per_unit, uc.equipment_per_yuan * per_unit, uc.multimedia_room * per_unit / 100,
    ])
    groups = rec.groupby(["adcode", "stage"], sort=False).indices
    return Work(
        records=rec, known=known, per_pupil=per_pupil, pupils=pupils,
        standard=np.array([[cr[f"R{k}"].threshold[s] for k in range(1, 8)] for s in STAGES])[stage_idx],
        cv_limit=np.array([[cr[f"R{k}"].cv_threshold[s] for k in range(1, 8)] for s in STAGES]),
        floor_ratio=float(cr.resource["floor_ratio"]),
        spares=max(0, len(INDICATORS) - int(cr.resource["min_met"])),
        counts=_teacher_counts(con, year, rec, cr), school_of=school_of, school_totals=school_totals,
        unit_cost=unit_cost, groups=groups, group_of=_group_numbers(groups, len(rec)),
        group_stage=np.array([STAGES.index(stage) for _, stage in groups], dtype=int))


def _teacher_counts(con: duckdb.DuckDBPyConnection, year: int, rec: pd.DataFrame, cr: Criteria) -> np.ndarray:
    """(n, 8): each record's full-time teachers per type, under the criteria file's conditions."""
    rules = teacher_rules(cr)
    tt = con.execute(TEACHER_TYPES_SQL.format(degree=rules.degree, backbone=rules.backbone, pe_arts=rules.pe_arts),
                     {"year": year}).df()
    tt["t"] = [TYPES.index((d, b, p)) for d, b, p in zip(tt["d"], tt["b"], tt["p"])]
    wide = tt.pivot_table(index=["school_id", "stage"], columns="t", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=range(len(TYPES)), fill_value=0)
    return (rec[["school_id", "stage"]].merge(wide.reset_index(), on=["school_id", "stage"], how="left")
            .fillna(0)[list(range(len(TYPES)))].to_numpy(float, copy=True))


def _facilities(con: duckdb.DuckDBPyConnection, year: int, rec: pd.DataFrame) -> np.ndarray:
    """(n, 4): each record's school totals of R4–R7 (NaN where not reported)."""
    fac = rec[["school_id"]].merge(con.execute(FACILITIES_SQL, {"year": year}).df(), on="school_id", how="left")
    return fac[["r4_total", "r5_total", "r6_total", "r7_total"]].to_numpy(float, copy=True)


def solve(w: Work) -> None:
    """Plan until nothing more is needed (or MAX_PASSES): each pass sets targets from the values
    planned so far, then adds facilities and teachers to meet them."""
    for pass_no in range(MAX_PASSES):
        now = np.where(w.known, w.values(), w.standard)  # unknown: treated as met, nothing planned for it
        target, floor = _targets(w, now)
        added_facilities = _add_facilities(w, target)
        added_teachers = _add_teachers(w, target, floor, pass_no)
        if added_facilities == 0 and added_teachers == 0:
            break


def _targets(w: Work, now: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each record's target per indicator, and the levelling floor behind it (0 where none)."""
    n, std = len(now), w.standard
    # 1. every missing standard met, except the dearest (7 − min_met), raised only to the floor
    miss = now < std * (1 - 1e-12)
    saving = np.where(miss, (np.clip(std - now, 0, None) - np.clip(w.floor_ratio * std - now, 0, None))
                      * w.unit_cost, -np.inf)
    target = np.where(miss, std, now)
    for spare in np.argsort(-saving, axis=1, kind="stable")[:, :w.spares].T:  # dearest first
        rows = np.flatnonzero(miss[np.arange(n), spare])
        target[rows, spare[rows]] = np.maximum(now[rows, spare[rows]], w.floor_ratio * std[rows, spare[rows]])
    # 2. levelling the lowest schools where a CV stays above its limit (over the schools with data)
    floor = np.zeros_like(now)
    for k in range(7):
        ik = np.flatnonzero(w.known[:, k])
        level = level_floors(target[ik, k], w.pupils[ik], w.group_of[ik], w.cv_limit[w.group_stage, k])[w.group_of[ik]]
        raise_to = ~np.isnan(level)
        target[ik[raise_to], k] = np.maximum(target[ik[raise_to], k], level[raise_to])
        floor[ik[raise_to], k] = level[raise_to]
    return target, floor


def _add_facilities(w: Work, target: np.ndarray) -> float:
    """Facilities per school: the higher need of its records (school total = value / per pupil),
    area and money up to 0.1, rooms whole. Returns the sum added."""
    per_unit = np.nan_to_num(1 / w.per_pupil, nan=0.0, posinf=0.0)
    need_raw = np.zeros_like(w.school_totals)
    np.maximum.at(need_raw, w.school_of, np.where(w.known[:, 3:], target[:, 3:], 0) * per_unit[:, None])
    need_total = np.column_stack([np.ceil(need_raw[:, :3] * (1 + 1e-9) * 10) / 10,
                                  np.ceil(need_raw[:, 3] / 100 - 1e-9)])
    have = w.school_totals
    short = need_raw[:, :3] > have[:, :3] * (1 + 1e-9)
    added = np.column_stack([np.where(short, need_total[:, :3] - have[:, :3], 0),
                             np.clip(need_total[:, 3] - have[:, 3], 0, None)])
    w.school_totals += added
    return float(added.sum())


def _add_teachers(w: Work, target: np.ndarray, floor: np.ndarray, pass_no: int) -> int:
    """Whole teachers, rotated within a county and stage, then hired. The first pass forgives the
    levelling's safety margin (a floor of 1.000001 × 4 teachers is 4); later passes round strictly
    up if a CV is still above. Returns the teachers added or moved."""
    levelled = floor[:, :3] >= target[:, :3] * (1 - 1e-12)
    tol = np.where(levelled & (pass_no == 0), 1e-4, 0.0)
    pupils = w.pupils[:, None]
    need = np.where(w.known[:, :3], np.ceil(target[:, :3] * pupils / 100 * (1 - tol) - 1e-9), 0)
    keep = np.ceil(np.maximum(w.standard[:, :3], floor[:, :3]) * pupils / 100 - 1e-9)
    return sum(_rotate_and_hire(w, group, idx, need, keep) for group, idx in w.groups.items())


def _rotate_and_hire(w: Work, group: tuple[str, str], idx: np.ndarray, need: np.ndarray, keep: np.ndarray) -> int:
    """Within one county and stage (its records idx): move surplus teachers to schools short of
    their targets (lowest first), then hire what is left. Returns the teachers added or moved."""
    counts, type_matrix, moves, hires = w.counts, TYPE_MATRIX, w.moves, w.hires
    adcode, stage = group
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
