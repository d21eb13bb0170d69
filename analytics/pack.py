"""The briefing pack: every file of a region's briefing in one go (sheet, maps, charts, the official
tables, the slide deck), for the Briefing page's ZIP and `python -m analytics export`."""

from __future__ import annotations

import pandas as pd

from analytics import balance, exports, fonts, regions, reports
from analytics import slides as deck
from analytics.criteria import Criteria
from analytics.output import Context
from analytics.targets import Plan


def briefing_pack(a: balance.Assessment, gaps: pd.DataFrame, criteria: Criteria, values: pd.DataFrame,
                  table: pd.DataFrame, plan: Plan, region: str, year: int, stage: str, ctx: Context,
                  names: dict[str, str], slides: bool = True) -> dict[str, bytes]:
    """Every file of a region's briefing: sheet PDF (and PNG), map PNG/SVG/PDF, charts, Excel,
    and the slide deck (unless slides=False)."""
    stem = f"{region}_{year}"
    files: dict[str, bytes] = {}
    sheet = exports.render_all(exports.briefing_sheet(a, gaps, criteria, values, table, plan, region, year, stage, ctx),
                       ("pdf", "png2"))
    files[f"{stem}_briefing.pdf"] = sheet["pdf"]
    files[f"{stem}_briefing@2x.png"] = sheet["png2"]
    figures = {"map_status": exports.map_figure(a, gaps, criteria, region, "status", year, stage, ctx, plan),
               "urban_rural": exports.gaps_figure(a, gaps, region, year, ctx)}
    if regions.kind(region) == "county":
        figures["cv"] = exports.cv_figure(a, region, year, stage if stage != balance.OVERALL else "all", ctx)
    else:
        figures["map_cv_composite"] = exports.map_figure(a, gaps, criteria, region, "cv_composite", year, stage, ctx, plan)
        figures["status_counts"] = exports.status_figure(a, region, stage, ctx)
    for metric, st in dict.fromkeys((tg.metric, tg.stage) for tg in plan.targets):
        figures[f"progress_{metric}"] = exports.progress_figure(values, table, plan, metric, st, region, year, names, ctx, criteria)
    for name, fig in figures.items():
        rendered = exports.render_all(fig, exports.FORMATS if name.startswith("map") else ("png2", "svg"), embed=False)
        for fmt, data in rendered.items():
            files[f"{stem}_{name}{exports.EXTENSION[fmt]}"] = data
    # every SVG carries its font: one subset for them all, cut once
    svgs = [f for f in files if f.endswith(exports.EXTENSION["svg"])]
    for f, svg in zip(svgs, fonts.embed_in_svgs([files[f].decode("utf-8") for f in svgs])):
        files[f] = svg.encode("utf-8")
    files[f"{stem}_tables.xlsx"] = reports.workbook(a, criteria, region, year, ctx)
    if slides:
        files[f"{stem}_slides.pptx"] = deck.deck(a, gaps, criteria, values, table, plan, region, year, stage, ctx)
    return files
