"""Shared fixtures: one Sichuan demo database per test session."""

from __future__ import annotations

import pytest

from analytics.synthetic import demo


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The default Sichuan demo (183 counties, 2023–2026), built once for the whole run."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.build_demo(path)
    return path
