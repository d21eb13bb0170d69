"""Words in the reader's language, Chinese first with an English switch: t() over the catalogue
(strings.py), the labels of codes (statuses, stages, kinds…) and the method's notes."""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from analytics.core.classes import REGISTRY
from analytics.core.strings import STRINGS

_LABELS = {(c.code, group): c.label for group, classes in REGISTRY.items() for c in classes}

# School kinds are stored in Chinese (the data dictionary's codes): their English names
KIND_LABELS_EN = {"小学": "Primary school", "初中": "Junior secondary school", "九年一贯制": "Nine-year school",
                  "十二年一贯制": "Twelve-year school", "完全中学": "Complete secondary school",
                  "教学点": "Teaching point", "特殊教育学校": "Special education school"}


def kind_label(kind: str, lang: str = "zh") -> str:
    """A school kind in the reader's language."""
    return KIND_LABELS_EN.get(kind, kind) if lang == "en" else kind


LOCALE_LABELS = {
    "urban": {"zh": "城区", "en": "Urban"},
    "town": {"zh": "镇区", "en": "Town"},
    "rural": {"zh": "乡村", "en": "Rural"},
}

LEVEL_LABELS = {
    "national": {"zh": "全国", "en": "Country"},
    "province": {"zh": "省", "en": "Province"},
    "city": {"zh": "市（州）", "en": "Prefecture"},
    "county": {"zh": "县（区）", "en": "County"},
}

STAGE_LABELS = {
    "primary": {"zh": "小学", "en": "Primary"},
    "junior": {"zh": "初中", "en": "Junior"},
    "all": {"zh": "全部", "en": "All"},
}


PERCENT = "{:.1%}"  # every percentage shown or exported: one decimal


def percent(value: object) -> str:
    """A share as a percentage, one way everywhere ('—' when unknown)."""
    return "—" if value is None or pd.isna(value) else PERCENT.format(value)  # NaN, or pandas' NA


# The gap plan's tables (display.gap_*): column → label
GAP_COUNTY_COLUMNS = {
    "county_name": {"zh": "县（区）", "en": "County"}, "city_name": {"zh": "市（州）", "en": "Prefecture"},
    "status_before": {"zh": "当前状态", "en": "Status now"}, "teachers_hire": {"zh": "新聘教师", "en": "Hire"},
    "teachers_rotate": {"zh": "交流轮岗", "en": "Rotate"}, "area_m2": {"zh": "教学用房 m²", "en": "Teaching m²"},
    "sports_m2": {"zh": "体育场地 m²", "en": "Sports m²"}, "equipment_yuan": {"zh": "仪器设备 元", "en": "Equipment yuan"},
    "multimedia_rooms": {"zh": "多媒体教室", "en": "Multimedia rooms"},
    "cost_yuan": {"zh": "总成本 万元", "en": "Cost (10k yuan)"}, "cost_per_pupil": {"zh": "生均 元", "en": "Per pupil yuan"},
    "unfixable": {"zh": "需政策措施的未达标项", "en": "Not fixable by resources"},
    "missing_criteria": {"zh": "缺数据的计分指标", "en": "Counted criteria without data"},
    "schools_missing_data": {"zh": "缺资源数据学校（未测算）", "en": "Schools lacking data (not planned)"},
    "would_pass": {"zh": "投入后可达标", "en": "Passes if funded"},
}
GAP_SCHOOL_COLUMNS = {
    "name": {"zh": "学校", "en": "School"}, "stage": {"zh": "学段", "en": "Stage"}, "students": {"zh": "学生", "en": "Pupils"},
    "hire_backbone": {"zh": "新聘骨干", "en": "Hire backbone"}, "hire_pe_arts": {"zh": "新聘体艺", "en": "Hire PE/arts"},
    "hire_regular": {"zh": "新聘其他", "en": "Hire other"}, "teachers_rotate_in": {"zh": "轮岗调入", "en": "Rotate in"},
    "teachers_rotate_out": {"zh": "轮岗调出", "en": "Rotate out"}, "area_m2": {"zh": "教学用房 m²", "en": "Teaching m²"},
    "sports_m2": {"zh": "体育场地 m²", "en": "Sports m²"}, "equipment_yuan": {"zh": "仪器设备 元", "en": "Equipment yuan"},
    "multimedia_rooms": {"zh": "多媒体教室", "en": "Multimedia rooms"}, "cost_yuan": {"zh": "成本 万元", "en": "Cost (10k yuan)"},
    "missing_indicators": {"zh": "缺数据（未测算）", "en": "Missing data (not planned)"},
}
GAP_CODE_COLUMNS = {
    "adcode": {"zh": "行政区划代码", "en": "adcode"}, "school_id": {"zh": "学校代码", "en": "School id"},
    "stage": {"zh": "学段", "en": "Stage"},
}
GAP_ROTATION_COLUMNS = {
    "adcode": {"zh": "行政区划代码", "en": "adcode"}, "stage": {"zh": "学段", "en": "Stage"}, "n": {"zh": "人数", "en": "Teachers"},
    "from_school": {"zh": "调出学校代码", "en": "From school (id)"}, "to_school": {"zh": "调入学校代码", "en": "To school (id)"},
    "degree": {"zh": "其中：高于规定学历", "en": "Of whom above the required degree"},
    "backbone": {"zh": "其中：县级以上骨干", "en": "Of whom backbone"}, "pe_arts": {"zh": "其中：体育艺术", "en": "Of whom PE/arts"},
}
GAP_COST_LABELS = {
    "teaching_area_per_m2": {"zh": "教学及辅助用房（元/m²）", "en": "Teaching floor area (yuan/m²)"},
    "sports_area_per_m2": {"zh": "体育运动场馆（元/m²）", "en": "Sports ground (yuan/m²)"},
    "multimedia_room": {"zh": "网络多媒体教室（元/间）", "en": "Multimedia classroom (yuan each)"},
    "equipment_per_yuan": {"zh": "教学仪器设备（元/元）", "en": "Equipment (yuan per yuan)"},
    "hire_regular_per_year": {"zh": "新聘教师（元/人·年）", "en": "New teacher (yuan per year)"},
    "hire_backbone_per_year": {"zh": "新聘骨干教师（元/人·年）", "en": "New backbone teacher (yuan per year)"},
    "hire_pe_arts_per_year": {"zh": "新聘体育艺术教师（元/人·年）", "en": "New PE/arts teacher (yuan per year)"},
    "rotate_per_year": {"zh": "交流轮岗补助（元/人·年）", "en": "Rotation allowance (yuan per year)"},
    "years": {"zh": "测算年限（年）", "en": "Years costed"},
}
# The official Excel tables (analytics/export/reports.py): titles, headers and notes in either language
REPORT_STRINGS = {
    "xl_sheet_cv": {"zh": "校际差异系数表", "en": "Inter-school CV"},
    "xl_sheet_school": {"zh": "学校达标情况表", "en": "School compliance"},
    "xl_cv_title": {"zh": "{name}义务教育学校校际差异系数表（{year}学年）",
                    "en": "{name}: inter-school difference coefficients of compulsory education schools, school year {year}"},
    "xl_cv_sub": {"zh": "统计口径：按在校生数加权的校际差异系数；学年：{year}—{next}；单位见各指标",
                  "en": "Difference coefficients weighted by enrolment; school year {year}–{next}; units as each indicator"},
    "xl_school_title": {"zh": "{name}义务教育学校资源配置达标情况表（{year}学年）",
                        "en": "{name}: resource standards met by each compulsory education school, school year {year}"},
    "xl_school_sub": {"zh": "标准：{rule}；学年：{year}—{next}", "en": "Standard: {rule}; school year {year}–{next}"},
    "xl_county": {"zh": "县（区）", "en": "County"},
    "xl_stage": {"zh": "学段", "en": "Stage"},
    "xl_mean": {"zh": "均值", "en": "Mean"},
    "xl_cv": {"zh": "差异系数", "en": "CV"},
    "xl_composite": {"zh": "综合差异系数", "en": "Composite CV"},
    "xl_limit": {"zh": "差异系数标准（≤）", "en": "CV limit (≤)"},
    "xl_passed": {"zh": "是否达标", "en": "Passed"},
    "xl_school": {"zh": "学校名称", "en": "School"},
    "xl_students": {"zh": "在校生数（人）", "en": "Pupils"},
    "xl_standard": {"zh": "标准 小学≥{primary} 初中≥{junior}", "en": "Standard: primary ≥ {primary}, junior ≥ {junior}"},
    "xl_met": {"zh": "达标项数", "en": "Standards met"},
    "xl_lowest": {"zh": "最低项达标率", "en": "Lowest share of standard"},
    "xl_missing": {"zh": "缺数据", "en": "No data"},
    "xl_method": {"zh": "注：评估方法依据《{title}》；差异系数为按在校生数加权的变异系数，小学≤{primary}、初中≤{junior}。",
                  "en": "Note: method of {title}; a difference coefficient is the enrolment-weighted coefficient of "
                        "variation, primary ≤ {primary}, junior ≤ {junior}."},
    "xl_page": {"zh": "第 &P 页，共 &N 页", "en": "Page &P of &N"},
}
STRINGS.update(REPORT_STRINGS)
# a criterion's unit in English (the criteria file writes units in Chinese)
UNITS_EN = {"人": "teachers", "m²": "m²", "元": "yuan", "间": "rooms", "%": "%", "倍": "×", "级": "level",
            "所不达标": "schools failing"}


def unit_label(unit: str, lang: str = "zh") -> str:
    return UNITS_EN.get(unit, unit) if lang == "en" else unit


GAP_SHEETS = {
    "counties": {"zh": "县（区）", "en": "Counties"}, "stages": {"zh": "县（区）×学段", "en": "Counties by stage"},
    "schools": {"zh": "学校", "en": "Schools"}, "rotations": {"zh": "交流轮岗", "en": "Rotations"},
    "costs": {"zh": "单位成本", "en": "Unit costs"},
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The UI string `key` in `lang`, formatted with fmt."""
    text = STRINGS[key].get(lang) or STRINGS[key]["zh"]
    return text.format(**fmt) if fmt else text


class Text(NamedTuple):
    """A text by key and parameters, told in either language when shown (an import problem):
    a parameter may itself be a Text, or a function of the language (a column's expected form)."""

    key: str
    params: dict = {}

    def told(self, lang: str = "zh") -> str:
        return t(self.key, lang, **{k: v.told(lang) if isinstance(v, Text) else v(lang) if callable(v) else v
                                    for k, v in self.params.items()})


def each(key: str, lang: str, **columns: pd.Series) -> pd.Series:
    """The string `key` in `lang` for every row, formatted with that row's values of `columns`."""
    text = STRINGS[key].get(lang) or STRINGS[key]["zh"]
    index = next(iter(columns.values())).index
    return pd.Series([text.format(**dict(zip(columns, row))) for row in zip(*columns.values())], index=index,
                     dtype=object)


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: object) -> str:
    """Text from the data (school names, a source line) made safe for Streamlit's Markdown: every
    Markdown, HTML and directive character is escaped, so it shows as typed — an imported
    '![t](http://host/t.png)' is text, not an image the viewer's browser would fetch."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", "  \n")


def status_label(status: str, lang: str = "zh") -> str:
    return t(_LABELS[status, "county_status"], lang)


def stage_label(stage: str, lang: str = "zh") -> str:
    return STAGE_LABELS[stage][lang]


def criteria_list(codes: str, lang: str = "zh") -> str:
    """A status's list of criterion codes ('RS·primary, G15') in the reader's language
    ('RS·小学, G15')."""
    if not isinstance(codes, str) or not codes:
        return ""
    items = []
    for code in codes.split(", "):
        criterion, _, stage = code.partition("·")
        items.append(f"{criterion}·{stage_label(stage, lang)}" if stage in STAGE_LABELS else code)
    return ", ".join(items)


def locale_label(locale: str, lang: str = "zh") -> str:
    return LOCALE_LABELS[locale][lang]


def progress_label(status: str, lang: str = "zh") -> str:
    return t(_LABELS[status, "target_progress"], lang)


def level_label(level: str, lang: str = "zh") -> str:
    return LEVEL_LABELS[level][lang]


RESOURCE_COUNT = 7  # R1–R7: the method's resource indicators (the criteria loader requires all seven)


def compliance_rule(criteria, lang: str = "zh") -> str:
    """A school's compliance rule as the criteria file sets it: 'at least 6 of 7 standards met,
    the rest at least 85 % of standard' (both numbers from the file)."""
    n, floor = int(criteria.resource["min_met"]), percent(float(criteria.resource["floor_ratio"]))
    total = RESOURCE_COUNT
    if lang == "en":
        return f"each school meets at least {n} of {total} standards, the rest at least {floor} of standard"
    return f"每所学校至少{n}项指标达到标准、其余项不低于标准的{floor}"


def gap_spare(criteria, lang: str = "zh") -> str:
    """What the gap plan leaves short, by the file's rule: the dearest misses down to its floor."""
    spare = RESOURCE_COUNT - int(criteria.resource["min_met"])
    floor = percent(float(criteria.resource["floor_ratio"]))
    if spare <= 0:
        return "every standard met in full" if lang == "en" else "每项都补到标准"
    if lang == "en":
        return f"the dearest {spare} to {floor} of standard" if spare > 1 else f"the dearest one to {floor} of standard"
    return f"最难补的{spare}项补到标准的{floor}" if spare > 1 else f"最难补的一项补到标准的{floor}"


def method_notes(criteria, lang: str = "zh") -> list[str]:
    """The method lines every screen and export prints: the method, the missing-data rule, the
    facility split weights and the teaching-point setting in force (from the criteria file)."""
    w = criteria.weights
    small = int(criteria.resource["small_teaching_point_students"])
    if lang == "en":
        tp = (f"Teaching points with fewer than {small} pupils are left out of the resource indicators "
              "(a local rule set in the criteria file, not the national text)." if small > 0
              else "Every teaching point is included in the resource indicators.")
        return [STRINGS["method_note"]["en"],
                "Missing data is never a pass and never a zero: a school lacking an indicator's data is left out "
                "of that indicator's CV (numerator and weights), and a county with any counted criterion or school "
                "indicator missing is 'Incomplete data', never 'Pass'.",
                f"Shared facilities are split between stages by weighted enrolment: primary pupil {w['primary']:g}, "
                f"junior {w['junior']:g}, senior-high {w['senior']:g}.",
                f"School compliance (these rules): {compliance_rule(criteria, 'en')}.", tp]
    tp = (f"不足 {small} 人的教学点不参加资源配置指标计算（地方规则，见评估标准文件，非国家文本规定）。" if small > 0
          else "所有教学点均参加资源配置指标计算。")
    return [STRINGS["method_note"]["zh"],
            "缺数据既不算达标也不算零：缺某项数据的学校不参与该指标差异系数的计算（分子与权数均不计），"
            "有计分指标或学校指标缺数据的县状态为“数据不足”，不判为达标。",
            f"学校共用的校舍、场地与设备按加权在校生数分摊到各学段：小学生 {w['primary']:g}、初中生 {w['junior']:g}、"
            f"高中生 {w['senior']:g}。", f"学校达标（本评估标准）：{compliance_rule(criteria, 'zh')}。", tp]
