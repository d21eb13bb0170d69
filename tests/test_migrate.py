"""Databases written by an earlier version: detected with a clear message, migrated to the current
data model by `python -m analytics migrate` (old file kept), a demo one rebuilt by the app."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analytics.assess import balance
from analytics.cli import main
from analytics.store import db
from tests.factory import COUNTY_YEAR_OK, School, build

pytestmark = pytest.mark.slow  # rewrites old databases

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def old_version(tmp_path: Path, data_kind: str = "imported") -> Path:
    """The earlier data model: no senior_students, four vetoes, V4 named veto_safety_fee."""
    current = build(tmp_path / "current.duckdb", [School("a", {"primary": 200}), School("w", {"junior": 300}, kind="完全中学")],
                    county_year=dict(COUNTY_YEAR_OK, veto_major_incident=True))
    sql = db.SCHEMA_FILE.read_text(encoding="utf-8")
    sql = "\n".join(line for line in sql.splitlines()
                    if "senior_students" not in line and "veto_unfilled_posts" not in line
                    and "veto_falsified_data" not in line)
    sql = sql.replace("veto_major_incident", "veto_safety_fee")
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.execute("ATTACH ? AS cur (READ_ONLY)", [str(current)])
    for table in db.TABLES:
        cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                          "AND database_name = current_database() ORDER BY column_index", [table]).fetchall()]
        src = [c if c != "veto_safety_fee" else "veto_major_incident AS veto_safety_fee" for c in cols]
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(src)} FROM cur.{table}")
    con.execute("UPDATE metadata SET value = ? WHERE key = 'data_kind'", [data_kind])
    con.close()
    return path


def test_an_old_database_is_refused_with_what_to_run(tmp_path):
    path = old_version(tmp_path)
    with pytest.raises(db.OutdatedDatabase, match=r"missing .*school_year\.senior_students.*analytics migrate"):
        db.connect(path)
    with pytest.raises(db.OutdatedDatabase):
        db.reader(path, path.stat().st_mtime)


def test_migrate_carries_the_data_into_the_current_model(tmp_path, capsys):
    path = old_version(tmp_path)
    assert main(["migrate", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "school_year.senior_students" in out and "1 完全中学/十二年一贯制 school(s)" in out
    assert path.with_name("old.duckdb.bak1").exists()
    with db.connect(path) as con:
        vetoes = con.execute("SELECT veto_major_incident, veto_unfilled_posts, veto_falsified_data FROM county_year").fetchall()
        a = balance.assess(con, 2024)
    assert vetoes == [(True, False, False)]          # the old "safety or fee" veto is V5 now
    row = a.counties[(a.counties["stage"] == "all")].iloc[0]
    assert row["status"] == "vetoed" and row["veto_criteria"] == "V5"
    junior = a.schools.set_index("school_id").loc["w"]
    assert junior["r4"] != junior["r4"]              # senior pupils unknown: the split waits for them (NaN)


def test_the_app_says_what_to_run_for_an_old_imported_database(monkeypatch, tmp_path):
    path = old_version(tmp_path)
    before = path.read_bytes()
    monkeypatch.setenv("JUNHENG_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("analytics migrate" in e.value for e in at.error)
    assert not any(str(tmp_path) in e.value for e in at.error)  # no server path on screen
    assert path.read_bytes() == before


def test_the_app_rebuilds_an_old_demo_database(monkeypatch, tmp_path):
    path = old_version(tmp_path, data_kind="synthetic")
    monkeypatch.setenv("JUNHENG_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=240).run()
    assert not at.exception
    with db.connect(path) as con:  # current model now: the demo was generated again
        assert db.summary(con).counties == 183
