"""Figures (and other files) made in a helper process: the same as here, and never worse off without it."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from analytics.export import rendering

pytestmark = pytest.mark.slow  # starts the pack's helper process

SPEC = {"data": {"values": [{"k": "达标", "n": 3}, {"k": "差1–2项", "n": 5}]}, "mark": "bar",
        "encoding": {"x": {"field": "k", "type": "nominal"}, "y": {"field": "n", "type": "quantitative"}},
        "title": "四川省"}
FORMATS = ("png2", "svg", "pdf")


def _helpers() -> list:
    return [p for p in multiprocessing.active_children() if p.is_alive()]


def test_the_helper_process_renders_the_same_files_as_this_process():
    job = rendering.submit(rendering.files, SPEC, FORMATS)
    job.future.result(timeout=300)  # done by the helper, not taken back
    assert _helpers()
    here = rendering.files(SPEC, FORMATS)
    there = rendering.result(job)
    assert there["png2"] == here["png2"] and there["svg"] == here["svg"]
    assert there["pdf"][:5] == b"%PDF-"


def test_a_dead_helper_costs_nothing_but_time():
    """If the helper dies (killed, out of memory), its figures are rendered here and the next
    figure starts a new helper."""
    first = rendering.submit(rendering.files, SPEC, ("png2",))
    first.future.result(timeout=300)
    rendering.result(first)
    for process in _helpers():
        process.kill()
        process.join(timeout=30)
    job = rendering.submit(rendering.files, SPEC, ("png2",))
    assert rendering.result(job)["png2"] == rendering.files(SPEC, ("png2",))["png2"]
    job = rendering.submit(rendering.files, SPEC, ("png2",))
    job.future.result(timeout=300)
    assert _helpers()
    rendering.result(job)


def test_a_figures_own_error_is_raised_wherever_it_is_rendered():
    job = rendering.submit(rendering.files, SPEC, ("gif",))
    with pytest.raises(ValueError, match="unknown format"):
        rendering.result(job)


def _specs(n: int) -> list[tuple]:
    return [({**SPEC, "title": f"四川省 {i}"}, ("png2", "svg"), None) for i in range(n)]


def _helper_takes_one(batch: rendering.Batch) -> None:
    """Wait until the helper has taken the first job of a batch (so the test knows both share it)."""
    deadline = time.monotonic() + 300
    while batch.claims.front.value == 0:
        assert time.monotonic() < deadline, "the helper never took a job"
        time.sleep(0.01)


def test_a_batch_is_shared_with_the_helper_and_gives_every_file_in_order():
    jobs = _specs(6)
    rendering.start_helper().result(timeout=300)
    batch = rendering.Batch(jobs)
    _helper_takes_one(batch)
    out = batch.results()
    assert batch.claims.front.value >= 1  # the helper took jobs from the front, this process from the back
    assert [o["png2"] for o in out] == [rendering.files(*job)["png2"] for job in jobs]


def test_a_batch_whose_helper_dies_is_finished_here():
    jobs = _specs(4)
    rendering.start_helper().result(timeout=300)
    batch = rendering.Batch(jobs)
    _helper_takes_one(batch)
    for process in _helpers():
        process.kill()
        process.join(timeout=30)
    out = batch.results()
    assert [o["svg"] for o in out] == [rendering.files(*job)["svg"] for job in jobs]


def test_a_figures_own_error_in_a_batch_is_raised_here_wherever_it_was_rendered():
    rendering.start_helper().result(timeout=300)
    batch = rendering.Batch([(SPEC, ("gif",), None), *_specs(2)])  # the helper takes the bad one
    _helper_takes_one(batch)
    with pytest.raises(ValueError, match="unknown format"):
        batch.results()
    with pytest.raises(ValueError, match="unknown format"):
        rendering.Batch([*_specs(1), (SPEC, ("gif",), None)]).results()  # this process takes it


def test_nothing_is_left_in_the_parcel_folder():
    """Whatever went to the helper and back went through files that are removed once read."""
    rendering.result(rendering.submit(rendering.files, SPEC, ("svg",)))
    rendering.Batch(_specs(3)).results()
    assert not list(Path(rendering._parcels[0]).iterdir())


def test_a_forgotten_job_leaves_nothing_behind():
    """A pack that fails after handing the helper its workbook gives the job up: whether it had
    started or not, nothing stays in the parcel folder."""
    rendering.start_helper().result(timeout=300)
    jobs = [rendering.submit(rendering.files, SPEC, ("png2",)) for _ in range(3)]  # the last ones wait
    for job in jobs:
        rendering.forget(job)
    for job in jobs:
        if not job.future.cancelled():
            job.future.result(timeout=300)
    deadline = time.monotonic() + 30
    while list(Path(rendering._parcels[0]).iterdir()):
        assert time.monotonic() < deadline, list(Path(rendering._parcels[0]).iterdir())
        time.sleep(0.05)

def test_the_helper_does_not_run_the_callers_main_script(tmp_path, monkeypatch):
    """Streamlit puts the page it runs in sys.modules['__main__']: a spawned helper would run that
    page again at its start (and a script of one's own would run twice)."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    rendering.stop_helper(wait=True)
    monkeypatch.setitem(sys.modules, "__main__", page)
    assert rendering.result(rendering.submit(rendering.files, SPEC, ("svg",)))["svg"].startswith(b"<svg")
    assert _helpers() and not marker.exists()
    assert sys.modules["__main__"] is page


def test_a_helper_leaves_when_its_server_is_killed(tmp_path):
    """A server killed outright (SIGKILL, out of memory) must leave neither its helper running
    nor its parcels' folder behind."""
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "server.py"
    script.write_text("import time\nfrom analytics.export import rendering\nrendering.start_helper().result()\n"
                      "import multiprocessing\nprint(multiprocessing.active_children()[0].pid, flush=True)\n"
                      "print(rendering._parcels[0], flush=True)\ntime.sleep(600)\n", encoding="utf-8")
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(rendering.__file__).parents[1])
    helper = int(server.stdout.readline())
    parcels = Path(server.stdout.readline().strip())
    assert parcels.is_dir()
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{helper}").exists() and b"zombie" not in _state(helper):
        assert time.monotonic() < deadline, "the helper outlived its server"
        time.sleep(0.2)
    assert not parcels.exists()  # the folder the killed server could not remove


def _state(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/status").read_bytes().lower()
    except OSError:
        return b"zombie"


def test_an_abandoned_batch_leaves_nothing_behind():
    """A pack whose slides fail gives up its batch: the helper stops and its figures are dropped."""
    rendering.start_helper().result(timeout=300)
    batch = rendering.Batch(_specs(4))
    _helper_takes_one(batch)
    future = batch.future
    batch.abandon()
    future.result(timeout=300)
    deadline = time.monotonic() + 30
    while list(Path(rendering._parcels[0]).iterdir()):
        assert time.monotonic() < deadline, list(Path(rendering._parcels[0]).iterdir())
        time.sleep(0.05)
    assert rendering.Batch(_specs(1)).results()[0]["svg"].startswith(b"<svg")  # the next batch is shared again
