"""An official's first imports: any subset of the template files that makes sense on its own
imports into a new or existing database, and every page then shows what it can (数据不足 where
data is missing), never an error. A file that cannot stand alone is refused in one line naming
the file it needs; a fault of the program is called that, never blamed on the files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.assess import balance
from analytics.cli import main
from analytics.ingest import importer, templates
from analytics.store import db

pytestmark = pytest.mark.slow  # imports into new databases and opens every page

CORPUS = Path(__file__).parent / "corpus"
APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ("pages/home.py", "pages/map.py", "pages/county.py", "pages/progress.py", "pages/gap.py",
         "pages/briefing.py", "pages/data.py")

# sensible subsets of the corpus (锦江区 510104, 2024, 3 schools): each stands on its own
SUBSETS = {
    "school list": ["good_schools.csv"],
    "schools and facilities": ["good_schools.csv", "good_facilities_bom.csv"],
    "schools and stages": ["good_schools.csv", "good_stages_gbk.csv"],
    "schools and teachers": ["good_schools.csv", "good_teachers_two_headers.xlsx"],
    "schools and county figures": ["good_schools.csv", "good_county.csv"],
    "county figures alone": ["good_county.csv"],
}

# 青羊区 (510105): a second county's school list and its pupils, as an official would fill them in
OTHER_SCHOOLS = ("学校标识码,学校名称,县级行政区划代码,办学类型,城乡分类,是否公办,经度,纬度\n"
                 "Q001,青羊实验小学,510105,小学,城区,是,104.05,30.67\n")
OTHER_STAGES = "学校标识码,学年,学段,在校生数（人）,班数,最大班额\nQ001,2024,小学,900,20,45\n"


def files(*names: str) -> list[tuple[str, bytes]]:
    return [(n, (CORPUS / n).read_bytes()) for n in names]


def open_every_page(monkeypatch, path: Path, county: str = "510104") -> dict[str, AppTest]:
    """Each page as a user opens it (the county's profile with the county in the URL)."""
    monkeypatch.setenv("JUNHENG_DB", str(path))
    opened = {}
    for page in PAGES:
        app = AppTest.from_file(APP, default_timeout=120)
        if page == "pages/county.py":
            app.query_params.update({"county": county})
        app.switch_page(page).run()
        opened[page] = app
    return opened


def test_the_templates_school_list_alone_imports_into_a_new_database_from_the_cli(tmp_path, capsys):
    """The first step an official takes: the app's own template file, nothing else."""
    template = tmp_path / "schools_学校.csv"
    template.write_bytes(templates.template_files()["schools_学校.csv"])
    code = main(["import", "--new", "--db", str(tmp_path / "new.duckdb"), str(template)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "imported 1 rows for 1 counties" in out.out
    con = db.connect(tmp_path / "new.duckdb")
    try:
        assert db.summary(con).schools == 1 and db.summary(con).years == ()
    finally:
        con.close()


@pytest.mark.parametrize("subset", list(SUBSETS))
def test_each_sensible_subset_imports_and_every_page_opens(subset, tmp_path, monkeypatch):
    path = tmp_path / "new.duckdb"
    importer.import_files(path, files(*SUBSETS[subset]), new=True)
    for page, app in open_every_page(monkeypatch, path).items():
        assert not app.exception, (subset, page, [e.message for e in app.exception])
        assert not app.error, (subset, page, [e.value for e in app.error])


def test_with_the_school_list_alone_every_page_says_what_to_import_next(tmp_path, monkeypatch):
    path = tmp_path / "new.duckdb"
    importer.import_files(path, files("good_schools.csv"), new=True)
    for page, app in open_every_page(monkeypatch, path).items():
        said = " ".join(i.value for i in app.info)
        assert "3 所学校（1 个县）" in said and "学校年度学段" in said, page
    data = open_every_page(monkeypatch, path)["pages/data.py"]
    assert data.get("file_uploader"), "the Data page must still offer the upload"


def test_a_county_with_facilities_but_no_pupils_is_data_missing_never_a_pass(tmp_path):
    path = tmp_path / "new.duckdb"
    importer.import_files(path, files("good_schools.csv", "good_facilities_bom.csv"), new=True)
    con = db.connect(path)
    try:
        a = balance.assess(con, 2024)
        assert db.years(con) == [2024]
    finally:
        con.close()
    rows = a.counties[a.counties["adcode"] == "510104"]
    assert set(rows["stage"]) == {"primary", "junior", balance.OVERALL}
    assert set(rows["status"]) == {"incomplete"}


def test_teachers_without_any_school_are_refused_in_one_line_naming_the_schools_file(tmp_path):
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(tmp_path / "new.duckdb", files("good_teachers_two_headers.xlsx"), new=True)
    p = info.value.problems
    assert len(p) == 1
    assert p.iloc[0]["file"] == "good_teachers_two_headers.xlsx"
    assert "schools_学校" in p.iloc[0]["problem_zh"] and "schools file" in p.iloc[0]["problem_en"]
    assert not (tmp_path / "new.duckdb").exists()


def test_one_county_imports_into_a_database_of_another_and_both_are_kept(tmp_path, monkeypatch):
    path = tmp_path / "real.duckdb"
    importer.import_files(path, files("good_schools.csv", "good_stages_gbk.csv", "good_facilities_bom.csv"), new=True)
    con = db.connect(path)
    before = balance.assess(con, 2024).counties.query("adcode == '510104'").reset_index(drop=True)
    con.close()
    importer.import_files(path, [("schools_青羊.csv", OTHER_SCHOOLS.encode()),
                                 ("school_stage_year_青羊.csv", OTHER_STAGES.encode())])
    con = db.connect(path)
    try:
        after = balance.assess(con, 2024).counties
    finally:
        con.close()
    assert set(after["adcode"]) == {"510104", "510105"}
    kept = after.query("adcode == '510104'").reset_index(drop=True)
    assert kept[["stage", "status"]].equals(before[["stage", "status"]])
    assert not open_every_page(monkeypatch, path, county="510105")["pages/county.py"].exception


def test_one_year_appended_keeps_the_earlier_year(tmp_path):
    path = tmp_path / "real.duckdb"
    importer.import_files(path, files("good_schools.csv", "good_stages_gbk.csv"), new=True)
    next_year = (CORPUS / "good_stages_gbk.csv").read_bytes().decode("gb18030").replace(",2024,", ",2025,")
    importer.import_files(path, [("stages_2025.csv", next_year.encode("utf-8"))], mode="append")
    con = db.connect(path)
    try:
        assert db.years(con) == [2024, 2025]
        a = balance.assess(con, None)
    finally:
        con.close()
    assert set(a.counties["year"]) == {2024, 2025}


def test_a_fault_of_the_import_program_is_called_that_and_logged_for_the_maintainer(caplog):
    trace = "Traceback (most recent call last):\n  ...\nValueError: broken"
    with caplog.at_level(logging.ERROR, logger="junheng.import"):
        failure = importer._child_failure(("error", "ValueError: broken", trace), "schools_学校.csv", 8.0, 0)
    p = failure.problems.iloc[0]
    assert p["file"] == "schools_学校.csv"
    assert "内部错误" in p["problem_zh"] and "ValueError: broken" in p["problem_zh"]
    assert "过大" not in p["problem_zh"] and "too large" not in p["problem_en"]
    assert trace in caplog.text


def test_the_import_child_sends_the_whole_traceback_of_a_fault(monkeypatch, tmp_path):
    """What the maintainer's log line is made of: the child's traceback, not only its last line."""
    import multiprocessing

    def broken(*args, **kwargs):
        raise ValueError("broken")

    monkeypatch.setattr(importer, "import_files", broken)
    monkeypatch.setattr(db, "follow_owner", lambda owner: None)
    monkeypatch.setattr("resource.setrlimit", lambda *a: None)
    receive, send = multiprocessing.Pipe(duplex=False)
    importer._import_child(send, str(tmp_path / "x.duckdb"), [], "replace", True, None, 0, 0)
    kind, message, trace = receive.recv()
    assert (kind, message) == ("error", "ValueError: broken")
    assert "Traceback" in trace and "in broken" in trace


def test_the_gap_command_on_a_year_without_pupils_says_what_is_missing(tmp_path, capsys):
    path = tmp_path / "new.duckdb"
    importer.import_files(path, files("good_schools.csv", "good_facilities_bom.csv"), new=True)
    assert main(["gap", "--db", str(path), "--year", "2024"]) == 2
    assert "no school with pupils in 2024" in capsys.readouterr().err


def test_the_gap_page_without_pupils_says_so_instead_of_a_cost_of_zero(tmp_path, monkeypatch):
    path = tmp_path / "new.duckdb"
    importer.import_files(path, files("good_schools.csv", "good_facilities_bom.csv"), new=True)
    app = open_every_page(monkeypatch, path)["pages/gap.py"]
    assert any("无法测算缺口" in i.value for i in app.info)
    assert not app.metric, "no tiles of zeros for what is unknown"
