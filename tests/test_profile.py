"""County profile tables: every failure names its value, standard, gap and the schools behind it."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.assess import balance
from analytics.assess.criteria import load_criteria
from analytics.present import formats, profile
from analytics.store import db
from tests.factory import GOOD, School, build


def assess(path):
    with db.connect(path) as con:
        return balance.assess(con, 2024)


def test_failing_criteria_name_the_schools_that_miss(tmp_path):
    """School c misses R4 and R6 (non-compliant); school d has a class of 46 (G5)."""
    low = list(GOOD["primary"])
    low[3], low[5] = 4.0, 1900.0
    a = assess(build(tmp_path / "a.duckdb", [
        School("a", {"primary": 100}),
        School("c", {"primary": 100}, {"primary": tuple(low)}),
        School("d", {"primary": 100}, max_class=46),
    ]))
    f = profile.failing_criteria(a, "510104", 2024, "primary").set_index("criterion")
    assert f.loc["RS", "未达标学校"] == "学校c"
    assert f.loc["RS", "实际值"] == "1 所不达标" and f.loc["RS", "标准"] == "0 所"
    assert f.loc["G5", "未达标学校"] == "学校d"


def test_a_count_of_failing_schools_is_said_as_one_in_both_languages(tmp_path):
    """Before: RS read '实际值 11 / 标准 0 / 差距 11' with no word of what was counted."""
    low = list(GOOD["primary"])
    low[3], low[5] = 4.0, 1900.0
    a = assess(build(tmp_path / "a.duckdb", [School("a", {"primary": 100}),
                                             School("c", {"primary": 100}, {"primary": tuple(low)})]))
    zh = profile.failing_criteria(a, "510104", 2024, "primary", "zh").set_index("criterion")
    en = profile.failing_criteria(a, "510104", 2024, "primary", "en").set_index("criterion")
    assert zh.loc["RS", "说明"] == "不达标学校数 1 所（标准：0 所）"
    assert zh.loc["RS", "差距"] == "1 所"
    assert (en.loc["RS", "Value"], en.loc["RS", "Standard"]) == ("1 failing", "0")
    assert en.loc["RS", "Detail"] == "1 school(s) fail (standard: 0)"


@pytest.mark.parametrize("floor, red", [(0.85, False), (0.9, True)])
def test_the_school_table_marks_the_floor_the_criteria_file_sets(tmp_path, floor, red):
    """A value at 88 % of its standard is under a province's 90 % floor, not under the nation's 85 %."""
    low = list(GOOD["primary"])
    low[3] = load_criteria()["R4"].threshold["primary"] * 0.88
    a = assess(build(tmp_path / "a.duckdb", [School("a", {"primary": 100}, {"primary": tuple(low)})]))
    table = profile.school_table(a, "510104", 2024, "primary")
    css = profile.style_school_table(table, floor).to_html()
    if red:
        assert "#f4a582" in css
    else:
        assert "#f4a582" not in css and "#fddbc7" in css


def test_school_table_puts_non_compliant_schools_first(tmp_path):
    low = list(GOOD["primary"])
    low[3] = 3.0
    a = assess(build(tmp_path / "a.duckdb", [School("a", {"primary": 300}), School("b", {"primary": 100}, {"primary": tuple(low)})]))
    table = profile.school_table(a, "510104", 2024, "primary")
    assert list(table["学校"]) == ["学校b", "学校a"]
    assert list(table["学校达标"]) == ["否", "是"]


def test_format_value_follows_units():
    assert formats.format_value(0.9462, "%") == "94.6%"
    assert formats.format_value(3.0, "所不达标") == "3"
    assert formats.format_value(0.51234, "", "R4") == "0.512"
    assert formats.format_value(float("nan"), "%") == "—"


def test_a_failing_value_is_never_shown_rounded_to_its_standard():
    """G8: teachers' pay 0.9978 of civil servants' against 1.00 — never '1.00 / 1.00 / 0.00'."""
    value, standard = profile.format_pair(0.9978, 1.0, "倍", "G8")
    assert value != standard and value == "0.998" and standard == "1.000"
    assert profile.format_gap(0.0022, "倍", "G8") == "0.002"
    assert profile.format_pair(0.93, 1.0, "倍", "G8") == ("0.93", "1.00")
    v, s = profile.format_pair(0.99996, 1.0, "%", "G12")
    assert v != s and v.endswith("%")


def test_q9_reason_is_readable_and_translated(tmp_path):
    from tests.factory import COUNTY_YEAR_OK

    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200})],
                 county_year=dict(COUNTY_YEAR_OK, quality_monitoring_diff=0.18))
    with db.connect(path) as con:
        a = balance.assess(con, 2024)
    zh = profile.failing_criteria(a, "510104", 2024, "primary", "zh").set_index("criterion")
    en = profile.failing_criteria(a, "510104", 2024, "primary", "en").set_index("criterion")
    assert zh.loc["Q9", "说明"] == "校际差异率 0.18（标准 < 0.15）"
    assert en.loc["Q9", "Detail"] == "inter-school difference rate 0.18 (standard < 0.15)"


def test_profile_lists_what_is_missing(tmp_path):
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}), School("b", {"primary": 200}, facilities=False)])
    with db.connect(path) as con:
        a = balance.assess(con, 2024)
    lacking = profile.schools_missing(a, "510104", 2024, "primary", "zh")
    assert lacking["school_id"].tolist() == ["b"] and lacking["缺少的指标"].iloc[0] == "R4, R5, R6, R7"
    missing = profile.missing_criteria(a, "510104", 2024, "primary", "zh")
    assert {"R4", "RS", "G3"} <= set(missing["criterion"])
    row = profile.county_rows(a, "510104", 2024).set_index("stage").loc["primary"]
    assert "资源数据齐全的学校 1/2 所（50.0%）" in profile.completeness_text(row, "zh")


def test_profile_shows_real_census_context_labelled_as_real():
    """西昌市 in the 2020 census: resident population and school-age children from the bands."""
    from analytics.atlas import census

    row = census.load().loc["513401"]
    text = profile.census_text("513401", "zh")
    assert text.startswith("2020年人口普查（真实数据）") and "leiii/census" in text
    assert f"{row['population'] / 1e4:,.1f} 万人" in text
    ages = census.school_age(census.load().loc[["513401"]], 2020).iloc[0]
    assert ages["primary_age"] == pytest.approx(row["age_5_9"] * 4 / 5 + row["age_10_14"] * 2 / 5)
    assert ages["junior_age"] == pytest.approx(row["age_10_14"] * 3 / 5)
    assert profile.census_text("519999", "zh") is None
    assert "2020 census (real data)" in profile.census_text("513401", "en")


def test_school_age_moves_with_the_demo_year():
    """Primary pupils of 2023 (ages 6–11) were aged 3–8 at the 2020 census."""
    from analytics.atlas import census

    row = census.load().loc[["513401"]]
    r = row.iloc[0]
    expected = r["age_1_4"] * 2 / 4 + r["age_5_9"] * 4 / 5
    assert census.school_age(row, 2023).iloc[0]["primary_age"] == pytest.approx(expected)


def test_cv_bars_show_a_cv_without_verdict_faded_and_marked_not_as_a_pass(tmp_path):
    from analytics.present import charts

    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}), School("b", {"primary": 200}, facilities=False)])
    with db.connect(path) as con:
        a = balance.assess(con, 2024)
    spec = charts.cv_bars(profile.cv_table(a, "510104", 2024, "primary")).to_dict()
    rows = {r["criterion"]: r for r in next(iter(spec["datasets"].values()))}
    assert rows["R4"]["verdict"] == "nodata" and rows["R1"]["verdict"] == "ok"
    assert "缺数据" in rows["R4"]["text"] and "缺数据" not in rows["R1"]["text"]
    assert "nodata" in str(spec["layer"][0]["encoding"]["opacity"])


def test_cv_bars_name_each_stage_in_a_legend_and_state_the_limits():
    """Two bars per indicator are told apart by a legend; the limits are drawn and written; the
    indicator names are wrapped, not cut."""
    from analytics.present import charts

    cv = pd.DataFrame({"criterion": ["R3", "R3"], "stage": ["primary", "junior"], "value": [0.52, 0.3],
                       "name_zh": ["每百名学生拥有体育、艺术（美术、音乐）专任教师数"] * 2, "name_en": ["x"] * 2,
                       "standard": [0.5, 0.45], "passed": [False, True]})
    spec = charts.cv_bars(cv).to_dict()
    assert spec["layer"][0]["encoding"]["color"]["legend"] is not None
    subtitle = "".join(spec["title"]["subtitle"])
    assert "小学 ≤ 0.50" in subtitle and "初中 ≤ 0.45" in subtitle
    label = next(iter(spec["datasets"].values()))[0]["indicator"]
    assert label.replace("\n", "") == "R3 每百名学生拥有体育、艺术（美术、音乐）专任教师数"
    assert any(layer["mark"]["type"] == "rule" for layer in spec["layer"])


def test_the_cv_charts_title_is_page_text_beside_an_untitled_chart():
    """Before: 'Inter-school difference coeffi…' cut in the profile's half column at 1024 px, then
    wrapped at 24 characters even at 1920. The page writes the title as text (it wraps to the
    column); the chart drawn beneath it has none; a sheet's chart keeps its own."""
    from analytics.present import charts

    cv = pd.DataFrame({"criterion": ["R1", "R1"], "stage": ["primary", "junior"], "value": [0.3, 0.2],
                       "name_zh": ["x"] * 2, "name_en": ["Teachers above the required degree per 100 pupils"] * 2,
                       "standard": [0.5, 0.45], "passed": [True, True]})
    title, subtitle = charts.cv_titles(cv, "en")
    assert title == "Inter-school difference coefficients vs standard"
    assert "Primary ≤ 0.50" in subtitle and "Junior ≤ 0.45" in subtitle
    assert "title" not in charts.cv_bars(cv, "en", titled=False).to_dict()
    assert charts.cv_bars(cv, "en").to_dict()["title"] == {"text": title, "subtitle": subtitle, "anchor": "start"}


def test_a_column_empty_in_every_row_is_left_out_of_the_shown_table():
    """Before: the failing criteria showed an empty 说明 column for counties without an RS
    failure, taking a fifth of the page's width at 1024 px."""
    from analytics.present import display

    failing = pd.DataFrame({"指标": ["R2 x", "R4 y"], "说明": ["", None], "差距": ["0.04", float("nan")],
                            "未达标学校": ["甲", "  "]})
    assert list(display.without_blank_columns(failing).columns) == ["指标", "差距", "未达标学校"]
