"""`python -m analytics …` as a user runs it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from analytics.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_assess_prints_one_row_per_county_and_stage(demo_db):
    code, out, _ = run("assess", "--db", str(demo_db), "--year", "2024", "--format", "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out), dtype={"adcode": str})
    assert len(frame) == 183 * 3
    assert set(frame["stage"]) == {"primary", "junior", "all"}
    for col in ["adcode", "stage", *[f"cv_r{i}" for i in range(1, 8)], "cv_composite",
                "noncompliant_schools", "failed", "status"]:
        assert col in frame.columns
    assert set(frame["status"]) <= {"pass", "near", "incomplete", "far", "vetoed"}


def test_assess_filters_stage_and_region_as_json(demo_db):
    code, out, _ = run("assess", "--db", str(demo_db), "--year", "2023", "--stage", "junior",
                       "--region", "510100", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 20
    assert {r["stage"] for r in rows} == {"junior"}
    assert all(r["adcode"].startswith("5101") for r in rows)


def test_assess_table_format_is_readable(demo_db):
    code, out, _ = run("assess", "--db", str(demo_db), "--year", "2023", "--region", "510104")
    assert code == 0
    assert "锦江区" in out and "cv_composite" in out


def test_unknown_year_is_a_clear_error(demo_db):
    code, out, err = run("assess", "--db", str(demo_db), "--year", "2019")
    assert code == 2 and out == ""
    assert "year 2019 is not in" in err and "2023, 2024, 2025, 2026" in err


def test_missing_database_is_a_clear_error(tmp_path):
    code, _, err = run("assess", "--db", str(tmp_path / "none.duckdb"), "--year", "2024")
    assert code == 2 and "database not found" in err


def test_empty_database_is_a_clear_error(tmp_path):
    import duckdb

    from analytics.store import db

    path = tmp_path / "empty.duckdb"
    with duckdb.connect(str(path)) as con:
        db.create_schema(con)
    code, _, err = run("assess", "--db", str(path), "--year", "2024")
    assert code == 2 and "holds no school data" in err


def test_broken_criteria_file_is_a_clear_error(demo_db, tmp_path):
    bad = tmp_path / "criteria.toml"
    bad.write_text('[[criterion]]\nid = "R1"\n', encoding="utf-8")
    code, _, err = run("assess", "--db", str(demo_db), "--year", "2024", "--criteria", str(bad))
    assert code == 2 and "criterion #1 (R1): missing field 'part'" in err


def test_module_entry_point_runs(demo_db):
    proc = subprocess.run([sys.executable, "-m", "analytics", "info", "--db", str(demo_db)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "synthetic" in proc.stdout and "183 counties" in proc.stdout


def test_info_states_the_stored_assessment_without_printing_its_stamp(demo_db):
    code, out, _ = run("info", "--db", str(demo_db))
    assert code == 0
    assert "stored assessment: current" in out
    assert "derived:" not in out and '"types"' not in out


def test_progress_list_plans_prints_name_then_title(demo_db):
    code, out, _ = run("progress", "--db", str(demo_db), "--list-plans")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines == ["modernization-2026\t2026年教育现代化推进实施方案及制度",
                     "rectification-2024-2026\t教育创强整改工作方案（2024–2026）"]


def test_progress_prints_one_row_per_region_and_target(demo_db):
    code, out, _ = run("progress", "--db", str(demo_db), "--plan", "modernization-2026", "--format", "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out), dtype={"adcode": str})
    for col in ("adcode", "metric", "target_year", "target", "baseline", "latest", "status"):
        assert col in frame.columns
    assert not frame.duplicated(["adcode", "metric", "target_year", "stage"]).any()
    counties = frame[frame["level"] == "county"]
    assert counties["adcode"].nunique() == 183
    assert set(frame["status"]) <= {"achieved", "on_track", "at_risk", "off_track", "no_data"}
    province = frame[(frame["adcode"] == "510000") & (frame["metric"] == "pass_share")].iloc[0]
    assert province["target"] == 0.65 and province["baseline_year"] == 2023


def test_progress_region_keeps_the_region_and_what_is_inside(demo_db):
    code, out, _ = run("progress", "--db", str(demo_db), "--plan", "rectification-2024-2026", "--region", "510100",
                       "--year", "2024", "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert {r["adcode"][:4] for r in rows} == {"5101"}
    assert {r["latest_year"] for r in rows if r["latest_year"] is not None} <= {2023, 2024}


def test_progress_with_unknown_plan_fails_cleanly(demo_db):
    code, _, err = run("progress", "--db", str(demo_db), "--plan", "no-such-plan")
    assert code == 2
    assert "unknown plan 'no-such-plan'" in err and "modernization-2026" in err


def test_progress_with_malformed_plan_file_names_the_line(demo_db, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[plan]\nname = "x"\ntitle_zh = "x"\ntitle_en = "x"\nbaseline_year = 2023\n\n'
                   '[[target]]\nmetric = "nope"\n', encoding="utf-8")
    code, _, err = run("progress", "--db", str(demo_db), "--plan", str(bad))
    assert code == 2
    assert "bad.toml, line 7: target #1: missing 'scope'" in err


def test_gap_prints_one_row_per_county_and_stage(demo_db):
    code, out, _ = run("gap", "--db", str(demo_db), "--year", "2026", "--region", "510100", "--format", "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out), dtype={"adcode": str}, keep_default_na=False)
    for col in ("adcode", "stage", "teachers_hire", "teachers_rotate", "area_m2", "sports_m2", "equipment_yuan",
                "multimedia_rooms", "cost_yuan", "unfixable"):
        assert col in frame.columns
    assert set(frame["adcode"].str[:4]) == {"5101"}
    assert len(frame) == 2 * frame["adcode"].nunique()


@pytest.mark.slow
def test_gap_budget_marks_funded_counties_and_apply_to_writes_a_scenario(demo_db, tmp_path):
    scenario = tmp_path / "s.duckdb"
    code, out, err = run("gap", "--db", str(demo_db), "--year", "2026", "--budget", "1000000", "--format", "csv",
                         "--apply-to", str(scenario))
    assert code == 0
    frame = pd.read_csv(io.StringIO(out), dtype={"adcode": str}, keep_default_na=False)
    funded = frame.groupby("adcode")["cost_yuan"].sum()[frame.groupby("adcode")["funded"].first()]
    assert funded.sum() <= 1_000_000
    assert "budget 1,000,000 yuan" in err and "scenario written" in err
    code, out, _ = run("info", "--db", str(scenario))
    assert code == 0 and "scenario" in out


def test_gap_with_unknown_year_fails_cleanly(demo_db):
    code, _, err = run("gap", "--db", str(demo_db), "--year", "1999")
    assert code == 2 and "year 1999 is not in" in err


def test_a_criteria_file_with_an_unknown_check_is_one_line_and_exit_2(demo_db, tmp_path):
    from analytics.assess.criteria import CRITERIA_FILE

    bad = tmp_path / "province.toml"
    bad.write_text(CRITERIA_FILE.read_text(encoding="utf-8").replace('check = "teacher_pay"', 'check = "pay"'),
                   encoding="utf-8")
    code, out, err = run("assess", "--db", str(demo_db), "--year", "2024", "--criteria", str(bad))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(bad) in err and "unknown check 'pay'" in err


def _progress_bar_on(con) -> bool:
    return con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]


def test_the_connections_the_package_opens_print_no_progress_bar(demo_db):
    """DuckDB draws its progress bar on stdout, into the CLI's CSV, once a query takes 2 s."""
    from analytics.store import db

    con = db.connect(demo_db)
    cursor = db.reader(demo_db, demo_db.stat().st_mtime)
    try:
        assert not _progress_bar_on(con) and not _progress_bar_on(cursor) and not _progress_bar_on(db.open_duckdb())
    finally:
        con.close()
        cursor.close()


def test_no_module_opens_duckdb_but_through_the_one_quiet_opener():
    import ast

    package = Path(__file__).resolve().parents[1] / "analytics"
    callers = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "duckdb"):
                callers.append(path.name)
    assert callers == ["db.py"]
