"""Importing statistics: good files in every accepted form import; each bad file of the corpus
(tests/corpus, made by make_corpus.py) gets the right message and leaves the database
byte-identical; the swap keeps backups; an app reading the database keeps working meanwhile;
export-tables → import gives the same assessment."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics.assess import balance
from analytics.cli import main
from analytics.ingest import importer, reading, templates
from analytics.store import db

CORPUS = Path(__file__).parent / "corpus"
GOOD = ["good_schools.csv", "good_stages_gbk.csv", "good_facilities_bom.csv", "good_county.csv",
        "good_teachers_two_headers.xlsx"]


def files(*names: str) -> list[tuple[str, bytes]]:
    return [(n, (CORPUS / n).read_bytes()) for n in names]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def base(tmp_path) -> Path:
    """A database imported from the good corpus (锦江区, 2024, 3 schools, 120 teachers)."""
    path = tmp_path / "real.duckdb"
    importer.import_files(path, files(*GOOD), new=True, source="测试数据")
    return path


def test_good_files_in_every_form_import(base):
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM schools").fetchone()[0] == 3
        assert con.execute("SELECT sum(students) FROM school_stage_year").fetchone()[0] == 1200 + 800 + 400
        assert con.execute("SELECT count(*) FROM teachers").fetchone()[0] == 120     # 合计 row skipped
        assert con.execute("SELECT junior_retention_rate FROM county_year").fetchone()[0] == pytest.approx(0.96)
        assert con.execute("SELECT county_name FROM regions").fetchone()[0] == "锦江区"
        meta = dict(con.execute("SELECT key, value FROM metadata").fetchall())
    assert meta["data_kind"] == "imported" and meta["source"] == "测试数据"
    log = json.loads(meta["import_log"])
    assert [f["name"] for f in log[-1]["files"]] == GOOD
    with duckdb.connect(str(base), read_only=True) as con:
        a = balance.assess(con, 2024)
    assert a.counties["schools_assessed"].max() == 3


def assert_refused(base: Path, name: str, *expected: str, row=None) -> pd.DataFrame:
    before = digest(base)
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, files(name))
    problems = info.value.problems
    text = " ".join(problems["problem_zh"]) + " " + " ".join(problems["problem_en"])
    for e in expected:
        assert e in text, problems
    if row is not None:
        assert row in set(problems["row"]), problems
    assert set(problems["file"]) <= {name, ""}
    assert digest(base) == before
    assert not list(base.parent.glob(".*importing*"))
    return problems


def test_wrong_encoding(base):
    assert_refused(base, "bad_encoding_utf16.csv", "文件编码无法识别", "UTF-8 or GBK")


def test_missing_column(base):
    assert_refused(base, "bad_missing_column.csv", "缺少必填列“办学类型”", "missing required column 'kind'")


def test_unknown_county(base):
    p = assert_refused(base, "bad_unknown_county.csv", "未知的县级行政区划代码", row=4)
    assert p.iloc[0]["value"] == "519999"


def test_duplicate_keys(base):
    assert_refused(base, "bad_duplicate_keys.csv", "重复的记录", row=5)


def test_negative_area(base):
    p = assert_refused(base, "bad_negative_area.csv", "应为数值，0–2,000,000（平方米）", row=3)
    assert p.iloc[0]["column"] == "教学及辅助用房面积" and p.iloc[0]["value"] == "-4000"


def test_text_in_a_number_column(base):
    p = assert_refused(base, "bad_text_in_number.csv", "应为整数", "expected a whole number", row=4)
    assert p.iloc[0]["value"] == "四百"


def test_teacher_at_an_unknown_school(base):
    assert_refused(base, "bad_teacher_unknown_school.csv", "未知学校", row=2)


def test_empty_file(base):
    assert_refused(base, "bad_empty.csv", "文件为空", "the file is empty")


def test_header_only(base):
    assert_refused(base, "bad_header_only.csv", "只有表头，没有数据行")


def test_xlsx_with_two_header_rows_reports_the_sheet_row(base):
    p = assert_refused(base, "bad_two_headers_bad_degree.xlsx", "应为以下之一：高中及以下、专科、本科、研究生", row=4)
    assert p.iloc[0]["sheet"] == "Sheet" and p.iloc[0]["value"] == "小学毕业"


@pytest.mark.slow
def test_a_50_mb_file_with_one_bad_row_at_the_end(base, tmp_path):
    header = "教师标识,学年,学校标识码,学段,最高学历,骨干教师级别,任教学科,是否专任教师,是否持有教师资格证," \
             "本学年是否交流轮岗,是否应交流教师,五年累计培训学时,本学年培训学时,年平均工资收入\n"
    line = "T{:07d},2024,S001,小学,本科,无,数学,是,是,否,否,380,80,96000\n"
    n = 50_000_000 // len(line.format(0).encode()) + 1
    body = "".join(line.format(i) for i in range(n - 1)) + line.format(n - 1).replace(",380,", ",很多,")
    data = (header + body).encode("utf-8")
    assert len(data) >= 50_000_000
    before = digest(base)
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, [("teachers_big.csv", data)])
    p = info.value.problems
    assert len(p) == 1 and p.iloc[0]["row"] == n + 1 and p.iloc[0]["column"] == "五年累计培训学时"
    assert digest(base) == before


def test_problems_of_several_files_come_together(base):
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, files("bad_negative_area.csv", "bad_text_in_number.csv", "bad_empty.csv"))
    assert set(info.value.problems["file"]) == {"bad_negative_area.csv", "bad_text_in_number.csv", "bad_empty.csv"}


def test_demo_database_is_never_mixed_with_real_rows(demo_db, tmp_path):
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(copy, files(*GOOD))
    assert "演示数据" in info.value.problems.iloc[0]["problem_zh"]


def test_replace_keeps_a_backup_and_reimport_is_idempotent(base):
    first = digest(base)
    changed = files("good_stages_gbk.csv")
    changed[0] = ("stages_v2.csv", changed[0][1].decode("gbk").replace("S003,2024,小学,400", "S003,2024,小学,410")
                  .encode("gbk"))
    r = importer.import_files(base, changed)
    assert r.changed and r.backup == base.with_name(base.name + ".bak1")
    assert digest(r.backup) == first                      # the previous version, whole
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.execute("SELECT students FROM school_stage_year WHERE school_id = 'S003'").fetchone()[0] == 410
        assert con.execute("SELECT count(*) FROM teachers").fetchone()[0] == 120   # other tables kept
    second = digest(base)
    again = importer.import_files(base, changed)
    assert not again.changed and digest(base) == second


def test_append_refuses_a_year_the_database_has(base):
    before = digest(base)
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, files("good_stages_gbk.csv"), mode="append")
    assert "已有" in info.value.problems.iloc[0]["problem_zh"]
    assert info.value.problems.iloc[0]["file"] == "good_stages_gbk.csv"  # the refusal names its file
    assert digest(base) == before


@pytest.mark.slow
def test_import_while_another_process_reads_the_database(base, tmp_path):
    """The app's situation: a process holds a read-only connection and keeps querying while the
    CLI imports. Both succeed; the reader's queries never fail; a new connection sees the new data."""
    reader = subprocess.Popen([sys.executable, "-c", f"""
import duckdb, time, sys
con = duckdb.connect({str(base)!r}, read_only=True)
end = time.time() + 6
n = 0
while time.time() < end:
    n += con.execute("SELECT count(*) FROM teachers").fetchone()[0] > 0
print(n)
"""], stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    changed = (CORPUS / "good_stages_gbk.csv").read_bytes().decode("gbk").replace("S001,2024,小学,\"1,200\"",
                                                                                  "S001,2024,小学,\"1,210\"")
    path = tmp_path / "stages.csv"
    path.write_text(changed, encoding="utf-8")
    assert main(["import", "--db", str(base), str(path)]) == 0
    out, _ = reader.communicate(timeout=30)
    assert reader.returncode == 0 and int(out) > 10
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.execute("SELECT students FROM school_stage_year WHERE school_id = 'S001'").fetchone()[0] == 1210


def test_cli_import_prints_every_problem_and_exits_2(base, capsys):
    before = digest(base)
    code = main(["import", "--db", str(base), str(CORPUS / "bad_negative_area.csv"), str(CORPUS / "bad_empty.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad_negative_area.csv, row 3, column 教学及辅助用房面积: value '-4000'" in err
    assert "bad_empty.csv" in err and "nothing was imported" in err
    assert digest(base) == before


def test_templates_read_back_as_their_tables(tmp_path):
    out = tmp_path / "templates"
    assert main(["template", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert "teachers_教师.xlsx" in names and "schools_学校.csv" in names and "数据字典_data_dictionary.csv" in names
    for p in out.glob("*_*.csv"):
        if p.name.startswith("数据字典"):
            continue
        src, problems = reading.read(p.name, p.read_bytes())
        assert [part.table for part in src.parts] == [p.name.rsplit("_", 1)[0]], problems


@pytest.mark.slow
def test_round_trip_gives_the_same_assessment(demo_db, tmp_path):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        paths = templates.export_tables(con, tmp_path / "tables")
        before = balance.assess(con, 2025)
    # one year is enough to compare: keep 2025 rows of the yearly tables
    picked = []
    for p in paths:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False)
        if "学年" in frame:
            frame = frame[frame["学年"] == "2025"]
        picked.append((p.name, frame.to_csv(index=False).encode("utf-8")))
    target = tmp_path / "roundtrip.duckdb"
    importer.import_files(target, picked, new=True)
    with db.connect(target) as con:
        after = balance.assess(con, 2025)
    cols = ["adcode", "stage", "status", "failed", "failed_criteria", "cv_composite", "noncompliant_schools"]
    x = before.counties[cols].sort_values(["adcode", "stage"]).reset_index(drop=True)
    y = after.counties[cols].sort_values(["adcode", "stage"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(x, y, check_dtype=False)


# ---- senior-high pupils and unreported rooms (issue: trustworthy verdicts) ----------------------

SCHOOLS_WITH_A_COMPLETE_MIDDLE = ("学校标识码,学校名称,县级行政区划代码,办学类型,城乡分类,是否公办,经度,纬度\n"
                                  "S001,锦江实验小学,510104,小学,城区,是,104.08,30.65\n"
                                  "S009,锦江中学,510104,完全中学,城区,是,104.09,30.64\n")
FACILITIES_HEAD = ("学校标识码,学年,教学及辅助用房面积,体育运动场馆面积,教学仪器设备值,网络多媒体教室数,"
                   "音乐教室数,最小音乐教室面积,美术教室数,最小美术教室面积,高中段在校生数\n")


def _csv(name: str, text: str) -> tuple[str, bytes]:
    return name, text.encode("utf-8")


def test_a_complete_middle_school_without_senior_pupils_is_refused_with_its_row(base):
    before = digest(base)
    facilities = FACILITIES_HEAD + "S001,2024,6000,9600,2800000,30,3,100,3,95,\nS009,2024,9000,12000,3000000,30,3,100,3,95,\n"
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, [_csv("schools.csv", SCHOOLS_WITH_A_COMPLETE_MIDDLE), _csv("facilities.csv", facilities)])
    p = info.value.problems
    hit = p[p["column"] == "高中段在校生数"]
    assert len(hit) == 1 and hit.iloc[0]["row"] == 3 and hit.iloc[0]["file"] == "facilities.csv"
    assert "完全中学" in hit.iloc[0]["problem_zh"] and "senior-high" in hit.iloc[0]["problem_en"]
    assert digest(base) == before


def test_senior_pupils_at_a_primary_school_are_refused(base):
    facilities = FACILITIES_HEAD + "S001,2024,6000,9600,2800000,30,3,100,3,95,300\n"
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, [_csv("facilities.csv", facilities)])
    assert "只有完全中学、十二年一贯制有高中段学生" in " ".join(info.value.problems["problem_zh"])


def test_senior_pupils_and_unreported_rooms_import_and_round_trip(base, tmp_path):
    """S009 (完全中学, 400 senior pupils) imports; S002 reports no rooms (blank): stored as NULL,
    and G3 is no data for it, not a failure. The stages file replaces the county's 2024 stage
    rows, so it lists every school. export-tables → import gives the same values."""
    facilities = FACILITIES_HEAD + ("S002,2024,4000,6400,1800000,20,,,,,\n"
                                    "S009,2024,9000,12000,3000000,30,3,100,3,95,400\n")
    stages = ("学校标识码,学年,学段,在校生数,班数,最大班额\nS001,2024,小学,1200,27,45\nS002,2024,小学,800,18,45\n"
              "S003,2024,小学,400,10,42\nS009,2024,初中,600,14,45\n")
    importer.import_files(base, [_csv("schools.csv", SCHOOLS_WITH_A_COMPLETE_MIDDLE + "S002,锦江第二小学,510104,小学,镇区,是,104.10,30.62\n"),
                                 _csv("facilities.csv", facilities), _csv("stages.csv", stages)])
    with duckdb.connect(str(base), read_only=True) as con:
        rows = dict(con.execute("SELECT school_id, senior_students FROM school_year").fetchall())
        rooms = con.execute("SELECT music_rooms, art_rooms FROM school_year WHERE school_id = 'S002'").fetchall()[0]
        a = balance.assess(con, 2024)
    assert rows["S009"] == 400 and rooms == (None, None)
    s = a.schools.set_index(["school_id", "stage"])
    assert s.loc[("S009", "junior"), "r4"] == pytest.approx(9000 * 1.1 / (600 * 1.1 + 400 * 1.32))
    assert pd.isna(s.loc[("S002", "primary"), "g3_ok"])
    out = tmp_path / "tables"
    assert main(["export-tables", "--db", str(base), "--out", str(out)]) == 0
    again = tmp_path / "again.duckdb"
    importer.import_files(again, [(f.name, f.read_bytes()) for f in sorted(out.glob("*.csv"))], new=True)
    with duckdb.connect(str(again), read_only=True) as con:
        assert dict(con.execute("SELECT school_id, senior_students FROM school_year").fetchall()) == rows


# ---- corrections by replace import (hardening) -------------------------------------------------


def _table_rows(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in db.TABLES if t != "metadata"}


def test_a_replace_import_of_schools_corrects_a_name_and_keeps_its_records(base):
    """Renaming one school of a database with teachers and facilities: a raw foreign-key error
    before; now the name changes and every yearly record stays with the school."""
    before = _table_rows(base)
    schools = (CORPUS / "good_schools.csv").read_text(encoding="utf-8").replace("锦江乡村小学", "锦江区三圣乡小学")
    result = importer.import_files(base, [_csv("schools.csv", schools)])
    assert result.changed
    after = _table_rows(base)
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.execute("SELECT name FROM schools WHERE school_id = 'S003'").fetchall()[0][0] == "锦江区三圣乡小学"
    for t in ("school_year", "school_stage_year", "teachers", "county_year", "regions"):
        assert after[t] == before[t], t


def test_a_replace_import_can_change_a_school_kind_and_locale(base):
    schools = (CORPUS / "good_schools.csv").read_text(encoding="utf-8").replace(
        "S003,锦江乡村小学,510104,小学,乡村", "S003,锦江乡村小学,510104,九年一贯制,镇区")
    importer.import_files(base, [_csv("schools.csv", schools)])
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.execute("SELECT kind, locale FROM schools WHERE school_id = 'S003'").fetchall() == [("九年一贯制", "town")]
        assert con.execute("SELECT count(*) FROM teachers WHERE school_id = 'S003'").fetchall()[0][0] > 0


def test_reimporting_export_tables_into_the_same_database_changes_nothing(base, tmp_path):
    before = _table_rows(base)
    out = tmp_path / "tables"
    assert main(["export-tables", "--db", str(base), "--out", str(out)]) == 0
    importer.import_files(base, [(f.name, f.read_bytes()) for f in sorted(out.glob("*.csv"))], mode="replace")
    assert _table_rows(base) == before


def test_a_stage_that_does_not_fit_the_school_kind_is_refused_naming_the_row(base):
    """A 小学 (S001) with junior pupils: the row is named, the database unchanged."""
    text = "学校标识码,学年,学段,在校生数（人）,班数,最大班额\nS001,2024,小学,1200,27,45\nS001,2024,初中,300,6,50\n"
    before = digest(base)
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, [("stages.csv", text.encode("utf-8"))])
    problems = info.value.problems
    wrong = problems[problems["problem_en"].str.contains("stage does not fit")]
    assert list(wrong["row"]) == [3] and list(wrong["value"]) == ["小学/junior"]
    assert digest(base) == before


# ---- replace is per table: the years and counties each table's own files hold -----------------


def _year_copy(path: Path, table: str, year: int, tmp_path: Path) -> tuple[str, bytes]:
    """The table's rows of `path` (export-tables' CSV) relabelled as another year."""
    out = tmp_path / f"export-{table}-{year}"
    assert main(["export-tables", "--db", str(path), "--out", str(out)]) == 0
    text = (out / f"{table}.csv").read_text(encoding="utf-8")
    return f"{table}_{year}.csv", text.replace(",2024,", f",{year},").encode("utf-8")


def _years(path: Path, table: str) -> dict[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute(f"SELECT year, count(*) FROM {table} GROUP BY year").fetchall())


def test_a_replace_import_replaces_only_the_years_each_tables_own_file_holds(base, tmp_path):
    """Teachers of 2024 with county figures of 2023–2024: the teachers of 2023 stay (they were
    deleted without a word: the years of all files were applied to every table)."""
    teachers_2024 = _year_copy(base, "teachers", 2024, tmp_path)
    county_2023 = _year_copy(base, "county_year", 2023, tmp_path)
    county = county_2023[1].decode("utf-8")
    county += county.splitlines()[1].replace(",2023,", ",2024,") + "\n"
    importer.import_files(base, [_year_copy(base, "teachers", 2023, tmp_path), county_2023], mode="append")
    assert _years(base, "teachers") == {2023: 120, 2024: 120}
    result = importer.import_files(base, [teachers_2024, ("county_2023_2024.csv", county.encode("utf-8"))])
    assert result.changed
    assert _years(base, "teachers") == {2023: 120, 2024: 120}
    assert _years(base, "county_year") == {2023: 1, 2024: 1}
    assert result.replaced == {"teachers": [2024], "county_year": [2023, 2024]}
    assert "teachers 2024" in result.message and "county_year 2023, 2024" in result.message


def test_a_nul_or_control_character_in_a_name_is_refused_naming_its_row(base):
    before = digest(base)
    schools = (CORPUS / "good_schools.csv").read_text(encoding="utf-8").replace("锦江第二小学", "锦江第二\x00小学")
    schools = schools.replace("锦江乡村小学", "锦江\x07乡村小学")
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, [_csv("schools.csv", schools)])
    p = info.value.problems
    assert list(p["row"]) == [3, 4] and set(p["column"]) == {"学校名称"}
    assert "控制字符" in p.iloc[0]["problem_zh"] and "\\x00" in p.iloc[0]["value"]
    assert digest(base) == before


def test_a_name_with_a_control_character_stored_earlier_still_exports_to_excel():
    """Data written before the check: the Excel tables drop the character instead of failing."""
    from analytics.export import reports

    frame = pd.DataFrame({"学校": ["锦江\x01实验小学"], "在校生": [1200]})
    data = reports.table_workbook({"学校": (frame, "锦江\x00区学校")}, ["注：\x1f测试"])
    text = _workbook_text(data)
    assert "锦江实验小学" in text and "锦江区学校" in text and "注：测试" in text


def _workbook_text(data: bytes) -> str:
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    return " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)


def test_a_kind_change_that_would_leave_rows_the_new_kind_cannot_have_is_refused(base):
    """S003 becomes a 初中 while its stored 2024 rows are primary pupils and primary teachers."""
    before = digest(base)
    schools = (CORPUS / "good_schools.csv").read_text(encoding="utf-8").replace(
        "S003,锦江乡村小学,510104,小学", "S003,锦江乡村小学,510104,初中")
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(base, [_csv("schools.csv", schools)])
    p = info.value.problems
    assert len(p) == 1 and p.iloc[0]["row"] == 4 and p.iloc[0]["column"] == "办学类型"
    assert "2024 学年仍有小学学段" in p.iloc[0]["problem_zh"]
    assert digest(base) == before


def test_a_kind_change_with_the_schools_new_stage_rows_imports(base, tmp_path):
    schools = (CORPUS / "good_schools.csv").read_text(encoding="utf-8").replace(
        "S003,锦江乡村小学,510104,小学", "S003,锦江乡村小学,510104,初中")
    stages = ("学校标识码,学年,学段,在校生数,班数,最大班额\nS001,2024,小学,1200,27,45\nS002,2024,小学,800,18,45\n"
              "S003,2024,初中,400,10,42\n")
    teachers = _year_copy(base, "teachers", 2024, tmp_path)
    text = teachers[1].decode("utf-8").replace(",S003,小学,", ",S003,初中,")
    importer.import_files(base, [_csv("schools.csv", schools), _csv("stages.csv", stages),
                                 ("teachers.csv", text.encode("utf-8"))])
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.execute("SELECT DISTINCT stage FROM school_stage_year WHERE school_id = 'S003'").fetchall() == [("junior",)]
