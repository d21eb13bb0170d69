"""Progress classification (docs/method.md §3) on hand-made series, and metric values on tiny databases.

Worked example used below (≥ metric, baseline 2023): b = 0.50, target t = 0.80 in 2026.
Required pace = (0.80 − 0.50) / 3 = 0.10 a year.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from analytics.assess import balance, progress, urban_rural
from analytics.assess.targets import Target
from tests.factory import School, build


def target(value: float, year: int = 2026, direction: str = ">=", metric: str = "exchange_share") -> Target:
    return Target(metric=metric, scope="county", stage="all", year=year, value=value, direction=direction,
                  unit="%", label_zh="测试", label_en="test")


def judge(series: dict[int, float], t: Target, as_of: int = 2026) -> dict:
    values = pd.DataFrame([{"level": "county", "adcode": "510104", "year": y, "stage": "all",
                            "metric": t.metric, "value": v} for y, v in series.items()])
    return progress.target_progress(values, t, 2023, as_of).iloc[0].to_dict()


def test_rising_at_the_required_pace_is_on_track():
    r = judge({2023: 0.50, 2024: 0.60, 2025: 0.70}, target(0.80))
    assert r["required_pace"] == pytest.approx(0.10)
    assert r["observed_pace"] == pytest.approx(0.10)
    assert r["pace_ratio"] == pytest.approx(1.0)
    assert r["status"] == "on_track"


def test_rising_at_two_thirds_of_the_pace_is_at_risk():
    # observed (0.64 − 0.50) / 2 = 0.07 a year; r = 0.7
    r = judge({2023: 0.50, 2024: 0.57, 2025: 0.64}, target(0.80))
    assert r["pace_ratio"] == pytest.approx(0.7)
    assert r["status"] == "at_risk"


def test_rising_slowly_is_off_track():
    # observed 0.04 a year: r = 0.4 < 0.5
    r = judge({2023: 0.50, 2025: 0.58}, target(0.80))
    assert r["pace_ratio"] == pytest.approx(0.4)
    assert r["status"] == "off_track"


def test_falling_is_off_track():
    r = judge({2023: 0.50, 2024: 0.48, 2025: 0.45}, target(0.80))
    assert r["observed_pace"] == pytest.approx(-0.025)
    assert r["status"] == "off_track"


def test_flat_is_off_track():
    r = judge({2023: 0.50, 2024: 0.50, 2025: 0.50}, target(0.80))
    assert r["status"] == "off_track"


def test_already_met_is_achieved_even_when_slipping():
    r = judge({2023: 0.95, 2024: 0.92}, target(0.90))
    assert r["status"] == "achieved"
    assert r["gap"] == 0


def test_leq_metric_falling_at_pace_is_on_track():
    # CV from 0.45 to ≤ 0.30 by 2026: required −0.05 a year; observed −0.06 a year
    r = judge({2023: 0.45, 2024: 0.39}, target(0.30, direction="<="))
    assert r["required_pace"] == pytest.approx(-0.05)
    assert r["pace_ratio"] == pytest.approx(1.2)
    assert r["status"] == "on_track"


def test_leq_metric_rising_is_off_track():
    r = judge({2023: 0.45, 2024: 0.47}, target(0.30, direction="<="))
    assert r["status"] == "off_track"
    assert r["gap"] == pytest.approx(0.17)


def test_leq_metric_below_target_is_achieved():
    r = judge({2023: 0.35, 2024: 0.28}, target(0.30, direction="<="))
    assert r["status"] == "achieved"


def test_one_point_only_is_no_data():
    r = judge({2023: 0.50}, target(0.80))
    assert r["status"] == "no_data"
    assert pd.isna(r["pace_ratio"])
    assert pd.isna(r["projection"])


def test_baseline_moves_to_first_year_with_data():
    # no 2023 value: baseline is 2024's; required (0.80 − 0.60) / 2 = 0.10, observed 0.10
    r = judge({2024: 0.60, 2025: 0.70}, target(0.80))
    assert r["baseline_year"] == 2024
    assert r["status"] == "on_track"


def test_milestone_is_judged_on_its_own_year():
    # 2024 milestone: 2025's value is not used even though it meets the target
    r = judge({2023: 0.50, 2024: 0.55, 2025: 0.95}, target(0.80, year=2024))
    assert r["latest_year"] == 2024
    assert r["status"] == "off_track"


def test_as_of_year_hides_later_values():
    r = judge({2023: 0.50, 2024: 0.60, 2025: 0.90}, target(0.80), as_of=2024)
    assert r["latest"] == pytest.approx(0.60)
    assert r["status"] == "on_track"


def test_projection_is_the_least_squares_line_at_the_target_year():
    # points (2023, .50) (2024, .58) (2025, .60): slope .05, mean (2024, .56) → 2026: .66
    r = judge({2023: 0.50, 2024: 0.58, 2025: 0.60}, target(0.80))
    assert r["projection"] == pytest.approx(0.66)


# ---- metric values on tiny databases --------------------------------------------------------


def test_gap_ratios_divide_summed_parts():
    sums = pd.DataFrame([{**{c: 0.0 for c in urban_rural.GAP_SUMS},
                          "urban_students": 100, "urban_government_yuan": 200_000, "rural_students": 50,
                          "rural_government_yuan": 90_000, "urban_equipment_yuan": 300_000,
                          "rural_equipment_yuan": 135_000, "urban_teachers": 10, "urban_bachelor": 8,
                          "rural_teachers": 5, "rural_bachelor": 3, "rural_training_hours_sum": 400}])
    g = urban_rural.gap_ratios(sums).iloc[0]
    assert g["funding_gap"] == pytest.approx((2000 - 1800) / 2000)
    assert g["rural_equipment_ratio"] == pytest.approx(2700 / 3000)
    assert g["bachelor_share_gap"] == pytest.approx(0.8 - 0.6)
    assert g["rural_training_hours"] == pytest.approx(80)


def _values(tmp_path, schools, *updates: str):
    """Metric values of a hand-made database, after the given SQL updates of its rows."""
    path = build(tmp_path / "t.duckdb", schools)
    with duckdb.connect(str(path)) as con:
        for sql in updates:
            con.execute(sql)
    con = duckdb.connect(str(path), read_only=True)
    a = balance.assess(con)
    return progress.metric_values(con, a, balance.urban_rural_gaps(con))


def _value(values, metric, level="county", adcode="510104", stage="all"):
    v = values[(values["metric"] == metric) & (values["level"] == level) & (values["adcode"] == adcode)
               & (values["stage"] == stage)]
    assert len(v) == 1, v
    return float(v["value"].iloc[0])


def test_equipment_share_counts_schools_under_the_standard(tmp_path):
    poor = {"primary": (5.0, 1.5, 1.0, 5.0, 8.0, 1500.0, 3.0)}  # R6 1500 < 2000 yuan
    values = _values(tmp_path, [School("a", {"primary": 400}), School("b", {"primary": 400}, values=poor),
                                School("c", {"primary": 400}), School("d", {"primary": 400})])
    assert _value(values, "equipment_schools_share") == pytest.approx(0.75)
    assert _value(values, "equipment_schools_share", stage="primary") == pytest.approx(0.75)


def test_province_share_sums_counties_before_dividing(tmp_path):
    # county A: 4 schools, 1 misses R6; county B: 1 school, misses R6 → province 2 of 5 miss
    poor = {"primary": (5.0, 1.5, 1.0, 5.0, 8.0, 1500.0, 3.0)}
    values = _values(tmp_path, [School("a", {"primary": 400}), School("b", {"primary": 400}, values=poor),
                                School("c", {"primary": 400}), School("d", {"primary": 400}),
                                School("e", {"primary": 400}, values=poor, adcode="510105")])
    assert _value(values, "equipment_schools_share", adcode="510105") == 0.0
    assert _value(values, "equipment_schools_share", level="province", adcode="510000") == pytest.approx(3 / 5)


def test_cv_metrics_exist_only_for_counties(tmp_path):
    values = _values(tmp_path, [School("a", {"primary": 400}), School("b", {"primary": 200})])
    cv = values[values["metric"].isin(["cv_composite", "cv_hardware"])]
    assert set(cv["level"]) == {"county"}
    assert _value(values, "cv_hardware", stage="primary") >= 0


def test_pass_share_is_share_of_counties_passing(tmp_path):
    values = _values(tmp_path, [School("a", {"primary": 400}), School("b", {"primary": 400}, adcode="510105")])
    share = _value(values, "pass_share", level="province", adcode="510000")
    assert 0.0 <= share <= 1.0
    assert "county" not in set(values[values["metric"] == "pass_share"]["level"])


def test_ranking_puts_the_furthest_from_a_leq_target_first():
    t = target(0.30, direction="<=", metric="cv_hardware")
    values = pd.DataFrame([{"level": "county", "adcode": code, "year": y, "stage": "all", "metric": "cv_hardware",
                            "value": v + (0.01 if y == 2024 else 0)}
                           for code, v in (("510104", 0.20), ("510105", 0.45), ("510106", 0.35)) for y in (2023, 2024)])
    table = progress.target_progress(values, t, 2023, 2024).assign(name="x")
    order = progress.ranking(table, t.key, "510000")["adcode"].tolist()
    assert order == ["510105", "510106", "510104"]


def test_the_ranking_shows_the_progress_word_right_after_the_name():
    """The ranking sits in a narrow column: at 1024–1366 px its last columns scroll out of sight,
    and the progress word ("严重滞后") was cut to "严重" there."""
    from analytics.present import display

    t = target(0.30, direction="<=", metric="cv_hardware")
    values = pd.DataFrame([{"level": "county", "adcode": "510105", "year": y, "stage": "all", "metric": "cv_hardware",
                            "value": v} for y, v in ((2023, 0.45), (2024, 0.46))])
    table = progress.target_progress(values, t, 2023, 2024).assign(name="锦江区")
    shown = display.ranking_display(progress.ranking(table, t.key, "510000"), "zh")
    assert list(shown.columns[:2]) == ["地区", "进展"] and shown.iloc[0, 1] == "严重滞后"


# ---- metrics without data, and the five 002 targets added from docs/method.md §3 -------------------


def test_a_plan_metric_with_no_data_anywhere_is_no_data_not_an_error(tmp_path):
    """No donation or maintenance rows, no special-education school, one year only: every plan
    still classifies (数据不足) instead of raising."""
    from analytics.assess import targets

    path = build(tmp_path / "t.duckdb", [School("a", {"primary": 400}), School("b", {"junior": 300}, kind="初中")])
    with duckdb.connect(str(path), read_only=True) as con:
        for plan in targets.load_plans().values():
            table = progress.plan_progress(con, plan)
            assert len(table) > 0
            for key in ("donation_share@2026", "special_funding_multiple@2026"):
                if any(t.key == key for t in plan.targets):
                    rows = table[table["target_key"] == key]
                    assert len(rows) > 0 and set(rows["status"]) == {"no_data"}, key


def test_pupil_teacher_ratio_backbone_exchange_and_quota_from_the_data(tmp_path):
    """Factory teachers: school a (primary 400, R1 5.0 → 20 teachers) and b (junior 300, R1 6.0 →
    18 teachers), all full-time: 700 pupils ÷ 38 teachers = 18.42. Every fifth teacher is
    exchanged; the backbone share of them is counted from the rows. The quality senior-high
    quota is the county figure 0.55."""
    path = build(tmp_path / "counted.duckdb", [School("a", {"primary": 400}), School("b", {"junior": 300}, kind="初中")])
    values = _values(tmp_path, [School("a", {"primary": 400}), School("b", {"junior": 300}, kind="初中")])
    with duckdb.connect(str(path), read_only=True) as con:
        teachers, exchanged, backbone = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE exchanged), count(*) FILTER (WHERE exchanged AND backbone <> 'none')"
            " FROM teachers").fetchone()
    assert teachers == 38
    assert _value(values, "pupil_teacher_ratio") == pytest.approx(700 / 38)
    assert _value(values, "backbone_exchange_share") == pytest.approx(backbone / exchanged)
    assert _value(values, "quality_hs_quota_share") == pytest.approx(0.55)


def test_rural_pay_premium_compares_average_pay(tmp_path):
    """Rural school teachers paid 115,000, urban 100,000: premium 115/100 − 1 = 15 %."""
    values = _values(tmp_path, [School("r", {"primary": 400}, locale="rural"), School("u", {"primary": 400}, locale="urban")],
                     "UPDATE teachers SET annual_pay_yuan = CASE WHEN school_id = 'r' THEN 115000 ELSE 100000 END")
    assert _value(values, "rural_pay_premium") == pytest.approx(0.15)


def test_rural_rooms_share_leaves_out_schools_that_did_not_report(tmp_path):
    """Three rural schools: one meets G3, one has no art room, one did not report its rooms:
    1 of the 2 that reported = 50 %."""
    values = _values(tmp_path, [School(s, {"primary": 200}, locale="rural") for s in ("a", "b", "c")],
                     "UPDATE school_year SET art_rooms = 0, art_room_min_m2 = NULL WHERE school_id = 'b'",
                     "UPDATE school_year SET music_rooms = NULL, music_room_min_m2 = NULL WHERE school_id = 'c'")
    assert _value(values, "rural_rooms_share") == pytest.approx(0.5)


def test_equipment_share_leaves_out_schools_without_facilities(tmp_path):
    values = _values(tmp_path, [School("a", {"primary": 400}), School("b", {"primary": 400}, facilities=False)])
    assert _value(values, "equipment_schools_share") == pytest.approx(1.0)


def _national_values(metric: str, counties: int = 1600, years=(2023, 2024, 2025, 2026)) -> pd.DataFrame:
    """Values of a metric for many counties of two provinces, the provinces and the country."""
    rows = []
    for y in years:
        for i in range(counties):
            province = "51" if i % 2 else "52"
            rows.append({"level": "county", "adcode": f"{province}{i + 100:04d}", "year": y, "stage": "all",
                         "metric": metric, "value": 0.5 + i / 10_000})
        rows += [{"level": "province", "adcode": p, "year": y, "stage": "all", "metric": metric, "value": 0.6}
                 for p in ("510000", "520000")]
        rows.append({"level": "national", "adcode": progress.NATIONAL, "year": y, "stage": "all",
                     "metric": metric, "value": 0.6})
    return pd.DataFrame(rows)


def test_the_national_trajectory_compares_provinces_not_every_county():
    values = _national_values("exchange_share")
    s = progress.series(values, target(0.8, metric="exchange_share"), progress.NATIONAL)
    assert set(s.loc[~s["selected"], "level"]) == {"province"}
    assert set(s.loc[s["selected"], "adcode"]) == {progress.NATIONAL}


def test_a_trajectory_over_thousands_of_counties_draws():
    """A county-only metric seen nationally has every county as a peer: 6,400 rows, over Altair's
    5,000-row limit for data frames (the progress page crashed on the national database)."""
    from analytics.present import charts

    values = _national_values("cv_composite")
    t = Target(metric="cv_composite", scope="county", stage="all", year=2026, value=0.5, direction="<=",
               unit="", label_zh="测试", label_en="test")
    s = progress.series(values, t, progress.NATIONAL)
    assert len(s) > 5000
    empty = pd.DataFrame({"year": [], "value": []})
    trajectory = {"series": s, "milestones": pd.DataFrame({"year": [2026], "value": [0.5], "label": ["0.5"]}),
                  "path": empty, "projection": empty}
    spec = charts.progress_chart(trajectory, "测试", "", "").to_dict()
    peers = spec["datasets"][spec["layer"][0]["data"]["name"]]
    assert len(peers) == (~s["selected"]).sum()  # every peer drawn
