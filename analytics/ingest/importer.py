"""Importing real statistics: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX files with Chinese
or English headers, checked against the data dictionary and the cross-table rules, then written
to a NEW database file that replaces the old one atomically (the old one kept as a backup).

Any problem in any file means nothing changes. The running app only ever reads the database
file; an import never writes it in place (DuckDB allows one writer per file), so the app and an
import can run at the same time: the app sees the new version on its next run.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from analytics.assess import balance
from analytics.atlas import geo
from analytics.core import processes
from analytics.core.errors import JunhengError
from analytics.core.i18n import Text
from analytics.ingest import consistency, reading
from analytics.ingest.consistency import check, combine
from analytics.ingest.reading import PROBLEM_COLUMNS, read
from analytics.store import db, dictionary


class ImportFailed(JunhengError):
    """The files have problems: nothing was changed. `problems` lists every one found."""

    def __init__(self, problems: pd.DataFrame, total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(f"{self.total} problem(s) found; nothing was imported")


@dataclass
class Result:
    path: Path
    changed: bool
    rows: dict[str, int]
    years: list[int]
    counties: int
    backup: Path | None
    message: str
    replaced: dict[str, list[int]] = field(default_factory=dict)  # table → the years its files held


# --------------------------------------------------------------------------------------------
# Writing a new database file and swapping it in


class ImportBusy(ImportFailed):
    """Another import holds the database's lock (it says which process, since when)."""


@contextmanager
def _lock(path: Path):
    """The database's write lock (db.locked), its busy message as an import problem."""
    try:
        with db.locked(path):
            yield
    except db.DatabaseBusy as busy:
        raise ImportBusy(_one_problem(Text("imp_busy", {"holder": busy.holder, "wait": busy.wait}),
                                      value=busy.holder)) from None


def _regions_rows(adcodes: set[str]) -> pd.DataFrame:
    """Region rows (names, city, province, kind) for counties, from the committed boundaries."""
    layer = geo.load_layer("counties")
    rows = layer[layer["adcode"].isin(adcodes)]
    return pd.DataFrame({"adcode": rows["adcode"], "county_name": rows["name"], "city_adcode": rows["city_adcode"],
                         "city_name": rows["city_name"], "province_adcode": rows["province_adcode"],
                         "province_name": rows["province_name"],
                         "county_kind": [geo.county_kind(n) for n in rows["name"]]})


def _last_import(con: duckdb.DuckDBPyConnection) -> dict | None:
    row = con.execute("SELECT value FROM metadata WHERE key = 'import_log'").fetchone()
    log = json.loads(row[0]) if row else []
    return log[-1] if log else None


def import_files(db_path: str | Path, files: list[tuple[str, bytes]], mode: str = "replace", new: bool = False,
                 source: str | None = None) -> Result:
    """Check every file, then write a new database with their rows and swap it in.

    mode 'replace': the rows of each year in the files replace that year's rows of the counties
    the files cover; 'append': refuse years the database already has for those counties.
    new: start from an empty database instead of the current one (required over demo data).
    Raises ImportFailed with every problem found; the database is then untouched.
    """
    if mode not in ("replace", "append"):
        raise ValueError("mode must be 'replace' or 'append'")
    # a symlinked database: import into the file it points to (backups and the swap happen there)
    path = Path(db_path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock(path):  # before reading: two imports of large files cost their memory in turn
        sources, problems = [], []
        for name, data in files:
            src, found = read(name, data)
            sources.append(src)
            problems += found
        batch = combine(sources)
        base = None if new or not path.exists() else db.connect(path)
        try:
            if base is not None and db.is_synthetic(base):
                raise ImportFailed(_one_problem(Text("imp_demo_database")))
            problems += check(batch, base)   # every problem of every file at once
            if problems:
                total = sum(p.get("_more", 1) for p in problems)  # a summary row stands for its count
                raise ImportFailed(pd.DataFrame(problems, columns=PROBLEM_COLUMNS), total)
            hashes = sorted(s.sha256 for s in sources)
            last = _last_import(base) if base is not None else None
            if last and sorted(f["sha256"] for f in last["files"]) == hashes and last["mode"] == mode:
                return Result(path=path, changed=False, rows={}, years=[], counties=0, backup=None,
                              message="these files were the last import: nothing changed")
            from_current = base is not None
            if base is not None:
                base.close()
                base = None
            try:
                with db.building(path, lock=False, backup=True) as build:
                    rows, replaced, counties = _write(build.tmp, Job(path, batch, sources, mode, source, from_current))
            except duckdb.Error as exc:
                raise ImportFailed(_one_problem(Text("imp_refused", {"error": exc}))) from None
        finally:
            if base is not None:
                base.close()
    years = sorted(set().union(*replaced.values())) if replaced else []
    per_table = "; ".join(f"{t} {', '.join(map(str, ys))}" for t, ys in replaced.items()) or "-"
    return Result(path=path, changed=True, rows=rows, years=years, counties=counties, backup=build.backup,
                  message=f"imported {sum(rows.values()):,} rows for {counties} counties; years by table: {per_table}",
                  replaced=replaced)


# The current file, attached to the new one: DuckDB names a file's own database after the file,
# so a plain alias such as "old" collides when the database file is called old.duckdb.
PREVIOUS = "junheng_previous_version"

# Rows of an old table in the (year, county) pairs that table's files cover; `keep` = "NOT"
# gives the rest. A school's rows belong to the county the school is in now (after corrections).
_COVERED_ROWS = """
SELECT o.* FROM {previous}.{table} o
WHERE {keep} EXISTS (
    SELECT 1 FROM covered c
    WHERE c.tbl = '{table}' AND c.year = o.year AND c.adcode = {county}
)"""


def _covered_rows(table: str, keep: str) -> str:
    county = "o.adcode" if table == "county_year" else \
        "(SELECT s.adcode FROM schools s WHERE s.school_id = o.school_id)"
    return _COVERED_ROWS.format(table=table, keep=keep, county=county, previous=PREVIOUS)


@dataclass
class Job:
    """One import as it is written: the database it replaces, the files' rows by table, the files
    themselves, the mode, a source line, and whether the current rows are carried over."""

    path: Path
    batch: dict[str, pd.DataFrame]
    sources: list[reading.Source]
    mode: str
    source: str | None
    from_current: bool


def _write(tmp: Path, job: Job) -> tuple[dict[str, int], dict[str, list[int]], int]:
    """Build the new database in tmp: the current one's rows (unless new), then the batch.
    Returns the rows written per table, the years each table replaced, the counties covered."""
    con = db.open_duckdb(tmp)
    try:
        db.create_schema(con)
        tables = dictionary.load()
        rows = _write_regions_and_schools(con, job, tables)
        covered = consistency.coverage(job.batch, con)
        con.register("covered", pd.DataFrame([(t, y, c) for t, years in covered.items() for y, cs in years.items()
                                              for c in sorted(cs)],
                                             columns=["tbl", "year", "adcode"]).astype({"year": "int64"}))
        if job.from_current:
            _keep_current_rows(con, job)
        con.execute("BEGIN TRANSACTION")
        rows |= _write_yearly_rows(con, job, tables)
        _write_log(con, job, rows)
        broken = db.key_problems(con)
        if broken:  # the checks above should have caught these: never write such a version
            raise ImportFailed(pd.DataFrame([reading.problem("", "", "", "", "", Text("imp_refused", {"error": b}))
                                             for b in broken], columns=PROBLEM_COLUMNS))
        con.execute("COMMIT")
        balance.store(con)  # the assessment, computed once here and read by every page
        con.execute("CHECKPOINT")
        counties = len(set().union(*(cs for years in covered.values() for cs in years.values()),
                                   set(job.batch["schools"]["adcode"]) if "schools" in job.batch else set()))
        return rows, {t: sorted(years) for t, years in covered.items()}, counties
    finally:
        con.close()


def _write_regions_and_schools(con: duckdb.DuckDBPyConnection, job: Job, tables: dict) -> dict[str, int]:
    """Regions first (the current ones, then any county the files name), then schools with the
    files' rows taking the place of the current ones — a correction (name, kind, locale,
    county…) is written before the yearly tables that reference the school, so their records
    follow it (DuckDB cannot update a row that foreign keys reference)."""
    batch, rows = job.batch, {}
    if job.from_current:
        con.execute(f"ATTACH ? AS {PREVIOUS} (READ_ONLY)", [str(job.path)])
        con.execute(f"INSERT INTO regions SELECT * FROM {PREVIOUS}.regions")
    adcodes = set()
    for name in ("schools", "county_year"):
        if name in batch:
            adcodes |= set(batch[name]["adcode"].dropna())
    have = {r[0] for r in con.execute("SELECT adcode FROM regions").fetchall()}
    regions = _regions_rows(adcodes - have)
    if len(regions):
        con.register("new_regions", regions)
        con.execute("INSERT INTO regions SELECT * FROM new_regions")
    if "schools" in batch:
        cols = ", ".join(c.name for c in tables["schools"].columns)
        con.register("incoming", batch["schools"][[c.name for c in tables["schools"].columns]])
        con.execute(f"INSERT INTO schools ({cols}) SELECT {cols} FROM incoming")
        rows["schools"] = len(batch["schools"])
        con.unregister("incoming")
    if job.from_current:
        con.execute(f"INSERT INTO schools SELECT * FROM {PREVIOUS}.schools "
                    "WHERE school_id NOT IN (SELECT school_id FROM schools)")
    return rows


REPLACEABLE = ("teachers", "funding", "school_stage_year", "school_year", "county_year")


def _keep_current_rows(con: duckdb.DuckDBPyConnection, job: Job) -> None:
    """Copy the current rows that stay — every yearly table's rows outside the years and counties
    its files cover — not everything then delete (that left the file twice its size). In append
    mode, rows the files would replace refuse the import."""
    replaced = [t for t in REPLACEABLE if t in job.batch]
    for t in replaced:
        if job.mode == "append":
            clash = con.execute(f"SELECT year FROM ({_covered_rows(t, '')}) LIMIT 1").fetchall()
            if clash:
                year = clash[0][0]
                named = "、".join(s.name for s in job.sources if any(p.table == t for p in s.parts))
                raise ImportFailed(_one_problem(Text("imp_year_exists", {"year": year}), named, "学年", year))
    for t in db.TABLES:
        if t in ("regions", "schools"):
            continue
        if t in replaced:
            con.execute(f"INSERT INTO {t} " + _covered_rows(t, "NOT"))
        else:
            con.execute(f"INSERT INTO {t} SELECT * FROM {PREVIOUS}.{t}")
    con.execute(f"DETACH {PREVIOUS}")


def _write_yearly_rows(con: duckdb.DuckDBPyConnection, job: Job, tables: dict) -> dict[str, int]:
    """The files' yearly rows (a county's vetoes left blank are none)."""
    rows = {}
    for name, table in tables.items():
        if name not in job.batch or name == "schools":
            continue
        f = job.batch[name][[c.name for c in table.columns]]
        con.register("incoming", f)
        cols = ", ".join(c.name for c in table.columns)
        if name == "county_year":
            vetoes = [c.name for c in table.columns if c.name.startswith("veto_")]
            select = ", ".join(f"coalesce({c}, FALSE)" if c in vetoes else c for c in (c.name for c in table.columns))
            con.execute(f"INSERT INTO county_year ({cols}) SELECT {select} FROM incoming")
        else:
            con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM incoming")
        rows[name] = len(f)
        con.unregister("incoming")
    return rows


def _write_log(con: duckdb.DuckDBPyConnection, job: Job, rows: dict[str, int]) -> None:
    """The import log (time, mode, rows, files with their hashes) and the database's metadata."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    log = json.loads((con.execute("SELECT value FROM metadata WHERE key = 'import_log'").fetchone() or ["[]"])[0])
    log.append({"time": now, "mode": job.mode, "rows": rows,
                "files": [{"name": s.name, "size": s.size, "sha256": s.sha256,
                           "tables": sorted({p.table for p in s.parts})} for s in job.sources]})
    meta = {"data_kind": "imported", "import_log": json.dumps(log, ensure_ascii=False), "imported_at": now}
    if job.source:
        meta["source"] = job.source
    elif not job.from_current:
        meta["source"] = "导入数据：" + "、".join(s.name for s in job.sources)
    for k, v in meta.items():
        con.execute("INSERT OR REPLACE INTO metadata VALUES (?, ?)", [k, v])


# --------------------------------------------------------------------------------------------
# Running an import in a child process with a memory limit

LOG = logging.getLogger("junheng.import")
IMPORT_MEMORY_GB = 8.0  # address space of the import process; JUNHENG_IMPORT_MEMORY_GB overrides


def _import_child(conn, db_path: str, files, mode: str, new: bool, source: str | None, limit: int,
                  owner: int) -> None:
    """The child's side: cap the address space, import, send back the result or the problems."""
    import resource

    db.follow_owner(owner)  # a server killed outright takes its import with it: no swap behind it
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(("ok", import_files(db_path, files, mode=mode, new=new, source=source)))
    except ImportFailed as exc:
        conn.send(("failed", exc.problems, exc.total))
    except MemoryError:
        conn.send(("memory",))
    except Exception as exc:  # noqa: BLE001 - reported to the user as the import's failure
        conn.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        conn.close()


def import_isolated(db_path: str | Path, files: list[tuple[str, bytes]], mode: str = "replace", new: bool = False,
                    source: str | None = None, memory_gb: float | None = None) -> Result:
    """import_files in a separate process whose memory is capped, so that no file — however
    large or crafted — can take the calling process (the app's server) down with it. Raises
    ImportFailed as import_files does, and also when the child runs out of memory or dies."""
    import multiprocessing

    gb = memory_gb or float(os.environ.get("JUNHENG_IMPORT_MEMORY_GB", IMPORT_MEMORY_GB))
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_import_child, daemon=True,
                        args=(send, str(db_path), files, mode, new, source, int(gb * 1024 ** 3), os.getpid()))
    with processes.bare_main():
        child.start()
    send.close()
    try:
        message = receive.recv()
    except EOFError:
        message = ("died",)
    finally:
        receive.close()
        child.join()
    if message[0] == "ok":
        return message[1]
    if message[0] == "failed":
        raise ImportFailed(message[1], message[2])
    raise _child_failure(message, "、".join(n for n, _ in files), gb, child.exitcode)


def _child_failure(message: tuple, names: str, gb: float, exitcode: int | None) -> ImportFailed:
    """The one-line problem for an import child that did not finish: a fault of the program is
    called that (and logged in full for the maintainer), never blamed on the files' size."""
    if message[0] == "error":  # a fault of this program, not of the files: say so, log it in full
        LOG.error("import of %s failed inside the program:\n%s", names, message[2])
        return ImportFailed(_one_problem(Text("imp_internal_error", {"error": message[1]}), names))
    return ImportFailed(_one_problem(Text("imp_child_died", {"gb": gb, "exitcode": exitcode}), names))


def _one_problem(text: Text, file: str = "", column: str = "", value: object = "") -> pd.DataFrame:
    """An import refused for one reason that is not a file's row."""
    return pd.DataFrame([reading.problem(file, "", "", column, value, text)], columns=PROBLEM_COLUMNS)


# --------------------------------------------------------------------------------------------
# Bringing a database written by an earlier version up to the current data model

RENAMED = {("county_year", "veto_major_incident"): "veto_safety_fee"}  # the old V4 named safety and fees


def migrate(db_path: str | Path) -> str:
    """Write the database again in the current data model (schema.sql) and swap it in, the old
    file kept as <db>.bak1. Columns that are new get what 'not reported' means for them: NULL,
    or FALSE for a veto (a veto column left blank means it did not happen). Returns a summary,
    naming what now has to be reported (senior-high pupils of 完全中学 / 十二年一贯制)."""
    path = Path(db_path).resolve()
    with _lock(path), db.building(path, lock=False, backup=True) as build:
        old = db.connect(path, check_version=False)
        have = {t: {r[0] for r in old.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database()",
            [t]).fetchall()} for t in db.TABLES}
        old.close()
        con = db.open_duckdb(build.tmp)
        try:
            db.create_schema(con)
            con.execute(f"ATTACH ? AS {PREVIOUS} (READ_ONLY)", [str(path)])
            added = []
            model = db.schema_columns()
            for table in db.TABLES:  # referenced tables first
                columns, select = model[table], []
                for c in columns:
                    if c in have[table]:
                        select.append(c)
                    elif (table, c) in RENAMED and RENAMED[(table, c)] in have[table]:
                        select.append(f"{RENAMED[(table, c)]} AS {c}")
                    else:
                        select.append(f"{'FALSE' if c.startswith('veto_') else 'NULL'} AS {c}")
                        added.append(f"{table}.{c}")
                con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(select)} FROM {PREVIOUS}.{table}")
            unsplit = con.execute("""SELECT count(DISTINCT school_id) FROM school_year JOIN schools USING (school_id)
                                     WHERE kind IN ('完全中学', '十二年一贯制') AND senior_students IS NULL""").fetchall()[0][0]
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            con.execute("INSERT OR REPLACE INTO metadata VALUES ('migrated_at', ?)", [now])
            con.execute(f"DETACH {PREVIOUS}")
            balance.store(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    backup = build.backup
    note = (f"; {unsplit} 完全中学/十二年一贯制 school(s) now need their senior-high pupils reported "
            "(school_year.senior_students) before their facilities can be split" if unsplit else "")
    return (f"{path} migrated to the current data model (new columns: {', '.join(added) or 'none'}); "
            f"previous file kept as {backup}{note}")
