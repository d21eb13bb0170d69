"""The official method on small hand-computed counties (docs/method.md §2)."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.assess import balance, queries
from analytics.assess.balance import weighted_cv
from analytics.store import db
from tests.factory import GOOD, School, build

YEAR = 2024


def assess(path):
    con = db.connect(path)
    try:
        return balance.assess(con, YEAR)
    finally:
        con.close()


def county_row(a, stage, adcode="510104"):
    c = a.counties
    return c[(c["adcode"] == adcode) & (c["stage"] == stage)].iloc[0]


def with_r(stage, **changes):
    """GOOD values of a stage with some of R1..R7 replaced, e.g. with_r('primary', r4=4.0)."""
    vals = list(GOOD[stage])
    for key, value in changes.items():
        vals[int(key[1]) - 1] = value
    return {stage: tuple(vals)}


# ---- weighted_cv ------------------------------------------------------------------------------


def test_weighted_cv_matches_hand_computation():
    """X = 5, 6, 4 with P = 100, 200, 100: X̄ = 2100/400 = 5.25;
    S² = (100·0.0625 + 200·0.5625 + 100·1.5625)/400 = 275/400 = 0.6875; CV = √0.6875 / 5.25 = 0.157934."""
    assert weighted_cv([5, 6, 4], [100, 200, 100]) == pytest.approx(math.sqrt(0.6875) / 5.25, rel=1e-12)
    assert weighted_cv([5, 6, 4], [100, 200, 100]) == pytest.approx(0.157934, abs=1e-6)


def test_weighted_cv_weights_by_enrolment_not_by_school():
    """Plain CV of (1, 3) is 0.5; with 300 pupils at the 3-school, X̄ = 2.5, S = √0.75, CV = 0.3464."""
    assert weighted_cv([1, 3], [1, 1]) == pytest.approx(0.5)
    assert weighted_cv([1, 3], [100, 300]) == pytest.approx(math.sqrt(0.75) / 2.5)


def test_weighted_cv_of_schools_all_at_zero_is_zero():
    """No school has a backbone teacher: no difference between schools (RS fails instead)."""
    assert weighted_cv([0, 0], [10, 20]) == 0.0


def test_weighted_cv_of_one_school_is_zero():
    assert weighted_cv([4.2], [350]) == 0.0


@pytest.mark.parametrize(
    "values, weights, message",
    [([], [], "at least one"), ([1, 2], [0, 0], "zero"), ([1, -1], [10, 10], "mean is zero"),
     ([1, 2], [1], "weights"), ([1, 2], [-1, 3], "negative")],
)
def test_weighted_cv_rejects_unusable_input(values, weights, message):
    with pytest.raises(ValueError, match=message):
        weighted_cv(values, weights)


def test_sql_weighted_cv_agrees_with_python():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"g": np.repeat(np.arange(50), 12), "x": rng.lognormal(1, 0.5, 600),
                          "w": rng.integers(1, 3000, 600).astype(float)})
    con = duckdb.connect()
    con.register("sample", frame)
    sql = con.execute(queries.weighted_cv_query("sample")).df().set_index("g")["cv_x"].sort_index()
    py = frame.groupby("g").apply(lambda d: weighted_cv(d["x"], d["w"]), include_groups=False)
    np.testing.assert_allclose(sql.to_numpy(), py.to_numpy(), rtol=1e-10)



def test_sql_weighted_cv_of_several_columns_leaves_each_ones_missing_values_out():
    """Group 1: x over all three schools, y over the two that have it. Group 2 has no y at all:
    no mean, count or CV for y (missing, never zero), while its x is still computed."""
    frame = pd.DataFrame({"g": [1, 1, 1, 2, 2], "x": [5.0, 6.0, 4.0, 2.0, 3.0],
                          "y": [1.0, None, 3.0, None, None], "w": [100.0, 200.0, 100.0, 50.0, 50.0]})
    con = duckdb.connect()
    con.register("sample", frame)
    out = con.execute(queries.weighted_cv_query("sample", values=("x", "y"))).df().set_index("g").sort_index()
    assert out.loc[1, "cv_x"] == pytest.approx(weighted_cv([5, 6, 4], [100, 200, 100]))
    assert out.loc[1, "cv_y"] == pytest.approx(weighted_cv([1, 3], [100, 100]))
    assert out.loc[1, "n_y"] == 2 and out.loc[1, "mean_y"] == pytest.approx(2.0)
    assert out.loc[2, "cv_x"] == pytest.approx(weighted_cv([2, 3], [50, 50]))
    assert pd.isna(out.loc[2, "n_y"]) and pd.isna(out.loc[2, "mean_y"]) and pd.isna(out.loc[2, "cv_y"])

# ---- county assessment --------------------------------------------------------------------------


def test_county_cv_and_status_match_hand_computation(tmp_path):
    """Three primary schools with R4 = 5.0, 6.0, 4.0 m² (100, 200, 100 pupils): cv_r4 = 0.157934.
    School c misses R4 only, at 4.0/4.5 = 89 % ≥ 85 %: compliant. Every other indicator is equal
    across schools (CV 0). All criteria pass: status 达标."""
    path = build(tmp_path / "a.duckdb", [
        School("a", {"primary": 100}, with_r("primary", r4=5.0)),
        School("b", {"primary": 200}, with_r("primary", r4=6.0)),
        School("c", {"primary": 100}, with_r("primary", r4=4.0)),
    ])
    a = assess(path)
    row = county_row(a, "primary")
    assert row["cv_r4"] == pytest.approx(0.157934, abs=1e-6)
    assert row["mean_r4"] == pytest.approx(5.25)
    assert row["cv_r1"] == pytest.approx(0.0, abs=1e-12)
    assert row["noncompliant_schools"] == 0
    assert row["status"] == "pass", row["failed_criteria"]
    school_c = a.schools.set_index("school_id").loc["c"]
    assert school_c["standards_met"] == 6 and bool(school_c["compliant"])


def test_school_missing_two_standards_fails_compliance(tmp_path):
    """School c misses R4 (4.0 < 4.5) and R6 (1900 < 2000): 5 of 7 met → non-compliant.
    RS is the only failed criterion → 差1–2项."""
    path = build(tmp_path / "a.duckdb", [
        School("a", {"primary": 100}),
        School("c", {"primary": 100}, with_r("primary", r4=4.0, r6=1900.0)),
    ])
    row = county_row(assess(path), "primary")
    assert row["noncompliant_schools"] == 1
    assert row["failed_criteria"] == "RS"
    assert row["status"] == "near"


def test_single_miss_below_85_percent_fails_compliance(tmp_path):
    """R4 = 3.6 is 80 % of 4.5: the one missed standard is below 85 % → non-compliant."""
    path = build(tmp_path / "a.duckdb", [School("c", {"primary": 100}, with_r("primary", r4=3.6))])
    a = assess(path)
    assert not bool(a.schools.iloc[0]["compliant"])
    assert a.schools.iloc[0]["ratio_r4"] == pytest.approx(0.8)
    failed = a.results[(a.results["criterion"] == "RS") & (a.results["stage"] == "primary")].iloc[0]
    assert failed["value"] == 1 and failed["standard"] == 0 and not failed["passed"]


def test_cv_above_threshold_fails_even_when_every_school_complies(tmp_path):
    """R6 = 2000 (300 pupils) and 8000 (100 pupils): X̄ = 3500, S² = (300·1500² + 100·4500²)/400
    = 6.75e6, CV = 2598.08/3500 = 0.7423 > 0.50 → R6 fails; both schools comply."""
    path = build(tmp_path / "a.duckdb", [
        School("a", {"primary": 300}, with_r("primary", r6=2000.0)),
        School("b", {"primary": 100}, with_r("primary", r6=8000.0)),
    ])
    a = assess(path)
    row = county_row(a, "primary")
    assert row["cv_r6"] == pytest.approx(math.sqrt(6.75e6) / 3500, rel=1e-9)
    assert row["noncompliant_schools"] == 0
    assert row["failed_criteria"] == "R6"
    r6 = a.results[(a.results["criterion"] == "R6") & (a.results["stage"] == "primary")].iloc[0]
    assert r6["standard"] == 0.5
    assert r6["gap"] == pytest.approx(r6["value"] - 0.5)


def test_junior_uses_junior_thresholds(tmp_path):
    """R1 = 5.0 meets the primary standard (4.2) but not the junior one (5.3); junior CV limit is 0.45."""
    path = build(tmp_path / "a.duckdb", [School("j", {"junior": 100}, with_r("junior", r1=5.0), kind="初中")])
    a = assess(path)
    s = a.schools.iloc[0]
    assert s["ratio_r1"] == pytest.approx(5.0 / 5.3)
    assert s["standards_met"] == 6 and bool(s["compliant"])  # 94 % ≥ 85 %
    r1 = a.results[(a.results["criterion"] == "R1") & (a.results["stage"] == "junior")].iloc[0]
    assert r1["standard"] == 0.45


def test_single_school_county_has_zero_cv(tmp_path):
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 250})])
    row = county_row(assess(path), "primary")
    assert all(row[f"cv_r{i}"] == pytest.approx(0.0, abs=1e-12) for i in range(1, 8))
    assert row["status"] == "pass"


def test_only_small_teaching_points_means_incomplete_data(tmp_path):
    """Teaching points under 50 pupils are left out of the resource part: nothing to compute."""
    path = build(tmp_path / "a.duckdb", [
        School("t1", {"primary": 30}, kind="教学点", locale="rural"),
        School("t2", {"primary": 45}, kind="教学点", locale="rural"),
    ])
    a = assess(path)
    assert county_row(a, "primary")["status"] == "incomplete"
    assert county_row(a, "primary")["schools_assessed"] == 0
    assert not a.schools["eligible"].any()


def test_special_education_school_is_left_out_of_resource_indicators(tmp_path):
    path = build(tmp_path / "a.duckdb", [
        School("a", {"primary": 200}),
        School("sp", {"primary": 40}, with_r("primary", r4=0.5), kind="特殊教育学校"),
    ])
    row = county_row(assess(path), "primary")
    assert row["schools_assessed"] == 1 and row["noncompliant_schools"] == 0


def test_nine_year_school_counts_in_both_stages_with_apportioned_facilities(tmp_path):
    """九年一贯制: 300 primary + 100 junior pupils share 2,400 m² of teaching rooms, split by
    weighted enrolment 1 : 1.1 (docs/method.md §1): weighted pupils 300 + 110 = 410, so a primary
    pupil has 2400/410 = 5.8537 m² and a junior pupil 2400·1.1/410 = 6.4390 m² (primary part
    1,756.1 m², junior part 643.9 m², together 2,400). Teachers count in the stage they teach."""
    path = build(tmp_path / "a.duckdb", [
        School("n", {"primary": 300, "junior": 100},
               {"primary": with_r("primary", r4=6.0)["primary"], "junior": GOOD["junior"]},
               kind="九年一贯制", facilities_of="primary"),
    ])
    a = assess(path)
    rows = a.schools.set_index("stage")
    assert rows.loc["primary", "r4"] == pytest.approx(2400 / 410)
    assert rows.loc["junior", "r4"] == pytest.approx(2400 * 1.1 / 410)
    assert rows.loc["primary", "r4"] * 300 + rows.loc["junior", "r4"] * 100 == pytest.approx(2400)
    assert rows.loc["primary", "r1"] == pytest.approx(5.0)
    assert rows.loc["junior", "r1"] == pytest.approx(6.0)
    assert county_row(a, "primary")["schools_assessed"] == 1
    assert county_row(a, "junior")["schools_assessed"] == 1


def test_zero_enrolment_row_is_left_out(tmp_path):
    path = build(tmp_path / "a.duckdb", [
        School("a", {"primary": 200}),
        School("z", {"primary": 0}),
    ])
    a = assess(path)
    row = county_row(a, "primary")
    assert row["schools_assessed"] == 1
    assert row["status"] == "pass"
    assert not a.schools.set_index("school_id").loc["z", "eligible"]


def test_missing_county_facts_are_no_data_not_pass(tmp_path):
    """Without a county_year row the G/Q/S criteria that need it are unknown, not passed, and the
    county is 数据不足 (docs/method.md §2.6), never 达标."""
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200})], county_year=None)
    a = assess(path)
    r = a.results.set_index(["criterion", "stage"])
    for cid in ("G1", "G14", "G15", "Q2", "S1", "G8"):
        stage = "primary" if cid == "G14" else "county"
        assert pd.isna(r.loc[(cid, stage), "passed"]), cid
    row = county_row(a, "primary")
    assert row["missing"] > 0 and row["failed"] == 0
    assert row["status"] == "incomplete"
    assert "G1" in row["missing_criteria"] and "V1" in row["missing_criteria"]
    assert county_row(a, "all")["status"] == "incomplete"


def test_veto_fails_an_otherwise_passing_county(tmp_path):
    from tests.factory import COUNTY_YEAR_OK

    facts = dict(COUNTY_YEAR_OK, veto_key_schools=True)
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200})], county_year=facts)
    row = county_row(assess(path), "all")
    assert row["veto"] and row["status"] == "vetoed"
    assert row["veto_criteria"] == "V3" and row["failed"] == 0


def test_class_size_and_school_size_checks(tmp_path):
    """G5: a primary class of 46 fails (≤ 45). G4: 2,100 pupils fail a 小学 (≤ 2000) but a
    九年一贯制 of 2,400 passes (≤ 2500)."""
    path = build(tmp_path / "a.duckdb", [
        School("big", {"primary": 2100}),
        School("nine", {"primary": 1600, "junior": 800}, kind="九年一贯制"),
        School("crowded", {"primary": 200}, max_class=46),
    ])
    a = assess(path)
    s = a.schools.set_index(["school_id", "stage"])
    assert not s.loc[("big", "primary"), "g4_ok"]
    assert s.loc[("nine", "primary"), "g4_ok"] and s.loc[("nine", "junior"), "g4_ok"]
    assert not s.loc[("crowded", "primary"), "g5_ok"]
    r = a.results.set_index(["criterion", "stage"])
    assert r.loc[("G4", "primary"), "value"] == 1
    assert r.loc[("G5", "primary"), "value"] == 1
    assert "G4·primary" in county_row(a, "all")["failed_criteria"]


def test_overall_status_counts_each_stage_failure(tmp_path):
    """RS fails in both stages and G15 county-wide: overall 3 failures → 差3项及以上."""
    from tests.factory import COUNTY_YEAR_OK

    facts = dict(COUNTY_YEAR_OK, quality_hs_quota_share=0.4)
    path = build(tmp_path / "a.duckdb", [
        School("p", {"primary": 200}, with_r("primary", r4=3.0)),
        School("j", {"junior": 200}, with_r("junior", r4=3.0), kind="初中"),
    ], county_year=facts)
    a = assess(path)
    assert county_row(a, "primary")["failed"] == 2
    assert county_row(a, "junior")["failed"] == 2
    overall = county_row(a, "all")
    assert overall["failed"] == 3
    assert overall["failed_criteria"] == "RS·primary, RS·junior, G15"
    assert overall["status"] == "far"


def test_rollup_counts_statuses_per_city(tmp_path):
    path = build(tmp_path / "a.duckdb", [
        School("a", {"primary": 200}),
        School("b", {"primary": 200}, with_r("primary", r4=3.0), adcode="510105"),
    ])
    a = assess(path)
    city = balance.rollup(a.counties, "city")
    row = city[(city["stage"] == "primary")].iloc[0]
    assert row["adcode"] == "510100" and row["counties"] == 2
    assert row["pass"] == 1 and row["near"] == 1 and row["pass_share"] == 0.5
