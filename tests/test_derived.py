"""The assessment is computed when a database is written and stored in it (derived_* tables,
stamped with the criteria and code they come from); readers use it only when that stamp matches,
and get exactly what computing would give."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from analytics.assess import balance, gap, progress, urban_rural
from analytics.assess.criteria import load_criteria
from analytics.ingest import importer
from analytics.store import db
from tests.factory import School, build, good_corpus_files

pytestmark = pytest.mark.slow  # writes databases and their stored results

SCHOOLS = [School("a", {"primary": 300}), School("b", {"primary": 200}, values={"primary": (3.0, 1.5, 1.0, 5.0, 8.0, 2500.0, 3.0)}),
           School("c", {"junior": 400}, kind="初中"), School("d", {"primary": 150}, adcode="510105")]


def _frames_equal(a: balance.Assessment, b: balance.Assessment) -> None:
    for name in balance.DERIVED:
        pd.testing.assert_frame_equal(getattr(a, name).reset_index(drop=True), getattr(b, name).reset_index(drop=True))


@pytest.fixture
def written(tmp_path):
    path = build(tmp_path / "w.duckdb", SCHOOLS)
    with duckdb.connect(str(path)) as con:
        balance.store(con)
    return path


def test_a_stored_assessment_reads_back_exactly_as_computed(written):
    cr = load_criteria()
    with db.connect(written) as con:
        kept = balance.stored(con, cr)
        assert kept is not None
        _frames_equal(kept, balance.compute(con, None, cr))
        _frames_equal(balance.assess(con, 2024, cr), balance.compute(con, 2024, cr))


def test_a_lazy_assessment_reads_its_school_rows_and_results_on_first_use_and_once(written, monkeypatch):
    """The app's shared assessment leaves the school rows and criterion results (most of its size)
    unread until a page needs them; what it then reads is what an eager read gives."""
    cr = load_criteria()
    reads = []
    original = balance._read
    monkeypatch.setattr(balance, "_read", lambda con, name, *rest: reads.append(name) or original(con, name, *rest))
    with db.connect(written) as con:
        lazy = balance.assess(con, None, cr, lazy=True)
        assert "schools" not in reads and "results" not in reads and {"counties", "facts"} <= set(reads)
        _frames_equal(lazy, balance.compute(con, None, cr))
        lazy.schools, lazy.results
        assert reads.count("schools") == 1 and reads.count("results") == 1


def test_stored_urban_rural_gaps_read_back_exactly_as_computed(written):
    cr = load_criteria()
    with db.connect(written) as con:
        assert balance.stored_state(con, cr) == "current"
        pd.testing.assert_frame_equal(balance.urban_rural_gaps(con, None, cr), urban_rural.compute_gaps(con, None, cr))
        pd.testing.assert_frame_equal(balance.urban_rural_gaps(con, 2024, cr), urban_rural.compute_gaps(con, 2024, cr))


def test_stored_progress_sums_read_back_exactly_as_computed_without_the_school_rows(written, monkeypatch):
    """Progress shares start from additive sums per county and year; for the stored assessment of
    every year they are read, so a progress page never needs the school rows."""
    cr = load_criteria()
    with db.connect(written) as con:
        computed = urban_rural.compute_sums(con, balance.compute(con, None, cr), urban_rural.compute_gaps(con, None, cr))
        lazy = balance.assess(con, None, cr, lazy=True)
        monkeypatch.setattr(urban_rural, "compute_sums", lambda *a: pytest.fail("computed, not read"))
        read = balance.county_sums(con, lazy, balance.urban_rural_gaps(con, None, cr))
        progress.metric_values(con, lazy, balance.urban_rural_gaps(con, None, cr))
        assert lazy.unread("schools") and lazy.unread("results")  # never read
    pd.testing.assert_frame_equal(read, computed)


def test_every_installed_rule_set_is_stored_and_read_back_exactly_as_computed(written):
    """Switching to an installed rule set (data/criteria/*.toml) reads its results: a national
    recomputation takes about 10 s. What is read is what computing gives."""
    from analytics.assess.criteria import read_rule_sets

    sets = read_rule_sets().sets
    assert len(sets) >= 2  # the national rules and the shipped all-teaching-points
    with db.connect(written) as con:
        for rules, cr in sets.items():
            kept = balance.stored(con, cr)
            assert kept is not None, rules
            _frames_equal(kept, balance.compute(con, None, cr))
            pd.testing.assert_frame_equal(balance.urban_rural_gaps(con, None, cr), urban_rural.compute_gaps(con, None, cr))


def test_storing_again_drops_the_results_of_rule_sets_no_longer_installed(written):
    with duckdb.connect(str(written)) as con:
        balance.store(con, [load_criteria()])
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'derived%'").fetchall()}
    assert len(tables) == len(balance.STORED)


def test_other_criteria_are_computed_not_read(written, tmp_path):
    text = load_criteria().path.read_text(encoding="utf-8").replace("primary = 4.2, junior = 5.3", "primary = 2.0, junior = 2.0")
    (tmp_path / "province.toml").write_text(text, encoding="utf-8")
    provincial = load_criteria(tmp_path / "province.toml")
    with db.connect(written) as con:
        assert balance.stored(con, provincial) is None
        mine = balance.assess(con, None, provincial)
        national = balance.assess(con, None, load_criteria())
    school_b = lambda a: a.schools.set_index("school_id").loc["b", "ratio_r1"]  # noqa: E731 - R1 3.0 of 4.2, or of 2.0
    assert school_b(national) < 1 < school_b(mine)


def test_results_stored_by_another_version_of_the_code_are_not_read(written):
    with duckdb.connect(str(written)) as con:
        info = json.loads(con.execute("SELECT value FROM metadata WHERE key = 'derived'").fetchall()[0][0])
        older = {"older" + key[5:]: entry for key, entry in info["sets"].items()}  # keys of another code
        con.execute("UPDATE metadata SET value = ? WHERE key = 'derived'", [json.dumps({"sets": older})])
    with db.connect(written) as con:
        assert balance.stored(con, load_criteria()) is None
        assert len(balance.assess(con).counties) > 0  # computed instead


def _has_results(path) -> bool:
    with db.connect(path) as con:
        return balance.stored(con, load_criteria()) is not None


def test_every_writer_stores_the_assessment(tmp_path, demo_db):
    assert _has_results(demo_db)                                    # build-demo
    source = build(tmp_path / "src.duckdb", SCHOOLS)
    plan = gap.make_plan(db.connect(source), 2024)
    scenario = gap.apply_plan(source, tmp_path / "scenario.duckdb", plan)
    assert _has_results(scenario)                                   # a gap scenario
    target = tmp_path / "imported.duckdb"
    importer.import_files(target, good_corpus_files(), new=True)
    assert _has_results(target)                                     # an import


def test_a_database_without_stored_results_is_assessed_as_before(tmp_path):
    path = build(tmp_path / "plain.duckdb", SCHOOLS)
    with db.connect(path) as con:
        assert balance.stored(con, load_criteria()) is None
        assert set(balance.assess(con).counties["adcode"]) == {"510104", "510105"}
