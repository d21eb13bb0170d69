"""Verdicts on incomplete and real-shaped data (docs/method.md §1, §2.1, §2.5, §2.6): missing data is
never a pass and never a zero; shared facilities split by weighted enrolment; vetoes; G3, G6."""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from analytics.assess import balance, checks, queries
from analytics.assess.criteria import CHECKS, CRITERIA_FILE, INDICATORS, CriteriaError, load_criteria
from analytics.store import db
from tests.factory import COUNTY_YEAR_OK, GOOD, School, build

YEAR = 2024


def assess(path, criteria=None):
    con = db.connect(path)
    try:
        return balance.assess(con, YEAR, criteria)
    finally:
        con.close()


def county_row(a, stage, adcode="510104"):
    c = a.counties
    return c[(c["adcode"] == adcode) & (c["stage"] == stage)].iloc[0]


def result(a, criterion, stage):
    r = a.results
    return r[(r["criterion"] == criterion) & (r["stage"] == stage)].iloc[0]


def execute(path, sql, params=None):
    con = duckdb.connect(str(path))
    con.execute(sql, params or [])
    con.close()


# ---- 1. missing data is never a pass ----------------------------------------------------------


def test_county_without_figures_funding_or_attestations_is_incomplete_not_pass(tmp_path):
    """No county_year row, no funding rows: every school indicator passes, but G1, G8, Q4, S1, V1…
    have no data, so the county is 数据不足 with 0 known failures — never 达标."""
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}, funding=False),
                                         School("b", {"junior": 200}, kind="初中", funding=False)],
                 county_year=None)
    row = county_row(assess(path), "all")
    assert row["status"] == "incomplete"
    assert row["failed"] == 0
    for cid in ("G1", "G8", "S1", "V1", "Q4·primary", "Q4·junior"):
        assert cid in row["missing_criteria"].split(", "), cid
    assert row["missing"] == len(row["missing_criteria"].split(", "))
    assert row["coverage_criteria"] == pytest.approx(1 - row["missing"] / row["criteria_counted"])
    assert row["coverage_criteria"] < 0.6


def test_county_where_no_school_reports_facilities_is_incomplete(tmp_path):
    """Two schools, no facilities rows: R4–R7 have no school with data, so their CVs are
    unknown and RS cannot be judged: 数据不足 with R4–R7 and RS listed as missing."""
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}, facilities=False),
                                         School("b", {"primary": 100}, facilities=False)])
    a = assess(path)
    row = county_row(a, "primary")
    assert row["status"] == "incomplete"
    assert {"R4", "R5", "R6", "R7", "RS", "G3"} <= set(row["missing_criteria"].split(", "))
    assert row["schools_missing_resource"] == 2 and row["coverage_schools"] == 0


def test_three_known_failures_are_far_whatever_is_missing(tmp_path):
    """RS, G15 and S1 fail; G1 is not reported: 3 known failures → 差3项及以上 (certain)."""
    facts = dict(COUNTY_YEAR_OK, quality_hs_quota_share=0.4, recognition_rate=0.8, g1_layout_planned=None)
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}, {"primary": (5.0, 1.5, 1.0, 3.0, 8.0, 2500.0, 3.0)})],
                 county_year=facts)
    row = county_row(assess(path), "primary")
    assert row["failed"] == 3 and row["missing"] == 1
    assert row["status"] == "far"


def test_one_known_failure_with_missing_data_is_incomplete_not_near(tmp_path):
    """G15 fails and G1 is not reported: 1 known failure plus missing data → 数据不足; the
    tooltip line reads 已知未达标 1 项，缺数据 1 项."""
    facts = dict(COUNTY_YEAR_OK, quality_hs_quota_share=0.4, g1_layout_planned=None)
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200})], county_year=facts)
    row = county_row(assess(path), "primary")
    assert (row["failed"], row["missing"], row["status"]) == (1, 1, "incomplete")
    assert row["failed_criteria"] == "G15" and row["missing_criteria"] == "G1"


# ---- 2. missing facilities are left out of the CV ---------------------------------------------


def test_school_without_facilities_is_left_out_of_the_cv(tmp_path):
    """Three equal schools (R4 = 5.0 m²), one with no facilities row. Over the two with data
    X̄ = 5.0 and S = 0, so CV = 0 (not 0.41 as when its pupils sat in the denominator with
    nothing in the sums). The verdict is unknown (the third school could change it), and the
    county is 数据不足, listing R4–R7."""
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}), School("b", {"primary": 200}),
                                         School("c", {"primary": 200}, facilities=False)])
    a = assess(path)
    row = county_row(a, "primary")
    assert row["cv_r4"] == pytest.approx(0.0, abs=1e-12)
    assert row["mean_r4"] == pytest.approx(5.0)
    assert row["schools_r4"] == 2 and row["schools_assessed"] == 3
    assert pd.isna(result(a, "R4", "primary")["passed"])
    assert "1 所学校" in result(a, "R4", "primary")["detail"]
    assert row["cv_r1"] == pytest.approx(0.0, abs=1e-12) and bool(result(a, "R1", "primary")["passed"])
    assert row["status"] == "incomplete"
    assert row["schools_missing_resource"] == 1
    assert row["coverage_schools"] == pytest.approx(2 / 3)
    c = a.schools.set_index("school_id").loc["c"]
    assert pd.isna(c["r4"]) and pd.isna(c["compliant"])


def test_school_without_teacher_rows_has_no_teacher_indicators(tmp_path):
    """A school whose teachers are not reported has R1–R3 missing, not 0 per 100 pupils."""
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}), School("b", {"primary": 200})])
    execute(path, "DELETE FROM teachers WHERE school_id = 'b'")
    a = assess(path)
    b = a.schools.set_index("school_id").loc["b"]
    assert pd.isna(b["r1"]) and pd.isna(b["r2"]) and pd.isna(b["r3"])
    assert b["r4"] == pytest.approx(5.0)
    assert county_row(a, "primary")["cv_r1"] == pytest.approx(0.0, abs=1e-12)
    assert county_row(a, "primary")["status"] == "incomplete"


# ---- 3. shared facilities split by weighted enrolment -----------------------------------------


def test_complete_middle_school_gives_its_senior_pupils_their_share(tmp_path):
    """完全中学: 600 junior and 400 senior-high pupils share 6,000 m² of teaching rooms. Weighted
    pupils 600·1.1 + 400·1.32 = 660 + 528 = 1,188; a junior pupil has 6000·1.1/1188 = 5.5556 m²
    (not 10.0 as when the split used compulsory pupils only): 5.5556 < 5.8, a miss at 95.8 %.
    Sports ground 11.0·600 = 6,600 m² gives 6600·1.1/1188 = 6.1111 < 10.2 (59.9 %): two misses,
    so the school is not compliant."""
    junior = (6.0, 1.5, 1.0, 10.0, 11.0, 3000.0, 3.0)
    path = build(tmp_path / "a.duckdb", [School("w", {"junior": 600}, {"junior": junior}, kind="完全中学", senior=400)])
    a = assess(path)
    s = a.schools.iloc[0]
    assert s["r4"] == pytest.approx(6000 * 1.1 / 1188)
    assert s["r4"] == pytest.approx(5.5556, abs=1e-4)
    assert s["r5"] == pytest.approx(6600 * 1.1 / 1188)
    assert s["ratio_r4"] == pytest.approx(5.5556 / 5.8, abs=1e-4)
    assert not bool(s["compliant"])
    assert county_row(a, "junior")["noncompliant_schools"] == 1


def test_twelve_year_school_splits_one_to_1_1_to_1_32(tmp_path):
    """十二年一贯制: 600 primary, 300 junior, 200 senior; equipment 2,500 yuan × 900 = 2,250,000.
    Weighted pupils 600 + 330 + 264 = 1,194: primary 2,250,000/1194 = 1,884.42 yuan, junior
    ×1.1 = 2,072.86 yuan per pupil; the three parts add back to 2,250,000."""
    path = build(tmp_path / "a.duckdb", [School("z", {"primary": 600, "junior": 300}, kind="十二年一贯制",
                                                facilities_of="primary", senior=200)])
    a = assess(path)
    rows = a.schools.set_index("stage")
    assert rows.loc["primary", "r6"] == pytest.approx(2_250_000 / 1194)
    assert rows.loc["junior", "r6"] == pytest.approx(2_250_000 * 1.1 / 1194)
    senior_part = 2_250_000 * 264 / 1194
    assert rows.loc["primary", "r6"] * 600 + rows.loc["junior", "r6"] * 300 + senior_part == pytest.approx(2_250_000)


def test_complete_middle_school_without_senior_pupils_cannot_be_split(tmp_path):
    """Senior-high pupils not reported for a 完全中学: its facilities cannot be split, so R4–R7
    are missing for the school (not the whole building credited to the junior stage)."""
    path = build(tmp_path / "a.duckdb", [School("w", {"junior": 600}, kind="完全中学", senior=None)])
    a = assess(path)
    s = a.schools.iloc[0]
    assert pd.isna(s["r4"]) and pd.isna(s["r7"])
    assert s["r1"] == pytest.approx(6.0)
    assert county_row(a, "junior")["status"] == "incomplete"


def test_split_weights_come_from_the_criteria_file(tmp_path):
    """A province splitting 1 : 1 (weights 1, 1, 1): the nine-year school of 300 + 100 pupils
    and 2,400 m² gives both stages 6.0 m² per pupil."""
    text = CRITERIA_FILE.read_text(encoding="utf-8").replace(
        "apportion_weights = { primary = 1.0, junior = 1.1, senior = 1.32 }",
        "apportion_weights = { primary = 1.0, junior = 1.0, senior = 1.0 }")
    (tmp_path / "c.toml").write_text(text, encoding="utf-8")
    path = build(tmp_path / "a.duckdb", [School("n", {"primary": 300, "junior": 100}, kind="九年一贯制",
                                                values={"primary": (5.0, 1.5, 1.0, 6.0, 8.0, 2500.0, 3.0)},
                                                facilities_of="primary")])
    rows = assess(path, load_criteria(tmp_path / "c.toml")).schools.set_index("stage")
    assert rows.loc["primary", "r4"] == pytest.approx(6.0)
    assert rows.loc["junior", "r4"] == pytest.approx(6.0)


# ---- 4. vetoes ----------------------------------------------------------------------------------


def test_the_six_vetoes_of_the_method_are_criteria():
    cr = load_criteria()
    vetoes = [c for c in cr.items if c.part == "veto"]
    assert [c.id for c in vetoes] == ["V1", "V2", "V3", "V4", "V5", "V6"]
    assert "有编不补" in cr["V4"].name_zh and "安全" in cr["V5"].name_zh and "弄虚作假" in cr["V6"].name_zh


@pytest.mark.parametrize("column, cid", [("veto_unfilled_posts", "V4"), ("veto_major_incident", "V5"),
                                         ("veto_falsified_data", "V6")])
def test_a_vetoed_county_is_not_recognised_whatever_else_fails(tmp_path, column, cid):
    """A veto plus one failing criterion (G15): 不予认定, not 差1–2项."""
    facts = dict(COUNTY_YEAR_OK, quality_hs_quota_share=0.4, **{column: True})
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200})], county_year=facts)
    row = county_row(assess(path), "primary")
    assert row["status"] == "vetoed"
    assert row["veto_criteria"] == cid and row["failed_criteria"] == "G15"


# ---- 5. G3 and G6 ------------------------------------------------------------------------------


def test_unreported_music_and_art_rooms_are_no_data_not_a_failure(tmp_path):
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}), School("b", {"primary": 200})])
    execute(path, "UPDATE school_year SET music_rooms = NULL, music_room_min_m2 = NULL WHERE school_id = 'b'")
    a = assess(path)
    g3 = result(a, "G3", "primary")
    assert g3["value"] == 0 and pd.isna(g3["passed"])
    assert county_row(a, "primary")["missing_criteria"] == "G3"


def test_reported_rooms_too_few_still_fail_g3(tmp_path):
    """Five classes need one room of each; zero art rooms fail, even when the music rooms are
    not reported."""
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200})])
    execute(path, "UPDATE school_year SET art_rooms = 0, art_room_min_m2 = NULL, music_rooms = NULL, "
                  "music_room_min_m2 = NULL")
    assert result(assess(path), "G3", "primary")["passed"] == False  # noqa: E712


def test_g6_covers_village_primary_schools_and_all_teaching_points(tmp_path):
    """Under 100 pupils: a rural 小学 and a town 教学点 count; a rural 初中, a rural 九年一贯制
    and a town 小学 do not (G6 is about 村小 and 教学点)."""
    path = build(tmp_path / "a.duckdb", [
        School("village", {"primary": 80}, locale="rural"),
        School("tp_town", {"primary": 60}, kind="教学点", locale="town"),
        School("rural_junior", {"junior": 80}, kind="初中", locale="rural"),
        School("rural_nine", {"primary": 50, "junior": 30}, kind="九年一贯制", locale="rural"),
        School("town_primary", {"primary": 80}, locale="town"),
    ])
    s = assess(path).schools.drop_duplicates("school_id").set_index("school_id")["g6_applies"]
    assert s.to_dict() == {"village": True, "tp_town": True, "rural_junior": False, "rural_nine": False,
                           "town_primary": False}


def test_g6_fails_a_teaching_point_funded_by_its_own_pupils(tmp_path):
    """A town teaching point of 60 pupils funded 60 × 720 = 43,200 instead of 100 × 720 = 72,000."""
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200}),
                                         School("tp", {"primary": 60}, kind="教学点", locale="town")])
    execute(path, "UPDATE funding SET amount_yuan = 43200 WHERE school_id = 'tp' AND item = 'public_funding'")
    g6 = result(assess(path), "G6", "primary")
    assert g6["value"] == 1 and g6["passed"] == False  # noqa: E712


# ---- criteria not counted, and the criteria file ------------------------------------------------


def test_criteria_not_counted_never_change_the_status(tmp_path):
    """M1 (migrant share 0.5 < 0.85) and L1 (not reported) are reported but not counted: 达标."""
    facts = dict(COUNTY_YEAR_OK, migrant_public_share=0.5, left_behind_care=None)
    path = build(tmp_path / "a.duckdb", [School("a", {"primary": 200})], county_year=facts)
    a = assess(path)
    row = county_row(a, "primary")
    assert row["status"] == "pass" and row["missing"] == 0
    assert result(a, "M1", "county")["passed"] == False  # noqa: E712


def test_every_check_of_the_registry_has_a_function():
    assert set(CHECKS) == set(checks.CHECK_FUNCTIONS)


def _criteria_variant(tmp_path, old, new):
    text = CRITERIA_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "province.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, message", [
    ('check = "teacher_pay"', 'check = "teacher_salary"', r"criterion #\d+ \(G8\): unknown check 'teacher_salary'"),
    ('floor_students = 100\n', '', r"\(G6\): check 'small_school_funding' needs option 'floor_students'"),
    ('column = "g1_layout_planned"', 'column = "g1_layout"', r"\(G1\): option 'column' must be a county_year column"),
    ('through_kinds = ["九年一贯制", "十二年一贯制"]', 'through_kinds = ["九年制"]', r"\(G4\): option 'through_kinds'"),
    ('apportion_weights = { primary = 1.0, junior = 1.1, senior = 1.32 }',
     'apportion_weights = { primary = 1.0, junior = 1.1 }', r"apportion_weights must be"),
    ('check = "teacher_pay"', 'check = "attestation"', r"\(G8\): check 'attestation' takes direction"),
])
def test_criteria_file_is_fully_checked_when_it_loads(tmp_path, old, new, message):
    path = _criteria_variant(tmp_path, old, new)
    with pytest.raises(CriteriaError, match=message) as err:
        load_criteria(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_provincial_file_that_drops_g6_is_refused_at_load(tmp_path):
    text = CRITERIA_FILE.read_text(encoding="utf-8")
    start = text.index('[[criterion]]\nid = "G6"')
    end = text.index("[[criterion]]", start + 5)
    path = tmp_path / "province.toml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(CriteriaError, match=r"needs a criterion with check = 'small_school_funding'"):
        load_criteria(path)


def test_the_teaching_point_exclusion_is_a_criteria_setting(tmp_path):
    """With small_teaching_point_students = 0 a teaching point of 30 pupils is assessed."""
    path = _criteria_variant(tmp_path, "small_teaching_point_students = 50", "small_teaching_point_students = 0")
    db_path = build(tmp_path / "a.duckdb", [School("t", {"primary": 30}, kind="教学点", locale="rural")])
    assert bool(assess(db_path, load_criteria(path)).schools.iloc[0]["eligible"])
    assert not bool(assess(db_path).schools.iloc[0]["eligible"])


def test_weighted_cv_sql_is_the_one_the_assessment_runs():
    """COUNTY_SQL embeds weighted_cv_query: the tested SQL twin is the SQL that runs."""
    query = queries.weighted_cv_query("s", ("adcode", "year", "stage"), INDICATORS, "students")
    assert query in queries.COUNTY_SQL
    assert math.isclose(balance.weighted_cv([5, 6, 4], [100, 200, 100]), math.sqrt(0.6875) / 5.25)
    assert GOOD  # the factory's defaults meet every standard


def test_what_is_known_can_already_fail_a_school_with_missing_data(tmp_path):
    """School b has no facilities row (R4–R7 unknown) but R2 at 0.7 per 100 pupils: 70 % of its
    standard, under the 85 % floor, so it is non-compliant whatever its facilities are. School d
    (1,000 pupils) misses R1 (4.0 of 4.2, 95 %) and R2 (0.9 of 1.0): two misses already, one more than
    the method allows, so it fails too. School c lacks facilities and meets R1–R3: unknown."""
    path = build(tmp_path / "a.duckdb", [
        School("a", {"primary": 200}),
        School("b", {"primary": 200}, {"primary": (5.0, 0.7, 1.0, 5.0, 8.0, 2500.0, 3.0)}, facilities=False),
        School("d", {"primary": 1000}, {"primary": (4.0, 0.9, 1.0, 5.0, 8.0, 2500.0, 3.0)}, facilities=False),
        School("c", {"primary": 200}, facilities=False),
    ])
    a = assess(path)
    s = a.schools.set_index("school_id")["compliant"]
    assert [s["a"], s["b"], s["d"]] == [True, False, False] and pd.isna(s["c"])
    row = county_row(a, "primary")
    assert row["noncompliant_schools"] == 2 and "RS" in row["failed_criteria"]
