"""Figures rendered in a helper process: the same files as here, and never worse off without it."""

from __future__ import annotations

import multiprocessing

import pytest

from analytics import rendering

SPEC = {"data": {"values": [{"k": "达标", "n": 3}, {"k": "差1–2项", "n": 5}]}, "mark": "bar",
        "encoding": {"x": {"field": "k", "type": "nominal"}, "y": {"field": "n", "type": "quantitative"}},
        "title": "四川省"}
FORMATS = ("png2", "svg", "pdf")


def _helpers() -> list:
    return [p for p in multiprocessing.active_children() if p.is_alive()]


def test_the_helper_process_renders_the_same_files_as_this_process():
    job = rendering.submit(SPEC, FORMATS)
    job.result(timeout=300)  # done by the helper, not taken back
    assert _helpers()
    here = rendering.files(SPEC, FORMATS)
    there = rendering.result(job, SPEC, FORMATS)
    assert there["png2"] == here["png2"] and there["svg"] == here["svg"]
    assert there["pdf"][:5] == b"%PDF-"


def test_a_dead_helper_costs_nothing_but_time():
    """If the helper dies (killed, out of memory), its figures are rendered here and the next
    figure starts a new helper."""
    rendering.submit(SPEC, ("png2",)).result(timeout=300)
    for process in _helpers():
        process.kill()
        process.join(timeout=30)
    job = rendering.submit(SPEC, ("png2",))
    assert rendering.result(job, SPEC, ("png2",))["png2"] == rendering.files(SPEC, ("png2",))["png2"]
    job = rendering.submit(SPEC, ("png2",))
    job.result(timeout=300)
    assert _helpers()


def test_a_figures_own_error_is_raised_wherever_it_is_rendered():
    job = rendering.submit(SPEC, ("gif",))
    with pytest.raises(ValueError, match="unknown format"):
        rendering.result(job, SPEC, ("gif",))
