"""Database swaps under live readers: an import replacing the file while other threads query it
never closes a connection under them (it used to: 'Connection already closed')."""

from __future__ import annotations

import os
import threading
import time

from analytics import balance, db
from tests.factory import School, build


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
