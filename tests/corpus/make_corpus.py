"""Writes the import test corpus (committed): a few good files and one bad file per mistake.

    python tests/corpus/make_corpus.py
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent

SCHOOLS = """学校标识码,学校名称,县级行政区划代码,办学类型,城乡分类,是否公办,经度,纬度
S001,锦江实验小学,510104,小学,城区,是,104.08,30.65
S002,锦江第二小学,510104,小学,镇区,是,104.10,30.62
S003,锦江乡村小学,510104,小学,乡村,是,104.12,30.60
"""
STAGES = """学校标识码,学年,学段,在校生数（人）,班数,最大班额
S001,2024,小学,"1,200",27,45
S002,2024,小学,８００,18,45
S003,2024,小学,400,10,42
"""
FACILITIES = """学校标识码,学年,教学及辅助用房面积,体育运动场馆面积,教学仪器设备值,网络多媒体教室数,音乐教室数,最小音乐教室面积,美术教室数,最小美术教室面积
S001,2024,6000,9600,2800000,30,3,100,3,95
S002,2024,4000,6400,1800000,20,2,100,2,95
S003,2024,1900,3000,800000,10,1,100,1,95
"""
COUNTY = """县级行政区划代码,学年,小学生均公用经费基准定额,初中生均公用经费基准定额,当地公务员年平均工资,初中三年巩固率,残疾儿童少年入学率,随迁子女公办学校就读比例
510104,2024,720,940,"95,000",96%,0.97,92%
"""


def teachers_rows(n_per_school: dict[str, int]) -> list[list]:
    rows = []
    i = 0
    for school, n in n_per_school.items():
        for k in range(n):
            i += 1
            rows.append([f"T{i:05d}", 2024, school, "小学", "本科" if k % 4 else "专科", "县级" if k % 6 == 0 else "无",
                         "体育" if k % 9 == 0 else "数学", "是", "是", "否", "否", 380, 80, 96000])
    return rows


TEACHER_HEADER = ["教师标识", "学年", "学校标识码", "学段", "最高学历", "骨干教师级别", "任教学科", "是否专任教师",
                  "是否持有教师资格证", "本学年是否交流轮岗", "是否应交流教师", "五年累计培训学时", "本学年培训学时",
                  "年平均工资收入"]


def main() -> None:
    (HERE / "good_schools.csv").write_text(SCHOOLS, encoding="utf-8")
    (HERE / "good_stages_gbk.csv").write_bytes(STAGES.encode("gbk"))          # GBK, as statistics systems export
    (HERE / "good_facilities_bom.csv").write_text(FACILITIES, encoding="utf-8-sig")
    (HERE / "good_county.csv").write_text(COUNTY, encoding="utf-8")
    wb = Workbook()
    ws = wb.active
    ws.title = "教师"
    ws.append(["锦江区教师基本情况（2024学年）"])                               # a title row above the header
    ws.append(TEACHER_HEADER)
    ws.append(["teacher_id", "year", "school_id", "stage", "degree", "backbone", "subject", "full_time",
               "certified", "exchanged", "exchange_eligible", "training_hours_5y", "training_hours_year",
               "annual_pay_yuan"])                                               # a second header row
    for row in teachers_rows({"S001": 60, "S002": 40, "S003": 20}):
        ws.append(row)
    ws.append(["合计", None, None, None, None, None, None, None, None, None, None, None, None, None])
    wb.save(HERE / "good_teachers_two_headers.xlsx")

    bad = {
        "bad_encoding_utf16.csv": SCHOOLS.encode("utf-16"),
        "bad_missing_column.csv": "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 3)
                                            for line in SCHOOLS.strip().splitlines()).encode(),
        "bad_unknown_county.csv": SCHOOLS.replace("S003,锦江乡村小学,510104", "S003,锦江乡村小学,519999").encode(),
        "bad_duplicate_keys.csv": (SCHOOLS + "S002,锦江第二小学（重复）,510104,小学,镇区,是,104.10,30.62\n").encode(),
        "bad_negative_area.csv": FACILITIES.replace("S002,2024,4000", "S002,2024,-4000").encode(),
        "bad_text_in_number.csv": STAGES.replace("S003,2024,小学,400", "S003,2024,小学,四百").encode(),
        "bad_teacher_unknown_school.csv": (",".join(TEACHER_HEADER) + "\n" + ",".join(
            map(str, ["T99999", 2024, "S404", "小学", "本科", "无", "数学", "是", "是", "否", "否", 380, 80, 96000]))
            + "\n").encode(),
        "bad_empty.csv": b"",
        "bad_header_only.csv": (SCHOOLS.splitlines()[0] + "\n").encode(),
    }
    for name, data in bad.items():
        (HERE / name).write_bytes(data)
    wb = Workbook()
    ws = wb.active
    ws.append(TEACHER_HEADER)
    ws.append(["teacher_id", "year", "school_id", "stage", "degree", "backbone", "subject", "full_time",
               "certified", "exchanged", "exchange_eligible", "training_hours_5y", "training_hours_year",
               "annual_pay_yuan"])
    rows = teachers_rows({"S001": 3})
    rows[1][4] = "小学毕业"                                                     # row 4 of the sheet
    for row in rows:
        ws.append(row)
    wb.save(HERE / "bad_two_headers_bad_degree.xlsx")


# ---- hostile files (issue "Hardening"): each refused with its file and row, or read as documented

_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                  'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                  'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                  '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
                  'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxml'
                  'formats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
             '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
             '<sheet name="学校" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def xlsx(rows_xml: str) -> bytes:
    """A minimal workbook whose one sheet, 学校, holds the given <row> elements."""
    import io
    import zipfile

    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><sheetData>{rows_xml}</sheetData></worksheet>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS),
                           ("xl/workbook.xml", _WORKBOOK), ("xl/_rels/workbook.xml.rels", _WB_RELS),
                           ("xl/worksheets/sheet1.xml", sheet)):
            z.writestr(name, text)
    return buf.getvalue()


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _big5_schools() -> bytes:
    text = SCHOOLS.replace("学校标识码", "學校標識碼").replace("学校名称", "學校名稱").replace("锦江", "錦江")
    text = text.replace("实验", "實驗").replace("学", "學").replace("乡村", "鄉村").replace("城区", "城區")
    return text.encode("big5", errors="replace")


def _big5_english_headers() -> bytes:
    """Big5 with English headers: only a few Chinese characters (names), which GB18030 decodes
    into other characters; a teacher-file-like id carries one too."""
    return ("school_id,name,adcode,kind,locale,is_public,longitude,latitude\n"
            "S甲01,錦江小學,510104,primary,urban,1,104.08,30.65\n").encode("big5")


ROW2 = "S002,锦江第二小学,510104,小学,镇区,是,104.10,30.62"
HOSTILE = {
    # a 2 KB workbook naming cell XFD1048576 (the reader would allocate the whole grid)
    "hostile_xfd1048576.xlsx": lambda: xlsx(f'<row r="1">{_cell("A1", "学校标识码")}</row>'
                                            f'<row r="1048576">{_cell("XFD1048576", "x")}</row>'),
    # two cells spanning 900,000 rows × 200 columns
    "hostile_tall_and_wide.xlsx": lambda: xlsx(f'<row r="1">{_cell("A1", "学校标识码")}</row>'
                                               f'<row r="900000">{_cell("GR900000", "x")}</row>'),
    "hostile_cut_short.csv": lambda: SCHOOLS.rstrip("\n").rsplit(",", 3)[0].encode(),
    "hostile_extra_value.csv": lambda: SCHOOLS.replace(ROW2, ROW2 + ",多余").encode(),
    "hostile_nan.csv": lambda: COUNTY.replace("96%", "NaN", 1).encode(),
    "hostile_duplicate_header.csv": lambda: SCHOOLS.replace("纬度", "经度", 1).encode(),
    "hostile_big5.csv": _big5_schools,
    "hostile_big5_few_characters.csv": _big5_english_headers,
    "hostile_long_id.csv": lambda: SCHOOLS.replace("S003,", "S" + "9" * 40 + ",").encode(),
    "hostile_room_2000.csv": lambda: FACILITIES.replace("3,100,3,95", "3,2000,3,95", 1).encode(),
    "hostile_titled.csv": lambda: ("锦江区学校名单（2024学年）\n" + SCHOOLS).encode(),
    "hostile_formula_names.csv": lambda: SCHOOLS.replace("锦江实验小学", '"=HYPERLINK(""http://host/x"",""点击"")"')
    .replace("锦江第二小学", "+1+1 小学").replace("锦江乡村小学", "![t](http://host/t.png)<img src=x>").encode(),
}


def hostile() -> None:
    for name, make in HOSTILE.items():
        (HERE / name).write_bytes(make())


# Criteria files with one mistake each, made from the national file so they follow it when it
# changes: file → (the text of data/criteria.toml to change, first occurrence, and what it becomes)
CRITERIA = HERE.parents[1] / "data" / "criteria.toml"
RULE_EDITS = {
    "criteria_counted_no.toml": ('id = "R1"', 'id = "R1"\ncounted = "no"'),
    "criteria_stages_number.toml": ('id = "R1"', 'id = "R1"\nstages = 5'),
    "criteria_id_list.toml": ('id = "R1"', 'id = ["R1"]'),
    "criteria_floor_nan.toml": ("floor_ratio = 0.85", "floor_ratio = nan"),
    "criteria_inf_weight.toml": ("junior = 1.1, senior", "junior = inf, senior"),
    "criteria_min_met_8.toml": ("min_met = 6", "min_met = 8"),
    "criteria_nan_cv.toml": ("cv_threshold = { primary = 0.50,", "cv_threshold = { primary = nan,"),
    "criteria_nan_threshold.toml": ("threshold = { primary = 4.2,", "threshold = { primary = nan,"),
    "criteria_negative_threshold.toml": ("threshold = { primary = 4.2,", "threshold = { primary = -5,"),
}


def rule_files() -> dict[str, bytes]:
    """The corpus's criteria files that are the national file with one mistake (GBK included)."""
    text = CRITERIA.read_text(encoding="utf-8")
    out = {}
    for name, (old, new) in RULE_EDITS.items():
        assert old in text, f"{name}: {old!r} is no longer in {CRITERIA.name}"
        out[name] = text.replace(old, new, 1).encode("utf-8")
    out["criteria_gbk.toml"] = text.encode("gb18030")  # GBK as Windows saves it (² needs GB18030)
    return out


def rules() -> None:
    for name, data in rule_files().items():
        (HERE / "rules" / name).write_bytes(data)


if __name__ == "__main__":
    main()
    hostile()
    rules()
