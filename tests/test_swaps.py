"""Database swaps under live readers: an import replacing the file while other threads query it
never closes a connection under them (it used to: 'Connection already closed')."""

from __future__ import annotations

import os
import threading
import time

import pytest

from analytics.assess import balance
from analytics.store import db
from tests.factory import School, build

pytestmark = pytest.mark.slow  # swaps database versions under running readers and processes


def test_readers_of_an_old_version_keep_working_through_swaps(tmp_path):
    path = tmp_path / "live.duckdb"
    build(path, [School("a", {"primary": 200}), School("b", {"primary": 300})])
    errors: list[BaseException] = []
    stop = threading.Event()
    first = os.stat(path).st_mtime

    def read_forever(version: float) -> None:
        while not stop.is_set():
            try:
                balance.assess(db.reader(path, version), 2024)
            except BaseException as exc:  # noqa: BLE001 - the test reports any failure
                errors.append(exc)
                return

    threads = [threading.Thread(target=read_forever, args=(first,)) for _ in range(3)]
    for th in threads:
        th.start()
    versions = [first]
    for n in range(4):  # four swaps while the readers run, each read by a new "session"
        time.sleep(0.3)
        tmp = tmp_path / f"next{n}.duckdb"
        build(tmp, [School("a", {"primary": 200}), School("b", {"primary": 300}), School(f"n{n}", {"primary": 100})])
        os.replace(tmp, path)
        os.utime(path, (time.time() + n + 1, time.time() + n + 1))
        versions.append(os.stat(path).st_mtime)
        schools = db.reader(path, versions[-1]).execute("SELECT count(*) FROM schools").fetchall()[0][0]
        assert schools == 3
    time.sleep(0.3)
    stop.set()
    for th in threads:
        th.join()
    assert not errors, errors[:1]


def test_a_new_version_is_read_from_the_new_file(tmp_path):
    path = tmp_path / "v.duckdb"
    build(path, [School("a", {"primary": 200})])
    v1 = os.stat(path).st_mtime
    assert db.reader(path, v1).execute("SELECT count(*) FROM schools").fetchall()[0][0] == 1
    tmp = tmp_path / "w.duckdb"
    build(tmp, [School("a", {"primary": 200}), School("b", {"primary": 200})])
    os.replace(tmp, path)
    os.utime(path, (v1 + 10, v1 + 10))
    assert db.reader(path, v1 + 10).execute("SELECT count(*) FROM schools").fetchall()[0][0] == 2
    assert db.reader(path, v1).execute("SELECT count(*) FROM schools").fetchall()[0][0] == 1  # still open


# --------------------------------------------------------------------------------------------
# db.building: the one way a new version of a database file is written


def _schools(path) -> int:
    with db.connect(path) as con:
        return con.execute("SELECT count(*) FROM schools").fetchall()[0][0]


def test_a_build_replaces_the_file_in_one_rename_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "d.duckdb"
    build(path, [School("a", {"primary": 200})])
    with db.building(path, backup=True) as b:
        assert b.tmp.parent == tmp_path and b.tmp != path
        build(b.tmp, [School("a", {"primary": 200}), School("b", {"primary": 100})])
    assert _schools(path) == 2 and _schools(b.backup) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb", "d.duckdb.bak1", "d.duckdb.lock"]


def test_a_failed_build_leaves_the_file_untouched_and_no_temporary_file(tmp_path):
    import pytest

    path = tmp_path / "d.duckdb"
    build(path, [School("a", {"primary": 200})])
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="half way"):
        with db.building(path) as b:
            build(b.tmp, [School("x", {"primary": 1})])
            raise RuntimeError("half way")
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".d.duckdb.*"))


def test_two_sessions_of_one_process_building_the_same_file_take_turns_in_files_of_their_own(tmp_path):
    """Streamlit runs every session in one process: two first visitors must not share a
    temporary file (it used to be named by the process id only) nor write at the same time."""
    path = tmp_path / "first.duckdb"
    spans, temps, errors = [], [], []

    def visitor(n: int) -> None:
        try:
            with db.building(path) as b:
                start = time.monotonic()
                temps.append(b.tmp)
                build(b.tmp, [School(f"s{i}", {"primary": 100}) for i in range(n + 1)])
                time.sleep(0.3)
                spans.append((start, time.monotonic()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors[:1]
    assert len(set(temps)) == 2
    (a0, a1), (b0, b1) = sorted(spans)
    assert a1 <= b0  # one after the other
    assert _schools(path) in (1, 2) and not list(tmp_path.glob(".first.duckdb.*"))


def test_the_first_start_demo_build_is_skipped_when_another_session_built_it_meanwhile(tmp_path):
    from analytics.synthetic import demo

    path = tmp_path / "junheng.duckdb"
    build(path, [School("a", {"primary": 200})])
    before = path.stat().st_mtime_ns
    summary = demo.build_demo(path, if_missing=True)
    assert path.stat().st_mtime_ns == before and summary.schools == 1


def test_a_sql_literal_keeps_a_quote_inside(tmp_path):
    import duckdb

    quoted = db.literal("it's")
    assert duckdb.connect().execute(f"SELECT {quoted}").fetchall()[0][0] == "it's"


def test_a_writer_whose_owner_is_gone_swaps_nothing_in(tmp_path, monkeypatch):
    """An import child whose server died between its check and the swap: the swap is refused."""
    import pytest

    path = tmp_path / "d.duckdb"
    build(path, [School("a", {"primary": 200})])
    before = path.read_bytes()
    monkeypatch.setattr(db, "_owner", [-1])  # a parent pid that is not this process's parent
    with pytest.raises(db.WriterAbandoned):
        with db.building(path) as b:
            build(b.tmp, [School("x", {"primary": 1})])
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".d.duckdb.*"))


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def _open_files(pid: int) -> set:
    from pathlib import Path

    try:
        return {Path(os.readlink(f)) for f in Path(f"/proc/{pid}/fd").iterdir()}
    except OSError:
        return set()


def _running(pid: int) -> bool:
    try:
        return "zombie" not in open(f"/proc/{pid}/status").read().lower()
    except OSError:
        return False


def test_an_import_dies_with_the_server_that_started_it(tmp_path):
    """kill -9 of the server while its import child waits for the lock: the child (and so the
    resource tracker) goes at once, and the database is never swapped behind the dead server."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from analytics.ingest import importer

    corpus = Path(__file__).parent / "corpus"
    path = tmp_path / "real.duckdb"
    importer.import_files(path, [(n, (corpus / n).read_bytes()) for n in ("good_schools.csv", "good_stages_gbk.csv")],
                          new=True)
    before = path.read_bytes()
    script = tmp_path / "server.py"
    script.write_text(
        "import sys\nfrom pathlib import Path\nfrom analytics.ingest import importer\n"
        f"data = Path({str(corpus / 'good_facilities_bom.csv')!r}).read_bytes()\n"
        f"importer.import_isolated({str(path)!r}, [('facilities.csv', data)])\n", encoding="utf-8")
    with db.locked(path):  # the import child waits for this lock: it has not taken it yet
        server = subprocess.Popen([sys.executable, str(script)], cwd=Path(db.__file__).parents[1],
                                  env={**os.environ, "JUNHENG_LOCK_WAIT": "600"})
        lock_file = path.with_name(path.name + ".lock")
        deadline = time.monotonic() + 60
        while not (kids := [k for k in _children(server.pid) if lock_file in _open_files(k)]):
            assert time.monotonic() < deadline, "the import child never reached the lock"
            time.sleep(0.1)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        deadline = time.monotonic() + 20
        while any(_running(k) for k in kids):
            assert time.monotonic() < deadline, "the import child outlived its server"
            time.sleep(0.1)
        assert lock_file.exists()
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".real.duckdb.*"))
