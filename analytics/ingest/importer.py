"""Importing real statistics: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX files with Chinese
or English headers, checked against the data dictionary and the cross-table rules, then written
to a NEW database file that replaces the old one atomically (the old one kept as a backup).

Any problem in any file means nothing changes. The running app only ever reads the database
file; an import never writes it in place (DuckDB allows one writer per file), so the app and an
import can run at the same time: the app sees the new version on its next run.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from analytics.assess import balance
from analytics.assess.criteria import load_criteria
from analytics.atlas import geo
from analytics.core import processes
from analytics.core.errors import JunhengError
from analytics.store import db, dictionary

MAX_PROBLEMS_PER_FILE = 200
TOTAL_WORDS = {"合计", "总计", "小计", "total", "sum", "合 计", "总 计"}
SKIP_SHEETS = {"数据字典", "说明", "dictionary", "readme", "填表说明"}
ALLOWED_STAGES = {"小学": {"primary"}, "教学点": {"primary"}, "初中": {"junior"}, "完全中学": {"junior"},
                  "十二年一贯制": {"primary", "junior"}, "九年一贯制": {"primary", "junior"},
                  "特殊教育学校": {"primary", "junior"}}
STAGE_WORDS = {"primary": "小学", "junior": "初中"}
PROBLEM_COLUMNS = ["file", "sheet", "row", "column", "value", "problem_zh", "problem_en"]


class ImportFailed(JunhengError):
    """The files have problems: nothing was changed. `problems` lists every one found."""

    def __init__(self, problems: pd.DataFrame, total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(f"{self.total} problem(s) found; nothing was imported")


@dataclass
class Part:
    """One sheet (or CSV file) read as one table: typed columns plus `_row`, the file's row number."""

    file: str
    sheet: str
    table: str
    frame: pd.DataFrame


@dataclass
class Source:
    name: str
    size: int
    sha256: str
    parts: list[Part] = field(default_factory=list)


@dataclass
class Result:
    path: Path
    changed: bool
    rows: dict[str, int]
    years: list[int]
    counties: int
    backup: Path | None
    message: str
    replaced: dict[str, list[int]] = field(default_factory=dict)  # table → the years its files held


def _problem(file: str, sheet: str, row, column: str, value, zh: str, en: str) -> dict:
    return {"file": file, "sheet": sheet, "row": row, "column": column, "value": "" if value is None else str(value),
            "problem_zh": zh, "problem_en": en}


# --------------------------------------------------------------------------------------------
# Reading files


KANA = re.compile(r"[\u3040-\u30ff]")  # in GB2312, but in Chinese statistics only as Big5 read as GBK


def _common_share(text: str, minimum: int = 10) -> float:
    """Share of the non-ASCII characters of a text that are common in simplified Chinese text:
    in GB2312 and not kana (1.0 when there are fewer than `minimum`)."""
    wide = [ch for ch in text[:200_000] if ord(ch) > 0x7f]
    if len(wide) < minimum:
        return 1.0
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += not KANA.match(ch)
        except UnicodeEncodeError:
            pass
    return common / len(wide)


def _is_big5(data: bytes) -> bool:
    try:
        data.decode("big5")
        return True
    except UnicodeDecodeError:
        return False


def _decode(data: bytes) -> tuple[str | None, str]:
    """The text of a CSV, strictly: UTF-8 (with or without BOM), else GB18030 when it reads as
    ordinary simplified Chinese. GB18030 decodes almost any bytes, so Big5 (or damaged) text would
    come out as rare characters or kana — refused ("unclear") rather than stored garbled. Bytes
    that are valid Big5 too are judged on every character, however few (a Big5 file with English
    headers has only a few Chinese characters, in names or ids)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None, ""
    if _common_share(text) < 0.9 or (_is_big5(data) and _common_share(text, minimum=1) < 1.0):
        return None, "unclear"
    return text, "gb18030"


# Limits on an Excel file, checked from its zip directory and sheet XML before any cell is read
# (a 2 KB file naming cell XFD1048576 would otherwise make the reader allocate the whole grid).
XLSX_MAX_UNCOMPRESSED = 2 * 1024 ** 3     # bytes of XML in all
XLSX_MAX_RATIO = 200                      # uncompressed ÷ compressed size of one member
XLSX_MAX_COLUMNS = 200                    # the widest template table has fewer than 50 columns
XLSX_MAX_CELLS = 20_000_000               # rows × columns of one sheet's used area, and its cells
XLSX_LARGE_MEMBER = 64 * 1024 ** 2        # a sheet this large must compress like real data:
XLSX_MAX_RATIO_LARGE = 50                 # real sheets measured ~9× (300,000 teacher rows)
_ANY_CELL_REF = re.compile(rb'\sr="[A-Z]{1,3}\d')
_WIDE_CELL_REF = re.compile(rb'\sr="([A-Z]{2,3})\d')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d{1,7})"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _sheet_names(z) -> dict[str, str]:
    """Zip member of each worksheet → the sheet's name as Excel shows it (best effort)."""
    try:
        wb = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets.update({i: t for t, i in re.findall(r'Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', wb):
        target = targets.get(rid, "").lstrip("/")
        out[target if target.startswith("xl/") else f"xl/{target}"] = name
    return out


def xlsx_limits(data: bytes) -> tuple[str, str] | None:
    """Why an Excel file is refused before it is read (zh, en), or None when it is within the
    limits: too much XML, a zip member compressed like a bomb, a sheet reaching past
    XLSX_MAX_COLUMNS or with a used area over XLSX_MAX_CELLS. Reads the XML once, streaming
    at most what the size limit allows; nothing is parsed into cells."""
    import zipfile

    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None  # not a zip: the reader says so in its own words
    members = z.infolist()
    total = sum(m.file_size for m in members)
    if total > XLSX_MAX_UNCOMPRESSED:
        return (f"Excel 文件解压后过大（{total / 1024 ** 2:,.0f} MB，上限 {XLSX_MAX_UNCOMPRESSED / 1024 ** 2:,.0f} MB）：请拆分文件或改用 CSV",
                f"the Excel file unpacks to {total / 1024 ** 2:,.0f} MB (limit {XLSX_MAX_UNCOMPRESSED / 1024 ** 2:,.0f} MB): split it or use CSV")
    for m in members:
        if m.compress_size and m.file_size > 1024 ** 2 and m.file_size / m.compress_size > XLSX_MAX_RATIO:
            return (f"Excel 文件的 {m.filename} 压缩比异常（{m.file_size / m.compress_size:,.0f} 倍）：文件可能已损坏或被构造",
                    f"{m.filename} in the Excel file is compressed {m.file_size / m.compress_size:,.0f}×: damaged or crafted")
    names = _sheet_names(z)
    for m in members:
        if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", m.filename):
            continue
        name = names.get(m.filename, m.filename.rsplit("/", 1)[-1])
        if m.compress_size and m.file_size > XLSX_LARGE_MEMBER and m.file_size / m.compress_size > XLSX_MAX_RATIO_LARGE:
            return (f"工作表 {name} 解压后 {m.file_size / 1024 ** 2:,.0f} MB，压缩比异常（{m.file_size / m.compress_size:,.0f} 倍，"
                    f"真实数据约 10 倍）：文件可能被构造，或含大量重复内容；请删除多余的行或改用 CSV",
                    f"sheet {name} unpacks to {m.file_size / 1024 ** 2:,.0f} MB compressed {m.file_size / m.compress_size:,.0f}× "
                    f"(real data: about 10×): crafted, or full of repeated content; delete the stray rows or use CSV")
        last_row, max_col, cells = _sheet_extent(z, m)
        if max_col > XLSX_MAX_COLUMNS:
            return (f"工作表 {name} 用到第 {max_col:,} 列（上限 {XLSX_MAX_COLUMNS} 列）：请删除多余的列或单元格",
                    f"sheet {name} reaches column {max_col:,} (limit {XLSX_MAX_COLUMNS}): delete the stray columns or cells")
        if max_col == 26 and last_row * max_col > XLSX_MAX_CELLS:  # narrow it down: the last letter used
            max_col = _last_single_letter_column(z, m)
        if max(last_row * max_col, cells) > XLSX_MAX_CELLS:
            return (f"工作表 {name} 的使用区域过大（{last_row:,} 行 × {max_col:,} 列，{cells:,} 个单元格，上限 {XLSX_MAX_CELLS:,} 个单元格）："
                    f"请拆分文件或改用 CSV",
                    f"sheet {name} spans {last_row:,} rows × {max_col:,} columns, {cells:,} cells (limit {XLSX_MAX_CELLS:,} "
                    f"cells): split it or use CSV")
    return None


_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_CHUNK = 16 * 1024 ** 2


def _xml_chunks(z, member):
    """A zip member's XML in pieces that end after a '>' (no tag is cut in two), so the whole
    sheet never has to be in memory for the checks."""
    carry = b""
    with z.open(member) as fh:
        while piece := fh.read(_CHUNK):
            piece = carry + piece
            end = piece.rfind(b">") + 1
            carry = piece[end:] if end else piece
            if end:
                yield piece[:end]
    if carry:
        yield carry


def _sheet_extent(z, member) -> tuple[int, int, int]:
    """(last row number, widest column, number of cells) of a worksheet, from its XML. A cell
    written without its r="A1" reference (allowed) still counts: the number of <c> elements
    bounds what the reader will allocate even when the references say nothing."""
    last_row = max_col = cells = 0
    for xml in _xml_chunks(z, member):
        cells += len(_CELL_TAG.findall(xml))
        # the widest column: cells of columns past Z have 2–3 letter references (rare in real
        # files, so this loop is short); without any, the sheet ends at column Z or earlier
        if max_col < 26 and _ANY_CELL_REF.search(xml):
            max_col = 26
        for found in _WIDE_CELL_REF.finditer(xml):
            max_col = max(max_col, _column_number(found.group(1)))
            if max_col > XLSX_MAX_COLUMNS:
                return last_row, max_col, cells
        # rows come in order: the last <row r="…"> of the piece is the sheet's last row so far
        last = max(xml.rfind(b"<row "), xml.rfind(b":row "))
        found = _ROW_REF.search(xml, max(0, last - 16)) if last >= 0 else None
        if found:
            last_row = max(last_row, int(found.group(1)))
    return last_row, max_col, cells


def _last_single_letter_column(z, member) -> int:
    """The last of columns A–Z any cell reference uses (a second pass, for a tall sheet only)."""
    used = 0
    for xml in _xml_chunks(z, member):
        used = next((n for n in range(26, used, -1) if re.search(rb'\sr="' + bytes([64 + n]) + rb'\d', xml)), used)
        if used == 26:
            break
    return used


def _xlsx_sheets(data: bytes) -> list[tuple[str, list[list]]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = []
    for name in wb.sheet_names:
        if name.strip().lower() in SKIP_SHEETS:
            continue
        out.append((name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False)))
    return out


def _ragged_csv(text: str) -> pd.DataFrame:
    """A CSV whose rows differ in length (a title line above the header, a row cut short or with
    a value too many): every row as it is, padded; _parse_grid then says which rows are wrong.
    Each row keeps its line number; `_width` holds how many values it had."""
    import csv

    rows = list(csv.reader(io.StringIO(text)))
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)
    grid.attrs["widths"] = [len(r) for r in rows]
    return grid


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read(name: str, data: bytes) -> tuple[Source, list[dict]]:
    """Read one file into table parts; problems (file-level and cell-level) come back as dicts."""
    src = Source(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    problems: list[dict] = []
    if not data.strip():
        return src, [_problem(name, "", "", "", "", "文件为空", "the file is empty")]
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        refused = xlsx_limits(data)
        if refused:
            return src, [_problem(name, "", "", "", "", *refused)]
        try:
            sheets = _xlsx_sheets(data)
        except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
            return src, [_problem(name, "", "", "", "", f"无法读取 Excel 文件：{exc}",
                                  f"cannot read the Excel file: {exc}")]
        grids = [(sheet, pd.DataFrame([[_cell_text(v) for v in row] for row in rows]).astype(str)
                  if rows else pd.DataFrame()) for sheet, rows in sheets]
    elif lower.endswith((".csv", ".txt")):
        text, encoding = _decode(data)
        if text is None and encoding == "unclear":
            return src, [_problem(name, "", "", "", "", "文件编码不明确：按 GBK 读出大量生僻字，可能是繁体 Big5 编码或文件已损坏；请另存为 UTF-8 编码的 CSV",
                                  "unclear text encoding: read as GBK it gives mostly rare characters (Big5, or a damaged file); save the CSV as UTF-8")]
        if text is None:
            return src, [_problem(name, "", "", "", "", "文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV",
                                  "unknown text encoding: save the CSV as UTF-8 or GBK")]
        try:  # pyarrow's parser is ~20× faster on large files; it skips blank lines, which would
            # shift the row numbers in messages, so files with blank lines go to the C parser
            if re.search(r"\n[ \t\r]*\n", text):
                raise ValueError("blank lines")
            grid = pd.read_csv(io.BytesIO(text.encode("utf-8")), dtype=str, header=None, keep_default_na=False,
                               engine="pyarrow")
        except Exception:  # noqa: BLE001 - ragged rows (a title line above the header…): read them as they are
            grid = _ragged_csv(text)
        grid.columns = range(grid.shape[1])
        grids = [("", grid)]
    else:
        return src, [_problem(name, "", "", "", "", "只接受 .csv 或 .xlsx 文件", "only .csv and .xlsx files are accepted")]
    for sheet, grid in grids:
        part, found = _parse_grid(name, sheet, grid)
        problems += found
        if part is not None:
            src.parts.append(part)
    if not src.parts and not problems:
        problems.append(_problem(name, "", "", "", "", "没有找到任何数据表", "no data table found"))
    return src, problems


def _nonempty_rows(grid: pd.DataFrame) -> pd.Series:
    """Rows with a cell that is not blank. Column by column, each looking only at the rows still
    blank so far: a filled first column (an id) settles almost every row at once."""
    nonempty = pd.Series(False, index=grid.index)
    for col in grid.columns:
        todo = ~nonempty
        if not todo.any():
            break
        nonempty[todo] = (grid.loc[todo, col].str.strip() != "").to_numpy()
    return nonempty


def _parse_grid(file: str, sheet: str, grid: pd.DataFrame) -> tuple[Part | None, list[dict]]:
    """Find the header row (titles above it and units or a second header below are skipped),
    recognise the table, and coerce every column."""
    tables = dictionary.load()
    if grid.empty:
        return None, [_problem(file, sheet, "", "", "", "文件为空", "the file is empty")]
    grid = grid.fillna("").astype(str)
    nonempty = _nonempty_rows(grid)
    best = (None, {}, -1)
    for i in grid.index[nonempty][:10]:
        table, mapping = dictionary.match_headers(list(grid.loc[i]), tables)
        if len(mapping) > len(best[1]):
            best = (table, mapping, i)
    table_name, mapping, header_at = best
    if table_name is None or len(mapping) < 2:
        return None, [_problem(file, sheet, "", "", "", "找不到表头：请使用模板的中文或英文列名",
                               "no header row found: use the template's Chinese or English column names")]
    table = tables[table_name]
    headers = list(grid.loc[header_at])
    seen: dict[str, int] = {}
    for pos, h in enumerate(headers):
        norm = dictionary._norm_header(str(h))
        if norm and norm in seen:
            return None, [_problem(file, sheet, header_at + 1, str(h), "", f"列名“{h}”出现两次：请删除或改正重复的列",
                                   f"column '{h}' appears twice: delete or rename the duplicate")]
        if norm:
            seen[norm] = pos
    missing = [c for c in table.columns if c.required and c.name not in mapping.values()]
    if missing:
        return None, [_problem(file, sheet, header_at + 1, c.zh, "", f"缺少必填列“{c.zh}”（{c.name}）",
                               f"missing required column '{c.name}' ({c.zh})") for c in missing]
    keep = nonempty.copy()
    keep.loc[:header_at] = False
    # stray totals (合计, 总计…) in the first two columns
    for col in list(grid.columns)[:2]:
        keep &= ~grid[col].str.replace(" ", "").str.strip().str.lower().isin(TOTAL_WORDS)
    # a second header (English under Chinese) or a units row right under the header
    index = dictionary.header_index(table)
    for i in grid.index[keep][:3]:
        cells = [v.strip() for v in grid.loc[i] if v.strip()]
        if (sum(dictionary._norm_header(v) in index for v in cells) >= max(2, len(mapping) // 2)
                or all(re.fullmatch(r"[（(].*[)）]|单位.*", v) for v in cells)):
            keep.loc[i] = False
    widths = grid.attrs.get("widths")
    if widths is not None:  # a CSV with ragged rows: a data row must have the header's number of values
        header_width = len([h for h in headers if str(h).strip()]) if widths[header_at] > 0 else 0
        header_width = max(header_width, widths[header_at])
        ragged = [(i, widths[i]) for i in grid.index[keep] if widths[i] != header_width]
        if ragged:
            return None, [_problem(file, sheet, i + 1, "", n,
                                   f"这一行有 {n} 个值，表头有 {header_width} 列："
                                   + ("文件可能被截断或该行缺值" if n < header_width else "多出的值没有对应的列"),
                                   f"this row has {n} values but the header has {header_width} columns: "
                                   + ("the file may be cut short or the row is missing values" if n < header_width
                                      else "the extra values have no column"))
                          for i, n in ragged[:MAX_PROBLEMS_PER_FILE]]
    body = grid[keep]
    if body.empty:
        return None, [_problem(file, sheet, header_at + 1, "", "", "只有表头，没有数据行", "a header but no data rows")]
    rows = (body.index + 1).to_numpy()  # the row number a user sees in Excel or a text editor
    problems: list[dict] = []
    typed = {"_row": rows}
    for pos, name in mapping.items():
        column = table.column(name)
        values, bad = dictionary.coerce(column, body[pos])
        typed[name] = values.reset_index(drop=True)  # typed arrays, not Python objects: read fast by DuckDB
        if bad.any():
            room = max(0, MAX_PROBLEMS_PER_FILE - len(problems))
            for r, v in zip(rows[bad.to_numpy()][:room], body[pos][bad].to_numpy()[:room]):
                problems.append(_problem(file, sheet, int(r), headers[pos], v, f"应为{column.expected('zh')}",
                                         f"expected {column.expected('en')}"))
            unlisted = int(bad.sum()) - min(room, int(bad.sum()))
            if unlisted:  # counted, not listed: the total a user is told stays true
                problems.append(_problem(file, sheet, "", headers[pos], "", f"该列另有 {unlisted:,} 处同类问题未逐一列出",
                                         f"{unlisted:,} more such problem(s) in this column, not listed") | {"_more": unlisted})
    for column in table.columns:
        if column.name not in typed:
            typed[column.name] = pd.array([pd.NA] * len(body), dtype="object")
    frame = pd.DataFrame(typed)
    return Part(file=file, sheet=sheet, table=table.name, frame=frame), problems


# --------------------------------------------------------------------------------------------
# Cross-table checks


def _rows_problem(part_rows: pd.DataFrame, column: str, values, zh: str, en: str) -> list[dict]:
    out = []
    for (file, sheet, row), v in zip(part_rows[["_file", "_sheet", "_row"]].itertuples(index=False, name=None),
                                    values):
        out.append(_problem(file, sheet, int(row), column, v, zh, en))
    return out


def combine(sources: list[Source]) -> dict[str, pd.DataFrame]:
    """All parts of each table stacked, with their file, sheet and row."""
    by_table: dict[str, list[pd.DataFrame]] = {}
    for src in sources:
        for p in src.parts:
            by_table.setdefault(p.table, []).append(p.frame.assign(_file=p.file, _sheet=p.sheet))
    return {t: pd.concat(frames, ignore_index=True) for t, frames in by_table.items()}


def _matches(values: pd.Series, candidates: pd.Series, pattern: str) -> pd.Series:
    """values.str.fullmatch(pattern), run only where candidates is True (False elsewhere)."""
    out = pd.Series(False, index=values.index)
    if candidates.any():
        out[candidates] = values[candidates].str.fullmatch(pattern).fillna(False).astype(bool)
    return out


def check(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection | None) -> list[dict]:
    """Keys unique; schools in known counties; teachers and yearly rows at known schools; stages
    consistent with school kinds; the data model's row rules; pseudonymous teacher ids."""
    tables = dictionary.load()
    problems: list[dict] = []
    limit = MAX_PROBLEMS_PER_FILE * 5

    def add(rows: pd.DataFrame, column: str, values, zh: str, en: str) -> None:
        if not len(rows):
            return
        room = max(0, limit - len(problems))
        listed = _rows_problem(rows.head(room), column, list(values)[:room], zh, en)
        problems.extend(listed)
        if len(rows) > len(listed):  # counted, not listed
            first = rows.iloc[0]
            problems.append(_problem(first["_file"] if "_file" in rows else "", "", "", column, "",
                                     f"另有 {len(rows) - len(listed):,} 处同类问题未逐一列出：{zh}",
                                     f"{len(rows) - len(listed):,} more such problem(s), not listed: {en}")
                            | {"_more": len(rows) - len(listed)})

    for name, frame in batch.items():
        key = list(tables[name].key)
        dup = frame.duplicated(key, keep="first") & frame[key].notna().all(axis=1)
        if dup.any():
            add(frame[dup], "、".join(tables[name].column(k).zh for k in key),
                frame.loc[dup, key].astype(str).agg("/".join, axis=1),
                "重复的记录：同一主键出现多次", "duplicate key: the same record appears more than once")

    known_counties = set(geo.load_layer("counties")["adcode"])
    db_schools = pd.DataFrame(columns=["school_id", "kind"])
    if con is not None:
        known_counties |= {r[0] for r in con.execute("SELECT adcode FROM regions").fetchall()}
        db_schools = con.execute("SELECT school_id, kind FROM schools").df()
    for name in ("schools", "county_year"):
        if name in batch:
            f = batch[name]
            bad = f["adcode"].notna() & ~f["adcode"].isin(known_counties)
            add(f[bad], "县级行政区划代码", f.loc[bad, "adcode"], "未知的县级行政区划代码（应为6位县级代码）",
                "unknown county adcode (a 6-digit county code)")
    kinds = pd.concat([db_schools, batch["schools"][["school_id", "kind"]] if "schools" in batch else db_schools])
    kinds = kinds.drop_duplicates("school_id", keep="last").set_index("school_id")["kind"]
    for name in ("school_year", "school_stage_year", "teachers", "funding"):
        if name not in batch:
            continue
        f = batch[name]
        unknown = f["school_id"].notna() & ~f["school_id"].isin(kinds.index)
        if kinds.empty and unknown.any():  # no school anywhere yet: one line says what is missing
            for file in f["_file"].unique():
                problems.append(_problem(file, "", "", "学校标识码", "",
                                         "数据库中还没有任何学校：请同时导入学校文件（schools_学校.csv 或 .xlsx），再导入本文件",
                                         "the database has no schools yet: import the schools file "
                                         "(schools_学校.csv or .xlsx) together with this file"))
            continue
        add(f[unknown], "学校标识码", f.loc[unknown, "school_id"], "未知学校：学校标识码不在“学校”表或数据库中",
            "unknown school: the school id is neither in the schools file nor in the database")
        if "stage" in f:
            kind = f["school_id"].map(kinds)
            pairs = {f"{k}/{st}" for k, stages in ALLOWED_STAGES.items() for st in stages}
            judged = kind.notna() & f["stage"].notna()  # an unknown kind or stage is reported elsewhere
            allowed = ~judged | (kind.astype("string") + "/" + f["stage"].astype("string")).isin(pairs)
            wrong = ~allowed.to_numpy(dtype=bool, na_value=True) & ~unknown.to_numpy()
            add(f[wrong], "学段", [f"{k}/{s}" for k, s in zip(kind[wrong], f.loc[wrong, "stage"])],
                "学段与办学类型不符（如小学不能有初中学段）", "stage does not fit the school kind (e.g. a 小学 with junior pupils)")
    if "school_stage_year" in batch:
        f = batch["school_stage_year"]
        s, c, m = f["students"], f["classes"], f["max_class_size"]
        rule = ((s == 0) != (c == 0)) | (m > s) | ((c > 0) & (m * c < s))
        rule = rule.fillna(False).astype(bool)
        add(f[rule], "在校生数/班数/最大班额", [f"{a}/{b}/{d}" for a, b, d in zip(s[rule], c[rule], m[rule])],
            "学生、班数与最大班额互相矛盾（有学生必有班；最大班额不超过学生数；班数×最大班额不少于学生数）",
            "pupils, classes and largest class contradict each other")
    if "school_year" in batch:
        f = batch["school_year"]
        for rooms, size, zh in (("music_rooms", "music_room_min_m2", "音乐教室"), ("art_rooms", "art_room_min_m2", "美术教室")):
            # none: no area; some: the smallest one's area; not reported (blank): no area either
            # (the same rule as the schema's CHECK, told here with its row)
            rule = ((f[rooms].fillna(0) == 0) & f[size].notna()) | ((f[rooms] > 0) & f[size].isna())
            rule = rule.fillna(False).astype(bool)
            add(f[rule], f"{zh}数/面积", [f"{a}/{b}" for a, b in zip(f.loc[rule, rooms], f.loc[rule, size])],
                f"{zh}数为0或未报送时面积须留空，否则须填写最小面积",
                f"{zh}: leave the area empty when there are none or the count is not reported, fill it otherwise")
        kind = f["school_id"].map(kinds)
        senior_kind = kind.isin(load_criteria().resource["senior_kinds"])  # kinds with a senior-high section
        blank = f["senior_students"].isna() if "senior_students" in f else pd.Series(True, index=f.index)
        need = (senior_kind & blank).fillna(False).astype(bool)
        add(f[need], "高中段在校生数", [f"{k}/（空）" for k in kind[need]],
            "完全中学、十二年一贯制须填写高中段在校生数（校舍设备按加权学生数分摊）",
            "a 完全中学 or 十二年一贯制 needs its senior-high pupils (facilities are split by weighted enrolment)")
        if "senior_students" in f:
            extra = (~senior_kind & kind.notna() & (f["senior_students"].fillna(0) > 0)).fillna(False).astype(bool)
            add(f[extra], "高中段在校生数", [f"{k}/{v}" for k, v in zip(kind[extra], f.loc[extra, "senior_students"])],
                "只有完全中学、十二年一贯制有高中段学生", "only a 完全中学 or 十二年一贯制 has senior-high pupils")
    if "teachers" in batch:
        f = batch["teachers"]
        ids = f["teacher_id"].astype(str)
        length = ids.str.len()  # the patterns below are run only on ids of a length they can match
        idlike = _matches(ids, length.isin((15, 18)), r"\d{17}[\dXx]|\d{15}")  # 18-digit, or the old 15-digit, id number
        add(f[idlike], "教师标识", ["（已隐去）"] * int(idlike.sum()), "教师标识像身份证号：只能使用化名标识",
            "the teacher id looks like a national id number: use pseudonymous ids only")
        namelike = _matches(ids, length.between(2, 5), r"[\u4e00-\u9fff·]{2,5}")  # a Chinese personal name
        add(f[namelike], "教师标识", ["（已隐去）"] * int(namelike.sum()), "教师标识像姓名：只能使用化名标识（如 T000001）",
            "the teacher id looks like a person's name: use pseudonymous ids only (e.g. T000001)")
        if con is not None:
            # a teacher id is one teacher per year: already used that year in a county the files do
            # not cover, the rows would clash (the database refused them only after copying everything)
            county_of = pd.concat([con.execute("SELECT school_id, adcode FROM schools").df(),
                                   batch["schools"][["school_id", "adcode"]] if "schools" in batch else None])
            county_of = county_of.drop_duplicates("school_id", keep="last").set_index("school_id")["adcode"]
            # the teachers a replace import removes: those of the years and counties the teacher files hold
            covered = set(zip(f["year"], f["school_id"].map(county_of)))
            con.register("incoming_ids", f[["teacher_id", "year"]].drop_duplicates())
            held = con.execute("""SELECT t.teacher_id, t.year, s.adcode FROM teachers t JOIN schools s USING (school_id)
                                  JOIN incoming_ids i ON i.teacher_id = t.teacher_id AND i.year = t.year""").df()
            con.unregister("incoming_ids")
            held = held[[(y, c) not in covered for y, c in zip(held["year"], held["adcode"])]]
            if len(held):
                clash = f.merge(held[["teacher_id", "year", "adcode"]], on=["teacher_id", "year"])
                add(clash, "教师标识", clash["teacher_id"] + "（" + clash["adcode"] + "）",
                    "该教师标识同一学年已在另一个县（区）使用：一名教师每学年一行；若已调动，请一并导入原县数据或使用新标识",
                    "this teacher id is already used that year in another county: one row per teacher and year; "
                    "if the teacher moved, import that county's teachers too or use a new id")
    for name, frame in batch.items():  # text that no export, sheet or screen can carry
        for column in (c for c in tables[name].columns if c.type == "text" and c.name in frame):
            values = frame[column.name].astype("string")
            bad = values.str.contains(CONTROL_CHARACTERS, regex=True).fillna(False).astype(bool)
            add(frame[bad], column.zh, values[bad].map(lambda v: repr(v)[1:-1]),
                "含有控制字符（如 NUL、换行、制表符）：请删去",
                "contains control characters (such as NUL, line breaks or tabs): remove them")
    if "schools" in batch and con is not None:
        problems += _kind_changes(batch, con)
    return problems


CONTROL_CHARACTERS = r"[\x00-\x1f\x7f-\x9f]"


def _kind_changes(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection) -> list[dict]:
    """A school whose kind a file changes keeps its stored stage rows and teachers unless files
    of this import replace them: refuse a change that would leave rows the new kind cannot have
    (a 初中 becoming a 小学 with its junior pupils and teachers still stored)."""
    incoming = batch["schools"][["school_id", "kind", "adcode", "_file", "_sheet", "_row"]]
    con.register("incoming_kinds", incoming[["school_id", "kind"]])
    stored = con.execute("""
        WITH changed AS (
            SELECT s.school_id, i.kind AS new_kind FROM schools s JOIN incoming_kinds i USING (school_id)
            WHERE s.kind IS DISTINCT FROM i.kind
        )
        SELECT 'school_stage_year' AS tbl, r.school_id, r.year, r.stage, c.new_kind
        FROM school_stage_year r JOIN changed c USING (school_id)
        UNION ALL
        SELECT DISTINCT 'teachers', t.school_id, t.year, t.stage, c.new_kind
        FROM teachers t JOIN changed c USING (school_id)
    """).df()
    con.unregister("incoming_kinds")
    if stored.empty:
        return []
    allowed = stored.apply(lambda r: r["stage"] in ALLOWED_STAGES.get(r["new_kind"], set()), axis=1)
    stored = stored[~allowed]
    coverage = _coverage(batch, con)
    county = incoming.set_index("school_id")["adcode"]
    replaced = [(year, county.get(sid)) in {(y, c) for y, cs in coverage.get(tbl, {}).items() for c in cs}
                for tbl, sid, year in zip(stored["tbl"], stored["school_id"], stored["year"])]
    stored = stored[~pd.Series(replaced, index=stored.index, dtype=bool)]
    out = []
    for sid, rows in stored.groupby("school_id", sort=True):
        row = incoming[incoming["school_id"] == sid].iloc[-1]
        years = "、".join(map(str, sorted(rows["year"].unique())))
        stages = "、".join(sorted({STAGE_WORDS[x] for x in rows["stage"]}))
        out.append(_problem(row["_file"], row["_sheet"], int(row["_row"]), "办学类型", row["kind"],
                            f"办学类型改为{row['kind']}，但数据库中该校 {years} 学年仍有{stages}学段的在校生或教师记录："
                            f"请同时导入该校这些学年的学段和教师数据",
                            f"the kind becomes {row['kind']}, but the database still holds {stages} pupils or teachers "
                            f"of this school in {years}: import its stages and teachers of those years too"))
    return out


# --------------------------------------------------------------------------------------------
# Writing a new database file and swapping it in


class ImportBusy(ImportFailed):
    """Another import holds the database's lock (it says which process, since when)."""


@contextmanager
def _lock(path: Path):
    """The database's write lock (db.locked), its busy message as an import problem."""
    try:
        with db.locked(path):
            yield
    except db.DatabaseBusy as busy:
        raise ImportBusy(pd.DataFrame([_problem(
            "", "", "", "", busy.holder,
            f"另一个导入正在进行（{busy.holder}），等待 {busy.wait:.0f} 秒后放弃：请等它结束再导入；"
            f"若该进程已无响应，请结束它（锁随进程释放）",
            f"another import is running ({busy.holder}); gave up after waiting {busy.wait:.0f} s: wait for it "
            f"to finish, or stop that process if it hangs (the lock is released with it)")],
            columns=PROBLEM_COLUMNS)) from None


def _coverage(batch: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection) -> dict[str, dict[int, set[str]]]:
    """Per yearly table, the years and counties its own files hold: those rows of that table
    (and only of that table) are replaced. Teachers of 2024 beside county figures of 2023–2026
    replace the teachers of 2024, never those of the other years."""
    school_county = con.execute("SELECT school_id, adcode FROM schools").df().set_index("school_id")["adcode"]
    if "schools" in batch:
        school_county = pd.concat([school_county, batch["schools"].set_index("school_id")["adcode"]])
        school_county = school_county[~school_county.index.duplicated(keep="last")]
    out: dict[str, dict[int, set[str]]] = {}
    for name, f in batch.items():
        if name == "schools":
            continue
        key = "adcode" if name == "county_year" else "school_id"
        pairs = f[["year", key]].drop_duplicates()  # millions of teacher rows, thousands of schools
        counties = pairs[key] if name == "county_year" else pairs[key].map(school_county)
        for year, group in pd.DataFrame({"year": pairs["year"], "c": counties}).dropna().groupby("year"):
            out.setdefault(name, {}).setdefault(int(year), set()).update(group["c"].unique())
    return out


def _regions_rows(adcodes: set[str]) -> pd.DataFrame:
    """Region rows (names, city, province, kind) for counties, from the committed boundaries."""
    layer = geo.load_layer("counties")
    rows = layer[layer["adcode"].isin(adcodes)]
    return pd.DataFrame({"adcode": rows["adcode"], "county_name": rows["name"], "city_adcode": rows["city_adcode"],
                         "city_name": rows["city_name"], "province_adcode": rows["province_adcode"],
                         "province_name": rows["province_name"],
                         "county_kind": [geo.county_kind(n) for n in rows["name"]]})


def _last_import(con: duckdb.DuckDBPyConnection) -> dict | None:
    row = con.execute("SELECT value FROM metadata WHERE key = 'import_log'").fetchone()
    log = json.loads(row[0]) if row else []
    return log[-1] if log else None


def import_files(db_path: str | Path, files: list[tuple[str, bytes]], mode: str = "replace", new: bool = False,
                 source: str | None = None) -> Result:
    """Check every file, then write a new database with their rows and swap it in.

    mode 'replace': the rows of each year in the files replace that year's rows of the counties
    the files cover; 'append': refuse years the database already has for those counties.
    new: start from an empty database instead of the current one (required over demo data).
    Raises ImportFailed with every problem found; the database is then untouched.
    """
    if mode not in ("replace", "append"):
        raise ValueError("mode must be 'replace' or 'append'")
    # a symlinked database: import into the file it points to (backups and the swap happen there)
    path = Path(db_path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock(path):  # before reading: two imports of large files cost their memory in turn
        sources, problems = [], []
        for name, data in files:
            src, found = read(name, data)
            sources.append(src)
            problems += found
        batch = combine(sources)
        base = None if new or not path.exists() else db.connect(path)
        try:
            if base is not None and db.is_synthetic(base):
                raise ImportFailed(pd.DataFrame([_problem("", "", "", "", "", "当前数据库是演示数据：请导入到新数据库（--new），避免真实数据与模拟数据混在一起",
                                                          "the current database holds demo data: import into a new database (--new) so real and synthetic data never mix")],
                                                columns=PROBLEM_COLUMNS))
            problems += check(batch, base)   # every problem of every file at once
            if problems:
                total = sum(p.get("_more", 1) for p in problems)  # a summary row stands for its count
                raise ImportFailed(pd.DataFrame(problems, columns=PROBLEM_COLUMNS), total)
            hashes = sorted(s.sha256 for s in sources)
            last = _last_import(base) if base is not None else None
            if last and sorted(f["sha256"] for f in last["files"]) == hashes and last["mode"] == mode:
                return Result(path=path, changed=False, rows={}, years=[], counties=0, backup=None,
                              message="these files were the last import: nothing changed")
            from_current = base is not None
            if base is not None:
                base.close()
                base = None
            try:
                with db.building(path, lock=False, backup=True) as build:
                    rows, replaced, counties = _write(build.tmp, from_current, path, batch, sources, mode, source)
            except duckdb.Error as exc:
                raise ImportFailed(pd.DataFrame([_problem("", "", "", "", "", f"数据库拒绝了这些数据：{exc}",
                                                          f"the database refused the rows: {exc}")],
                                                columns=PROBLEM_COLUMNS)) from None
        finally:
            if base is not None:
                base.close()
    years = sorted(set().union(*replaced.values())) if replaced else []
    per_table = "; ".join(f"{t} {', '.join(map(str, ys))}" for t, ys in replaced.items()) or "-"
    return Result(path=path, changed=True, rows=rows, years=years, counties=counties, backup=build.backup,
                  message=f"imported {sum(rows.values()):,} rows for {counties} counties; years by table: {per_table}",
                  replaced=replaced)


# The current file, attached to the new one: DuckDB names a file's own database after the file,
# so a plain alias such as "old" collides when the database file is called old.duckdb.
PREVIOUS = "junheng_previous_version"

# Rows of an old table in the (year, county) pairs that table's files cover; `keep` = "NOT"
# gives the rest. A school's rows belong to the county the school is in now (after corrections).
_COVERED_ROWS = """
SELECT o.* FROM {previous}.{table} o
WHERE {keep} EXISTS (
    SELECT 1 FROM covered c
    WHERE c.tbl = '{table}' AND c.year = o.year AND c.adcode = {county}
)"""


def _covered_rows(table: str, keep: str) -> str:
    county = "o.adcode" if table == "county_year" else \
        "(SELECT s.adcode FROM schools s WHERE s.school_id = o.school_id)"
    return _COVERED_ROWS.format(table=table, keep=keep, county=county, previous=PREVIOUS)


def _write(tmp: Path, from_current: bool, path: Path, batch, sources, mode: str, source: str | None):
    """Build the new database in tmp: the current one's rows (unless new), then the batch."""
    con = db.open_duckdb(tmp)
    try:
        db.create_schema(con)
        tables = dictionary.load()
        # regions first (the current ones, then any county the files name), then schools with
        # the files' rows taking the place of the current ones — a correction (name, kind,
        # locale, county…) is written before the yearly tables that reference the school, so
        # their records follow it (DuckDB cannot update a row that foreign keys reference)
        if from_current:
            con.execute(f"ATTACH ? AS {PREVIOUS} (READ_ONLY)", [str(path)])
            con.execute(f"INSERT INTO regions SELECT * FROM {PREVIOUS}.regions")
        adcodes = set()
        for name in ("schools", "county_year"):
            if name in batch:
                adcodes |= set(batch[name]["adcode"].dropna())
        have = {r[0] for r in con.execute("SELECT adcode FROM regions").fetchall()}
        regions = _regions_rows(adcodes - have)
        if len(regions):
            con.register("new_regions", regions)
            con.execute("INSERT INTO regions SELECT * FROM new_regions")
        rows = {}
        if "schools" in batch:
            cols = ", ".join(c.name for c in tables["schools"].columns)
            con.register("incoming", batch["schools"][[c.name for c in tables["schools"].columns]])
            con.execute(f"INSERT INTO schools ({cols}) SELECT {cols} FROM incoming")
            rows["schools"] = len(batch["schools"])
            con.unregister("incoming")
        if from_current:
            con.execute(f"INSERT INTO schools SELECT * FROM {PREVIOUS}.schools WHERE school_id NOT IN (SELECT school_id FROM schools)")
        covered = _coverage(batch, con)
        con.register("covered", pd.DataFrame([(t, y, c) for t, years in covered.items() for y, cs in years.items()
                                              for c in sorted(cs)],
                                             columns=["tbl", "year", "adcode"]).astype({"year": "int64"}))
        replaced = [t for t in ("teachers", "funding", "school_stage_year", "school_year", "county_year") if t in batch]
        if from_current:
            for t in replaced:  # what the files would replace: append mode refuses it
                if mode == "append":
                    clash = con.execute(f"SELECT year FROM ({_covered_rows(t, '')}) LIMIT 1").fetchall()
                    if clash:
                        year = clash[0][0]
                        named = "、".join(s.name for s in sources if any(p.table == t for p in s.parts))
                        raise ImportFailed(pd.DataFrame([_problem(named, "", "", "学年", year, f"{year}学年在数据库中已有这些县的数据：请选择“替换”模式",
                                                                  f"the database already has {year} for these counties: use mode 'replace'")],
                                                        columns=PROBLEM_COLUMNS))
            # copy the rows that stay, not everything then delete (that left the file twice its size)
            for t in db.TABLES:
                if t in ("regions", "schools"):
                    continue
                if t in replaced:
                    con.execute(f"INSERT INTO {t} " + _covered_rows(t, "NOT"))
                else:
                    con.execute(f"INSERT INTO {t} SELECT * FROM {PREVIOUS}.{t}")
            con.execute(f"DETACH {PREVIOUS}")
        con.execute("BEGIN TRANSACTION")
        for name, table in tables.items():
            if name not in batch or name == "schools":
                continue
            f = batch[name][[c.name for c in table.columns]]
            con.register("incoming", f)
            cols = ", ".join(c.name for c in table.columns)
            if name == "county_year":
                vetoes = [c.name for c in table.columns if c.name.startswith("veto_")]
                select = ", ".join(f"coalesce({c}, FALSE)" if c in vetoes else c for c in (c.name for c in table.columns))
                con.execute(f"INSERT INTO county_year ({cols}) SELECT {select} FROM incoming")
            else:
                con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM incoming")
            rows[name] = len(f)
            con.unregister("incoming")
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        log = json.loads((con.execute("SELECT value FROM metadata WHERE key = 'import_log'").fetchone() or ["[]"])[0])
        log.append({"time": now, "mode": mode, "rows": rows,
                    "files": [{"name": s.name, "size": s.size, "sha256": s.sha256,
                               "tables": sorted({p.table for p in s.parts})} for s in sources]})
        meta = {"data_kind": "imported", "import_log": json.dumps(log, ensure_ascii=False), "imported_at": now}
        if source:
            meta["source"] = source
        elif not from_current:
            meta["source"] = "导入数据：" + "、".join(s.name for s in sources)
        for k, v in meta.items():
            con.execute("INSERT OR REPLACE INTO metadata VALUES (?, ?)", [k, v])
        broken = db.key_problems(con)
        if broken:  # the checks above should have caught these: never write such a version
            raise ImportFailed(pd.DataFrame([_problem("", "", "", "", "", f"数据库拒绝了这些数据：{b}",
                                                      f"the database refused the rows: {b}") for b in broken],
                                            columns=PROBLEM_COLUMNS))
        con.execute("COMMIT")
        balance.store(con)  # the assessment, computed once here and read by every page
        con.execute("CHECKPOINT")
        counties = len(set().union(*(cs for years in covered.values() for cs in years.values()),
                                   set(batch["schools"]["adcode"]) if "schools" in batch else set()))
        return rows, {t: sorted(years) for t, years in covered.items()}, counties
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Running an import in a child process with a memory limit

LOG = logging.getLogger("junheng.import")
IMPORT_MEMORY_GB = 8.0  # address space of the import process; JUNHENG_IMPORT_MEMORY_GB overrides


def _import_child(conn, db_path: str, files, mode: str, new: bool, source: str | None, limit: int,
                  owner: int) -> None:
    """The child's side: cap the address space, import, send back the result or the problems."""
    import resource

    db.follow_owner(owner)  # a server killed outright takes its import with it: no swap behind it
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(("ok", import_files(db_path, files, mode=mode, new=new, source=source)))
    except ImportFailed as exc:
        conn.send(("failed", exc.problems, exc.total))
    except MemoryError:
        conn.send(("memory",))
    except Exception as exc:  # noqa: BLE001 - reported to the user as the import's failure
        conn.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        conn.close()


def import_isolated(db_path: str | Path, files: list[tuple[str, bytes]], mode: str = "replace", new: bool = False,
                    source: str | None = None, memory_gb: float | None = None) -> Result:
    """import_files in a separate process whose memory is capped, so that no file — however
    large or crafted — can take the calling process (the app's server) down with it. Raises
    ImportFailed as import_files does, and also when the child runs out of memory or dies."""
    import multiprocessing

    gb = memory_gb or float(os.environ.get("JUNHENG_IMPORT_MEMORY_GB", IMPORT_MEMORY_GB))
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_import_child, daemon=True,
                        args=(send, str(db_path), files, mode, new, source, int(gb * 1024 ** 3), os.getpid()))
    with processes.bare_main():
        child.start()
    send.close()
    try:
        message = receive.recv()
    except EOFError:
        message = ("died",)
    finally:
        receive.close()
        child.join()
    if message[0] == "ok":
        return message[1]
    if message[0] == "failed":
        raise ImportFailed(message[1], message[2])
    raise _child_failure(message, "、".join(n for n, _ in files), gb, child.exitcode)


def _child_failure(message: tuple, names: str, gb: float, exitcode: int | None) -> ImportFailed:
    """The one-line problem for an import child that did not finish: a fault of the program is
    called that (and logged in full for the maintainer), never blamed on the files' size."""
    if message[0] == "error":  # a fault of this program, not of the files: say so, log it in full
        LOG.error("import of %s failed inside the program:\n%s", names, message[2])
        zh = (f"导入程序内部错误（不是文件的问题）：{message[1]}。数据库未改动。请把这条信息和服务器日志"
              "（“import of … failed inside the program”一行）交给维护人员")
        en = (f"internal error of the import program (not a problem of the files): {message[1]}. The database "
              "is unchanged. Please pass this message and the server log (the line \"import of … failed inside "
              "the program\") to the maintainer")
    else:
        zh = (f"导入进程超出内存上限（{gb:g} GB）或异常退出（退出码 {exitcode}）；数据库未改动。"
              "文件可能过大或已损坏：请拆分或改用 CSV")
        en = (f"the import process ran out of its memory limit ({gb:g} GB) or ended abnormally (exit code "
              f"{exitcode}); the database is unchanged. The file may be too large or damaged: split it or use CSV")
    return ImportFailed(pd.DataFrame([_problem(names, "", "", "", "", zh, en)], columns=PROBLEM_COLUMNS))


# --------------------------------------------------------------------------------------------
# Bringing a database written by an earlier version up to the current data model

RENAMED = {("county_year", "veto_major_incident"): "veto_safety_fee"}  # the old V4 named safety and fees


def migrate(db_path: str | Path) -> str:
    """Write the database again in the current data model (schema.sql) and swap it in, the old
    file kept as <db>.bak1. Columns that are new get what 'not reported' means for them: NULL,
    or FALSE for a veto (a veto column left blank means it did not happen). Returns a summary,
    naming what now has to be reported (senior-high pupils of 完全中学 / 十二年一贯制)."""
    path = Path(db_path).resolve()
    with _lock(path), db.building(path, lock=False, backup=True) as build:
        old = db.connect(path, check_version=False)
        have = {t: {r[0] for r in old.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database()",
            [t]).fetchall()} for t in db.TABLES}
        old.close()
        con = db.open_duckdb(build.tmp)
        try:
            db.create_schema(con)
            con.execute(f"ATTACH ? AS {PREVIOUS} (READ_ONLY)", [str(path)])
            added = []
            model = db.schema_columns()
            for table in db.TABLES:  # referenced tables first
                columns, select = model[table], []
                for c in columns:
                    if c in have[table]:
                        select.append(c)
                    elif (table, c) in RENAMED and RENAMED[(table, c)] in have[table]:
                        select.append(f"{RENAMED[(table, c)]} AS {c}")
                    else:
                        select.append(f"{'FALSE' if c.startswith('veto_') else 'NULL'} AS {c}")
                        added.append(f"{table}.{c}")
                con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(select)} FROM {PREVIOUS}.{table}")
            unsplit = con.execute("""SELECT count(DISTINCT school_id) FROM school_year JOIN schools USING (school_id)
                                     WHERE kind IN ('完全中学', '十二年一贯制') AND senior_students IS NULL""").fetchall()[0][0]
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            con.execute("INSERT OR REPLACE INTO metadata VALUES ('migrated_at', ?)", [now])
            con.execute(f"DETACH {PREVIOUS}")
            balance.store(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    backup = build.backup
    note = (f"; {unsplit} 完全中学/十二年一贯制 school(s) now need their senior-high pupils reported "
            "(school_year.senior_students) before their facilities can be split" if unsplit else "")
    return (f"{path} migrated to the current data model (new columns: {', '.join(added) or 'none'}); "
            f"previous file kept as {backup}{note}")
