"""The data model's constraints live in the schema: bad rows are rejected by DuckDB itself."""

from __future__ import annotations

import duckdb
import pytest

from analytics.store import db

REGION = "INSERT INTO regions VALUES ('510104', '锦江区', '510100', '成都市', '510000', '四川省', '区')"
SCHOOL = "INSERT INTO schools VALUES ('s1', '一小', '510104', '小学', 'urban', TRUE, 104.08, 30.65)"


@pytest.fixture
def con():
    c = duckdb.connect()
    db.create_schema(c)
    c.execute(REGION)
    c.execute(SCHOOL)
    return c


def test_schema_creates_every_table(con):
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert set(db.TABLES) <= present


@pytest.mark.parametrize(
    "sql",
    [
        # bad adcode, city code not derived from adcode, unknown county kind
        "INSERT INTO regions VALUES ('51010', '某区', '510100', '成都市', '510000', '四川省', '区')",
        "INSERT INTO regions VALUES ('510105', '青羊区', '510200', '成都市', '510000', '四川省', '区')",
        "INSERT INTO regions VALUES ('510105', '青羊区', '510100', '成都市', '510000', '四川省', '乡')",
        # unknown kind, unknown locale, county not in regions, longitude outside China, duplicate id
        "INSERT INTO schools VALUES ('s2', '二小', '510104', '高中', 'urban', TRUE, 104.0, 30.6)",
        "INSERT INTO schools VALUES ('s2', '二小', '510104', '小学', 'suburb', TRUE, 104.0, 30.6)",
        "INSERT INTO schools VALUES ('s2', '二小', '999999', '小学', 'urban', TRUE, 104.0, 30.6)",
        "INSERT INTO schools VALUES ('s2', '二小', '510104', '小学', 'urban', TRUE, 14.0, 30.6)",
        "INSERT INTO schools VALUES ('s1', '一小', '510104', '小学', 'urban', TRUE, 104.0, 30.6)",
        # negative area, music rooms without their smallest area
        "INSERT INTO school_year VALUES ('s1', 2024, -1, 100, 1000, 2, 1, 96, 1, 90, 0)",
        "INSERT INTO school_year VALUES ('s1', 2024, 100, 100, 1000, 2, 1, NULL, 1, 90, 0)",
        "INSERT INTO school_year VALUES ('s1', 2024, 100, 100, 1000, 2, NULL, 96, 1, 90, 0)",
        "INSERT INTO school_year VALUES ('s1', 2024, 100, 100, 1000, 2, 1, 96, 1, 90, -5)",
        # unknown stage, pupils without classes, largest class above enrolment
        "INSERT INTO school_stage_year VALUES ('s1', 2024, 'senior', 100, 3, 40)",
        "INSERT INTO school_stage_year VALUES ('s1', 2024, 'primary', 100, 0, 40)",
        "INSERT INTO school_stage_year VALUES ('s1', 2024, 'primary', 30, 1, 31)",
        # teacher: unknown degree, negative pay (an unknown school: see key_problems below)
        "INSERT INTO teachers VALUES ('t1', 2024, 's1', 'primary', 'phd', 'none', 'math', TRUE, TRUE, FALSE, FALSE, 400, 80, 90000)",
        "INSERT INTO teachers VALUES ('t1', 2024, 's1', 'primary', 'bachelor', 'none', 'math', TRUE, TRUE, FALSE, FALSE, 400, 80, -5)",
        # funding: negative amount, unknown item
        "INSERT INTO funding VALUES ('s1', 2024, 'public_funding', 'government', -100)",
        "INSERT INTO funding VALUES ('s1', 2024, 'bonus', 'government', 100)",
        # county_year: rate above 1, monitoring level 5
        "INSERT INTO county_year (adcode, year, junior_retention_rate) VALUES ('510104', 2024, 1.2)",
        "INSERT INTO county_year (adcode, year, quality_monitoring_level) VALUES ('510104', 2024, 5)",
    ],
)
def test_constraint_rejects_bad_row(con, sql):
    # a code outside an ENUM (teachers, funding) is refused as a failed conversion
    with pytest.raises((duckdb.ConstraintException, duckdb.ConversionException)):
        con.execute(sql)


def test_valid_rows_are_accepted(con):
    con.execute("INSERT INTO school_year VALUES ('s1', 2024, 500, 800, 250000, 3, 1, 100, 1, 95, NULL)")
    con.execute("INSERT INTO school_stage_year VALUES ('s1', 2024, 'primary', 100, 3, 36)")
    con.execute("INSERT INTO teachers VALUES ('t1', 2024, 's1', 'primary', 'bachelor', 'county', 'pe', "
                "TRUE, TRUE, FALSE, TRUE, 400, 80, 90000)")
    con.execute("INSERT INTO county_year (adcode, year) VALUES ('510104', 2024)")
    assert con.execute("SELECT count(*) FROM teachers").fetchone()[0] == 1


def test_codes_of_the_big_tables_are_stored_as_enums(con):
    """Teachers' and funding's codes are ENUMs (one small integer per cell, integer comparisons in
    the assessment's scan), with the same values the import dictionary allows."""
    from analytics.store import dictionary
    types = dict(con.execute("SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
                             "WHERE table_name IN ('teachers', 'funding')").fetchall())
    tables = dictionary.load()
    for table, column in (("teachers", "stage"), ("teachers", "degree"), ("teachers", "backbone"),
                          ("teachers", "subject"), ("funding", "item"), ("funding", "source")):
        allowed = tables[table].column(column).values
        assert types[f"{table}.{column}"] == "ENUM(" + ", ".join(f"'{v}'" for v in allowed) + ")"


def test_keys_and_references_of_the_big_tables_are_checked_when_written(con):
    """teachers and funding have no index (most of a file's size); db.key_problems finds what an
    index would have refused: a key twice, a school that does not exist."""
    row = "('t1', 2024, '{school}', 'primary', 'bachelor', 'none', 'math', TRUE, TRUE, FALSE, FALSE, 400, 80, 90000)"
    con.execute(f"INSERT INTO teachers VALUES {row.format(school='s1')}, {row.format(school='s1')}")
    con.execute(f"INSERT INTO teachers VALUES {row.format(school='zz').replace('t1', 't2')}")
    con.execute("INSERT INTO funding VALUES ('s1', 2024, 'public_funding', 'government', 100), "
                "('s1', 2024, 'public_funding', 'government', 200)")
    found = db.key_problems(con)
    assert "teachers: (t1, 2024) appears 2 times (one row per teacher_id, year)" in found
    assert "teachers: school zz is not in schools" in found
    assert any(p.startswith("funding: (s1, 2024, public_funding, government) appears 2 times") for p in found)


def test_a_clean_database_has_no_key_problems(demo_db):
    with db.connect(demo_db) as c:
        assert db.key_problems(c) == []
