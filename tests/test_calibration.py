"""The demo looks like the real country (data/demo_model.toml [calibration], with sources): the
Sichuan demo of the session, measured as analytics.synthetic.calibration measures it for bench/calibration.py.
A change to the generator that makes it unrealistic again fails here."""

from __future__ import annotations

import duckdb
import pytest

from analytics.synthetic import calibration, demo

pytestmark = pytest.mark.slow  # measures the demo against published statistics

TARGETS = demo.load_model()["calibration"]


@pytest.fixture(scope="module")
def figures(demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        return {2023: calibration.measure(con, 2023), 2026: calibration.measure(con, 2026, with_gap=False)}


def within(value: float, bounds: list[float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def test_primary_cvs_of_floor_area_sports_ground_and_equipment_are_those_of_real_counties(figures):
    f = figures[2023]
    for i in (4, 5, 6):
        assert within(f[f"cv_r{i}_primary"], TARGETS["primary_cv_r4_r6_median"]), (i, f[f"cv_r{i}_primary"])


def test_sports_ground_is_the_most_unequal_and_junior_is_more_even_than_primary(figures):
    f = figures[2023]
    assert f["cv_r5_primary"] == max(f[f"cv_r{i}_primary"] for i in range(4, 8))
    for i in range(1, 8):
        assert f[f"cv_r{i}_junior"] < f[f"cv_r{i}_primary"], i


def test_teacher_cvs_are_in_the_published_range(figures):
    for i in (2, 3):
        assert within(figures[2023][f"cv_r{i}_primary"], TARGETS["teacher_cv_median"]), i
    assert within(figures[2023]["cv_r1_primary"], TARGETS["degree_cv_median"])


def test_cv_limits_bind_in_many_counties(figures):
    assert within(figures[2023]["county_stages_over_a_cv_limit"], TARGETS["county_stages_over_a_cv_limit"])


def test_schools_spread_around_the_standards_and_rural_schools_miss_more(figures):
    f = figures[2023]
    assert within(f["schools_missing_a_standard"], TARGETS["schools_missing_a_standard"])
    assert f["rural_schools_missing_a_standard"] > 1.5 * f["urban_schools_missing_a_standard"]
    for i in (4, 5, 6):
        assert within(f[f"mean_r{i}_ratio_primary"], TARGETS["county_mean_ratio_r4_r6"]), i


def test_few_counties_pass_in_2023_and_many_more_by_2026(figures):
    assert within(figures[2023]["counties_passing"], TARGETS["counties_passing_2023"])
    assert within(figures[2026]["counties_passing"], TARGETS["counties_passing_2026"])


def test_chengdu_leads_and_the_western_minority_prefectures_lag(figures):
    for year in (2023, 2026):
        f = figures[year]
        assert f["passing_leading_prefecture"] > f["counties_passing"] > f["passing_lagging_prefectures"]


def test_some_counties_must_hire_teachers_not_only_rotate(figures):
    assert within(figures[2023]["counties_needing_hires"], TARGETS["counties_needing_hires"])


def test_maintenance_and_donation_shares_are_plausible(figures):
    f = figures[2023]
    assert within(f["maintenance_share"], TARGETS["maintenance_share"])
    assert within(f["donation_share"], TARGETS["donation_share"])
    assert figures[2026]["maintenance_share"] > f["maintenance_share"]


def test_a_few_counties_have_incomplete_returns_and_some_show_as_incomplete(demo_db, figures):
    assert within(figures[2023]["counties_with_missing_data"], TARGETS["counties_with_missing_data"])
    from analytics.assess import balance

    with duckdb.connect(str(demo_db), read_only=True) as con:
        a = balance.assess(con)
    assert (a.counties["status"] == "incomplete").any()


def test_complete_middle_and_twelve_year_schools_carry_senior_pupils(figures):
    assert figures[2023]["senior_schools_with_senior_pupils"] == 1.0
