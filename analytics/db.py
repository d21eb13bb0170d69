"""Opening Junheng databases, creating the schema, and reading what a database holds."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics.errors import JunhengError

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
TABLES = (
    "metadata",
    "regions",
    "schools",
    "school_year",
    "school_stage_year",
    "teachers",
    "funding",
    "county_year",
)


class DatabaseError(JunhengError, RuntimeError):
    """A database is missing, empty or not a Junheng database."""


class OutdatedDatabase(DatabaseError):
    """A Junheng database written by an earlier version: columns of the data model are missing."""


def schema_columns() -> dict[str, list[str]]:
    """Every table's columns in the current data model (from schema.sql), in order."""
    con = duckdb.connect(":memory:")
    create_schema(con)
    out: dict[str, list[str]] = {}
    for table, column in con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                     "WHERE database_name = 'memory' ORDER BY table_name, column_index").fetchall():
        out.setdefault(table, []).append(column)
    con.close()
    return out


def _check_current(con: duckdb.DuckDBPyConnection, path: str, database: str) -> None:
    """Raise OutdatedDatabase naming the missing columns and what to do."""
    have = {(t, c) for t, c in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ?", [database]).fetchall()}
    missing = [f"{t}.{c}" for t, cols in schema_columns().items() for c in cols if (t, c) not in have]
    if missing:
        raise OutdatedDatabase(
            f"{path} was written by an earlier version of Junheng (missing {', '.join(missing[:6])}"
            f"{' …' if len(missing) > 6 else ''}): run `python -m analytics migrate --db {path}` "
            f"(the old file is kept as a backup), or rebuild the demo with `python -m analytics build-demo`")


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of the data model (empty) on a connection."""
    con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


def connect(path: str | Path, read_only: bool = True, check_version: bool = True) -> duckdb.DuckDBPyConnection:
    """Open an existing Junheng database; a clear error when it is missing, foreign or written
    by an earlier version (check_version=False opens an old one, for migrate)."""
    path = Path(path)
    if not path.exists():
        raise DatabaseError(f"database not found: {path} (build one with `python -m analytics build-demo`)")
    con = duckdb.connect(str(path), read_only=read_only)
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    missing = [t for t in TABLES if t not in present]
    if missing:
        con.close()
        raise DatabaseError(f"{path} is not a Junheng database: missing tables {', '.join(missing)}")
    if check_version:
        try:
            _check_current(con, str(path), con.execute("SELECT current_database()").fetchall()[0][0])
        except OutdatedDatabase:
            con.close()
            raise
    return con


KEEP_VERSIONS = 2   # the newest versions stay open; older ones close once no cursor holds them
_READERS: dict[str, OrderedDict] = {}
_READERS_LOCK = threading.Lock()


def reader(path: str | Path, version: float) -> duckdb.DuckDBPyConnection:
    """A cursor on one version of the database file (a version = the file's mtime), for one query
    or one page run. Each version is opened once as its own in-memory instance with the file
    attached read-only, so an import swapping in a new file never closes a connection another
    thread is reading from (DuckDB shares one instance per path among plain connects, so the
    old one had to be closed before the new file could be read). A version older than the
    KEEP_VERSIONS newest is closed when the last cursor on it is gone."""
    key = str(Path(path))
    with _READERS_LOCK:
        versions = _READERS.setdefault(key, OrderedDict())
        held = versions.get(version)
        if held is None:
            if not Path(key).exists():
                raise DatabaseError(f"database not found: {key} (build one with `python -m analytics build-demo`)")
            con = duckdb.connect(":memory:")
            con.execute("ATTACH ? AS data (READ_ONLY)", [key])
            present = {r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'data'").fetchall()}
            missing = [t for t in TABLES if t not in present]
            if missing:
                con.close()
                raise DatabaseError(f"{key} is not a Junheng database: missing tables {', '.join(missing)}")
            try:
                _check_current(con, key, "data")
            except OutdatedDatabase:
                con.close()
                raise
            held = versions[version] = (con, weakref.WeakSet())
        cursor = held[0].cursor()
        held[1].add(cursor)
        for old in list(versions)[:-KEEP_VERSIONS]:  # old versions nobody reads any more
            con, cursors = versions[old]
            if old != version and not len(cursors):
                con.close()
                del versions[old]
    cursor.execute("USE data")
    return cursor


def metadata(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The metadata table as a dict (what the database holds, how it was made)."""
    return dict(con.execute("SELECT key, value FROM metadata ORDER BY key").fetchall())


def is_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the data was generated, not imported: every screen and export must say so."""
    return metadata(con).get("data_kind", "synthetic") != "imported"


@dataclass(frozen=True)
class Summary:
    """What a database holds, for the home page and the CLI."""

    provinces: int
    counties: int
    schools: int
    teachers_latest: int
    students_latest: int
    years: tuple[int, ...]
    synthetic: bool
    meta: dict[str, str]


def summary(con: duckdb.DuckDBPyConnection) -> Summary:
    """Counts of what is loaded: counties with schools, schools, latest-year teachers and pupils."""
    years = tuple(
        int(r[0]) for r in con.execute("SELECT DISTINCT year FROM school_stage_year ORDER BY year").fetchall()
    )
    latest = years[-1] if years else None
    row = con.execute(
        """
        WITH active AS (SELECT DISTINCT adcode FROM schools)
        SELECT
            (SELECT count(DISTINCT r.province_adcode) FROM regions r JOIN active USING (adcode)),
            (SELECT count(*) FROM active),
            (SELECT count(*) FROM schools),
            (SELECT count(*) FROM teachers WHERE year = $latest),
            (SELECT coalesce(sum(students), 0) FROM school_stage_year WHERE year = $latest)
        """,
        {"latest": latest},
    ).fetchone()
    return Summary(
        provinces=int(row[0]),
        counties=int(row[1]),
        schools=int(row[2]),
        teachers_latest=int(row[3]),
        students_latest=int(row[4]),
        years=years,
        synthetic=is_synthetic(con),
        meta=metadata(con),
    )
