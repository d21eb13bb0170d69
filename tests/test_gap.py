"""Gap-to-standard calculator: hand-made counties where the right plan is known, the budget
rule against exhaustive search, and the scenario database re-assessed.

Costs are those of data/unit_costs.toml: 4,000 yuan/m² of teaching area, 130,000 yuan a year
for a backbone teacher, counted for 3 years.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.assess import balance, gap, levelling, metrics
from analytics.export import reports
from analytics.present import display
from tests.factory import School, build

GOOD = (5.0, 1.5, 1.0, 5.0, 8.0, 2500.0, 3.0)  # primary values meeting every standard


def best_by_exhaustion(costs: list[float], budget: float) -> int:
    """The largest number of counties fundable within budget, by trying every subset (small n)."""
    from itertools import combinations

    return max(k for k in range(len(costs) + 1) if any(sum(s) <= budget + 1e-6 for s in combinations(costs, k)))


def plan_for(tmp_path, schools) -> gap.GapPlan:
    path = build(tmp_path / "t.duckdb", schools)
    with duckdb.connect(str(path), read_only=True) as con:
        return gap.make_plan(con, 2024)


def with_value(k: int, v: float) -> dict:
    vals = list(GOOD)
    vals[k - 1] = v
    return {"primary": tuple(vals)}


def test_one_poor_school_is_raised_to_the_85_percent_floor_of_its_only_miss(tmp_path):
    # R4 3.0 m² per pupil (67 % of 4.5): its one allowed miss may stay at 85 % = 3.825 m²,
    # so 400 pupils × 0.825 m² = 330 m² (rounded up to 0.1 m²), nothing else
    p = plan_for(tmp_path, [School("a", {"primary": 400}), School("b", {"primary": 400}),
                            School("c", {"primary": 400}, values=with_value(4, 3.0))])
    row = p.stages.iloc[0]
    assert row["area_m2"] == pytest.approx(330, abs=0.2)
    assert row["teachers_hire"] == 0 and row["teachers_rotate"] == 0
    assert row["sports_m2"] == 0 and row["equipment_yuan"] == 0 and row["multimedia_rooms"] == 0
    assert row["cost_yuan"] == pytest.approx(330 * 4000, abs=0.2 * 4000)
    c = p.records.set_index("school_id")
    assert c.loc["a", "cost_yuan"] == 0 and c.loc["c", "area_m2"] > 0
    assert row["resource_pass_after"]


def test_a_rich_school_rotates_backbone_teachers_instead_of_hiring(tmp_path):
    # a: 2 backbone teachers for 400 pupils (R2 0.5); b: 12 (R2 3.0). The CV of R2 needs a at
    # 1.0 (4 teachers); b can give 2 and keep 10 (≥ 4 needed), so 2 rotate and none is hired
    p = plan_for(tmp_path, [School("a", {"primary": 400}, values=with_value(2, 0.5)),
                            School("b", {"primary": 400}, values=with_value(2, 3.0))])
    row = p.stages.iloc[0]
    assert row["teachers_rotate"] == 2
    assert row["teachers_hire"] == 0
    assert p.moves[["from_school", "to_school", "n"]].values.tolist() == [["b", "a", 2]]
    assert bool(p.moves["backbone"].iloc[0])
    assert row["resource_pass_after"]


def test_without_a_donor_the_teachers_are_hired(tmp_path):
    # a lone school with 2 backbone teachers for 400 pupils: its only miss needs 85 % of 1.0 per
    # 100 pupils = 3.4 → 4 teachers; 2 hired at 130,000 a year for 3 years
    p = plan_for(tmp_path, [School("a", {"primary": 400}, values=with_value(2, 0.5))])
    row = p.stages.iloc[0]
    assert row["hire_backbone"] == 2 and row["teachers_hire"] == 2
    assert row["cost_yuan"] == pytest.approx(2 * 130_000 * 3)


def test_cv_too_high_after_every_school_meets_the_standard_raises_the_lowest(tmp_path):
    # equipment per pupil 2000, 2000, 2000, 10000 (all ≥ 2000): CV 0.866 > 0.50. Raising the
    # three lowest to L with CV(L) = 0.5: (10000 − L)·√3 = 1.5·L + 5000 → L = 3811.97
    p = plan_for(tmp_path, [School(s, {"primary": 400}, values=with_value(6, v))
                            for s, v in (("a", 2000.0), ("b", 2000.0), ("c", 2000.0), ("d", 10000.0))])
    row = p.stages.iloc[0]
    assert row["equipment_yuan"] == pytest.approx(3 * 400 * (3811.97 - 2000), rel=1e-3)
    assert p.records.set_index("school_id").loc["d", "equipment_yuan"] == 0
    assert row["cv_r6_after"] <= 0.50
    assert row["resource_pass_after"]


def test_class_size_is_listed_as_unfixable(tmp_path):
    p = plan_for(tmp_path, [School("a", {"primary": 400}, max_class=60)])
    assert "G5" in p.stages.iloc[0]["unfixable"].split(",")
    assert not p.counties.iloc[0]["would_pass"]


def test_greedy_budget_matches_exhaustive_search():
    costs = [5.0, 3.0, 8.0, 1.0, 4.0, 0.0]
    counties = pd.DataFrame({"adcode": [f"51010{i}" for i in range(6)], "cost_yuan": costs,
                             "would_pass": [True] * 6})
    for budget in (0, 1, 4, 8, 9, 12, 21):
        funded = gap.fund_by_budget(counties, budget)
        assert funded["funded"].sum() == best_by_exhaustion(costs, budget)


def test_budget_never_funds_a_county_that_cannot_pass():
    counties = pd.DataFrame({"adcode": ["510101", "510102"], "cost_yuan": [1.0, 2.0], "would_pass": [False, True]})
    funded = gap.fund_by_budget(counties, 100)
    assert funded.set_index("adcode")["funded"].to_dict() == {"510101": False, "510102": True}


@pytest.mark.slow
def test_scenario_database_passes_the_resource_part_on_the_demo(demo_db, tmp_path):
    """On the demo: apply the 2026 plan, re-assess the copy; every county and stage with assessed
    schools and complete resource data passes RS and R1–R7 (those with a school lacking its
    facilities return stay 'no data'), no school lost facilities, and the source is untouched."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        plan = gap.make_plan(con, 2026)
        before_fac = con.execute("SELECT school_id, teaching_area_m2, sports_area_m2, equipment_value_yuan, "
                                 "multimedia_rooms FROM school_year WHERE year = 2026 ORDER BY 1").df()
    scen = gap.apply_plan(demo_db, tmp_path / "scenario.duckdb", plan)
    with duckdb.connect(str(scen), read_only=True) as con:
        a = balance.assess(con, 2026)
        after_fac = con.execute("SELECT school_id, teaching_area_m2, sports_area_m2, equipment_value_yuan, "
                                "multimedia_rooms FROM school_year WHERE year = 2026 ORDER BY 1").df()
        meta = dict(con.execute("SELECT key, value FROM metadata").fetchall())
    resource = a.results[a.results["part"] == "resource"]
    assessed = a.counties[a.counties["schools_assessed"] > 0]
    complete = assessed[assessed["schools_missing_resource"] == 0][["adcode", "stage"]]
    lacking = assessed[assessed["schools_missing_resource"] > 0][["adcode", "stage"]]
    done = resource.merge(complete, on=["adcode", "stage"])
    assert len(done) > 0 and len(lacking) > 0  # the demo has a few incomplete returns
    assert done["passed"].fillna(False).all(), done[done["passed"] != True].head()  # noqa: E712
    # where a school has no facilities return the plan plans nothing for it: still no data
    unplanned = resource.merge(lacking, on=["adcode", "stage"])
    assert unplanned[unplanned["criterion"].isin(["R4", "RS"])]["passed"].isna().all()
    cols = ["teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_rooms"]
    assert (after_fac[cols].to_numpy() >= before_fac[cols].to_numpy() - 1e-6).all()
    assert "gap plan" in meta["scenario"] and meta["data_kind"] == "synthetic"
    with duckdb.connect(str(demo_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM metadata WHERE key = 'scenario'").fetchone()[0] == 0


def test_cost_map_gives_nothing_to_add_its_own_class():
    from analytics.present import maps

    values = pd.Series([0.0, 0.0, 1.5, 6.0, 20.0, 100.0, 3700.0])
    breaks = display.cost_breaks(values)
    metric = metrics.Metric("cost_yuan", "总成本", "Cost", "continuous", "low", "{:,.0f}")
    colours = maps.colour_for(values, metric, breaks)
    assert colours[0] == colours[1] != colours[2]
    assert display.cost_legend(metric, breaks)[0][1] == "0（无需新增）"


def test_cost_legend_when_no_county_needs_anything():

    metric = metrics.Metric("cost_yuan", "总成本", "Cost", "continuous", "low", "{:,.0f}")
    breaks = display.cost_breaks(pd.Series([0.0, 0.0]))
    assert breaks == []
    assert display.cost_legend(metric, breaks)[0][1] == "0（无需新增）"


# ---- missing data, uncounted criteria and the one would-pass rule (docs/method.md §2.6) ----------


def test_a_school_without_facilities_is_flagged_not_priced(tmp_path):
    """c has no facilities row. Priced as if it had nothing, it would need 400 × 4.5 m² and more
    (millions of yuan); it is instead flagged 缺数据 with no cost, and the county cannot pass
    until it reports, even though a and b need nothing."""
    p = plan_for(tmp_path, [School("a", {"primary": 400}), School("b", {"primary": 400}),
                            School("c", {"primary": 400}, facilities=False)])
    c = p.records.set_index("school_id").loc["c"]
    assert c["missing_data"] and c["missing_indicators"] == "R4,R5,R6,R7"
    assert c["cost_yuan"] == 0 and c["area_m2"] == 0
    row = p.counties.iloc[0]
    assert row["schools_missing_data"] == 1
    assert not row["resource_pass_after"] and not row["would_pass"]
    assert "1 所学校缺资源数据" in display.gap_needs_text(row, p.costs)


def test_missing_school_is_left_out_of_the_levelling(tmp_path):
    """Equipment 2000 and 10000 per pupil at a and b (CV 0.60 > 0.50) and a third school with no
    facilities: the floor is computed over a and b alone, as the assessment's CV is."""
    p = plan_for(tmp_path, [School("a", {"primary": 400}, values=with_value(6, 2000.0)),
                            School("b", {"primary": 400}, values=with_value(6, 10000.0)),
                            School("c", {"primary": 400}, facilities=False)])
    row = p.stages.iloc[0]
    assert row["cv_r6_after"] <= 0.50
    assert p.records.set_index("school_id").loc["c", "equipment_yuan"] == 0


def test_criteria_not_counted_never_block_a_county(tmp_path):
    """M1 (migrant share) fails but is not counted: the county needs nothing and would pass."""
    from tests.factory import COUNTY_YEAR_OK

    path = build(tmp_path / "t.duckdb", [School("a", {"primary": 400}), School("j", {"junior": 400}, kind="初中")],
                 county_year=dict(COUNTY_YEAR_OK, migrant_public_share=0.5, left_behind_care=False))
    with duckdb.connect(str(path), read_only=True) as con:
        p = gap.make_plan(con, 2024)
    row = p.counties.iloc[0]
    assert row["unfixable"] == "" and row["would_pass"]


def test_a_county_with_counted_criteria_missing_cannot_pass_after_the_plan(tmp_path):
    from tests.factory import COUNTY_YEAR_OK

    path = build(tmp_path / "t.duckdb", [School("a", {"primary": 400}), School("j", {"junior": 400}, kind="初中")],
                 county_year=dict(COUNTY_YEAR_OK, recognition_rate=None))
    with duckdb.connect(str(path), read_only=True) as con:
        p = gap.make_plan(con, 2024)
    row = p.counties.iloc[0]
    assert row["missing_criteria"] == "S1" and not row["would_pass"]


def test_budget_outcome_does_not_call_counties_needing_nothing_funded():
    counties = pd.DataFrame({"adcode": ["510101", "510102", "510103", "510104"], "cost_yuan": [0.0, 5.0, 9.0, 1.0],
                             "would_pass": [True, True, True, False],
                             "status_before": ["pass", "near", "near", "far"]})
    out = gap.budget_outcome(counties, 6.0)
    assert list(out["funded"]["adcode"]) == ["510102"]
    assert list(out["free"]["adcode"]) == ["510101"]
    assert (out["now"], out["after"], out["total"], out["spent"]) == (1, 2, 4, 5.0)
    full = gap.budget_outcome(counties, 1e12)
    assert full["after"] == int(counties["would_pass"].sum())  # the page header's number


def test_plan_splits_added_facilities_by_weighted_enrolment(tmp_path):
    """九年一贯制 300 primary + 100 junior with 4.0 m² per primary pupil's worth of floor area
    (4.0 × 400 = 1,600 m²): weighted pupils 410, so primary has 1600/410 = 3.902 m² (87 % of 4.5,
    its one allowed miss stays) and junior 1600·1.1/410 = 4.293 m² (74 % of 5.8 < 85 %). Junior
    needs 0.85 × 5.8 = 4.93 m²: the school total must reach 4.93 × 410/1.1 = 1,837.5 m²."""
    p = plan_for(tmp_path, [School("n", {"primary": 300, "junior": 100}, kind="九年一贯制",
                                   values={"primary": (5.0, 1.5, 1.0, 4.0, 8.0, 2500.0, 3.0),
                                           "junior": (6.0, 1.5, 1.0, 6.0, 11.0, 3000.0, 3.0)},
                                   facilities_of="primary")])
    added = p.records["area_m2"].sum()
    assert 1600 + added == pytest.approx(0.85 * 5.8 * 410 / 1.1, abs=0.2)
    assert p.counties.iloc[0]["resource_pass_after"]


def test_a_complete_middle_schools_whole_addition_is_planned_and_costed(tmp_path):
    """完全中学: 600 junior + 400 senior pupils share 3,600 m². Weighted pupils 660 + 528 = 1,188,
    so a junior pupil has 3600·1.1/1188 = 3.33 m² (57 % of 5.8). Its only miss is raised to 85 %
    (4.93 m²), which needs the whole building at 4.93·1188/1.1 = 5,324.4 m²: 1,724.4 m² more,
    all of it costed on the school's one compulsory record (the senior part shares the building)."""
    p = plan_for(tmp_path, [School("w", {"junior": 600}, kind="完全中学", senior=400,
                                   values={"junior": (6.0, 1.5, 1.0, 6.0, 20.0, 6000.0, 5.0)})])
    rec = p.records.iloc[0]
    assert rec["area_m2"] == pytest.approx(0.85 * 5.8 * 1188 / 1.1 - 3600, abs=0.2)
    assert rec["cost_yuan"] == pytest.approx(rec["area_m2"] * 4000)
    assert p.counties.iloc[0]["resource_pass_after"]


def test_gap_workbook_is_official_style_with_chinese_headers_title_frozen_header_and_print_setup(tmp_path):
    import io

    from openpyxl import load_workbook

    plan = plan_for(tmp_path, [School("a", {"primary": 400}), School("b", {"primary": 100}, values=with_value(4, 1.0))])
    wb = load_workbook(io.BytesIO(reports.gap_workbook(plan, "510104", "zh", "演示数据（模拟生成），不代表真实统计。",
                                                  "数据来源：测试", "锦江区")))
    assert wb.sheetnames == ["县（区）", "县（区）×学段", "学校", "交流轮岗", "单位成本"]
    for ws in wb.worksheets:
        header = [c.value for c in ws[3] if c.value is not None]
        assert ws["A1"].value.startswith("锦江区 2024年 优质均衡缺口测算")
        assert all(not str(h).isascii() for h in header), (ws.title, header)  # no from_school, no adcode
        assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.orientation == "landscape"
        texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert "演示数据（模拟生成），不代表真实统计。" in texts
    assert "教学及辅助用房（元/m²）" in [c.value for c in wb["单位成本"]["A"]]


def test_national_totals_fit_a_metric_tile():
    """The national gap is hundreds of 亿元 and millions of m²: to three figures, or the page's
    tiles cut them ("230.83 …", "2,062,78…")."""
    assert display.money(230.83e8, "zh") == "231 亿元"
    assert display.money(2.1096e8, "zh") == "2.11 亿元"
    assert display.money(23.083e9, "en") == "¥23.1B"
    assert display.money(211.0e6, "en") == "¥211M"
    assert display.area(2_062_781, "zh") == "206 万m²"
    assert display.area(2_062_781, "en") == "2.06M m²"
    assert display.area(8_500, "zh") == "8,500 m²"


def test_group_cvs_are_the_weighted_cv_of_each_group():
    """The levelling and the CVs after the plan are computed for every county and stage at once;
    each is balance.weighted_cv of its group (a group all at zero has CV 0, as there)."""
    rng = np.random.default_rng(7)
    group = np.repeat(np.arange(5), [3, 1, 6, 2, 4])
    values = rng.uniform(1, 50, len(group))
    values[group == 3] = 0.0
    weights = rng.integers(10, 900, len(group)).astype(float)
    got = levelling.group_cvs(values, weights, group, 5)
    expected = [balance.weighted_cv(values[group == g], weights[group == g]) for g in range(5)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_level_floors_raise_only_the_groups_over_their_limit_to_the_limit():
    """Two schools of 400 pupils at 2,000 and 10,000 yuan: CV (10,000 − L) / (10,000 + L) = 0.50
    gives L = 10,000 / 3; a second group already at CV 0.2 (limit 0.5) is left alone."""
    values = np.array([2000.0, 10000.0, 100.0, 150.0])
    weights = np.array([400.0, 400.0, 300.0, 300.0])
    floors = levelling.level_floors(values, weights, np.array([0, 0, 1, 1]), np.array([0.50, 0.50]))
    assert floors[0] == pytest.approx(10000 / 3, rel=1e-5) and floors[0] >= 10000 / 3
    assert balance.weighted_cv(np.maximum(values[:2], floors[0]), weights[:2]) <= 0.50
    assert np.isnan(floors[1])
