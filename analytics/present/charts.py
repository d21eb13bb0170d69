"""Altair charts shared by pages (and later exports): one visual theme, Chinese labels."""

from __future__ import annotations

from functools import lru_cache

import altair as alt
import numpy as np
import pandas as pd

from analytics.core import classes
from analytics.core.classes import hex_colour
from analytics.core.i18n import percent, stage_label, status_label, t
from analytics.present import display, fonts

FONT = f"{fonts.BASE_FAMILY}, {fonts.FAMILY}, Microsoft YaHei, PingFang SC, sans-serif"
PASS_COLOUR, FAIL_COLOUR = hex_colour(classes.PASS), hex_colour(classes.FAIL)
STAGE_COLOURS = {stage: hex_colour(c) for stage, c in classes.STAGE_COLOURS.items()}

# Altair refuses data frames over 5,000 rows (a guard for notebooks). Nationally a county-only
# target's trajectory has every county as a peer (2,875 × years) and the progress page crashed;
# our charts are built from summarised frames, so the limit is lifted for the process.
alt.data_transformers.disable_max_rows()


THEME = {  # the one visual theme of pages and exports
    "font": FONT,
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelFont": FONT, "titleFont": FONT},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelFont": FONT, "titleFont": FONT},
    "title": {"fontSize": 15, "font": FONT, "anchor": "start"},
    "view": {"strokeWidth": 0},
}


def themed(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Apply the project's chart theme (fonts, sizes, no chart border). Sets the chart's config
    in place (configure_* would deep-copy the chart and its data five times)."""
    chart.config = alt.Config(**THEME)
    return chart


CLOSING = "。，、；：？！）》」』”’%％)]"  # never at the start of a line (Chinese line-breaking rule)
LATIN_WIDTH = 0.55  # a Latin letter or figure is about half as wide as a Chinese character


def wrap_lines(lines: list[str], width: int) -> list[str]:
    """Wrap text lines to `width` Chinese characters' width: Chinese at any character, but never
    inside a Latin word or number ("WGS-84") and never before closing punctuation; English at
    spaces. Names and notes are wrapped, never cut."""
    import re
    import textwrap

    out = []
    for line in lines:
        if not re.search(r"[\u3400-\u9fff]", line):
            out += textwrap.wrap(line, width, break_long_words=False) or [""]  # a word is never split
            continue
        while True:
            used, cut = 0.0, len(line)
            for i, ch in enumerate(line):
                used += LATIN_WIDTH if ch.isascii() else 1.0
                if used > width:
                    cut = i
                    break
            if cut == len(line):
                break
            start = cut
            while start > 0 and re.match(r"[A-Za-z0-9.\-]", line[start - 1]) and re.match(r"[A-Za-z0-9.\-]", line[start]):
                start -= 1
            if start > cut // 2:  # a word moves down whole unless it is half a line long
                cut = start
            while cut < len(line) and line[cut] in CLOSING:
                cut += 1
            if cut >= len(line):
                break
            out.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        out.append(line)
    return out


def cv_titles(cv: pd.DataFrame, lang: str = "zh") -> tuple[str, str]:
    """The CV chart's title and its subtitle (each stage's limit): a page writes them as text
    above the chart, where they wrap to the column's width (a chart's title cannot)."""
    limits = cv.drop_duplicates("stage")[["stage", "standard"]].dropna()
    sub = t("limits_sep", lang).join(f"{stage_label(s, lang)} ≤ {v:.2f}" for s, v in zip(limits["stage"], limits["standard"]))
    return t("cv_chart", lang), t("cv_chart_subtitle", lang, limits=sub)


def cv_bars(cv: pd.DataFrame, lang: str = "zh", legend: str = "top", titled: bool = True,
            name_side: str = "left", name_chars: int | None = None) -> alt.LayerChart:
    """The 7 difference coefficients, one bar per stage (coloured and named in the legend), the
    stages' limits as labelled dashed lines; a failing bar is outlined and labelled in red, a CV
    without a verdict (a school lacks the data) is marked 缺数据, never drawn as a pass."""
    stages = [s for s in ("primary", "junior") if s in set(cv["stage"])]
    names = [stage_label(s, lang) for s in stages]
    data = cv.assign(
        # wrapped, never cut; the axis splits the label at the newlines (labelExpr)
        indicator=["\n".join(wrap_lines([f"{c} {n}"], name_chars or (14 if lang != "en" else 36)))
                   for c, n in zip(cv["criterion"], cv["name_en"] if lang == "en" else cv["name_zh"])],
        stage_label=cv["stage"].map(lambda s: stage_label(s, lang)),
        verdict=cv["passed"].map({True: "ok", False: "fail"}).fillna("nodata"),
    )
    # × marks a failure (✗ is not in the bundled CJK font: it would print as a box)
    marks = {"fail": "  ×", "nodata": "  " + t("no_data_short", lang), "ok": ""}
    data["text"] = [("—" if pd.isna(v) else f"{v:.2f}") + marks[verdict]
                    for v, verdict in zip(data["value"], data["verdict"])]
    order = list(dict.fromkeys(data["indicator"]))
    # names on the right in a composed page: on the left they would hang before the page's margin
    y = alt.Y("indicator:N", title=None, sort=order, axis=alt.Axis(labelExpr="split(datum.label, '\\n')",
                                                                    labelLimit=400, labelFontSize=11, orient=name_side))
    scale = alt.Scale(domain=names, range=[STAGE_COLOURS[s] for s in stages])
    colour = alt.Color("stage_label:N", title=t("col_stage", lang), scale=scale,
                       legend=alt.Legend(orient=legend, direction="horizontal"))
    base = alt.Chart(data).encode(y=y, yOffset=alt.YOffset("stage_label:N", sort=names))
    bars = base.mark_bar(height=10).encode(
        x=alt.X("value:Q", title=t("cv_axis", lang), scale=alt.Scale(domainMin=0)),
        color=colour,
        stroke=alt.condition("datum.verdict == 'fail'", alt.value(FAIL_COLOUR), alt.value(None)),
        strokeWidth=alt.condition("datum.verdict == 'fail'", alt.value(2), alt.value(0)),
        opacity=alt.condition("datum.verdict == 'nodata'", alt.value(0.35), alt.value(1.0)),
        tooltip=[alt.Tooltip("criterion:N", title=t("col_criterion", lang)),
                 alt.Tooltip("stage_label:N", title=t("col_stage", lang)),
                 alt.Tooltip("value:Q", title=t("col_value", lang), format=".3f"),
                 alt.Tooltip("standard:Q", title=t("cv_threshold", lang), format=".2f")],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x=alt.X("value:Q"), text="text:N",
        color=alt.condition("datum.verdict == 'fail'", alt.value(FAIL_COLOUR), alt.value("#333")))
    limits = data.drop_duplicates("stage")[["stage_label", "standard"]].dropna()
    rule = alt.Chart(limits).mark_rule(strokeDash=[5, 3], strokeWidth=1.5).encode(
        x="standard:Q", color=alt.Color("stage_label:N", scale=scale, legend=None))
    chart = alt.layer(bars, labels, rule).properties(height=alt.Step(20))
    if titled:  # a sheet's figure; a page writes cv_titles above the chart instead
        title, subtitle = cv_titles(cv, lang)
        chart = chart.properties(title=alt.TitleParams(title, subtitle=subtitle, anchor="start"))
    return themed(chart)


def trend_lines(trend: pd.DataFrame, lang: str = "zh") -> tuple[alt.Chart, alt.Chart]:
    """Two small charts per year and stage: failed criteria, and the composite CV."""
    data = trend.assign(stage_label=trend["stage"].map(lambda s: stage_label(s, lang)),
                        status_label=trend["status"].map(lambda s: status_label(s, lang)))
    colour = alt.Color("stage_label:N", title=t("col_stage", lang),
                       scale=alt.Scale(domain=[stage_label(s, lang) for s in STAGE_COLOURS],
                                       range=list(STAGE_COLOURS.values())))
    x = alt.X("year:O", title=t("col_year", lang), axis=alt.Axis(labelAngle=0))
    failed = alt.Chart(data).mark_line(point=True).encode(
        x=x, y=alt.Y("failed:Q", title=t("col_failed", lang), axis=alt.Axis(tickMinStep=1)), color=colour,
        tooltip=["year:O", alt.Tooltip("stage_label:N", title=t("col_stage", lang)),
                 alt.Tooltip("status_label:N", title=t("col_status", lang)), "failed:Q"],
    ).properties(height=220, title=t("col_failed", lang))
    cv = alt.Chart(data).mark_line(point=True).encode(
        x=x, y=alt.Y("cv_composite:Q", title=t("col_cv_composite", lang)), color=colour,
        tooltip=["year:O", alt.Tooltip("stage_label:N", title=t("col_stage", lang)),
                 alt.Tooltip("cv_composite:Q", format=".3f")],
    ).properties(height=220, title=t("col_cv_composite", lang))
    return themed(failed), themed(cv)


def status_counts(counties: pd.DataFrame, lang: str = "zh", legend: str = "right") -> alt.Chart:
    """Counties per status and year (stacked bars); the legend `below` the bars where the chart is
    narrow (a page's side column at 1024 px: on the right it left the bars a sliver)."""
    data = counties.groupby(["year", "status"]).size().rename("n").reset_index()
    data["label"] = data["status"].map(lambda s: status_label(s, lang))
    order = [t(c.label, lang) for c in classes.COUNTY_STATUS]
    colours = [hex_colour(c.colour) for c in classes.COUNTY_STATUS]
    return themed(alt.Chart(data).mark_bar().encode(
        x=alt.X("year:O", title=t("col_year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("n:Q", title=t("counties", lang)),
        color=alt.Color("label:N", title=t("col_status", lang), scale=alt.Scale(domain=order, range=colours),
                        sort=order, legend=alt.Legend(orient=legend, direction="vertical")),
        order=alt.Order("status:N"),
        tooltip=["year:O", "label:N", "n:Q"],
    ).properties(height=220, title=t("status_counts", lang)))


def target_chart(values: pd.DataFrame, table: pd.DataFrame, plan, key: tuple[str, str], region: str,
                 as_of: int, names: dict[str, str], lang: str = "zh") -> alt.LayerChart:
    """The trajectory chart of one target (metric, stage) of a plan for a region (pages, exports
    and the briefing sheet all draw it this way): titled with the target, subtitled with its
    milestones and the region shown (or 'all counties' for a county metric from a larger region)."""
    metric, stage = key
    tr = display.trajectory(values, table, plan, metric, stage, region, as_of, lang)
    first = next(tg for tg in plan.targets if tg.metric == metric and tg.stage == stage)
    shown = names.get(tr["region"], tr["region"]) if tr["series"]["selected"].any() else t("counties_only", lang)
    subtitle = " · ".join(tr["milestones"]["label"]) + f" · {shown}"
    return progress_chart(tr, first.label(lang), subtitle, first.unit, plan.phases, lang)


def _axis_format(unit: str) -> str:
    return ".0%" if unit in ("%", "pp") else ",.1f" if unit in ("h", "×", "ratio") else ".2f"


def progress_chart(tr: dict[str, pd.DataFrame], title: str, subtitle: str, unit: str,
                   phases: dict[int, dict[str, str]] | None = None, lang: str = "zh") -> alt.Chart:
    """A target's trajectory: peers as faint lines, the region highlighted, the required path from
    the baseline to each milestone (dashed), milestone markers, the projection (dotted), and the
    plan's phase names under the years.

    tr (display.trajectory's frames): series: adcode, year, value, selected; milestones: year,
    value, label; path: year, value; projection: year, value (latest and target year).
    """
    series, milestones, path, projection = tr["series"], tr["milestones"], tr["path"], tr["projection"]
    years = sorted({*series["year"].astype(int), *milestones["year"].astype(int), *(phases or {})})
    # phase names (plan 002: 基础夯实, 重点突破, 全面提升) as a second line under their year
    label_expr = "datum.label"
    for year, names in sorted((phases or {}).items()):
        lines = ", ".join(f"'{w}'" for w in names["en" if lang == "en" else "zh"].replace("'", "").split())
        label_expr = f"datum.label == '{year}' ? ['{year}', {lines}] : ({label_expr})"  # a word a line
    x = alt.X("year:O", title=None, scale=alt.Scale(domain=years),
              axis=alt.Axis(labelAngle=0, labelExpr=label_expr, labelLineHeight=15))
    fmt = _axis_format(unit)
    y = alt.Y("value:Q", title=None, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False))
    # a light solid grey, not opacity: per-path opacity makes rendering (PNG, PDF) three times slower
    peers = alt.Chart(series[~series["selected"]]).mark_line(color=hex_colour(classes.PEER_LINE), strokeWidth=1).encode(
        x=x, y=y, detail="adcode:N")
    mine = series[series["selected"]]
    own = alt.Chart(mine).mark_line(color=STAGE_COLOURS["all"], strokeWidth=3, point=alt.OverlayMarkDef(size=50)).encode(
        x=x, y=y, tooltip=[alt.Tooltip("year:O", title=t("col_year", lang)),
                           alt.Tooltip("value:Q", title=t("col_value", lang), format=fmt.replace("0%", "1%"))])
    required = alt.Chart(path).mark_line(color=FAIL_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(x=x, y=y)
    marks = alt.Chart(milestones).mark_point(shape="diamond", size=140, filled=True, color=FAIL_COLOUR).encode(
        x=x, y=y, tooltip=[alt.Tooltip("label:N", title=t("col_target", lang))])
    labels = alt.Chart(milestones).mark_text(align="right", dx=-9, dy=-9, fontSize=11, color=FAIL_COLOUR).encode(
        x=x, y=y, text="label:N")
    layers = [peers, required, own, marks, labels]
    if not projection.empty:
        layers.insert(2, alt.Chart(projection).mark_line(color=STAGE_COLOURS["all"], strokeDash=[2, 3],
                                                         strokeWidth=2).encode(x=x, y=y))
    return themed(alt.layer(*layers).properties(
        height=230, title=alt.TitleParams(title, subtitle=subtitle, subtitleColor="#555", subtitleFontSize=11)))


# --------------------------------------------------------------------------------------------
# Print layouts (exports): static maps, watermark, title and source lines


WATERMARK_COLOUR = hex_colour(classes.WATERMARK)


def bare(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A themed chart without its top-level config, so it can be composed with others. Changes
    the chart itself (a deep copy of map data is slow): pass charts made for the purpose."""
    for attr in ("config", "padding", "background", "autosize"):
        setattr(chart, attr, alt.Undefined)
    return chart


def watermark(text: str, width: int, height: int) -> alt.Chart:
    """A faint diagonal line of text over a plot (the demo-data mark)."""
    return alt.Chart(pd.DataFrame({"t": [text]})).mark_text(
        angle=330, fontSize=max(18, width // 16), color=WATERMARK_COLOUR, opacity=0.13, fontWeight="bold",
        clip=True,  # inside the plot: a long mark would otherwise widen the figure beyond it
    ).encode(text="t:N", x=alt.value(width / 2), y=alt.value(height / 2))


def static_map(shapes: str, outlines: str, centre_lon: float, labels: pd.DataFrame, width: int, height: int,
               mark: str | None = None) -> alt.LayerChart:
    """A north-up county choropleth for print. `shapes` and `outlines` name datasets of GeoJSON
    features added to the spec when it is rendered (exports.Figure): the county shapes carry
    `fill` (hex) and `name`; outlines are the level above. Place labels (text, lon, lat) get a
    white halo."""
    projection = alt.Projection(type="conicEqualArea", rotate=[-round(centre_lon, 2), 0],
                                parallels=[25, 47]).to_dict()
    base = alt.Chart(alt.Data(name=shapes)).mark_geoshape(
        stroke="white", strokeWidth=0.4, opacity=1, fillOpacity=1).encode(
        color=alt.Color("fill:N", scale=None), tooltip=["name:N"]).project(**projection)
    lines = alt.Chart(alt.Data(name=outlines)).mark_geoshape(filled=False, stroke="#333", strokeWidth=1.2).project(
        **projection)
    size = alt.Size("size:Q", scale=None, legend=None) if "size" in labels else alt.value(12)
    halo = alt.Chart(labels).mark_text(stroke="white", strokeWidth=3, strokeOpacity=0.8).encode(
        longitude="lon:Q", latitude="lat:Q", text="text:N", size=size).project(**projection)
    text = alt.Chart(labels).mark_text(color="#222").encode(
        longitude="lon:Q", latitude="lat:Q", text="text:N", size=size).project(**projection)
    layers = [base, lines, halo, text]
    if mark:
        layers.append(watermark(mark, width, height))
    return alt.layer(*layers).properties(width=width, height=height)


def inset_map(shapes: str, outlines: str, lines: str, frame: str, title: str, width: int = 150,
              height: int = 170) -> alt.LayerChart:
    """The 南海诸岛 inset of a national map: its framed box with the land and islands (coloured as
    the main map), the province outlines and the maritime boundary line of the source."""
    projection = alt.Projection(type="conicEqualArea", rotate=[-115, 0], parallels=[25, 47]).to_dict()
    box = alt.Chart(alt.Data(name=frame)).mark_geoshape(filled=False, stroke="#333", strokeWidth=1).project(
        **projection)
    land = alt.Chart(alt.Data(name=shapes)).mark_geoshape(stroke="white", strokeWidth=0.2).encode(
        color=alt.Color("fill:N", scale=None)).project(**projection)
    edges = alt.Chart(alt.Data(name=outlines)).mark_geoshape(filled=False, stroke="#333", strokeWidth=0.6).project(
        **projection)
    line = alt.Chart(alt.Data(name=lines)).mark_geoshape(filled=False, stroke="#333", strokeWidth=1.2).project(
        **projection)
    return alt.layer(box, land, edges, line).properties(
        width=width, height=height, title=alt.TitleParams(title, fontSize=12, anchor="end", orient="bottom"))


def legend_chart(title: str, items: list[tuple[tuple[int, int, int], str]]) -> alt.LayerChart:
    """A vertical legend of colour swatches (the web map's classes) for print layouts; an item
    without a colour is a note line (which way is worse, the pass limit)."""
    data = pd.DataFrame([{"i": i, "fill": "#%02x%02x%02x" % tuple(c) if c is not None else None, "label": label,
                          "x": 20 if c is not None else 0}
                         for i, (c, label) in enumerate(items)])
    y = alt.Y("i:O", axis=None)
    swatch = alt.Chart(data[data["fill"].notna()]).mark_square(size=180, stroke="#888", strokeWidth=0.5,
                                                                 opacity=1).encode(
        y=y, color=alt.Color("fill:N", scale=None), x=alt.value(8))
    label = alt.Chart(data).mark_text(align="left", fontSize=12, dx=0).encode(
        y=y, text="label:N", x=alt.X("x:Q", scale=None, axis=None))
    return alt.layer(swatch, label).properties(width=150, height=22 * len(items),
                                               title=alt.TitleParams(title, fontSize=13, anchor="start"))


def footer(lines: list[str], width: int, red_first: bool = False, columns: int = 1,
           font_size: float = 11) -> alt.Chart:
    """Source and note lines under a print layout, in `columns` newspaper columns (read down,
    then across) so a page's notes take a third of the height they would in one."""
    per_column = -(-len(lines) // columns)
    data = pd.DataFrame({"row": [i % per_column for i in range(len(lines))],
                         "x": [(i // per_column) * width / columns for i in range(len(lines))], "t": lines,
                         "c": [WATERMARK_COLOUR if red_first and i == 0 else "#555" for i in range(len(lines))]})
    return alt.Chart(data).mark_text(align="left", baseline="top", fontSize=font_size).encode(
        y=alt.Y("row:O", axis=None), text="t:N", color=alt.Color("c:N", scale=None),
        x=alt.X("x:Q", scale=None, axis=None),
    ).properties(width=width, height=round(font_size * 1.5 * per_column))


FONT_KEYS = ("fontSize", "labelFontSize", "titleFontSize", "subtitleFontSize")


def font_floor(spec, floor: float):
    """The spec with no text under `floor` units: every font size set below it is raised to it,
    a text mark's constant size too, and the defaults of marks and axes that set none (a sheet
    composed for its page: body text prints at floor × the page's scale, whatever a part's own
    size). Datasets are passed over (map geometry is large)."""
    if isinstance(spec, list):
        return [font_floor(v, floor) for v in spec]
    if not isinstance(spec, dict):
        return spec
    out = {}
    for key, value in spec.items():
        if key == "datasets":
            out[key] = value
        elif key in FONT_KEYS and isinstance(value, (int, float)) and value < floor:
            out[key] = floor
        else:
            out[key] = font_floor(value, floor)
    mark = out.get("mark")
    if (mark == "text" or isinstance(mark, dict) and mark.get("type") == "text") and \
            isinstance(out.get("encoding", {}).get("size"), dict) and \
            isinstance(out["encoding"]["size"].get("value"), (int, float)) and out["encoding"]["size"]["value"] < floor:
        out["encoding"] = {**out["encoding"], "size": {"value": floor}}
    if "config" in out:
        config = out["config"]
        for part, keys in (("axis", ("labelFontSize", "titleFontSize")), ("legend", ("labelFontSize", "titleFontSize")),
                           ("header", ("labelFontSize", "titleFontSize")), ("text", ("fontSize",)),
                           ("title", ("fontSize", "subtitleFontSize"))):
            config[part] = {**{k: floor for k in keys}, **config.get(part, {})}
            for k in keys:
                if config[part][k] < floor:
                    config[part][k] = floor
    return out


def composed(kind: str, parts: list[alt.TopLevelMixin | dict], **props) -> dict:
    """The Vega-Lite spec of charts put together ("layer", "vconcat"), composed as dicts: Altair
    deep-copies every sub-chart, with each of its hundreds of unset properties, at every
    composition, which took most of the time of building a print figure. Each part's datasets go
    to the top, as Vega-Lite wants them. Parts are not validated against the schema again (a
    third of what is left): vl-convert rejects an invalid spec when it renders."""
    datasets, specs = {}, []
    for part in parts:
        spec = dict(part if isinstance(part, dict) else bare(part).to_dict(validate=False))
        datasets.update(spec.pop("datasets", {}))
        for key in ("$schema", "config"):
            spec.pop(key, None)
        specs.append(spec)
    out = {"$schema": alt.SCHEMA_URL, kind: specs, **props}
    if datasets:
        out["datasets"] = datasets
    return out


@lru_cache(maxsize=1)
def theme_config() -> dict:
    """THEME as a Vega-Lite config (for specs composed as dicts)."""
    return alt.Config(**THEME).to_dict()


def print_layout(body: alt.TopLevelMixin | dict, title: str, subtitle: list[str], notes: list[str],
                 width: int, synthetic_note: str | None = None, note_columns: int = 1,
                 note_size: float = 11) -> dict:
    """A titled, sourced print layout around a chart (maps and charts share it): a Vega-Lite spec."""
    lines = ([synthetic_note] if synthetic_note else []) + notes
    notes_chart = footer(lines, width, red_first=bool(synthetic_note), columns=note_columns, font_size=note_size)
    return composed("vconcat", [body, notes_chart], spacing=12,
                    title={"text": title, "subtitle": subtitle, "fontSize": 18, "subtitleFontSize": 12,
                           "subtitleColor": "#444", "anchor": "start", "offset": 10},
                    padding={"left": 16, "right": 16, "top": 14, "bottom": 12}, background="white",
                    config=theme_config())


def urban_rural_bars(g: pd.Series, lang: str = "zh") -> alt.FacetChart:
    """Urban (城区+镇区) against rural (乡村): funding and equipment per pupil, bachelor's share of
    teachers, training hours — one small panel each (their units differ)."""
    measures = [(key, t(label, lang)) for key, label in (
        ("funding_per_student", "ur_funding"), ("equipment_per_student", "ur_equipment"),
        ("bachelor_share", "ur_bachelor"), ("training_hours", "ur_training"))]
    areas = [("urban", t("ur_urban", lang)), ("rural", t("ur_rural", lang))]
    data = pd.DataFrame([{"measure": label, "order": i, "area": area_label,
                          "value": float(g.get(f"{area}_{key}", np.nan))}
                         for i, (key, label) in enumerate(measures) for area, area_label in areas])
    data["text"] = [percent(v) if "占比" in m or "bachelor" in m else f"{v:,.0f}"
                    for v, m in zip(data["value"], data["measure"])]
    base = alt.Chart(data).encode(x=alt.X("area:N", title=None, sort=[a[1] for a in areas],
                                          axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar(width=34).encode(
        y=alt.Y("value:Q", title=None),
        color=alt.Color("area:N", scale=alt.Scale(domain=[a[1] for a in areas], range=[hex_colour(classes.URBAN), hex_colour(classes.RURAL)]),
                        legend=None))
    text = base.mark_text(dy=-7, fontSize=11).encode(y="value:Q", text="text:N")
    return alt.layer(bars, text).properties(width=130, height=180).facet(
        column=alt.Column("measure:N", title=None, sort=[m[1] for m in measures],
                          header=alt.Header(labelFontSize=12, labelFont=FONT))).resolve_scale(y="independent")


def scorecard_chart(card: pd.DataFrame, title: str, colours: dict[str, str], name_width: int = 240,
                    row_height: int = 21, font_size: float = 11.5) -> alt.LayerChart:
    """A plan's scorecard drawn as a table (for print): target, latest, goal, coloured status. A
    target name longer than `name_width` wraps onto a second line (never cut); its row grows."""
    data = card.reset_index(drop=True).assign(fill=lambda d: d["status"].map(colours).fillna(hex_colour(classes.BLANK)))
    grow = font_size / 11.5  # the figures' columns widen with the type
    x_latest, x_goal, x_status = name_width, name_width + round(100 * grow), name_width + round(240 * grow)
    width = x_status + round(120 * grow)  # the status word's column
    names = [_cell_lines(s, name_width - 6, font_size) for s in data["target"]]
    data["target"] = ["\n".join(lines) for lines in names]
    data["top"] = np.cumsum([0] + [len(lines) * row_height for lines in names[:-1]])
    data["middle"] = data["top"] + row_height / 2
    y_top = alt.Y("middle:Q", scale=None, axis=None)

    def column(field: str, x: float) -> alt.Chart:
        return alt.Chart(data).mark_text(align="left", baseline="middle", fontSize=font_size, lineBreak="\n",
                                         lineHeight=row_height).encode(y=y_top, x=alt.value(x), text=f"{field}:N")

    cols = [column("target", 0), column("latest", x_latest), column("goal", x_goal),
            alt.Chart(data).mark_square(size=110, opacity=1).encode(y=y_top, x=alt.value(x_status - 9),
                                                                  color=alt.Color("fill:N", scale=None)),
            column("status_label", x_status)]
    return alt.layer(*cols).properties(width=width, height=int(sum(len(n) for n in names) * row_height),
                                       title=alt.TitleParams(title, fontSize=max(14, font_size + 1), anchor="start"))


def compare_lines(trend: pd.DataFrame, label: str, lang: str = "zh", percent: bool = False) -> alt.LayerChart:
    """Chosen counties over the years, one coloured line each, named in the legend and at the
    line's end (a missing year is a gap, not a zero)."""
    axis = alt.Axis(format=".1%" if percent else "~g", title=label)
    year_title = t("school_year", lang)
    base = alt.Chart(trend).encode(
        x=alt.X("year:O", title=year_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", axis=axis, scale=alt.Scale(zero=False)),
        color=alt.Color("name:N", title=t("county_title", lang),
                        scale=alt.Scale(scheme="tableau10")),
        tooltip=[alt.Tooltip("name:N", title=t("county_title", lang)),
                 alt.Tooltip("year:O", title=year_title),
                 alt.Tooltip("value:Q", title=label, format=".1%" if percent else ",.3~f")])
    lines = base.mark_line(point=True, strokeWidth=2.5)
    ends = base.transform_filter("isValid(datum.value)").transform_window(
        rank="rank()", sort=[alt.SortField("year", order="descending")], groupby=["name"]
    ).transform_filter("datum.rank == 1").mark_text(align="left", dx=6, fontSize=12).encode(text="name:N")
    return themed(alt.layer(lines, ends).properties(height=380, width="container"))


def _cell_lines(text: str, width: float, size: float) -> list[str]:
    """A cell's text wrapped to a column `width` units wide at font `size` (Chinese by display
    width, English at spaces)."""
    chinese = any("\u3400" <= ch <= "\u9fff" for ch in text)
    return wrap_lines([text], max(2, int(width / size) - 1 if chinese else int(width / (size * 0.52)) - 1))


def text_table(table: pd.DataFrame, title: str, widths: list[int], empty: str = "",
               size: float = 11) -> alt.LayerChart:
    """A small table drawn as text (for print layouts): a bold header, then the rows; columns at
    fixed widths (pixels); a long cell wraps onto more lines (never cut) and its row grows."""
    line = round(size * 1.36)
    x = [sum(widths[:i]) for i in range(len(widths))]
    rows = [[str(col) for col in table.columns]] + [[str(v) for v in row] for row in table.itertuples(index=False)]
    if table.empty and empty:
        rows.append([empty])
    cells, top = [], 0
    for i, row in enumerate(rows):
        wrapped = [_cell_lines(v, widths[j] - 6, size) if j < len(row) - 1 or len(row) == len(widths)
                   else [v] for j, v in enumerate(row)]
        cells += [{"top": top, "x": x[j], "text": "\n".join(lines), "head": i == 0} for j, lines in enumerate(wrapped)]
        top += line * max(len(lines) for lines in wrapped) + 3
    data = pd.DataFrame(cells)
    layers = [alt.Chart(data[data["head"] == head]).mark_text(
        align="left", baseline="top", fontSize=size, lineBreak="\n", lineHeight=line,
        fontWeight="bold" if head else "normal").encode(
        y=alt.Y("top:Q", scale=None, axis=None), x=alt.X("x:Q", scale=None, axis=None), text="text:N")
        for head in (True, False)]
    return alt.layer(*layers).properties(width=sum(widths), height=top,
                                         title=alt.TitleParams(title, fontSize=max(13, size + 1), anchor="start"))
