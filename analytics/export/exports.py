"""Briefing exports: print-ready maps and charts (PNG 2×/3×, SVG, PDF) rendered server-side with
vl-convert and the bundled CJK font, the one-page briefing sheet, and the pack of everything.

Every image carries a title, a subtitle (year, stage, plan), the source line, the
"示意图，非标准地图" note on maps, and the demo-data mark when the data is synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import pandas as pd
import shapely

from analytics.assess import balance, county_values, metrics, progress, urban_rural
from analytics.assess.criteria import Criteria
from analytics.assess.targets import METRICS, Plan
from analytics.atlas import geo, regions
from analytics.core.classes import NO_DATA, TARGET_PROGRESS, colours, hex_colour
from analytics.core.i18n import level_label, method_notes, progress_label, stage_label, status_label, t
from analytics.export import rendering
from analytics.export.output import Context
from analytics.export.rendering import EXTENSION, FORMATS, on_page  # noqa: F401 (exports' formats are rendering's)
from analytics.present import charts, display, fonts, formats, geometry, maps, profile


@dataclass
class Figure:
    """A chart and the named datasets it refers to (map geometry is kept out of Altair, whose
    copying of large nested data is slow, and added to the spec when rendering)."""

    chart: alt.TopLevelMixin | dict
    datasets: dict[str, list] = field(default_factory=dict)
    page: tuple[float, float] | None = None  # a paper size in points (the figure is fitted onto it)
    more: list["Figure"] = field(default_factory=list)  # its further pages (in a PDF; images show the first)

    def spec(self) -> dict:
        spec = self.chart if isinstance(self.chart, dict) else self.chart.to_dict()
        return {**spec, "datasets": {**spec.get("datasets", {}), **self.datasets}}


@dataclass(frozen=True)
class Briefing:
    """What a region's figures, sheet, slides and pack are drawn from: the assessment and its
    urban–rural rows, the rules, a plan's progress, for one region, year and stage, in a reader's
    context (language, source, demo mark)."""

    a: balance.Assessment
    gaps: pd.DataFrame | None
    criteria: Criteria
    region: str
    year: int
    stage: str
    ctx: Context
    plan: Plan | None = None
    values: pd.DataFrame | None = None  # progress.values of the plan's metrics
    table: pd.DataFrame | None = None   # progress.table of the plan in this year
    names: dict[str, str] = field(default_factory=dict)  # region names for the progress charts

    @property
    def lang(self) -> str:
        return self.ctx.lang


A4_LANDSCAPE = (842.0, 595.0)  # points: every briefing sheet, whatever the region


def features(gdf, columns: list[str], precision: int = 4) -> list[dict]:
    """GeoJSON features with their properties at the top level (as Vega-Lite reads them)."""
    from shapely.geometry import mapping

    geoms = shapely.set_precision(gdf.geometry.values, 10 ** -precision)
    return [{"type": "Feature", "geometry": mapping(g), **{c: v for c, v in zip(columns, row)}}
            for g, row in zip(geoms, gdf[columns].itertuples(index=False, name=None))]


# --------------------------------------------------------------------------------------------
# Rendering


def spec_of(chart: "Figure | alt.TopLevelMixin | dict") -> tuple[dict, tuple[float, float] | None]:
    """A figure's Vega-Lite spec and the paper size it is fitted onto (None: its own size)."""
    spec = chart if isinstance(chart, dict) else chart.spec() if isinstance(chart, Figure) else chart.to_dict()
    return spec, chart.page if isinstance(chart, Figure) else None


def render_all(chart: "Figure | alt.TopLevelMixin | dict", formats: tuple[str, ...] = FORMATS,
               embed: bool = True) -> dict[str, bytes]:
    """Several formats of one figure from a single Vega render (its SVG): PNG at 2× or 3×, SVG
    with the font subset embedded (embed=False: not yet, see fonts.embed_in_svgs), PDF. Chinese
    needs no installed font."""
    spec, page = spec_of(chart)
    out = rendering.files(spec, formats, page)
    if "pdf" in out and isinstance(chart, Figure) and chart.more:
        out["pdf"] = join_pdfs([out["pdf"], *(render(extra, "pdf") for extra in chart.more)])
    if embed and "svg" in out:
        out["svg"] = fonts.embed_in_svg(out["svg"].decode("utf-8")).encode("utf-8")
    return out


def join_pdfs(pages: list[bytes]) -> bytes:
    """One PDF of several (a sheet's pages, rendered one by one)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for data in pages:
        writer.append(io.BytesIO(data))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def render(chart: "Figure | alt.TopLevelMixin | dict", fmt: str) -> bytes:
    """One format of a figure (see render_all)."""
    return render_all(chart, (fmt,))[fmt]


# --------------------------------------------------------------------------------------------
# Maps


def region_name(a: balance.Assessment, region: str, lang: str = "zh") -> str:
    return progress.region_names(a, lang).get(region, region)


def map_body(b: Briefing, metric_id: str, width: int = 640, height: int = 520,
             label_sizes: tuple[int, ...] = (12, 10, 8), region: str | None = None) -> Figure:
    """The county choropleth of the briefing's region (or `region`) and its legend, coloured
    exactly as the web map (labels at the first of `label_sizes` they fit at, else left out)."""
    a, gaps, criteria, year, stage, ctx = b.a, b.gaps, b.criteria, b.year, b.stage, b.ctx
    region = region or b.region
    lang = ctx.lang
    metric = metrics.map_metrics(criteria)[metric_id]
    values = county_values.metric_values(a.counties, gaps, metric_id, year, stage)
    breaks = maps.breaks_for(metric, values["value"], stage) if metric.kind not in ("status", "change") else []
    values["fill"] = [hex_colour(c) for c in maps.colour_for(values["value"], metric, breaks, values["status"])]
    map_region = regions.city_of(region) if regions.kind(region) == "county" else region
    shapes = geometry.region_counties(map_region)[["adcode", "name", "geometry"]].merge(
        values[["adcode", "fill"]], on="adcode", how="left")
    shapes["fill"] = shapes["fill"].fillna(hex_colour(NO_DATA))
    outlines = geometry.upper_level(map_region)[["geometry"]]
    if regions.kind(region) == "county":
        outlines = pd.concat([outlines, shapes[shapes["adcode"] == region][["geometry"]]])
    key = f"{map_region}_{metric_id}_{year}_{stage}"
    legend = charts.legend_chart(metric.label(lang), maps.legend_items(metric, breaks, lang, stage))
    datasets = {}
    if map_region == maps.NATIONAL:  # islands in the 南海诸岛 inset, nothing drawn over them
        inset = {f"inset_shapes_{key}": features(geometry.scs_inset(shapes), ["fill"]),
                 f"inset_outlines_{key}": features(geometry.scs_inset(outlines), []),
                 f"inset_line_{key}": features(geometry.maritime_line(), []),
                 f"inset_frame_{key}": features(pd.DataFrame({"geometry": [shapely.box(*geometry.SCS_BOX)]}), [])}
        datasets.update(inset)
        legend = alt.vconcat(legend, charts.inset_map(*inset, t("inset_scs", lang)), spacing=20)
        shapes, outlines = geometry.national_main(shapes), geometry.national_main(outlines)
        main_line = geometry.maritime_line().clip(shapely.box(*geometry.main_bounds(map_region)))
        outlines = pd.concat([outlines, main_line[["geometry"]]])  # the dash east of Taiwan
    placed = geometry.place_labels(list(geometry.label_records(map_region, lang)), geometry.main_bounds(map_region), width, height,
                               sizes=label_sizes)
    labels = pd.DataFrame([{"text": r["text"], "lon": r["position"][0], "lat": r["position"][1], "size": r["size"]}
                           for r in placed if r["position"][1] >= geometry.main_bounds(map_region)[1]],
                          columns=["text", "lon", "lat", "size"])
    datasets.update({f"shapes_{key}": features(shapes, ["adcode", "name", "fill"]),
                     f"outlines_{key}": features(outlines, [])})
    centre = float(shapes.geometry.union_all().centroid.x)
    chart = alt.hconcat(charts.static_map(f"shapes_{key}", f"outlines_{key}", centre, labels, width, height, ctx.mark),
                        legend, spacing=8)
    return Figure(chart, datasets)


def map_figure(b: Briefing, metric_id: str, width: int = 640, height: int = 520) -> Figure:
    """The county choropleth of a region for print: title, subtitle, legend, source and notes."""
    lang, ctx, plan, criteria, year = b.lang, b.ctx, b.plan, b.criteria, b.year
    metric = metrics.map_metrics(criteria)[metric_id]
    body = map_body(b, metric_id, width, height)
    name = region_name(b.a, b.region, lang)
    title = t("fig_map_title", lang, name=name, year=year, metric=metric.label(lang))
    subtitle = [t("fig_stage_line", lang, stage=stage_label(b.stage, lang))]
    if plan is not None:
        subtitle.append(t("fig_plan_line", lang, plan=plan.title(lang)))
    notes = [ctx.source_line(), t("fig_north_up", lang, note=geo.map_note(lang)),
             *charts.wrap_lines(method_notes(criteria, lang)[1:], (width + 160) // 11 if lang != "en" else width // 6)]
    return Figure(charts.print_layout(body.chart, title, subtitle, notes, width + 160, ctx.mark), body.datasets)


# --------------------------------------------------------------------------------------------
# Charts


def _chart_figure(chart: alt.TopLevelMixin, title: str, subtitle: list[str], ctx: Context, width: int,
                  height: int | None = None, notes: list[str] | tuple = (),
                  notes_width: int | None = None) -> dict:
    """A chart for print: title, subtitle, the chart, then the source and the method notes."""
    body = charts.bare(chart)
    if isinstance(body, (alt.Chart, alt.LayerChart)):  # facets size their panels themselves
        body = body.properties(width=width, **({"height": height} if height else {}))
        if ctx.mark:
            body = charts.composed("layer", [body, charts.watermark(ctx.mark, width, height or 230)])
    chars = notes_width or max(40, (2 * width // 13 if ctx.lang != "en" else width // 6))
    return charts.print_layout(body, title, subtitle, [ctx.source_line(with_boundaries=False), *charts.wrap_lines(list(notes), chars)],
                               width, ctx.mark)


def cv_figure(a: balance.Assessment, adcode: str, year: int, stage: str, ctx: Context) -> dict:
    lang = ctx.lang
    cv = profile.cv_table(a, adcode, year, stage)
    name = region_name(a, adcode, lang)
    return _chart_figure(charts.cv_bars(cv, lang).properties(title=""), f"{name} {year} · {t('cv_chart', lang)}",
                         [f"{t('stage', lang)}：{stage_label(stage, lang)}"], ctx, width=560,
                         notes=method_notes(a.criteria, lang))


def status_figure(a: balance.Assessment, region: str, stage: str, ctx: Context) -> dict:
    lang = ctx.lang
    counties = regions.within(a.counties, region)
    counties = counties[counties["stage"] == stage]
    name = region_name(a, region, lang)
    return _chart_figure(charts.status_counts(counties, lang).properties(title=""),
                         f"{name} · {t('status_counts', lang)}",
                         [f"{t('stage', lang)}：{stage_label(stage, lang)}"], ctx, width=560, height=240,
                         notes=method_notes(a.criteria, lang))


def gaps_figure(a: balance.Assessment, gaps: pd.DataFrame, region: str, year: int, ctx: Context) -> dict:
    """Urban (城区+镇区) against rural (乡村) for the region: funding, equipment, degrees, training."""
    lang = ctx.lang
    rows = regions.within(gaps[gaps["year"] == year], region)
    sums = rows[list(urban_rural.GAP_SUMS)].sum(min_count=1).to_frame().T
    g = urban_rural.gap_ratios(sums).iloc[0]
    chart = charts.urban_rural_bars(g, lang)
    name = region_name(a, region, lang)
    title = t("fig_gaps_title", lang, name=name, year=year)
    return _chart_figure(chart, title, [t("urban_rural_note", lang)], ctx, width=150,
                         notes=method_notes(a.criteria, lang)[1:], notes_width=56 if lang != "en" else 110)


def progress_figure(b: Briefing, metric: str, stage: str) -> dict:
    """One target of the briefing's plan for print: the region against its target, as of its year."""
    lang, ctx, plan, criteria, as_of = b.lang, b.ctx, b.plan, b.criteria, b.year
    chart = charts.target_chart(b.values, b.table, plan, (metric, stage), b.region, as_of, b.names, lang)
    title = chart.title
    subtitle = [title.subtitle, t("fig_plan_as_of", lang, plan=plan.title(lang), year=as_of)]
    info = METRICS[metric]
    notes = [t("labelled", lang, label=info.label(lang), text=info.definition(lang))] if info.definition(lang) else []
    notes += method_notes(criteria, lang)[1:] if criteria is not None else []
    return _chart_figure(chart.properties(title=""), title.text, subtitle, ctx, width=560, notes=notes)


# --------------------------------------------------------------------------------------------
# The one-page briefing sheet


def scorecard_rows(table: pd.DataFrame, plan: Plan, region: str, lang: str = "zh") -> pd.DataFrame:
    """The scorecard of a region, compact for print: target, latest, target value, status."""
    card = progress.scorecard(table, plan, region)
    out = pd.DataFrame({
        "target": [display.of_stage(tg.label(lang), tg.stage, lang) for tg in plan.targets],
        "latest": [formats.format_value(v, u, lang) if not isinstance(code, str) or code == region
                   else t("in_parens", lang, v=formats.format_value(v, u, lang), what=level_label(lvl, lang))
                   for v, u, code, lvl in zip(card["latest"], card["unit"], card["adcode"], card["level"])],
        "goal": [formats.format_target(d, v, u, y, lang) for d, v, u, y in
                 zip(card["direction"], card["target"], card["unit"], card["target_year"])],
        "status": [s if isinstance(s, str) else "no_data" for s in card["status"]],
    })
    out["status_label"] = [progress_label(s, lang) if isinstance(c, str) else t("county_level_only", lang)
                           for s, c in zip(out["status"], card["status"])]
    return out


def key_charts(b: Briefing, width: int = 420, height: int | None = None) -> tuple[alt.TopLevelMixin, alt.TopLevelMixin]:
    """The two charts a briefing shows: for a county its CVs and its first county target, for a
    province or prefecture its counties per status and the plan's headline target."""
    a, plan, region, year, stage, lang = b.a, b.plan, b.region, b.year, b.stage, b.lang
    sized = {"height": height} if height else {}
    if regions.kind(region) == "county":
        left = charts.bare(charts.cv_bars(profile.cv_table(a, region, year, stage), lang,
                                          legend="bottom" if height else "top",
                                          name_side="right" if height else "left",
                                          name_chars=(28 if lang != "en" else 60) if height else None)
                           ).properties(width=width)
        key = next((tg for tg in plan.targets if progress.has_counties(tg)), plan.targets[0])
    else:
        c = regions.within(a.counties, region)
        left = charts.bare(charts.status_counts(c[c["stage"] == stage], lang)).properties(
            width=width, height=height or 220)
        # under its own chart; on the sheet the map's status legend beside it already names the colours
        left.encoding.color.legend = None if height else alt.Legend(orient="bottom", direction="horizontal")
        key = next((tg for tg in plan.targets if tg.scope != "county"), plan.targets[0])
    right = charts.bare(charts.target_chart(b.values, b.table, plan, (key.metric, key.stage), region, year,
                                            progress.region_names(a, lang), lang)).properties(width=width, **sized)
    return left, right


# The sheet is composed for A4 landscape, not shrunk onto it: SHEET_WIDTH units across the
# printable 786 pt is 0.71 pt a unit, so no text under SHEET_FONT units (charts.font_floor) prints
# under 9 pt; the page's height leaves room (a test measures the PDF). The scorecard (a plan's
# twenty-odd targets), the method notes and the definitions go on a second page rather than
# shrinking page 1; notes in SHEET_NOTE_SIZE units.
SHEET_WIDTH = 1090
SHEET_FONT = 13
SHEET_NOTE_SIZE = 12
SHEET_NOTES_WIDTH = 400  # the notes' column beside the scorecard on page 2
SHEET_NOTE_LINES = {"zh": 36, "en": 34}  # notes beside the scorecard (the rest on a third page), 18 units a line
SHEET_ROWS = 6  # failing criteria listed on a county sheet (the rest are counted: all in the profile)


def briefing_sheet(b: Briefing) -> Figure:
    """The briefing on A4 landscape. Page 1: title and finding, the map, beside it the counties per
    status and the headline target (a county: its failing criteria and missing data, and below
    its CVs and headline target), the source. Page 2: the plan's scorecard and the notes."""
    a, criteria, plan, table, region, year, stage, ctx = b.a, b.criteria, b.plan, b.table, b.region, b.year, b.stage, b.ctx
    lang = ctx.lang
    name = region_name(a, region, lang)
    is_county = regions.kind(region) == "county"
    m = map_body(b, "status", width=352 if is_county else 440, height=270 if is_county else 430,
                 label_sizes=(SHEET_FONT,))
    left, right = key_charts(b, width=260 if is_county else 340, height=110 if is_county else 150)
    if is_county:
        left = left.properties(height=alt.Step(11))
        body = alt.vconcat(alt.hconcat(*m.chart.hconcat, county_facts(a, region, year, stage, lang), spacing=24),
                           alt.hconcat(left, right, spacing=40), spacing=16)
    else:
        body = alt.hconcat(*m.chart.hconcat, alt.vconcat(left, right, spacing=24), spacing=24)
    body = body.resolve_scale(color="independent")
    title = t("fig_sheet_title", lang, name=name, year=year)
    subtitle = [counties_line(a, region, year, stage, lang),
                t("fig_plan_stage", lang, plan=plan.title(lang), stage=stage_label(stage, lang))]
    space = " " if lang == "en" else ""
    footer = charts.wrap_lines([ctx.source_line() + ("." if lang == "en" else "。") + space + t("sheet_notes_over", lang)],
                               _chars_per_line(SHEET_WIDTH, SHEET_FONT, lang))
    first = charts.print_layout(body, title, subtitle, footer, SHEET_WIDTH, ctx.mark, note_size=SHEET_FONT)
    return Figure(charts.font_floor(first, SHEET_FONT), m.datasets, page=A4_LANDSCAPE,
                  more=sheet_second_page(criteria, plan, table, region, title, ctx))


def _chars_per_line(width: float, size: float, lang: str) -> int:
    return int(width / size) if lang != "en" else int(width / (size * 0.52))


def sheet_second_page(criteria: Criteria, plan: Plan, table: pd.DataFrame, region: str, title: str,
                      ctx: Context) -> list[Figure]:
    """The briefing sheet's further pages: the plan's scorecard beside the notes (the map's note,
    the method, the progress rule, the plan's definitions), under the sheet's title (continued);
    notes that do not fit beside it continue on a third page, in two columns."""
    lang = ctx.lang
    card = scorecard_rows(table, plan, region, lang)
    score = charts.scorecard_chart(card, t("scorecard", lang), {s: hex_colour(c) for s, c in colours(TARGET_PROGRESS).items()},
                                   name_width=250 if lang != "en" else 300, row_height=18, font_size=SHEET_FONT)
    notes = [geo.map_note(lang), *method_notes(criteria, lang), t("progress_rule", lang), *plan.definitions(lang)]
    column = SHEET_NOTES_WIDTH if lang != "en" else SHEET_NOTES_WIDTH - 80
    lines = charts.wrap_lines(notes, _chars_per_line(column, SHEET_NOTE_SIZE, lang))
    room = SHEET_NOTE_LINES.get(lang, SHEET_NOTE_LINES["en"])
    here, rest = lines[:room], lines[room:]
    titled = alt.TitleParams(t("sheet_notes_title", lang), fontSize=SHEET_FONT + 1, anchor="start")
    pages = [alt.hconcat(score, charts.footer(here, column, font_size=SHEET_NOTE_SIZE).properties(title=titled),
                         spacing=28)]
    if rest:
        pages.append(charts.footer(rest, SHEET_WIDTH, columns=2, font_size=SHEET_NOTE_SIZE))
    source = charts.wrap_lines([ctx.source_line()], _chars_per_line(SHEET_WIDTH, SHEET_NOTE_SIZE, lang))
    return [Figure(charts.font_floor(charts.print_layout(body, t("slides_continued", lang, title=title), [], source,
                                                         SHEET_WIDTH, ctx.mark, note_size=SHEET_NOTE_SIZE),
                                     SHEET_NOTE_SIZE), page=A4_LANDSCAPE) for body in pages]


def county_facts(a: balance.Assessment, region: str, year: int, stage: str, lang: str) -> alt.VConcatChart:
    """The county sheet's answer to the first question of a briefing: which criteria fail (value,
    standard, gap) and which have no data."""
    fail = profile.failing_criteria(a, region, year, stage, lang)
    cols = [t(k, lang) for k in ("col_criterion", "col_stage", "col_value", "col_standard", "col_gap")]
    fail = fail[cols] if not fail.empty else pd.DataFrame(columns=cols)
    name = 210 if lang != "en" else 290  # English names are longer: the column takes the row's slack
    more = len(fail) - SHEET_ROWS
    if more > 0:
        fail = pd.concat([fail.head(SHEET_ROWS), pd.DataFrame([{cols[0]: t("sheet_more", lang, n=more)}])])
    missing = profile.missing_criteria(a, region, year, stage, lang)
    mcols = [t(k, lang) for k in ("col_criterion", "col_stage", "col_detail")]
    missing = missing[mcols] if not missing.empty else pd.DataFrame(columns=mcols)
    if missing.empty:  # one line, not an empty table under its header
        colon = ": " if lang == "en" else "："
        missing_part = charts.footer([t("sheet_missing", lang, n=0) + colon + t("sheet_none_missing", lang)],
                                     name + 220, font_size=SHEET_FONT)
    else:
        missing_part = charts.text_table(missing.head(SHEET_ROWS), t("sheet_missing", lang, n=len(missing)),
                                         [name, 50, 170], size=SHEET_FONT)
    return alt.vconcat(
        charts.text_table(fail.fillna(""), t("sheet_failing", lang, n=len(fail) if more <= 0 else more + SHEET_ROWS),
                          [name, 50, 58, 58, 54], t("sheet_none_failing", lang), size=SHEET_FONT),
        missing_part, spacing=16)


def counties_line(a: balance.Assessment, region: str, year: int, stage: str, lang: str) -> str:
    """One line on where the region stands: its status, or its counties per status."""
    c = regions.within(a.counties, region)
    c = c[(c["year"] == year) & (c["stage"] == stage)]
    if regions.kind(region) == "county":
        row = c[c["adcode"] == region].iloc[0]
        known = t("tip_known", lang, failed=int(row["failed"]), missing=int(row["missing"]))
        return t("fig_county_line", lang, status=status_label(row["status"], lang), known=known)
    counts = c["status"].value_counts()
    parts = [f"{status_label(s, lang)} {int(counts.get(s, 0))}" for s in balance.STATUSES]
    return t("fig_counties_line", lang, n=len(c), parts=" · ".join(parts))


def trend_figure(a: balance.Assessment, adcode: str, ctx: Context) -> dict:
    """The county's failed criteria and composite CV over the years, side by side."""
    lang = ctx.lang
    failed, cv = charts.trend_lines(profile.trend(a, adcode), lang)
    body = alt.hconcat(charts.bare(failed).properties(width=330), charts.bare(cv).properties(width=330), spacing=30)
    name = region_name(a, adcode, lang)
    return charts.print_layout(body, f"{name} · {t('trend', lang)}", charts.wrap_lines(method_notes(a.criteria, lang), 60 if lang != "en" else 120),
                               [ctx.source_line(with_boundaries=False)], 700, ctx.mark)


def figure(kind: str, b: Briefing, metric: str = "status") -> "Figure | alt.TopLevelMixin":
    """Any exportable figure by kind: map, cv, trend, status, gaps, progress (metric[:stage]), sheet."""
    if kind == "map":
        return map_figure(b, metric)
    if kind == "cv":
        return cv_figure(b.a, b.region, b.year, b.stage, b.ctx)
    if kind == "trend":
        return trend_figure(b.a, b.region, b.ctx)
    if kind == "status":
        return status_figure(b.a, b.region, b.stage, b.ctx)
    if kind == "gaps":
        return gaps_figure(b.a, b.gaps, b.region, b.year, b.ctx)
    if kind == "progress":
        m, _, st = metric.partition(":")
        return progress_figure(b, m, st or "all")
    if kind == "sheet":
        return briefing_sheet(b)
    raise ValueError(f"unknown figure kind {kind!r}")
