"""Hostile files: an Excel file that names cell XFD1048576, or a sheet whose used area would take
gigabytes, is refused from its XML before any cell is read — the import process never
allocates the grid — with a plain message, exit status 2 on the CLI and the database untouched.

Files are generated here (a few KB each); each test runs the reader in a child process with a
4 GB address-space limit, so a regression fails the test instead of taking the machine down.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics.cli import main
from analytics.ingest import importer, reading
from tests.factory import CORPUS, good_corpus_files

pytestmark = pytest.mark.slow  # imports hostile files in capped child processes

ONE_CELL_AT_THE_LAST = (CORPUS / "hostile_xfd1048576.xlsx").read_bytes()
TALL_AND_WIDE = (CORPUS / "hostile_tall_and_wide.xlsx").read_bytes()


def xlsx_of(rows_xml: str) -> bytes:
    from tests.corpus.make_corpus import xlsx

    return xlsx(rows_xml)


def read_in_a_capped_child(tmp_path: Path, data: bytes, gigabytes: int = 4) -> subprocess.CompletedProcess:
    """reading.read in a child process limited to `gigabytes` of address space."""
    f = tmp_path / "hostile.xlsx"
    f.write_bytes(data)
    code = ("import resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({gigabytes} * 1024 ** 3, {gigabytes} * 1024 ** 3))\n"
            "from analytics.ingest import reading\n"
            f"src, problems = reading.read('hostile.xlsx', open({str(f)!r}, 'rb').read())\n"
            "print(problems[0]['problem_zh'] if problems else 'read')\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_2_kb_workbook_naming_cell_xfd1048576_is_refused_before_reading(tmp_path):
    assert len(ONE_CELL_AT_THE_LAST) < 3000
    run = read_in_a_capped_child(tmp_path, ONE_CELL_AT_THE_LAST)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "工作表 学校 用到第 16,384 列（上限 200 列）" in run.stdout


def test_a_sheet_whose_used_area_is_too_large_is_refused(tmp_path):
    """A1 and GR900000: 200 columns × 900,000 rows = 180 M cells from two cells."""
    run = read_in_a_capped_child(tmp_path, TALL_AND_WIDE)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "使用区域过大（900,000 行 × 200 列" in run.stdout


def test_a_crafted_compression_ratio_is_refused():
    """Generated here: 5 MB of one repeated letter compresses to a few KB."""
    from tests.corpus.make_corpus import xlsx

    filler = '<row r="2"><c r="A2" t="inlineStr"><is><t>' + "x" * 5_000_000 + "</t></is></c></row>"
    problem = reading.xlsx_limits(xlsx('<row r="1"><c r="A1" t="inlineStr"><is><t>学校标识码</t></is></c></row>' + filler))
    assert problem is not None and "压缩比异常" in problem.told("zh") and "compressed" in problem.told("en")


def _rows_without_cell_references(n: int) -> str:
    """n numbered rows of 14 cells written without their r="A1" references (allowed): the
    references then say nothing of the sheet's width, and the XML compresses ~90×."""
    cells = "".join(f"<c><v>{v}</v></c>" for v in range(100, 114))
    return "".join(f'<row r="{r}">{cells}</row>' for r in range(1, n + 1))


def test_a_large_sheet_compressed_far_beyond_real_data_is_refused_before_reading(tmp_path):
    """~100 MB of sheet XML in ~1 MB: under the 200× ratio for any member and, its cells having
    no references, of no measurable width, so it was read cell by cell (an 8 MB file of this
    kind took ~158 s and ~6 GB). A sheet this large must compress like real data (~9×)."""
    data = xlsx_of(_rows_without_cell_references(400_000))
    assert len(data) < 1_500_000
    run = read_in_a_capped_child(tmp_path, data, gigabytes=1)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "压缩比异常" in run.stdout and "真实数据约 10 倍" in run.stdout


def test_cells_without_references_count_toward_the_cell_limit(monkeypatch):
    monkeypatch.setattr(reading, "XLSX_MAX_CELLS", 1000)
    problem = reading.xlsx_limits(xlsx_of(_rows_without_cell_references(100)))  # 1,400 cells, width unknown
    assert problem is not None and "1,400 个单元格" in problem.told("zh")


def test_an_ordinary_workbook_passes_the_limits():
    data = (CORPUS / "good_teachers_two_headers.xlsx").read_bytes()
    assert reading.xlsx_limits(data) is None


def test_the_cli_refuses_the_bomb_with_exit_2_and_the_database_untouched(tmp_path, capsys):
    db_path = tmp_path / "real.duckdb"
    good = ["good_schools.csv", "good_stages_gbk.csv", "good_facilities_bom.csv", "good_county.csv"]
    importer.import_files(db_path, [(n, (CORPUS / n).read_bytes()) for n in good], new=True, source="测试")
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    bomb = tmp_path / "schools.xlsx"
    bomb.write_bytes(ONE_CELL_AT_THE_LAST)
    assert main(["import", "--db", str(db_path), str(bomb)]) == 2
    err = capsys.readouterr()
    assert "schools.xlsx" in err.out + err.err and "16,384" in err.out + err.err
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("name, data", [("bomb.xlsx", ONE_CELL_AT_THE_LAST)])
def test_the_import_reports_the_file_and_changes_nothing(tmp_path, name, data):
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(tmp_path / "new.duckdb", [(name, data)], new=True)
    p = info.value.problems
    assert list(p["file"]) == [name] and "16,384" in p.iloc[0]["problem_en"]
    assert not (tmp_path / "new.duckdb").exists()


def test_an_import_that_exhausts_its_memory_limit_fails_cleanly(tmp_path):
    """A child limited to 0.3 GB cannot even load its libraries: the caller gets ImportFailed
    naming the file, not a dead process; nothing is written."""
    data = (CORPUS / "good_schools.csv").read_bytes()
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_isolated(tmp_path / "new.duckdb", [("good_schools.csv", data)], new=True, memory_gb=0.3)
    p = info.value.problems
    assert p.iloc[0]["file"] == "good_schools.csv"
    assert "内存上限" in p.iloc[0]["problem_zh"] and "0.3 GB" in p.iloc[0]["problem_zh"]
    assert "unchanged" in p.iloc[0]["problem_en"]
    assert not (tmp_path / "new.duckdb").exists()


def test_an_isolated_import_returns_the_same_result_as_in_process(tmp_path):
    names = ["good_schools.csv", "good_stages_gbk.csv", "good_facilities_bom.csv", "good_county.csv"]
    files = [(n, (CORPUS / n).read_bytes()) for n in names]
    result = importer.import_isolated(tmp_path / "a.duckdb", files, new=True, source="测试")
    assert result.changed and result.rows["schools"] == 3 and result.years == [2024]
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_isolated(tmp_path / "a.duckdb", [("bad_negative_area.csv", (CORPUS / "bad_negative_area.csv").read_bytes())])
    assert info.value.problems.iloc[0]["column"] == "教学及辅助用房面积"


def test_twenty_thousand_problems_are_counted_not_reported_as_200(tmp_path, capsys):
    head = "学校标识码,学年,教学及辅助用房面积,体育运动场馆面积,教学仪器设备值,网络多媒体教室数,音乐教室数,最小音乐教室面积,美术教室数,最小美术教室面积\n"
    body = "".join(f"S{i:05d},2024,四百,100,1000,1,1,100,1,100\n" for i in range(20_000))
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(tmp_path / "n.duckdb", [("facilities.csv", (head + body).encode("utf-8"))], new=True)
    assert info.value.total >= 20_000
    assert len(info.value.problems) <= 2 + reading.MAX_PROBLEMS_PER_FILE * 6  # listed, plus a count per cap
    assert any("未逐一列出" in p for p in info.value.problems["problem_zh"])
    f = tmp_path / "facilities.csv"
    f.write_bytes((head + body).encode("utf-8"))
    assert main(["import", "--db", str(tmp_path / "m.duckdb"), "--new", str(f)]) == 2
    assert f"{info.value.total} problem(s)" in capsys.readouterr().err


TEACHERS_HEAD = ("teacher_id,year,school_id,stage,degree,backbone,subject,full_time,certified,exchanged,"
                 "exchange_eligible,training_hours_5y,training_hours_year,annual_pay_yuan\n")
def test_leftovers_of_a_killed_import_are_removed_by_the_next(tmp_path):
    db_path = tmp_path / "real.duckdb"
    importer.import_files(db_path, good_corpus_files(), new=True)
    dead = 2 ** 22 + 12345  # no such process
    for suffix in ("", ".wal"):
        (tmp_path / f".real.duckdb.importing-{dead}{suffix}").write_bytes(b"x" * 1000)
    importer.import_files(db_path, [("schools.csv", (CORPUS / "good_schools.csv").read_bytes())])
    assert not list(tmp_path.glob(".real.duckdb.importing-*"))


def test_an_import_waiting_on_a_held_lock_gives_up_naming_the_holder(tmp_path, monkeypatch):
    import fcntl

    db_path = tmp_path / "real.duckdb"
    importer.import_files(db_path, good_corpus_files(), new=True)
    monkeypatch.setenv("JUNHENG_LOCK_WAIT", "1")
    with open(tmp_path / "real.duckdb.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write("pid 4242, since 2026-11-26 09:00:00")
        fh.flush()
        before = hashlib.sha256(db_path.read_bytes()).hexdigest()
        with pytest.raises(importer.ImportBusy) as info:
            importer.import_files(db_path, [("schools.csv", (CORPUS / "good_schools.csv").read_bytes())])
        fcntl.flock(fh, fcntl.LOCK_UN)
    assert "pid 4242" in info.value.problems.iloc[0]["problem_zh"]
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_files_are_read_only_once_the_import_holds_the_lock(tmp_path, monkeypatch):
    """Two imports at once take turns before reading: a large file costs its time and memory once
    at a time, not in every waiting import."""
    import fcntl

    db_path = tmp_path / "real.duckdb"
    importer.import_files(db_path, good_corpus_files(), new=True)
    monkeypatch.setenv("JUNHENG_LOCK_WAIT", "0.5")
    read = []
    monkeypatch.setattr(importer, "read", lambda name, data: read.append(name))
    with open(tmp_path / "real.duckdb.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(importer.ImportBusy):
            importer.import_files(db_path, [("schools.csv", (CORPUS / "good_schools.csv").read_bytes())])
        fcntl.flock(fh, fcntl.LOCK_UN)
    assert read == []


def test_a_replace_import_does_not_grow_the_file(tmp_path):
    """Replacing a county-year's teachers leaves the file about the same size (the replaced rows
    were copied and then deleted inside the new file, which kept their space)."""
    db_path = tmp_path / "real.duckdb"
    importer.import_files(db_path, good_corpus_files(), new=True)
    first = db_path.stat().st_size
    result = importer.import_files(db_path, [("teachers.xlsx", (CORPUS / "good_teachers_two_headers.xlsx").read_bytes())],
                                   mode="replace")
    assert result.changed and result.rows == {"teachers": 120}
    assert db_path.stat().st_size <= first * 1.3


def test_a_symlinked_database_is_imported_into_its_target(tmp_path):
    real = tmp_path / "store" / "real.duckdb"
    real.parent.mkdir()
    importer.import_files(real, good_corpus_files(), new=True)
    link = tmp_path / "junheng.duckdb"
    link.symlink_to(real)
    importer.import_files(link, [("schools.csv", (CORPUS / "good_schools.csv").read_bytes().replace(
        "锦江乡村小学".encode(), "锦江三圣小学".encode()))])
    assert link.is_symlink() and link.resolve() == real
    backup = real.with_name("real.duckdb.bak1")
    assert backup.exists() and not backup.is_symlink()


# ---- damaged files and late refusals: located, before anything is copied -----------------------

DAMAGED = [  # corpus file, the row named, the message (tests/corpus/make_corpus.py writes them)
    ("hostile_cut_short.csv", 4, "有 5 个值，表头有 8 列"),
    ("hostile_extra_value.csv", 3, "有 9 个值，表头有 8 列"),
    ("hostile_nan.csv", 2, "应为"),
    ("hostile_duplicate_header.csv", 1, "出现两次"),
    ("hostile_big5.csv", "", "可能是繁体 Big5"),
    ("hostile_big5_few_characters.csv", "", "可能是繁体 Big5"),
    ("hostile_long_id.csv", 4, "不超过40个字符"),
    ("hostile_room_2000.csv", 2, "1–1,999"),
]


@pytest.mark.parametrize("name, row, message", DAMAGED, ids=[d[0] for d in DAMAGED])
def test_damaged_files_are_refused_with_a_located_message(tmp_path, name, row, message):
    data = (CORPUS / name).read_bytes()
    db_path = tmp_path / "real.duckdb"
    importer.import_files(db_path, good_corpus_files(), new=True)
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(db_path, [(name, data)])
    p = info.value.problems
    hit = p[p["problem_zh"].str.contains(message, regex=False)]
    assert len(hit), p[["row", "column", "problem_zh"]].to_string()
    assert hit.iloc[0]["file"] == name and hit.iloc[0]["row"] == row
    assert "Constraint Error" not in " ".join(p["problem_en"]) and "tokenizing" not in " ".join(p["problem_en"])
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_a_title_line_above_the_header_is_skipped_as_documented(tmp_path):
    db_path = tmp_path / "real.duckdb"
    importer.import_files(db_path, good_corpus_files(), new=True)
    result = importer.import_files(db_path, [("titled.csv", (CORPUS / "hostile_titled.csv").read_bytes())])
    assert result.rows == {"schools": 3}


@pytest.mark.parametrize("teacher_id, message", [("张三", "像姓名"), ("510104198001011234", "像身份证号"),
                                                 ("510104800101123", "像身份证号")])
def test_teacher_ids_that_identify_a_person_are_refused(tmp_path, teacher_id, message):
    db_path = tmp_path / "real.duckdb"
    importer.import_files(db_path, good_corpus_files(), new=True)
    head = TEACHERS_HEAD
    row = f"{teacher_id},2024,S001,小学,本科,无,语文,是,是,否,是,400,80,90000\n"
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(db_path, [("t.csv", (head + row).encode())], mode="append")
    assert any(message in m for m in info.value.problems["problem_zh"])


def test_a_teacher_already_in_another_county_that_year_is_refused_before_copying(tmp_path):
    """Teacher T0001 of 锦江区 (S001) in 2024 reappears at a 青羊区 school in a 青羊区 import."""
    db_path = tmp_path / "real.duckdb"
    importer.import_files(db_path, good_corpus_files(), new=True)
    with duckdb.connect(str(db_path), read_only=True) as con:
        tid = con.execute("SELECT teacher_id FROM teachers ORDER BY 1 LIMIT 1").fetchall()[0][0]
    schools = "学校标识码,学校名称,县级行政区划代码,办学类型,城乡分类,是否公办,经度,纬度\nQ001,青羊实验小学,510105,小学,城区,是,104.05,30.67\n"
    head = TEACHERS_HEAD
    teachers = head + f"{tid},2024,Q001,小学,本科,无,语文,是,是,否,是,400,80,90000\n"
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    with pytest.raises(importer.ImportFailed) as info:
        importer.import_files(db_path, [("s.csv", schools.encode()), ("t.csv", teachers.encode())])
    p = info.value.problems
    hit = p[p["problem_zh"].str.contains("另一个县")]
    assert len(hit) == 1 and hit.iloc[0]["file"] == "t.csv" and hit.iloc[0]["row"] == 2
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
