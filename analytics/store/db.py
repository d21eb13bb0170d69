"""Opening Junheng databases, creating the schema, and reading what a database holds."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd
import pyarrow as pa

from analytics.core import processes
from analytics.core.errors import JunhengError

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
YEARLY = ("school_stage_year", "school_year", "teachers", "funding", "county_year")  # tables keyed by year


# A writer process that must stop when its owner dies (an import child, see follow_owner) never
# stops half-way through a swap, and never swaps once its owner is gone: the swap holds this lock
# and checks the owner first; the watcher takes the lock to end the process.
_SWAP = threading.Lock()
_owner: list[int] = []


class WriterAbandoned(JunhengError):
    """The process that started this writer is gone: its new version is dropped, not swapped in."""


def follow_owner(owner: int) -> None:
    """In a writer child process: end it as soon as `owner`, the process that started it (the
    app's server), dies — killed outright, say — and never swap a new version in after that."""
    def leave() -> None:
        with _SWAP:
            os._exit(75)

    _owner[:] = [processes.when_parent_dies(leave, owner)]


def _owner_gone() -> bool:
    return bool(_owner) and not processes.parent_alive(_owner[0])


class DatabaseError(JunhengError, RuntimeError):
    """A database is missing, empty or not a Junheng database."""


class OutdatedDatabase(DatabaseError):
    """A Junheng database written by an earlier version: columns of the data model are missing."""


class DatabaseBusy(DatabaseError):
    """Another process or session is writing this database file; says which, and since when."""

    def __init__(self, path: Path, holder: str, wait: float):
        self.holder, self.wait = holder, wait
        super().__init__(f"{path} is being written by another process ({holder}); gave up after waiting "
                         f"{wait:.0f} s: wait for it to finish, or stop that process if it hangs "
                         f"(the lock is released with it)")


def literal(value: str | Path) -> str:
    """A SQL string literal, for the few statements that take no parameters (COPY … TO, enum
    labels): a path or label with a quote in it stays one literal."""
    return "'" + str(value).replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------
# Writing a new version of a database file: a lock, a temporary file beside it, one rename

LOCK_WAIT_SECONDS = 120  # how long a writer waits for another; JUNHENG_LOCK_WAIT overrides
BACKUPS = 3              # earlier versions kept beside a database by imports (.bak1 newest)


def lock_wait() -> float:
    return float(os.environ.get("JUNHENG_LOCK_WAIT", LOCK_WAIT_SECONDS))


@contextmanager
def locked(path: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the write lock of the database file `path` (a `.lock` file beside it): imports, demo
    builds and scenario writes of one file take turns, across processes and across the sessions
    of one app process. The lock file names its holder (pid, start time), so a waiting writer can
    say who holds it; after `wait` seconds it gives up with DatabaseBusy. A holder that dies
    releases the lock with its process (flock)."""
    path = Path(path)
    wait = lock_wait() if wait is None else wait
    with open(path.with_name(path.name + ".lock"), "a+") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    raise DatabaseBusy(path, fh.read().strip() or "?", wait) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, since {datetime.now().strftime('%Y-%m-%d %H:%M:%S')}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class Build:
    """A new version of a database being written: its temporary file, and after the swap the
    backup of the version it replaced (when one was kept)."""

    tmp: Path
    backup: Path | None = None


@contextmanager
def building(path: Path, *, lock: bool = True, backup: bool = False, copy_of: Path | None = None) -> Iterator[Build]:
    """Write a new version of the database file `path`: yields a Build whose `tmp` is a file of
    its own beside `path` (same folder, so the swap is one rename; a copy of `copy_of` if given).
    On success `tmp` replaces `path` atomically — readers see the old file or the new one — and
    with `backup` the old one is kept as .bak1; on any error `tmp` and its .wal are removed and
    `path` is untouched. Holds `path`'s lock meanwhile (lock=False: the caller holds it), and
    first removes what writers that died left behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path) if lock else nullcontext():
        clean_leftovers(path)
        build = Build(path.with_name(f".{path.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}"))
        try:
            if copy_of is not None:
                shutil.copyfile(copy_of, build.tmp)
            yield build
        except BaseException:
            _remove(build.tmp)
            raise
        with _SWAP:
            if _owner_gone():
                _remove(build.tmp)
                raise WriterAbandoned(f"{path}: the process that started this writer is gone; nothing swapped in")
            build.backup = _swap(build.tmp, path, backup)


def _remove(tmp: Path) -> None:
    for f in (tmp, tmp.with_name(tmp.name + ".wal")):
        f.unlink(missing_ok=True)


def clean_leftovers(path: Path) -> list[Path]:
    """Remove the temporary files (and .wal) of writers of `path` whose process no longer runs
    (killed or failed); called with the lock held, so this process has no build in progress."""
    removed = []
    for prefix in (f".{path.name}.building-", f".{path.name}.importing-"):  # importing-: older versions
        for tmp in path.parent.glob(prefix + "*"):
            pid = tmp.name[len(prefix):].split("-")[0].split(".")[0]  # <pid>-<random>[.wal]
            alive = False
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    os.kill(int(pid), 0)
                    alive = True
                except (ProcessLookupError, PermissionError):
                    alive = False
            if not alive:
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


def backups(path: Path) -> list[Path]:
    """Earlier versions kept beside the database, newest first."""
    return [p for i in range(1, BACKUPS + 1) if (p := path.with_name(f"{path.name}.bak{i}")).exists()]


def _swap(tmp: Path, path: Path, backup: bool) -> Path | None:
    """Put tmp in place of path in one rename; with `backup` the old file becomes .bak1 (older
    ones move down, at most BACKUPS kept)."""
    kept = None
    if backup and path.exists():
        path.with_name(f"{path.name}.bak{BACKUPS}").unlink(missing_ok=True)
        for i in range(BACKUPS - 1, 0, -1):
            p = path.with_name(f"{path.name}.bak{i}")
            if p.exists():
                os.replace(p, path.with_name(f"{path.name}.bak{i + 1}"))
        kept = path.with_name(f"{path.name}.bak1")
        os.link(path, kept)             # the old file stays whole under its backup name
    os.replace(tmp, path)               # readers see either the old file or the new one
    return kept


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The connection with DuckDB's progress bar off: it prints to stdout, where the CLI writes
    its tables (the setting is per connection and per cursor, never global)."""
    con.execute("SET enable_progress_bar = false")
    return con


def open_duckdb(path: str | Path = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection the project's way (see quiet): every module opens files through here."""
    return quiet(duckdb.connect(str(path), read_only=read_only))


def schema_columns() -> dict[str, list[str]]:
    """Every table's columns in the current data model (from schema.sql), in order."""
    con = open_duckdb()
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
    con = open_duckdb(path, read_only=read_only)
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
            con = open_duckdb()
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
        cursor = quiet(held[0].cursor())
        held[1].add(cursor)
        for old in list(versions)[:-KEEP_VERSIONS]:  # old versions nobody reads any more
            con, cursors = versions[old]
            if old != version and not len(cursors):
                con.close()
                del versions[old]
    cursor.execute("USE data")
    return cursor


_NULLABLE = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
             pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas, typed as DuckDB's .df() types a result (nullable integers and
    booleans where NULLs occur, HUGEINT sums as floats): reading wide results through Arrow is
    about twice as fast as .df()."""
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        nullable = column.null_count and column.type in _NULLABLE
        columns[name] = column.to_pandas(types_mapper=_NULLABLE.get if nullable else None)
    return pd.DataFrame(columns)


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict | list | None = None) -> pd.DataFrame:
    """A query's rows as a pandas frame, through Arrow (see arrow_frame)."""
    return arrow_frame(con.sql(sql, params=params).to_arrow_table())


def metadata(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The metadata table as a dict (what the database holds, how it was made)."""
    return dict(con.execute("SELECT key, value FROM metadata ORDER BY key").fetchall())


def is_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the data was generated, not imported: every screen and export must say so."""
    return metadata(con).get("data_kind", "synthetic") != "imported"


# The keys and references of the tables that have no index (schema.sql), checked when a database
# is written: (table, key columns) and (table, column referencing schools.school_id).
UNINDEXED_KEYS = (("teachers", ("teacher_id", "year")), ("funding", ("school_id", "year", "item", "source")))
UNINDEXED_REFERENCES = (("teachers", "school_id"), ("funding", "school_id"))


def key_problems(con: duckdb.DuckDBPyConnection, limit: int = 5) -> list[str]:
    """Rows that break a key or a reference the schema does not enforce: the same key twice, or
    a school id that is not in schools (a few examples of each, in words)."""
    problems = []
    for table, key in UNINDEXED_KEYS:
        cols = ", ".join(key)
        for row in con.execute(f"SELECT {cols}, count(*) AS n FROM {table} GROUP BY ALL HAVING n > 1 "
                               f"ORDER BY ALL LIMIT {int(limit)}").fetchall():
            problems.append(f"{table}: ({', '.join(map(str, row[:-1]))}) appears {row[-1]} times "
                            f"(one row per {cols})")
    for table, column in UNINDEXED_REFERENCES:
        for (value,) in con.execute(f"SELECT DISTINCT t.{column} FROM {table} t ANTI JOIN schools s "
                                    f"ON s.school_id = t.{column} ORDER BY 1 LIMIT {int(limit)}").fetchall():
            problems.append(f"{table}: school {value} is not in schools")
    return problems


def school_locations(con: duckdb.DuckDBPyConnection, adcode: str) -> pd.DataFrame:
    """Where a county's schools are: school_id, longitude, latitude (for the map's points)."""
    return con.execute("SELECT school_id, longitude, latitude FROM schools WHERE adcode = ?", [adcode]).df()


@dataclass(frozen=True)
class Summary:
    """What a database holds, for the home page and the CLI."""

    provinces: int
    counties: int
    schools: int
    teachers_latest: int | None
    students_latest: int | None
    years: tuple[int, ...]
    synthetic: bool
    meta: dict[str, str]

    def line(self) -> str:
        """One line for the CLI: what the database holds."""
        latest = self.years[-1] if self.years else "-"
        def n(v: int | None) -> str:
            return "unknown" if v is None else f"{v}"
        return (f"{self.provinces} provinces, {self.counties} counties, {self.schools} schools, "
                f"{n(self.teachers_latest)} teachers and {n(self.students_latest)} pupils in {latest}; "
                f"years {', '.join(map(str, self.years)) or 'none'}")


def years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """School years any yearly table holds, ascending: a year with facilities or teachers but no
    pupils yet is still a year of the data (its verdicts unknown, never missing from the pickers)."""
    union = "\nUNION ".join(f"SELECT DISTINCT year FROM {t}" for t in YEARLY)
    return [int(r[0]) for r in con.execute(f"SELECT year FROM ({union}) ORDER BY 1").fetchall()]


def summary(con: duckdb.DuckDBPyConnection) -> Summary:
    """Counts of what is loaded: counties with schools, schools, latest-year teachers and pupils
    (None when that year has no teacher or pupil rows: unknown, not zero)."""
    years_ = tuple(years(con))
    latest = years_[-1] if years_ else None
    row = con.execute(
        """
        WITH active AS (SELECT adcode FROM schools UNION SELECT adcode FROM county_year)
        SELECT
            (SELECT count(DISTINCT r.province_adcode) FROM regions r JOIN active USING (adcode)),
            (SELECT count(*) FROM active),
            (SELECT count(*) FROM schools),
            (SELECT nullif(count(*), 0) FROM teachers WHERE year = $latest),
            (SELECT sum(students) FROM school_stage_year WHERE year = $latest)
        """,
        {"latest": latest},
    ).fetchone()
    return Summary(
        provinces=int(row[0]),
        counties=int(row[1]),
        schools=int(row[2]),
        teachers_latest=None if row[3] is None else int(row[3]),
        students_latest=None if row[4] is None else int(row[4]),
        years=years_,
        synthetic=is_synthetic(con),
        meta=metadata(con),
    )
