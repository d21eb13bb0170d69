"""The official 优质均衡 assessment (教督〔2017〕6号, docs/method.md §2) per county, stage and year.

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

from analytics.assess import checks
from analytics.assess import criteria as criteria_module
from analytics.assess import queries, urban_rural
from analytics.assess.criteria import RESOURCE_IDS, STAGES, Criteria, Criterion, load_criteria, teacher_rules
from analytics.atlas import regions
from analytics.core.classes import COUNTY_STATUS, SCHOOL_STATE, codes
from analytics.store import db

STATUSES = codes(COUNTY_STATUS)  # in legend order: 达标, 差1–2项, 数据不足, 差3项及以上, 不予认定
OVERALL = "all"
SCHOOL_STATES = codes(SCHOOL_STATE)  # worst first


def school_state(eligible, compliant) -> str:
    """A school-stage's compliance state: compliant / noncompliant / no_data (assessed, but an
    indicator without data leaves it unknown: never a pass, never a miss) / not_assessed."""
    if not eligible:
        return "not_assessed"
    if pd.isna(compliant):
        return "no_data"
    return "compliant" if compliant else "noncompliant"


def weighted_cv(values: Sequence[float], weights: Sequence[float]) -> float:
    """Enrolment-weighted coefficient of variation (校际差异系数), docs/method.md §2.1.

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
    params = queries.parameters(cr, year)
    hours = float(cr.by_check("training_hours").options["hours"])
    con.register("resource_standards", queries.standards_frame(cr))
    rules = teacher_rules(cr)
    sql = queries.TEACHER_SQL.format(degree=rules.degree, backbone=rules.backbone, pe_arts=rules.pe_arts)
    con.register("teacher_counts", con.sql(sql, params={**queries.year_range(year), "hours": hours}).to_arrow_table())
    indicators = con.sql(queries.SCHOOL_SQL, params=params).to_arrow_table()
    con.register("school_indicators", indicators)
    stage_frame = db.frame(con, queries.COUNTY_SQL)
    county_frame = db.frame(con, queries.COUNTY_WIDE_SQL, queries.year_range(year))
    for name in ("school_indicators", "teacher_counts"):
        con.unregister(name)
    return _assemble(partial(_school_frame, indicators), stage_frame, county_frame, cr, con)


def _school_frame(indicators: pa.Table) -> pd.DataFrame:
    """The school rows in their one order, as pandas: done when first used (the county verdicts
    do not need them; sorting and converting 290,000 national rows takes 0.1–0.2 s)."""
    return db.arrow_frame(indicators.sort_by([(c, "ascending") for c in queries.SCHOOL_ORDER]))


def _assemble(schools: LazyFrame, stage_frame: pd.DataFrame, county_frame: pd.DataFrame,
              cr: Criteria, con: duckdb.DuckDBPyConnection) -> Assessment:
    units = county_frame[["adcode", "year"]].reset_index(drop=True)
    by_stage = {  # one row per unit, in the units' order (missing stages as NULL rows)
        stage: (units.assign(stage=stage).merge(stage_frame, on=["adcode", "year", "stage"], how="left")
                .merge(county_frame, on=["adcode", "year"], how="left"))
        for stage in STAGES}
    county_base = county_frame.reset_index(drop=True)
    verdicts = [Verdict(c, stage, checks.verdicts(c, stage, by_stage[stage] if stage else county_base, cr))
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
_CODE = hashlib.sha256(b"".join(Path(f).read_bytes() for f in (
    __file__, criteria_module.__file__, checks.__file__, queries.__file__, urban_rural.__file__))).digest()


def derivation_key(cr: Criteria) -> str:
    """What stored results depend on: the criteria in force and the code that computes them (so a
    provincial criteria file, or a new version of this module, never reads stale results)."""
    return hashlib.sha256(_CODE + repr((cr.resource, cr.items)).encode()).hexdigest()[:16]


def _table(name: str, key: str) -> str:
    """The table of one stored frame of the rule set whose derivation key is `key`."""
    return f"derived_{key}_{name}"


def _rule_sets_to_store() -> list[Criteria]:
    """The national rules and every usable rule file installed (a bad file is left out, as the app
    leaves it out)."""
    return list(criteria_module.read_rule_sets().sets.values())


def store(con: duckdb.DuckDBPyConnection, rule_sets: Sequence[Criteria] | None = None) -> None:
    """Assess every year of the database being written (`con` on its new file) under the national
    rules and every installed rule set (default) and keep each one's results in it: derived tables
    per rule set, and the metadata row 'derived' (each set's key and column types). Switching to an
    installed rule set then reads its results instead of computing them (a national one: 10 s)."""
    kept: dict[str, dict] = {}
    for cr in rule_sets if rule_sets is not None else _rule_sets_to_store():
        key = derivation_key(cr)
        if key in kept:
            continue
        a = compute(con, None, cr)
        frames = {**{name: getattr(a, name) for name in DERIVED}, "gaps": urban_rural.compute_gaps(con, None, cr)}
        frames["sums"] = urban_rural.compute_sums(con, a, frames["gaps"])
        for name, frame in frames.items():
            con.register("derived_frame", frame)
            con.execute(f"CREATE OR REPLACE TABLE {_table(name, key)} AS SELECT * FROM derived_frame")
            con.unregister("derived_frame")
        kept[key] = {"rules": cr.path.stem if cr.path else "", "types": {
            name: {c: str(t) for c, t in frame.dtypes.items()} for name, frame in frames.items()}}
    wanted = {_table(name, key) for key in kept for name in STORED}
    for table in _tables(con) - wanted:  # results of other rule sets or an earlier version
        if table.startswith("derived_"):
            con.execute(f'DROP TABLE "{table}"')
    con.execute("INSERT OR REPLACE INTO metadata VALUES ('derived', ?)", [json.dumps({"sets": kept})])


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}


def _stamp(con: duckdb.DuckDBPyConnection) -> dict:
    row = con.execute("SELECT value FROM metadata WHERE key = 'derived'").fetchall()
    return json.loads(row[0][0]) if row else {}


def _current_types(con: duckdb.DuckDBPyConnection, cr: Criteria) -> tuple[str, dict, str]:
    """The state of the results stored for these criteria — 'current' (of these criteria and this
    code), 'stale' (the database keeps results, but none of these criteria or of this code) or
    'none' — and, when current, their column types and key."""
    info = _stamp(con)
    if not info:
        return "none", {}, ""
    key = derivation_key(cr)
    entry = info.get("sets", {}).get(key)
    if entry and set(STORED) <= set(entry.get("types", {})) and {_table(n, key) for n in STORED} <= _tables(con):
        return "current", entry["types"], key
    return "stale", {}, ""


def stored_rule_sets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The rule files whose results the database keeps (their file names, as stamped)."""
    return [entry.get("rules", key) for key, entry in _stamp(con).get("sets", {}).items()]


def stored_state(con: duckdb.DuckDBPyConnection, cr: Criteria) -> str:
    """'current', 'stale' (computed instead; `migrate` stores them again) or 'none'."""
    return _current_types(con, cr)[0]


def stored(con: duckdb.DuckDBPyConnection, cr: Criteria, year: int | None = None,
           lazy: bool = False) -> Assessment | None:
    """The stored assessment (of one year, or all), if the database has one for these criteria
    and this code (lazy: its school rows and criterion results read when first used)."""
    state, types, key = _current_types(con, cr)
    if state != "current":
        return None
    frames = {name: partial(_read, con, name, year, types[name], key) for name in DERIVED}
    frames = {name: read if lazy and name in ("schools", "results") else read() for name, read in frames.items()}
    return Assessment(criteria=cr, stored_all=year is None, **frames)


def _read(con: duckdb.DuckDBPyConnection, name: str, year: int | None, types: dict[str, str],
          key: str) -> pd.DataFrame:
    """One stored frame (of one year, or all) with the column types it was computed with."""
    where, params = ("", None) if year is None else (" WHERE year = $year", {"year": int(year)})
    frame = db.frame(con, f"SELECT * FROM {_table(name, key)}{where}", params)
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
    """Status per county, year and stage (and overall) from the counted criteria (docs/method.md §2.6).

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


def urban_rural_gaps(con: duckdb.DuckDBPyConnection, year: int | None = None,
                     criteria: Criteria | None = None) -> pd.DataFrame:
    """Urban (城区+镇区) vs rural (乡村) per county and year: funding, equipment, degrees, training
    (stored with the data when the stamp matches, like the assessment; computed otherwise)."""
    cr = criteria or load_criteria()
    state, types, key = _current_types(con, cr)
    if state == "current":
        return _read(con, "gaps", year, types["gaps"], key)
    return urban_rural.compute_gaps(con, year, cr)


# --------------------------------------------------------------------------------------------
# Additive sums per county and year (progress shares are summed over counties, then divided)

def county_sums(con: duckdb.DuckDBPyConnection, a: Assessment, gaps: pd.DataFrame) -> pd.DataFrame:
    """Additive inputs per county and year (counts, yuan, pupils) that progress shares are made of:
    read from the stored results when `a` is the stored assessment of every year, else computed
    from `a` and its urban–rural `gaps`."""
    if a.stored_all:
        state, types, key = _current_types(con, a.criteria)
        if state == "current":
            return _read(con, "sums", None, types["sums"], key)
    return urban_rural.compute_sums(con, a, gaps)


