"""Map layers for the explorer: the counties coloured per view, labels, the clickable copy, school points (pydeck).

No basemap: every shape comes from the committed boundary layers, so maps work offline.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from analytics.assess.balance import school_state
from analytics.assess.metrics import Metric
from analytics.atlas import places, regions
from analytics.core.classes import (
    COUNTY_STATUS,
    DIVERGING,
    NO_DATA,
    SCHOOL_STATE,
    SEQUENTIAL,
    STATUS_CHANGE,
    TARGET_PROGRESS,
    codes,
    colours,
)
from analytics.core.i18n import kind_label, progress_label, stage_label, status_label, t
from analytics.present import geometry, images

NATIONAL = regions.NATIONAL
COUNTY_LAYER = "counties"
SCHOOL_LAYER = "schools"


def county_layer_id(region: str) -> str:
    """The id of the clickable layer of a region's map (what a click's selection is filed under)."""
    return f"{COUNTY_LAYER}-{region}"


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation (pydeck indents by 2, doubling what the browser gets)."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# Colours and legend


def class_breaks(values: pd.Series, k: int = 5) -> list[float]:
    """Quantile class breaks (k classes → k−1 inner breaks), de-duplicated, rounded for legends."""
    v = values.dropna().astype(float)
    if v.empty:
        return []
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:-1])
    span = float(v.max() - v.min()) or abs(float(v.max())) or 1.0
    digits = max(0, 2 - int(math.floor(math.log10(span))))
    return sorted(set(round(float(q), digits) for q in qs))


def limit_for(metric: Metric, stage: str) -> float | None:
    """The pass limit of a difference coefficient at one stage (none for both stages together:
    primary and junior limits differ)."""
    return dict(metric.limits).get(stage)


def breaks_for(metric: Metric, values: pd.Series, stage: str = "all") -> list[float]:
    """Class breaks: quantiles; a CV's pass limit is always a break (the legend shows where
    passing ends); a change is split symmetrically around zero."""
    v = values.dropna().astype(float)
    if metric.kind == "diverging":
        m = float(np.quantile(v.abs(), 0.9)) if not v.empty else 0.0
        m = float(f"{m:.1g}") or 0.01
        return [-m, round(-m / 3, 4), round(m / 3, 4), m]
    limit = limit_for(metric, stage)
    if limit is None:
        return class_breaks(v)
    return sorted({b for b in class_breaks(v, 4) if abs(b - limit) > 1e-9} | {limit})


def colour_for(values: pd.Series, metric: Metric, breaks: list[float], statuses: pd.Series | None = None) -> list:
    """An RGB triple per county: status colours, or classed sequential colours (darker = worse)."""
    if metric.kind == "status":
        return [list(colours(COUNTY_STATUS).get(s, NO_DATA)) for s in statuses]
    if metric.kind == "progress":
        return [list(colours(TARGET_PROGRESS).get(s, NO_DATA)) for s in statuses]
    if metric.kind == "change":
        return [list(colours(STATUS_CHANGE)["not_comparable"]) if pd.isna(v) else
                list(colours(STATUS_CHANGE)[{-1.0: "better", 0.0: "same", 1.0: "worse"}[v]]) for v in values]
    if metric.kind == "diverging":
        return [list(NO_DATA) if pd.isna(v) else list(DIVERGING[int(np.searchsorted(breaks, v, side="right"))])
                for v in values]
    palette = SEQUENTIAL[: len(breaks) + 1] if len(breaks) + 1 < len(SEQUENTIAL) else SEQUENTIAL
    if metric.better == "high":
        palette = palette[::-1]
    out = []
    for v in values:
        if pd.isna(v):
            out.append(list(NO_DATA))
        else:
            out.append(list(palette[min(int(np.searchsorted(breaks, v, side="right")), len(palette) - 1)]))
    return out


def legend_items(metric: Metric, breaks: list[float], lang: str,
                 stage: str = "all") -> list[tuple[tuple[int, int, int] | None, str]]:
    """(colour, label) pairs in reading order, with a no-data entry; a None colour is a note
    (which way is worse, where the pass limit lies)."""
    # places outside the data (a province not imported) are drawn NO_DATA on every map: named too
    if metric.kind == "status":
        return [*((c.colour, t(c.label, lang)) for c in COUNTY_STATUS), (NO_DATA, t("legend_no_data", lang))]
    if metric.kind == "progress":
        return [*((c.colour, t(c.label, lang)) for c in TARGET_PROGRESS),
                (NO_DATA, t("legend_no_data", lang))]
    if metric.kind == "change":
        return [*((c.colour, t(c.label, lang)) for c in STATUS_CHANGE), (NO_DATA, t("legend_no_data", lang))]
    if metric.kind == "diverging":
        palette = DIVERGING
    else:
        palette = SEQUENTIAL[: len(breaks) + 1] if len(breaks) + 1 < len(SEQUENTIAL) else SEQUENTIAL
        if metric.better == "high":
            palette = palette[::-1]
    fmt = metric.fmt
    limit = limit_for(metric, stage)
    edges = [None, *breaks, None]
    items: list[tuple[tuple[int, int, int] | None, str]] = []
    for i, colour in enumerate(palette[: len(edges) - 1]):
        lo, hi = edges[i], edges[i + 1]
        if lo is None and hi is None:
            text = t("legend_all", lang)
        elif lo is None:
            text = f"< {fmt.format(hi)}"
        elif hi is None:
            text = f"≥ {fmt.format(lo)}"
        else:
            text = f"{fmt.format(lo)} – {fmt.format(hi)}"
        if limit is not None and lo is not None and abs(lo - limit) < 1e-9:
            text += t("legend_over_limit", lang)
        items.append((colour, text))
    items.append((NO_DATA, t("legend_no_data", lang)))
    if metric.kind == "diverging":
        items.append((None, t("legend_change_note", lang)))
    else:
        items.append((None, t("legend_worse_" + ("low" if metric.better == "high" else "high"), lang)))
    if metric.limits:
        items.append((None, t("legend_limits", lang, limits=t("limits_sep", lang).join(
            f"{stage_label(st, lang)} ≤ {fmt.format(v)}" for st, v in metric.limits))))
    return items


def legend_html(title: str, items: list[tuple[tuple[int, int, int], str]]) -> str:
    """A compact HTML legend (deck.gl has none)."""
    rows = "".join(
        f'<div style="display:flex;align-items:center;margin:2px 0">'
        f'<span style="display:inline-block;width:18px;height:12px;margin-right:6px;'
        f'background:rgb{tuple(c)};border:1px solid #999"></span>{label}</div>'
        if c is not None else f'<div style="margin:4px 0 0;color:#555;font-size:12px">{label}</div>'
        for c, label in items
    )
    return f'<div style="font-size:13px;line-height:1.3"><b>{title}</b>{rows}</div>'


# --------------------------------------------------------------------------------------------
# Deck


# A text tooltip, never HTML: names come from imported files, and deck.gl's html template puts
# them into the page unescaped in some Streamlit versions (a school named <img src=…> would
# fetch an outside URL). The text template shows them as they are.
TOOLTIP_TEXT = "{name}  {sub}\n{l1}\n{l2}\n{l3}"


def _tip(name: str, sub: str, lines: list[str]) -> dict[str, str]:
    """Tooltip fields of one record (deck.gl fills them into TOOLTIP_TEXT as text)."""
    lines = (lines + ["", "", ""])[:3]
    return {"name": name, "sub": sub, "l1": lines[0], "l2": lines[1], "l3": lines[2]}


@dataclass(frozen=True)
class MapLayers:
    """What a region's map draws and what a click picks (with tooltips): the counties as one
    picture (`image`: data URL and bounds), `fill` one colour record per county of it."""

    fill: list[dict]
    pick: list[dict]
    image: dict | None = None


def _county_lines(row: pd.Series, metric: Metric, lang: str) -> list[str]:
    """Tooltip lines of one county of the assessment."""
    lines = [f"{t('tip_status', lang)}：{status_label(row['status'], lang)}",
             t("tip_known", lang, failed=int(row["failed"]), missing=int(row.get("missing", 0)))]
    if metric.kind == "change":
        lines.insert(1, f"{metric.label(lang)}：{t('change_' + row['change'], lang)}")
    elif metric.kind != "status":
        shown = "—" if pd.isna(row["value"]) else metric.fmt.format(row["value"])
        lines.insert(1, f"{metric.label(lang)}：{shown}")
    return lines


def _province_lines(rows: pd.DataFrame, metric: Metric, lang: str) -> list[str]:
    """Tooltip lines of one province on the national map: its counties by class, the median."""
    if rows.empty:
        return [t("tip_no_data", lang)]
    label = progress_label if metric.kind == "progress" else status_label
    order = codes(TARGET_PROGRESS if metric.kind == "progress" else COUNTY_STATUS)
    counts = rows["status"].value_counts()
    lines = [t("tip_counties", lang, n=len(rows)),
             " · ".join(f"{label(s, lang)} {int(counts[s])}" for s in order if s in counts)]
    if metric.kind not in ("status", "progress") and rows["value"].notna().any():
        lines.append(f"{metric.label(lang)}{t('tip_median', lang)}：{metric.fmt.format(rows['value'].median())}")
    lines.append(t("tip_click_open", lang))
    return lines


def county_data(region: str, values: pd.DataFrame, metric: Metric, lang: str,
                breaks: list[float] | None = None, stage: str = "all",
                note: str = "") -> tuple[MapLayers, list[float]]:
    """The region's county shapes coloured by the metric, and the clickable copy with tooltips
    (each ending with `note`, e.g. the rule set in use when it is not the national one).

    values: adcode, status, value, and either failed (assessment) or tip (the tooltip lines).
    On the national map a click and a tooltip are per province, elsewhere per county."""
    v = values.set_index("adcode")
    classed = metric.kind not in ("status", "progress", "change")
    breaks = breaks_for(metric, v["value"], stage) if breaks is None and classed else (breaks or [])
    colours = dict(zip(v.index, colour_for(v["value"], metric, breaks, v["status"])))
    r = images.county_raster(region)
    image = images.picture(r, colours)
    fill = [{"adcode": code, "fill": colours.get(code, list(NO_DATA))} for code in r.codes]
    lines: dict[str, list[str]] = {}
    if region == NATIONAL:
        by_province = values.assign(_p=regions.province_column(values["adcode"])).groupby("_p")
        for code in {rec["adcode"] for rec in geometry.pick_records(region)}:
            rows = by_province.get_group(code) if code in by_province.groups else values.iloc[:0]
            lines[code] = _province_lines(rows, metric, lang)
    else:
        for code, row in v.iterrows():
            lines[code] = list(row["tip"]) if "tip" in v.columns else _county_lines(row, metric, lang)
    if note:
        lines = {code: [*tip, note] for code, tip in lines.items()}
    pick = [{**rec, **_tip(places.display_name(rec["name"], lang), places.display_name(rec["sub"], lang),
                           lines.get(rec["adcode"], [t("tip_no_data", lang)]))}
            for rec in geometry.pick_records(region)]
    return MapLayers(fill, pick, image), breaks


def county_school_points(schools: pd.DataFrame, locations: pd.DataFrame, adcode: str, year: int, stage: str,
                         lang: str) -> list[dict]:
    """The map points of one county's schools in a year and stage (assessment rows joined to
    their locations); for both stages together one point per school, its primary row if any."""
    s = schools[(schools["adcode"] == adcode) & (schools["year"] == year)]
    if stage != "all":
        s = s[s["stage"] == stage]
    else:
        s = s.sort_values("stage", key=lambda x: x.map({"primary": 0, "junior": 1})).drop_duplicates("school_id")
    return school_data(s.merge(locations, on="school_id"), lang)


def school_data(schools: pd.DataFrame, lang: str) -> list[dict]:
    """Points of one county's schools: colour by compliance, radius by enrolment."""
    out = []
    classes = {c.code: c for c in SCHOOL_STATE}
    ratios = schools[[f"ratio_r{i}" for i in range(1, 8)]].astype("float64")
    met, missing = (ratios >= 1).sum(axis=1).to_numpy(), ratios.isna().sum(axis=1).to_numpy()
    for i, row in enumerate(schools.itertuples(index=False)):
        state = school_state(row.eligible, row.compliant)
        if state == "not_assessed":
            second = t("tip_not_assessed", lang)
        elif state == "no_data":
            second = t("tip_standards_known", lang).format(met=int(met[i]), missing=int(missing[i]))
        else:
            second = f"{t('tip_standards_met', lang)}：{int(met[i])}/7"
        lines = [f"{kind_label(row.kind, lang)} · {stage_label(row.stage, lang)} · {t('tip_students', lang)} {int(row.students):,}",
                 second]
        out.append({
            "school_id": row.school_id,
            "position": [round(float(row.longitude), 5), round(float(row.latitude), 5)],
            "radius": float(3.0 + math.sqrt(max(row.students, 1)) * 0.3),
            "fill": list(classes[state].colour),
            "line": list(classes[state].outline),
            **_tip(row.name, t(classes[state].label, lang), lines),
        })
    return out


def _bitmap(layer_id: str, image: dict) -> pdk.Layer:
    """An image layer (image: data URL and lon/lat bounds); the URL quoted, as pydeck would
    otherwise read it as an expression."""
    return pdk.Layer("BitmapLayer", id=layer_id, image=f'"{image["url"]}"', bounds=image["bounds"], pickable=False)


def build_deck(region: str, layers: MapLayers, selected: str | None = None,
               schools: list[dict] | None = None, height: int = 620, width: int | None = None,
               lang: str = "zh") -> pdk.Deck:
    """The explorer map: the counties' picture, the selected county and its schools, the labels'
    picture; its first view fits a width × height frame (width: the column's measured width,
    geometry.DEFAULT_WIDTH while it is not known). Zoomed to a selected county with schools, a
    sharper picture of its surroundings lies over the region's.

    Every layer has an id and says whether it is pickable (Streamlit makes all layers pickable
    when none says); only the coarse copy and the school points are."""
    focus = bool(selected and schools) and region != NATIONAL
    deck_layers = [_bitmap("shapes", layers.image)] if layers.image else []
    if focus:
        colours = tuple((rec["adcode"], tuple(rec["fill"])) for rec in layers.fill)
        deck_layers.append(_bitmap("focus", images.focus_picture(selected, colours)))
    if selected:
        deck_layers.append(pdk.Layer("PathLayer", id="selected", data=list(geometry.county_outline(selected)),
                                     get_path="path", get_color=[20, 20, 20], width_min_pixels=3.5, pickable=False))
    deck_layers.append(pdk.Layer(
        # invisible by opacity, with no colour of its own: Streamlit repaints a clicked object of a
        # layer that has one (the clicked county black, the rest faded); an id per region, so a
        # click on the map before is not read as a selection of this one
        "PolygonLayer", id=county_layer_id(region), data=layers.pick, get_polygon="rings", opacity=0,
        # no hover highlight: it would draw the coarse copy, visibly off the drawn borders when zoomed in
        stroked=False, filled=True, pickable=True, auto_highlight=False))
    if schools:
        deck_layers.append(pdk.Layer("ScatterplotLayer", id=SCHOOL_LAYER, data=schools, get_position="position",
                                     get_radius="radius", radius_units='"pixels"', get_fill_color="fill",
                                     get_line_color="line", stroked=True, line_width_min_pixels=1.2,
                                     pickable=True, opacity=0.9))
    if layers.image:  # labels are a picture too, over everything but the tooltips
        shown = images.label_width(width)
        deck_layers.append(_bitmap("labels", images.focus_labels_picture(selected, shown, height, lang) if focus
                                   else images.labels_picture(region, shown, height, lang)))
    bounds = geometry.region_bounds(selected) if selected and schools else geometry.main_bounds(region)
    return CompactDeck(
        layers=deck_layers,
        initial_view_state=geometry.view_for(bounds, width=width or geometry.DEFAULT_WIDTH, height=height),
        # no basemap, and none fetched: with map_style=None Streamlit swaps in an online CARTO
        # basemap; pydeck's default-style sentinel ("__MAP_STYLE__") makes it draw none
        map_provider=None,
        tooltip={"text": TOOLTIP_TEXT, "style": {"whiteSpace": "pre-line", "backgroundColor": "white", "color": "#222",
                                                 "fontSize": "13px", "border": "1px solid #ccc"}},
    )
