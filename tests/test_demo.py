"""The synthetic Sichuan demo: realistic, deterministic, labelled synthetic, schools in place."""

from __future__ import annotations

import duckdb
import pytest
import shapely

from analytics.assess import balance
from analytics.atlas import geo
from analytics.store import db
from analytics.synthetic import demo, rows_sql


@pytest.fixture(scope="module")
def con(demo_db):
    c = db.connect(demo_db)
    yield c
    c.close()


def test_demo_covers_all_183_sichuan_counties_and_four_years(con):
    s = db.summary(con)
    assert s.counties == 183 and s.provinces == 1
    assert s.years == (2023, 2024, 2025, 2026)


def test_demo_is_labelled_synthetic(con):
    meta = db.metadata(con)
    assert meta["data_kind"] == "synthetic"
    assert meta["notice"] == demo.SYNTHETIC_NOTICE
    assert meta["seed"] == str(demo.DEFAULT_SEED) and meta["generator_version"]
    assert db.is_synthetic(con)


def test_demo_magnitudes_are_realistic(con):
    """Sichuan: thousands of schools, ~8 M pupils, ~0.5 M teachers; ratios near 16:1 and 13:1."""
    s = db.summary(con)
    assert 8_000 <= s.schools <= 20_000
    assert 6_000_000 <= s.students_latest <= 11_000_000
    assert 400_000 <= s.teachers_latest <= 800_000
    ratios = dict(con.execute("""
        SELECT stage, sum(students) / (SELECT count(*) FROM teachers t WHERE t.year = 2023 AND t.stage = p.stage)
        FROM school_stage_year p WHERE year = 2023 GROUP BY stage""").fetchall())
    assert 12 <= ratios["primary"] <= 19
    assert 10 <= ratios["junior"] <= 16


def test_demo_has_every_school_kind(con):
    kinds = {r[0] for r in con.execute("SELECT DISTINCT kind FROM schools").fetchall()}
    assert kinds == {"小学", "初中", "九年一贯制", "十二年一贯制", "完全中学", "教学点", "特殊教育学校"}


def test_demo_cvs_span_the_range_of_real_reports(con):
    a = balance.assess(con, 2023)
    cvs = a.counties[a.counties["stage"] != "all"][[f"cv_r{i}" for i in range(1, 8)]]
    assert cvs.min().min() < 0.1 and cvs.max().max() > 0.5


def test_demo_progress_is_uneven(con):
    a = balance.assess(con)
    c = a.counties[a.counties["stage"] == "all"].pivot(index="adcode", columns="year", values="failed")
    assert (c[2026] < c[2023]).sum() > (c[2026] > c[2023]).sum() > 0  # most improve, some regress


def test_every_school_lies_inside_its_county(con):
    schools = con.execute("SELECT adcode, longitude, latitude FROM schools").df()
    shapes = geo.counties("510000").set_index("adcode").geometry
    inside = shapely.contains_xy(shapes.loc[schools["adcode"]].values, schools["longitude"], schools["latitude"])
    assert inside.all()


@pytest.mark.slow
def test_demo_is_deterministic_for_a_seed(tmp_path):
    a = demo.build_demo(tmp_path / "a.duckdb", years=(2024,), seed=11)
    b = demo.build_demo(tmp_path / "b.duckdb", years=(2024,), seed=11)
    c = demo.build_demo(tmp_path / "c.duckdb", years=(2024,), seed=12)
    assert (a.schools, a.teachers_latest, a.students_latest) == (b.schools, b.teachers_latest, b.students_latest)
    query = "SELECT * FROM teachers ORDER BY teacher_id"
    with duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True) as x, \
            duckdb.connect(str(tmp_path / "b.duckdb"), read_only=True) as y:
        assert x.execute(query).df().equals(y.execute(query).df())
    assert c.teachers_latest != a.teachers_latest


@pytest.mark.slow
def test_a_failed_build_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    """The database is built in a temporary file: a failure midway leaves the old file as it was."""
    target = tmp_path / "x.duckdb"
    target.write_bytes(b"previous database")
    monkeypatch.setattr(rows_sql, "FUNDING_SQL", "INSERT INTO funding SELECT * FROM no_such_table")
    with pytest.raises(duckdb.Error):
        demo.build_demo(target, years=(2024,))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.duckdb", "x.duckdb.lock"]  # no temporary file
    assert target.read_bytes() == b"previous database"


def test_unknown_scope_is_refused(tmp_path):
    with pytest.raises(ValueError, match="scope"):
        demo.build_demo(tmp_path / "x.duckdb", scope="mars")
