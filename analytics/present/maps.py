"""Map layers for the explorer: county choropleth, outlines, Chinese labels, school points (pydeck).

No basemap: every shape comes from the committed boundary layers, so maps work offline.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from analytics.assess.balance import school_state
from analytics.assess.metrics import Metric
from analytics.atlas import geo, places, regions
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
    severities,
)
from analytics.core.i18n import kind_label, plain, progress_label, stage_label, status_label, t
from analytics.present import fonts, raster

NATIONAL = regions.NATIONAL
COUNTY_LAYER = "counties"
SCHOOL_LAYER = "schools"
FULL_CIRCLE = math.degrees(2 * math.pi)  # longitude round the world: a zoom-0 Web Mercator tile spans it
PRECISION = 4  # decimal places of coordinates sent to the browser (~10 m)
NATIONAL_PRECISION = 3
VERTEX_BUDGET = 20000  # vertices of the drawn county shapes of a province or prefecture map
NATIONAL_VERTEX_BUDGET = 30000  # … of the whole country
PICK_BUDGET = 3000  # vertices of the invisible clickable copy (see pick_records)
MIN_PICK_AREA = 0.02  # square degrees: smaller parts (islands) are not clickable, but still drawn


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation (pydeck indents by 2, doubling what the browser gets)."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# Metrics


CHANGE_METRICS = ("change_status", "change_cv")
RULES_METRIC = "change_rules"  # a county's status under the chosen rules beside the national rules


def status_change(before: pd.Series, after: pd.Series) -> pd.Series:
    """'better', 'same', 'worse' or 'not_comparable' (数据不足 in either year, or a year missing)."""
    b = before.map(severities(COUNTY_STATUS)).to_numpy(dtype=float)
    a = after.map(severities(COUNTY_STATUS)).to_numpy(dtype=float)
    out = np.select([a < b, a > b], ["better", "worse"], "same")
    return pd.Series(np.where(np.isnan(a) | np.isnan(b), "not_comparable", out), index=after.index)


GAP_METRICS = ("funding_gap", "rural_equipment_ratio", "bachelor_share_gap")


def rules_change_values(counties: pd.DataFrame, national: pd.DataFrame, year: int, stage: str) -> pd.DataFrame:
    """metric_values of RULES_METRIC: each county's status under the chosen rules (counties)
    against the national rules' (national): better / same / worse / not comparable, the national
    status, and the criteria judged differently (failing or without data under one set only)."""
    out = metric_values(counties, None, "status", year, stage)
    nat = national[(national["year"] == year) & (national["stage"] == stage)].set_index("adcode")
    before = out["adcode"].map(nat["status"])
    out["change"] = status_change(before, out["status"]).to_numpy()
    out["value"] = out["change"].map({"better": -1.0, "same": 0.0, "worse": 1.0})
    out["status_national"] = before.to_numpy()

    def codes(text) -> set[str]:
        return {c for c in str(text).split(", ") if c} if isinstance(text, str) else set()

    differ = []
    for row, code in zip(out.itertuples(index=False), out["adcode"]):
        here = codes(row.failed_criteria) | codes(row.missing_criteria)
        there = codes(nat["failed_criteria"].get(code)) | codes(nat["missing_criteria"].get(code))
        differ.append(", ".join(sorted(here ^ there)))
    out["rules_difference"] = differ
    return out


def metric_values(counties: pd.DataFrame, gaps: pd.DataFrame | None, metric: str, year: int,
                  stage: str) -> pd.DataFrame:
    """One row per county of the assessment: adcode, status, failed, value of the chosen metric."""
    c = counties[(counties["year"] == year) & (counties["stage"] == stage)]
    out = c[["adcode", "county_name", "city_name", "status", "failed", "failed_criteria", "missing",
             "missing_criteria"]].copy()
    if metric in CHANGE_METRICS:
        first = counties[(counties["year"] == counties["year"].min()) & (counties["stage"] == stage)]
        base = out[["adcode"]].merge(first[["adcode", "status", "cv_composite"]], on="adcode", how="left")
        if metric == "change_status":
            out["change"] = status_change(base["status"], out["status"]).to_numpy()
            out["value"] = out["change"].map({"better": -1.0, "same": 0.0, "worse": 1.0})
        else:
            out["value"] = (c["cv_composite"].to_numpy() - base["cv_composite"].to_numpy()).astype(float)
    elif metric in GAP_METRICS:
        g = gaps[gaps["year"] == year].set_index("adcode")[metric] if gaps is not None else pd.Series(dtype=float)
        out["value"] = out["adcode"].map(g)
    elif metric == "status":
        out["value"] = out["failed"].astype(float)
    else:
        out["value"] = c[metric].astype(float).to_numpy()
    return out.reset_index(drop=True)


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
# Geometry to records


def _rings(geom, precision: int = PRECISION) -> list[list[list[list[float]]]]:
    """Polygon parts as [[outer ring], [hole]…] with rounded coordinates."""
    parts = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for p in parts:
        rings = [p.exterior, *p.interiors]
        out.append([np.round(np.asarray(r.coords)[:, :2], precision).tolist() for r in rings])
    return out


def region_counties(region: str) -> pd.DataFrame:
    """County polygons inside a region (a county region gives its city, for context)."""
    gdf = geo.load_layer("counties")
    kind = regions.kind(region)
    if kind == "province":
        gdf = gdf[gdf["province_adcode"] == region]
    elif kind == "city":
        gdf = gdf[gdf["city_adcode"] == region]
    elif kind == "county":
        gdf = gdf[gdf["city_adcode"] == region[:4] + "00"]
    return gdf


def simplify_to_budget(geoms: np.ndarray, budget: int) -> np.ndarray:
    """Coarsen a coverage (shared borders kept) until it has at most `budget` vertices."""
    tolerance = 0.0
    while shapely.get_num_coordinates(geoms).sum() > budget and tolerance < 1.0:
        tolerance = tolerance * 1.5 if tolerance else 0.012
        geoms = shapely.coverage_simplify(geoms, tolerance)
    return geoms


_CODE = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()  # this module as loaded (not as the file is now)


def _stored(name: str, make, save, load, suffix: str):
    """make(), kept in the temp folder between processes: keyed by `name`, the boundary files and
    this module's code, so neither goes stale; written atomically; a read-only temp folder keeps
    nothing. No pickle (a temp folder may be shared): save/load write JSON or plain arrays."""
    key = hashlib.sha1(f"{name}|{geo.layers_stamp()}|{_CODE}".encode()).hexdigest()[:20]
    path = Path(tempfile.gettempdir()) / "junheng-geometry" / f"{key}{suffix}"
    try:
        return load(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        pass
    made = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{key}.{os.getpid()}.tmp{suffix}")
        save(tmp, made)
        tmp.replace(path)
    except OSError:
        pass
    return made


def _kept_between_processes(fn):
    """Keep a region's geometry records in the temp folder as well as in memory: simplifying the
    national map takes over a second in every new server process."""
    @lru_cache(maxsize=64)
    @functools.wraps(fn)
    def cached(region: str) -> tuple[dict, ...]:
        return _stored(f"{fn.__name__}|{region}", lambda: fn(region),
                       lambda path, records: path.write_text(json.dumps(records, separators=(",", ":")),
                                                             encoding="utf-8"),
                       lambda path: tuple(json.loads(path.read_text(encoding="utf-8"))), ".json")

    return cached


@_kept_between_processes
def polygon_records(region: str) -> tuple[dict, ...]:
    """The drawn county shapes of a region, one record per polygon part (geometry only; cached).

    Not clickable (see pick_records), so their detail is bounded by what the browser is sent,
    not by how fast it can pick."""
    return tuple({"adcode": adcode, "rings": rings} for adcode, rings in _county_parts(region, pixel_area(region)))


@lru_cache(maxsize=8)
def _simplified_counties(region: str):
    """A region's county shapes simplified to the vertex budget of its map."""
    gdf = region_counties(region)
    budget = NATIONAL_VERTEX_BUDGET if region == NATIONAL else VERTEX_BUDGET
    return gdf.assign(geometry=simplify_to_budget(gdf.geometry.values, budget))


def _county_parts(region: str, min_area: float = 0.0) -> list[tuple[str, list]]:
    """(adcode, rings) of each simplified county part of a region, leaving out parts under
    min_area square degrees except each county's largest (so every county is drawn)."""
    precision = NATIONAL_PRECISION if region == NATIONAL else PRECISION
    return [(row.adcode, rings) for row in _simplified_counties(region).itertuples(index=False)
            for rings in _rings(visible_parts(row.geometry, min_area), precision)]


def pixel_area(region: str, width: int = 800, height: int = 620) -> float:
    """Square degrees covered by one screen pixel in a region's first view, at its middle latitude.

    The browser pays for every polygon part it is sent (most with software rendering), and
    nationally half the county parts are islets smaller than a pixel."""
    bounds = main_bounds(region)
    view = view_for(bounds, width=width, height=height)
    degrees = FULL_CIRCLE / (512 * 2 ** view.zoom)
    return degrees * degrees * math.cos(math.radians((bounds[1] + bounds[3]) / 2))


def visible_parts(geom, min_area: float):
    """The parts of a (multi)polygon at least min_area large, and always the largest part."""
    parts = shapely.get_parts(geom)
    if len(parts) < 2 or min_area <= 0:
        return geom
    area = shapely.area(parts)
    keep = parts[(area >= min_area) | (area == area.max())]
    return keep[0] if len(keep) == 1 else shapely.MultiPolygon(list(keep))


def pick_units(region: str):
    """What a click on the region's map picks: provinces nationally, counties otherwise."""
    return geo.load_layer("provinces") if region == NATIONAL else region_counties(region)


@_kept_between_processes
def pick_records(region: str) -> tuple[dict, ...]:
    """The invisible clickable copy of a region's map: coarse shapes carrying an adcode and a name.

    deck.gl counts a press as a click only when press and release fall within 250 ms, and every
    press first "picks" over all pickable geometry; with software rendering (CI, remote desktops)
    a detailed layer takes longer, so clicks were dropped silently. A few thousand pickable
    vertices stay far below that; islands too small to aim at are left out."""
    gdf = pick_units(region)
    geoms = simplify_to_budget(gdf.geometry.values, PICK_BUDGET)
    parts, index = shapely.get_parts(geoms, return_index=True)
    area = shapely.area(parts)
    largest = pd.Series(area).groupby(index).transform("max").to_numpy()
    keep = (area >= MIN_PICK_AREA) | (area == largest)
    out = []
    for part, i in zip(parts[keep], index[keep]):
        row = gdf.iloc[int(i)]
        out.append({"adcode": row["adcode"], "name": row["name"], "sub": row.get("city_name", ""),
                    "rings": _rings(part, NATIONAL_PRECISION)[0]})
    return tuple(out)


# The national map for documents: the main map reaches Hainan's southern tip (18.1°N); the South
# China Sea islands and the maritime boundary line are drawn in an inset (南海诸岛), as standard
# maps of China do, instead of stretching the whole map down to 3°N.
MAIN_SOUTH = 17.5
SCS_BOX = (104.5, 2.5, 125.0, 24.5)  # lon/lat extent of the 南海诸岛 inset


def national_main(gdf):
    """The layer without the parts south of MAIN_SOUTH (the islands shown in the inset)."""
    def keep(geom):
        parts = [p for p in shapely.get_parts(geom) if p.representative_point().y >= MAIN_SOUTH]
        return shapely.union_all(parts) if parts else None

    out = gdf.assign(geometry=[keep(g) for g in gdf.geometry.values])
    return out[out.geometry.notna()]


def scs_inset(gdf):
    """The layer clipped to the inset's extent (Hainan, the coast, the South China Sea islands)."""
    box = shapely.box(*SCS_BOX)
    out = gdf.assign(geometry=shapely.intersection(gdf.geometry.values, box))
    return out[~shapely.is_empty(out.geometry.values)]


def maritime_line():
    """The maritime boundary line of the source boundaries (its dashes), WGS-84."""
    return geo.load_layer("maritime")


def main_bounds(region: str) -> tuple[float, float, float, float]:
    """What a region's map fits: the national main map stops at MAIN_SOUTH."""
    minx, miny, maxx, maxy = region_bounds(region)
    return (minx, max(miny, MAIN_SOUTH), maxx, maxy) if region == NATIONAL else (minx, miny, maxx, maxy)


WEB_INSET_BOX = (125.0, 18.0, 134.5, 28.5)  # where the web map draws the inset (open sea east of Taiwan)


def _to_web_inset(geoms: np.ndarray) -> np.ndarray:
    """Move and shrink shapes of the SCS_BOX extent into WEB_INSET_BOX."""
    (x0, y0, x1, y1), (u0, v0, u1, v1) = SCS_BOX, WEB_INSET_BOX
    sx, sy = (u1 - u0) / (x1 - x0), (v1 - v0) / (y1 - y0)
    return shapely.transform(geoms, lambda c: np.column_stack([u0 + (c[:, 0] - x0) * sx, v0 + (c[:, 1] - y0) * sy]))


@_kept_between_processes
def web_inset_shapes(region: str) -> tuple[dict, ...]:
    """The inset's county parts (adcode, moved rings), every islet included: the inset is where the
    South China Sea islands are shown (region: the national code)."""
    box = shapely.box(*SCS_BOX)
    shapes = []
    for adcode, rings in _county_parts(region):
        poly = shapely.Polygon(rings[0], rings[1:])
        if poly.intersects(box):
            parts = [g for g in shapely.get_parts(poly.intersection(box)) if g.geom_type == "Polygon"]
            for part in _to_web_inset(np.array(parts, dtype=object)) if parts else []:
                shapes += [{"adcode": adcode, "rings": r} for r in _rings(part, NATIONAL_PRECISION)]
    return tuple(shapes)


@lru_cache(maxsize=1)
def web_inset_paths() -> tuple[dict, ...]:
    """The inset's paths: frame, maritime line, the province borders and coasts inside the box."""
    box = shapely.box(*SCS_BOX)
    frame = shapely.box(*WEB_INSET_BOX).exterior
    coast = shapely.intersection(shapely.boundary(geo.load_layer("provinces").geometry.values), box)
    coast = [g for g in shapely.get_parts(_to_web_inset(coast)) if g.geom_type == "LineString" and not g.is_empty]
    lines = [frame] + list(shapely.get_parts(_to_web_inset(maritime_line().geometry.values))) + coast
    return tuple({"path": np.round(np.asarray(g.coords)[:, :2], NATIONAL_PRECISION).tolist()} for g in lines)


RASTER_SCALE = 2  # the national image has twice the pixels of the map's first view: sharp on HiDPI screens
OUTLINE_PIXELS = 3  # province outlines in the image (1.5 screen pixels); the inset's lines are 2


def raster_frame() -> raster.Frame:
    """The national image's frame: the main map and the 南海诸岛 inset box."""
    west, south, east, north = main_bounds(NATIONAL)
    bounds = (west, min(south, WEB_INSET_BOX[1]), max(east, WEB_INSET_BOX[2]), max(north, WEB_INSET_BOX[3]))
    zoom = view_for(main_bounds(NATIONAL)).zoom
    return raster.Frame.fit(bounds, round(RASTER_SCALE * 512 * 2 ** zoom * (bounds[2] - bounds[0]) / FULL_CIRCLE))


def _national_raster() -> raster.CountyRaster:
    """Every county of the country rasterised, with the inset and the province outlines."""
    frame = raster_frame()
    tolerance = (frame.bounds[2] - frame.bounds[0]) / frame.width / 2  # half a pixel, in degrees
    gdf = region_counties(NATIONAL)
    codes = list(gdf["adcode"])
    geoms = shapely.coverage_simplify(gdf.geometry.values, tolerance)
    shapes = [(code, rings) for code, geom in zip(codes, geoms) if not geom.is_empty
              for rings in _rings(geom, PRECISION)]
    known = set(codes)
    shapes += [(rec["adcode"], rec["rings"]) for rec in web_inset_shapes(NATIONAL) if rec["adcode"] in known]
    provinces = shapely.coverage_simplify(geo.load_layer("provinces").geometry.values, tolerance)
    lines = [(shapely.get_coordinates(line), OUTLINE_PIXELS) for line in shapely.get_parts(shapely.boundary(provinces))]
    lines += [(rec["path"], OUTLINE_PIXELS - 1) for rec in web_inset_paths()]
    points = shapely.point_on_surface(gdf.geometry.values)
    south = shapely.get_y(points) < frame.bounds[1]  # 三沙's islands: their spot is in the inset
    points[south] = _to_web_inset(points[south])
    spots = shapely.get_coordinates(points)
    return raster.draw(frame, codes, shapes, lines, dict(zip(codes, map(tuple, spots))))


@lru_cache(maxsize=1)
def national_raster() -> raster.CountyRaster:
    """The national counties as a raster of county numbers (drawn once, kept between processes:
    drawing takes about two seconds, reading it back milliseconds)."""
    frame = raster_frame()

    def save(path: Path, made: raster.CountyRaster) -> None:
        with path.open("wb") as f:
            np.savez(f, pixels=made.pixels, codes=np.array(made.codes))

    def load(path: Path) -> raster.CountyRaster:
        with np.load(path, allow_pickle=False) as stored:
            pixels, codes = stored["pixels"], tuple(str(c) for c in stored["codes"])
        if pixels.shape != (frame.height, frame.width):
            raise ValueError("a raster of another frame")
        return raster.CountyRaster(codes, pixels, frame)

    return _stored("national_raster", _national_raster, save, load, ".npz")


LABEL_PIXELS = 13  # label text on the web map, in screen pixels


@lru_cache(maxsize=8)
def national_labels(height: int = 620, lang: str = "zh") -> tuple[dict, ...]:
    """The national map's labels: provinces that fit without overlapping (drill down for more),
    and the inset's title."""
    labels = place_labels(list(label_records(NATIONAL, lang)), main_bounds(NATIONAL), 800, height,
                          sizes=(LABEL_PIXELS,))
    inset_title = [(WEB_INSET_BOX[0] + WEB_INSET_BOX[2]) / 2, WEB_INSET_BOX[1] + 0.8]
    labels.append({"text": t("inset_scs", lang), "position": inset_title})
    return tuple(labels)


@lru_cache(maxsize=8)
def national_labels_image(height: int = 620, lang: str = "zh") -> dict:
    """The national labels drawn as one transparent image over the map (data URL and bounds): a
    software-rendered browser takes about a second to lay out a text layer of Chinese labels."""
    frame = national_raster().frame
    png = raster.label_image(frame, [(rec["text"], *rec["position"]) for rec in national_labels(height, lang)],
                             str(fonts.font_file()), fonts.SC_INDEX, LABEL_PIXELS * RASTER_SCALE)
    return {"url": raster.data_url(png), "bounds": list(frame.bounds)}


def national_image(colours: dict[str, list]) -> dict:
    """The national map as one image (a data: URL) and its lon/lat bounds, counties in `colours`."""
    r = national_raster()
    png = raster.paint(r, colours, NO_DATA)
    return {"url": raster.data_url(png), "bounds": list(r.frame.bounds)}


def upper_level(region: str):
    """The level drawn over a region's counties: provinces nationally, the province's cities, or the city."""
    kind = regions.kind(region)
    if kind == "national":
        return geo.load_layer("provinces")
    cities = geo.load_layer("cities")
    if kind == "province":
        return cities[cities["province_adcode"] == region]
    return cities[cities["adcode"] == region[:4] + "00"]


@lru_cache(maxsize=64)
def outline_records(region: str) -> tuple[dict, ...]:
    """Paths of the outlines to draw over the counties: cities in a province, the city otherwise."""
    min_area = pixel_area(region)
    return tuple({"path": rings[0]} for geom in upper_level(region).geometry
                 for rings in _rings(visible_parts(geom, min_area), PRECISION))


@lru_cache(maxsize=64)
def label_records(region: str, lang: str = "zh") -> tuple[dict, ...]:
    """Place labels in the reader's language (English: the proper name, "Yuexi"): cities on a
    province map, counties on a city map, provinces nationally; each with the area of its unit
    (larger places are labelled first when labels collide)."""
    gdf = upper_level(region) if regions.kind(region) in ("national", "province") else region_counties(region)
    points = shapely.point_on_surface(gdf.geometry.values)
    area = shapely.area(gdf.geometry.values)
    return tuple({"text": places.label_name(n, lang), "position": [round(p.x, PRECISION), round(p.y, PRECISION)],
                  "area": float(a)} for n, p, a in zip(gdf["name"], points, area))


def place_labels(labels: list[dict], bounds: tuple[float, float, float, float], width: float, height: float,
                 sizes: tuple[int, ...] = (12, 10, 8), pad: float = 1.5) -> list[dict]:
    """Labels that do not collide on a width × height map of `bounds`: the largest places first at
    the first size (centred, else a line up or down), then a smaller size, else the label is left out (a crowded east of China or
    宜宾 beside 泸州 stay readable). Positions are estimated on a local equirectangular plane."""
    minx, miny, maxx, maxy = bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    scale = min(width / max((maxx - minx) * k, 1e-6), height / max(maxy - miny, 1e-6))
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for rec in sorted(labels, key=lambda r: -r.get("area", 0.0)):
        x = (rec["position"][0] - minx) * k * scale
        y = (maxy - rec["position"][1]) * scale
        for size, (dx, dy) in ((size, shift) for size in sizes for shift in ((0, 0), (0, -1), (0, 1))):
            w = sum(size if not ch.isascii() else size * 0.6 for ch in rec["text"]) / 2 + pad
            h = size / 2 + pad
            cy = y + dy * 2 * h  # centred, else moved one line up or down
            box = (x - w, cy - h, x + w, cy + h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                placed.append(box)
                lat = rec["position"][1] - dy * 2 * h / scale
                out.append({**rec, "position": [rec["position"][0], round(lat, PRECISION)], "size": size})
                break
    return out


def region_bounds(region: str) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of the region (a county: of that county)."""
    if regions.kind(region) == "county":
        gdf = geo.load_layer("counties")
        gdf = gdf[gdf["adcode"] == region]
    else:
        gdf = region_counties(region)
    return tuple(gdf.total_bounds.tolist())


DEFAULT_WIDTH = 800  # a map frame's width while the browser has not reported it


def view_for(bounds: tuple[float, float, float, float], width: int = DEFAULT_WIDTH, height: int = 620) -> pdk.ViewState:
    """A north-up view that fits the bounds in a width × height map."""
    minx, miny, maxx, maxy = bounds
    lon_span = max(maxx - minx, 1e-3)

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lat_span = max(merc(maxy) - merc(miny), 1e-5)
    # deck.gl's world is 512 px wide at zoom 0
    zoom = min(math.log2(width * FULL_CIRCLE / (512 * lon_span)), math.log2(height * 2 * math.pi / (512 * lat_span)))
    centre = math.degrees(2 * math.atan(math.exp((merc(miny) + merc(maxy)) / 2)) - math.pi / 2)  # midway on screen
    return pdk.ViewState(longitude=(minx + maxx) / 2, latitude=centre, zoom=round(zoom - 0.1, 2),
                         pitch=0, bearing=0)


def screen_offset(bounds: tuple[float, float, float, float], lon: float, lat: float,
                  height: int = 620, width: int = DEFAULT_WIDTH) -> tuple[float, float]:
    """Pixels from the map's centre to (lon, lat) in the initial view that fits `bounds` (Web
    Mercator, as deck.gl draws it): where a browser test or benchmark clicks."""
    view = view_for(bounds, width=width, height=height)
    scale = 512 / (2 * math.pi) * 2 ** view.zoom

    def merc(lo: float, la: float) -> tuple[float, float]:
        return math.radians(lo), math.log(math.tan(math.pi / 4 + math.radians(la) / 2))

    (x0, y0), (x1, y1) = merc(view.longitude, view.latitude), merc(lon, lat)
    return (x1 - x0) * scale, -(y1 - y0) * scale


def click_point(region: str, adcode: str) -> tuple[float, float]:
    """A point deep inside the clickable shape of `adcode` on the map of `region`."""
    parts = [shapely.Polygon(r["rings"][0], r["rings"][1:]) for r in pick_records(region) if r["adcode"] == adcode]
    largest = max(parts, key=lambda p: p.area)
    x, y = shapely.get_coordinates(shapely.maximum_inscribed_circle(largest))[0]  # farthest from the edges
    return float(x), float(y)


def caption(lang: str) -> str:
    """The line under every web map: 示意图 (or the 审图号 of reviewed boundaries) and their source."""
    return t("map_note", lang, note=geo.map_note(lang), source=plain(geo.boundary_source(lang)))


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
    """What a region's map draws (coloured county shapes) and what a click picks (with tooltips).

    Nationally the counties are drawn as one image (`image`: data URL and bounds) and `fill` holds
    one colour record per county, without shapes."""

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
    if region == NATIONAL:
        image = national_image(colours)
        fill = [{"adcode": code, "fill": colours.get(code, list(NO_DATA))} for code in national_raster().codes]
    else:
        image = None
        fill = [{**rec, "fill": colours.get(rec["adcode"], list(NO_DATA))} for rec in polygon_records(region)]
    lines: dict[str, list[str]] = {}
    if region == NATIONAL:
        by_province = values.assign(_p=values["adcode"].str[:2] + "0000").groupby("_p")
        for code in {rec["adcode"] for rec in pick_records(region)}:
            rows = by_province.get_group(code) if code in by_province.groups else values.iloc[:0]
            lines[code] = _province_lines(rows, metric, lang)
    else:
        for code, row in v.iterrows():
            lines[code] = list(row["tip"]) if "tip" in v.columns else _county_lines(row, metric, lang)
    if note:
        lines = {code: [*tip, note] for code, tip in lines.items()}
    pick = [{**rec, **_tip(places.display_name(rec["name"], lang), places.display_name(rec["sub"], lang),
                           lines.get(rec["adcode"], [t("tip_no_data", lang)]))}
            for rec in pick_records(region)]
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
    """The explorer map: counties, outlines, labels, the selected county and its schools; its
    first view fits a width × height frame (width: the column's measured width, DEFAULT_WIDTH
    while it is not known).

    Every layer has an id and says whether it is pickable (Streamlit makes all layers pickable
    when none says); only the coarse copy and the school points are."""
    if layers.image:  # the whole country: one image (counties, borders, outlines and the inset)
        deck_layers = [_bitmap("shapes", layers.image)]
    else:
        deck_layers = [
            pdk.Layer("PolygonLayer", id="shapes", data=layers.fill, get_polygon="rings", get_fill_color="fill",
                      get_line_color=[255, 255, 255], line_width_min_pixels=0.6, stroked=True, filled=True,
                      pickable=False),
            pdk.Layer("PathLayer", id="outlines", data=list(outline_records(region)), get_path="path",
                      get_color=[60, 60, 60], width_min_pixels=1.6, pickable=False),
        ]
    if selected:
        shapes = polygon_records(selected) if layers.image else layers.fill  # its prefecture's shapes (cached)
        sel = [{"path": rec["rings"][0]} for rec in shapes if rec["adcode"] == selected]
        deck_layers.append(pdk.Layer("PathLayer", id="selected", data=sel, get_path="path", get_color=[20, 20, 20],
                                     width_min_pixels=3.5, pickable=False))
    deck_layers.append(pdk.Layer(
        "PolygonLayer", id=COUNTY_LAYER, data=layers.pick, get_polygon="rings", get_fill_color=[0, 0, 0, 0],
        # no hover highlight: it would draw the coarse copy, visibly off the drawn borders when zoomed in
        stroked=False, filled=True, pickable=True, auto_highlight=False))
    if schools:
        deck_layers.append(pdk.Layer("ScatterplotLayer", id=SCHOOL_LAYER, data=schools, get_position="position",
                                     get_radius="radius", radius_units='"pixels"', get_fill_color="fill",
                                     get_line_color="line", stroked=True, line_width_min_pixels=1.2,
                                     pickable=True, opacity=0.9))
    if layers.image:  # the whole country: its labels are an image too
        deck_layers.append(_bitmap("labels", national_labels_image(height, lang)))
    else:
        deck_layers.append(pdk.Layer(
            "TextLayer", id="labels", data=list(label_records(region, lang)), get_position="position", get_text="text",
            get_size=LABEL_PIXELS, size_units='"pixels"', get_color=[30, 30, 30], get_text_anchor='"middle"',
            get_alignment_baseline='"center"', character_set='"auto"',
            font_family='"Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"',
            background=True, get_background_color=[255, 255, 255, 190], background_padding=[3, 1], pickable=False,
        ))
    bounds = region_bounds(selected) if selected and schools else main_bounds(region)
    return CompactDeck(
        layers=deck_layers,
        initial_view_state=view_for(bounds, width=width or DEFAULT_WIDTH, height=height),
        # no basemap, and none fetched: with map_style=None Streamlit swaps in an online CARTO
        # basemap; pydeck's default-style sentinel ("__MAP_STYLE__") makes it draw none
        map_provider=None,
        tooltip={"text": TOOLTIP_TEXT, "style": {"whiteSpace": "pre-line", "backgroundColor": "white", "color": "#222",
                                                 "fontSize": "13px", "border": "1px solid #ccc"}},
    )
