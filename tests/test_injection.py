"""Hostile names in imported data stay text: never a formula in a CSV or XLSX this product
writes, never Markdown or HTML on a page, and the export → import round trip gives them back."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from analytics.assess import balance, gap
from analytics.cli import main
from analytics.core import cells
from analytics.core.i18n import plain
from analytics.export import output, reports
from analytics.ingest import importer
from analytics.present import maps

CORPUS = Path(__file__).parent / "corpus"
HOSTILE = {"S001": '=HYPERLINK("http://host/x","点击")', "S002": "+1+1 小学", "S003": "![t](http://host/t.png)<img src=x>"}


@pytest.fixture
def hostile_db(tmp_path) -> Path:
    """The good corpus with tests/corpus/hostile_formula_names.csv as its schools."""
    names = ["good_stages_gbk.csv", "good_facilities_bom.csv", "good_county.csv", "good_teachers_two_headers.xlsx"]
    path = tmp_path / "h.duckdb"
    importer.import_files(path, [("schools.csv", (CORPUS / "hostile_formula_names.csv").read_bytes())]
                          + [(n, (CORPUS / n).read_bytes()) for n in names], new=True, source="=cmd|' /C calc'!A0")
    return path


def test_hostile_names_are_stored_as_typed(hostile_db):
    with duckdb.connect(str(hostile_db), read_only=True) as con:
        assert dict(con.execute("SELECT school_id, name FROM schools").fetchall()) == HOSTILE


def test_export_tables_csv_neutralises_formulas_and_reimports_the_same_names(hostile_db, tmp_path):
    out = tmp_path / "csv"
    assert main(["export-tables", "--db", str(hostile_db), "--out", str(out)]) == 0
    frame = pd.read_csv(out / "schools.csv", dtype=str)
    names = dict(zip(frame["学校标识码"], frame["学校名称"]))
    assert names["S001"] == "'" + HOSTILE["S001"] and names["S002"] == "'" + HOSTILE["S002"]
    assert names["S003"] == HOSTILE["S003"]
    again = tmp_path / "again.duckdb"
    importer.import_files(again, [(f.name, f.read_bytes()) for f in sorted(out.glob("*.csv"))], new=True)
    with duckdb.connect(str(again), read_only=True) as con:
        assert dict(con.execute("SELECT school_id, name FROM schools").fetchall()) == HOSTILE


def test_export_tables_xlsx_stores_names_as_values(hostile_db, tmp_path):
    out = tmp_path / "xlsx"
    assert main(["export-tables", "--db", str(hostile_db), "--out", str(out), "--format", "xlsx"]) == 0
    ws = load_workbook(out / "schools.xlsx").active
    cell = next(c for row in ws.iter_rows() for c in row if c.value == HOSTILE["S001"])
    assert cell.data_type == "s"


def test_official_tables_and_gap_workbook_store_names_as_values(hostile_db):
    with duckdb.connect(str(hostile_db), read_only=True) as con:
        a = balance.assess(con, 2024)
        plan = gap.make_plan(con, 2024)
    ctx = output.Context(source="=cmd", synthetic=False)
    for data in (reports.workbook(a, a.criteria, "510104", 2024, ctx), reports.gap_workbook(plan, "510104")):
        wb = load_workbook(io.BytesIO(data))
        formulas = [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == []


def test_csv_downloads_neutralise_leading_formula_characters():
    frame = pd.DataFrame({"name": ["=1+1", "-x", "@a", "正常", "\tx"], "n": [-1, 2, 3, 4, 5]})
    text = cells.csv_bytes(frame).decode("utf-8-sig")
    assert "'=1+1" in text and "'-x" in text and "'@a" in text and ",正常," not in text and "正常" in text
    assert pd.read_csv(io.StringIO(text))["n"].tolist() == [-1, 2, 3, 4, 5]


def test_page_text_from_the_data_is_escaped_for_markdown():
    shown = plain(HOSTILE["S003"])
    assert "![" not in shown.replace("\\!\\[", "") and "<img" not in shown.replace("\\<img", "")


def test_map_tooltips_are_text_not_html():
    """deck.gl puts html-template values into the page unescaped in some Streamlit versions."""
    deck = maps.build_deck("510000", maps.MapLayers([], []))
    assert set(deck._tooltip) == {"text", "style"}  # what Streamlit hands deck.gl as the tooltip
    assert '"html":' not in deck.to_json()
