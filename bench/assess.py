"""Benchmark the assessment: read from the results stored with the data, computed from the raw
tables by the DuckDB engine, and a straightforward pandas implementation.

    python bench/assess.py [--sichuan PATH] [--national PATH] [--year 2025] [--skip-national]

1. Sichuan demo (built if missing): one year, all counties and stages, warm (best of 5): stored,
   computed, pandas.
2. National synthetic database (all 2,875 counties, one year; built if missing, which takes a few
   minutes): the same three, each in its own process (peak memory is its own); all must give
   identical county results. Targets (issue "national scale"): computed ≥ 20× pandas, stored
   under 1 s nationally and under 50 ms for Sichuan.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.assess import balance  # noqa: E402
from analytics.assess.criteria import load_criteria  # noqa: E402
from analytics.store import db
from analytics.synthetic import demo

OUT = ROOT / "bench" / "out"
DEGREE_OK = {"primary": {"associate", "bachelor", "postgraduate"}, "junior": {"bachelor", "postgraduate"}}


def _child(kind: str, path: str, year: int, queue) -> None:
    """Run one implementation in a fresh process: (seconds, peak RSS in MB, county table)."""
    cr = load_criteria()
    con = db.connect(path)
    fn = {"stored": balance.assess, "duckdb": balance.compute, "pandas": pandas_assess}[kind]
    started = time.perf_counter()
    a = fn(con, year, cr)
    seconds = time.perf_counter() - started
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, a.counties))


def isolated(kind: str, path: Path, year: int):
    """Time one implementation in its own process so peak memory is its own."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(kind, str(path), year, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def pandas_assess(con, year: int, cr) -> balance.Assessment:
    """The same assessment as balance.assess, computed in pandas from whole tables."""
    q = lambda sql: con.execute(sql, [year]).df()  # noqa: E731
    ssy = q("SELECT * FROM school_stage_year WHERE year = ?")
    schools = con.execute("SELECT * FROM schools").df()
    sy = q("SELECT * FROM school_year WHERE year = ?")
    teachers = q("SELECT * FROM teachers WHERE year = ?")
    funding = q("SELECT * FROM funding WHERE year = ?")
    cy = q("SELECT * FROM county_year WHERE year = ?")
    res = cr.resource

    r = ssy.merge(schools, on="school_id")
    r = r.merge(cy[["adcode", "year", "public_funding_norm_primary", "public_funding_norm_junior"]],
                on=["adcode", "year"], how="left")
    norm = np.where(r["stage"] == "primary", r["public_funding_norm_primary"], r["public_funding_norm_junior"])
    r["norm_part"] = r["students"] * norm
    g = r.groupby(["school_id", "year"])
    r["school_students"] = g["students"].transform("sum")
    r["school_classes"] = g["classes"].transform("sum")
    r["norm_amount"] = g["norm_part"].transform("sum")

    t = teachers
    ok_degree = np.where(t["stage"] == "primary", t["degree"].isin(DEGREE_OK["primary"]),
                         t["degree"].isin(DEGREE_OK["junior"]))
    t = t.assign(d=ok_degree & t["full_time"], b=(t["backbone"] != "none") & t["full_time"],
                 p=t["subject"].isin(["pe", "music", "art"]) & t["full_time"], f=t["full_time"])
    staff = t.groupby(["school_id", "year", "stage"])[["d", "b", "p", "f"]].sum().reset_index()
    money = (funding[funding["item"].isin(["public_funding", "teacher_training"])]
             .pivot_table(index=["school_id", "year"], columns="item", values="amount_yuan", aggfunc="sum")
             .reset_index().rename(columns={"teacher_training": "training_funding"}))
    r = r.merge(staff, on=["school_id", "year", "stage"], how="left").merge(sy, on=["school_id", "year"], how="left")
    r = r.merge(money, on=["school_id", "year"], how="left")
    reported = r["f"].notna()  # no teacher rows for the school and stage: R1–R3 missing, not zero
    for c in "dbpf":
        r[c] = r[c].fillna(0)
    excluded = r["kind"].isin(res["excluded_kinds"])
    r["eligible"] = ~excluded & ~((r["kind"] == "教学点") & (r["school_students"] < res["small_teaching_point_students"])) \
        & (r["students"] > 0)
    pupils = r["students"].where(r["students"] > 0)
    school_pupils = r["school_students"].where(r["school_students"] > 0)
    for i, c in ((1, "d"), (2, "b"), (3, "p")):
        r[f"r{i}"] = (100 * r[c] / pupils).where(reported)
    # facilities split by weighted enrolment, senior-high pupils included for the kinds that have them
    w = cr.weights
    r["w"] = np.where(r["stage"] == "primary", w["primary"], w["junior"])
    r["weighted"] = (r["students"] * r["w"]).groupby([r["school_id"], r["year"]]).transform("sum")
    senior = r["senior_students"].where(r["kind"].isin(res["senior_kinds"]), 0)
    fpp = r["w"] / (r["weighted"] + w["senior"] * senior).where(lambda x: x != 0)
    r["r4"] = r["teaching_area_m2"] * fpp
    r["r5"] = r["sports_area_m2"] * fpp
    r["r6"] = r["equipment_value_yuan"] * fpp
    r["r7"] = 100 * r["multimedia_rooms"] * fpp
    std = {s: [cr[f"R{i}"].threshold[s] for i in range(1, 8)] for s in ("primary", "junior")}
    ratios = np.column_stack([r[f"r{i}"] / np.where(r["stage"] == "primary", std["primary"][i - 1],
                                                   std["junior"][i - 1]) for i in range(1, 8)])
    misses = (ratios < 1).sum(axis=1)                              # NaN < 1 is False: known misses
    lowest = np.nanmin(np.where(np.isnan(ratios), np.inf, ratios), axis=1)
    fails = (misses > 7 - res["min_met"]) | (lowest < res["floor_ratio"])
    known = ~np.isnan(ratios).any(axis=1)
    r["compliant"] = pd.Series(~fails, dtype="boolean").mask(~fails & ~known).where(r["eligible"])
    g3 = cr.by_check("school_arts_rooms").options
    rooms = np.ceil(r["school_classes"] / g3["classes_per_room"])
    too_few = (r["music_rooms"] < rooms) | (r["art_rooms"] < rooms)
    too_small = (r["music_room_min_m2"] < g3["music_room_m2"]) | (r["art_room_min_m2"] < g3["art_room_m2"])
    unknown = r[["music_rooms", "art_rooms", "music_room_min_m2", "art_room_min_m2"]].isna().any(axis=1)
    g3_ok = pd.Series(np.where(too_few | too_small, False, True), dtype="boolean").mask(~(too_few | too_small) & unknown)
    r["g3_ok"] = g3_ok.where(r["eligible"])
    g4 = cr.by_check("school_size").options
    limit = np.where(r["kind"].isin(g4["through_kinds"]), g4["max_students_through"], g4["max_students"])
    r["g4_ok"] = pd.Series(r["school_students"] <= limit, dtype="boolean").where(~excluded & (r["students"] > 0))
    g5 = cr.by_check("class_size").options["max_class"]
    r["g5_ok"] = pd.Series(r["max_class_size"] <= np.where(r["stage"] == "primary", g5["primary"], g5["junior"]),
                           dtype="boolean").where(~excluded & (r["students"] > 0))
    g6 = cr.by_check("small_school_funding").options
    floor = g6["floor_students"]
    r["g6_applies"] = (((r["kind"].isin(g6["village_kinds"]) & (r["locale"] == "rural")) | r["kind"].isin(g6["any_locale_kinds"]))
                       & r["school_students"].between(1, floor - 1))
    g6 = r["public_funding"] + 1 >= r["norm_amount"] / school_pupils * floor
    r["g6_ok"] = pd.Series(g6, dtype="boolean").mask(g6.isna() | r["public_funding"].isna() | r["norm_amount"].isna())
    r["g7_applies"] = (r["kind"] == "特殊教育学校") & (r["students"] > 0)
    g7 = r["public_funding"] / school_pupils >= cr.by_check("special_funding").options["min_per_student"]
    r["g7_ok"] = pd.Series(g7, dtype="boolean").mask(r["public_funding"].isna() | school_pupils.isna())
    r["q4_applies"] = r["students"] > 0
    q4 = r["training_funding"].fillna(0) >= cr.by_check("training_budget").options["min_share"] * r["public_funding"]
    r["q4_ok"] = pd.Series(q4, dtype="boolean").mask(r["public_funding"].isna())

    e = r[r["eligible"]].copy()
    keys = ["adcode", "year", "stage"]
    e["P"] = e["students"].astype(float)
    means = e.groupby(keys).agg(schools_assessed=("school_id", "size"), students_assessed=("P", "sum"))
    for i in range(1, 8):  # each indicator over the schools that have it
        x = e[e[f"r{i}"].notna()]
        px = (x["P"] * x[f"r{i}"]).groupby([x[k] for k in keys]).sum()
        total = x.groupby(keys)["P"].sum()
        mean = px / total
        dev = x.join(mean.rename("m"), on=keys)
        sq = (dev["P"] * (dev[f"r{i}"] - dev["m"]) ** 2).groupby([dev[k] for k in keys]).sum()
        sd = np.sqrt(sq / total)
        means[f"mean_r{i}"] = mean
        means[f"cv_r{i}"] = (sd / mean.where(mean != 0)).where(mean != 0, np.where(sd == 0, 0.0, np.nan))
        means[f"schools_r{i}"] = x.groupby(keys).size()
    missing_any = e[[f"r{i}" for i in range(1, 8)]].isna().any(axis=1)
    means["schools_missing_resource"] = e.assign(x=missing_any).groupby(keys)["x"].sum()
    means["noncompliant_schools"] = e.assign(x=e["compliant"] == False).groupby(keys)["x"].sum()  # noqa: E712
    means["schools_no_data"] = e.assign(x=e["compliant"].isna()).groupby(keys)["x"].sum()
    means = means.drop(columns=[c for c in means if c.startswith("sum_px")])

    a = r.assign(g3f=r["g3_ok"] == False, g3n=r["eligible"] & r["g3_ok"].isna(),  # noqa: E712
                 g4f=r["g4_ok"] == False, g5f=r["g5_ok"] == False,  # noqa: E712
                 g6f=r["g6_applies"] & (r["g6_ok"] == False), g6n=r["g6_applies"] & r["g6_ok"].isna(),  # noqa: E712
                 q4f=r["q4_applies"] & (r["q4_ok"] == False), q4n=r["q4_applies"] & r["q4_ok"].isna())  # noqa: E712
    checks = a.groupby(keys).agg(students=("students", "sum"), g3_fail=("g3f", "sum"), g3_nodata=("g3n", "sum"),
                                 g4_fail=("g4f", "sum"), g5_fail=("g5f", "sum"), g6_fail=("g6f", "sum"),
                                 g6_nodata=("g6n", "sum"), q4_fail=("q4f", "sum"), q4_nodata=("q4n", "sum"))
    stage_frame = checks.join(means).reset_index()

    hours = cr.by_check("training_hours").options["hours"]
    tc = teachers.merge(schools[["school_id", "adcode"]], on="school_id")
    ft = tc[tc["full_time"]]
    staff_c = ft.groupby(["adcode", "year"]).agg(teacher_pay=("annual_pay_yuan", "mean"))
    staff_c["training_share"] = (ft["training_hours_5y"] >= hours).groupby([ft["adcode"], ft["year"]]).mean()
    staff_c["certified_share"] = ft["certified"].groupby([ft["adcode"], ft["year"]]).mean()
    ex = tc.assign(el=tc["exchange_eligible"], exd=tc["exchanged"], exb=tc["exchanged"] & (tc["backbone"] != "none"))
    ex = ex.groupby(["adcode", "year"])[["el", "exd", "exb"]].sum().rename(
        columns={"el": "exchange_eligible", "exd": "exchanged", "exb": "exchanged_backbone"})
    special = r[r["g7_applies"]].drop_duplicates("school_id")
    sp = special.assign(f=special["g7_ok"] == False, n=special["g7_ok"].isna()).groupby(["adcode", "year"]).agg(  # noqa: E712
        g7_fail=("f", "sum"), g7_nodata=("n", "sum"))
    units = pd.concat([r[["adcode", "year"]], cy[["adcode", "year"]]]).drop_duplicates()
    county_frame = (units.merge(cy, on=["adcode", "year"], how="left")
                    .merge(staff_c.join(ex, how="outer").reset_index(), on=["adcode", "year"], how="left")
                    .merge(sp.reset_index(), on=["adcode", "year"], how="left"))
    county_frame[["g7_fail", "g7_nodata"]] = county_frame[["g7_fail", "g7_nodata"]].fillna(0)
    return balance._assemble(r, stage_frame, county_frame, cr, con)


def compare(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Raise unless the two county tables agree (floats to 1e-9)."""
    key = ["adcode", "year", "stage"]
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    assert list(a[key].itertuples(index=False)) == list(b[key].itertuples(index=False)), "different rows"
    for col in ["status", "failed", "failed_criteria", "missing", "missing_criteria", "veto_criteria",
                "noncompliant_schools", "schools_assessed", "schools_missing_resource"]:
        assert (a[col].astype(str) == b[col].astype(str)).all(), col
    for col in [f"cv_r{i}" for i in range(1, 8)] + ["cv_composite"]:
        np.testing.assert_allclose(a[col].astype(float), b[col].astype(float), rtol=1e-9, atol=1e-12, err_msg=col)


def timed(fn, runs: int = 1):
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def ensure(path: Path, scope: str, years: tuple[int, ...]) -> Path:
    if not path.exists():
        print(f"building {scope} database at {path} …", flush=True)
        started = time.perf_counter()
        demo.build_demo(path, scope=scope, years=years)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sichuan", type=Path, default=OUT / "sichuan.duckdb")
    p.add_argument("--national", type=Path, default=OUT / "national.duckdb")
    p.add_argument("--year", type=int, default=2025)
    p.add_argument("--skip-national", action="store_true")
    args = p.parse_args()
    cr = load_criteria()

    con = db.connect(ensure(args.sichuan, "sichuan", demo.DEFAULT_YEARS))
    assert balance.stored(con, cr) is not None, f"{args.sichuan} has no stored results: delete it to rebuild"
    balance.assess(con, args.year, cr)  # warm
    t_st, a = timed(lambda: balance.assess(con, args.year, cr), runs=5)
    t_sc, c = timed(lambda: balance.compute(con, args.year, cr), runs=5)
    t_sc_pd, b = timed(lambda: pandas_assess(con, args.year, cr), runs=2)
    compare(a.counties, b.counties)
    compare(c.counties, b.counties)
    con.close()
    print(f"sichuan  {args.year}: {a.counties['adcode'].nunique()} counties, warm: stored {t_st * 1000:.0f} ms "
          f"(target < 50 ms), computed {t_sc:.3f} s, pandas {t_sc_pd:.3f} s; computed {t_sc_pd / t_sc:.1f}x pandas, "
          f"identical results")

    if args.skip_national:
        return
    path = ensure(args.national, "national", (args.year,))
    with db.connect(path) as con:
        rows = con.execute("SELECT count(*) FROM teachers WHERE year = ?", [args.year]).fetchone()[0]
        schools = con.execute("SELECT count(*) FROM schools").fetchone()[0]
    t_st, m_st, s_ = isolated("stored", path, args.year)
    t_db, m_db, a = isolated("duckdb", path, args.year)
    t_pd, m_pd, b = isolated("pandas", path, args.year)
    compare(a, b)
    compare(s_, b)
    print(f"national {args.year}: {a['adcode'].nunique()} counties, {schools:,} schools, {rows:,} teacher rows")
    print(f"  stored    {t_st:6.2f} s   peak RSS {m_st:,.0f} MB   (target < 1 s)")
    print(f"  computed  {t_db:6.2f} s   peak RSS {m_db:,.0f} MB")
    print(f"  pandas    {t_pd:6.2f} s   peak RSS {m_pd:,.0f} MB")
    print(f"  computed is {t_pd / t_db:.1f}x pandas (target >= 20x); identical county results")


if __name__ == "__main__":
    main()
