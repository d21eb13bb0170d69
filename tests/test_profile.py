"""County profile tables: every failure names its value, standard, gap and the schools behind it."""

from __future__ import annotations

from analytics import balance, db, profile
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
    assert f.loc["RS", "实际值"] == "1" and f.loc["RS", "标准"] == "0"
    assert f.loc["G5", "未达标学校"] == "学校d"


def test_school_table_puts_non_compliant_schools_first(tmp_path):
    low = list(GOOD["primary"])
    low[3] = 3.0
    a = assess(build(tmp_path / "a.duckdb", [School("a", {"primary": 300}), School("b", {"primary": 100}, {"primary": tuple(low)})]))
    table = profile.school_table(a, "510104", 2024, "primary")
    assert list(table["学校"]) == ["学校b", "学校a"]
    assert list(table["学校达标"]) == ["否", "是"]


def test_format_value_follows_units():
    assert profile.format_value(0.9462, "%") == "94.6%"
    assert profile.format_value(3.0, "所不达标") == "3"
    assert profile.format_value(0.51234, "", "R4") == "0.512"
    assert profile.format_value(float("nan"), "%") == "—"
