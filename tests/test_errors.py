"""Every error a user can act on shares one base: the CLI prints it in one line, pages show it."""

from __future__ import annotations

import pytest

from analytics import cli
from analytics.assess import criteria, gap, targets
from analytics.core.errors import JunhengError
from analytics.ingest import boundaries, importer
from analytics.present import fonts
from analytics.store import db


@pytest.mark.parametrize("error", [cli.CliError, criteria.CriteriaError, targets.PlanError, gap.CostsError,
                                   db.DatabaseError, db.OutdatedDatabase, fonts.FontError, importer.ImportFailed,
                                   importer.ImportBusy, boundaries.BoundaryError])
def test_every_user_error_is_a_junheng_error(error):
    assert issubclass(error, JunhengError)


def test_the_cli_reports_a_bad_plan_in_one_line_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("not toml [", encoding="utf-8")
    assert cli.main(["progress", "--plan", str(bad), "--db", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "bad.toml" in err
