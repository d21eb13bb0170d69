"""What the web and print maps draw, and where: a region's counties, the invisible clickable copy
(kept on disk between processes), labels placed without overlaps, the national map's 南海诸岛 inset,
and the view of a region. The web maps' pictures are drawn from these in `images`."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from analytics.atlas import geo, places, regions
from analytics.core.i18n import plain, t

NATIONAL = regions.NATIONAL
FULL_CIRCLE = math.degrees(2 * math.pi)  # longitude round the world: a zoom-0 Web Mercator tile spans it
PRECISION = 4  # decimal places of coordinates sent to the browser (~10 m)
NATIONAL_PRECISION = 3
NATIONAL_VERTEX_BUDGET = 30000  # vertices of the country's county shapes (the inset's source)
PICK_BUDGET = 3000  # vertices of the invisible clickable copy (see pick_records)
MIN_PICK_AREA = 0.02  # square degrees: smaller parts (islands) are not clickable, but still drawn


def polygon_rings(geom, precision: int = PRECISION) -> list[list[list[list[float]]]]:
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
        gdf = gdf[gdf["city_adcode"] == regions.city_of(region)]
    return gdf


def simplify_to_budget(geoms: np.ndarray, budget: int) -> np.ndarray:
    """Coarsen a coverage (shared borders kept) until it has at most `budget` vertices."""
    tolerance = 0.0
    while shapely.get_num_coordinates(geoms).sum() > budget and tolerance < 1.0:
        tolerance = tolerance * 1.5 if tolerance else 0.012
        geoms = shapely.coverage_simplify(geoms, tolerance)
    return geoms


_CODE = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()  # this module as loaded (not as the file is now)


def stored(name: str, make, save, load, suffix: str, code: str = _CODE):
    """make(), kept in the temp folder between processes: keyed by `name`, the boundary files and
    the code that makes it (`code`: a hash of its module), so neither goes stale; written
    atomically; a read-only temp folder keeps nothing. No pickle (a temp folder may be shared):
    save/load write JSON or plain arrays."""
    key = hashlib.sha1(f"{name}|{geo.layers_stamp()}|{code}".encode()).hexdigest()[:20]
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
        return stored(f"{fn.__name__}|{region}", lambda: fn(region),
                       lambda path, records: path.write_text(json.dumps(records, separators=(",", ":")),
                                                             encoding="utf-8"),
                       lambda path: tuple(json.loads(path.read_text(encoding="utf-8"))), ".json")

    return cached


@lru_cache(maxsize=1)
def _simplified_counties(region: str):
    """The country's county shapes simplified to the national vertex budget (for the inset)."""
    gdf = region_counties(region)
    return gdf.assign(geometry=simplify_to_budget(gdf.geometry.values, NATIONAL_VERTEX_BUDGET))


def _county_parts(region: str) -> list[tuple[str, list]]:
    """(adcode, rings) of each simplified county part of a region."""
    return [(row.adcode, rings) for row in _simplified_counties(region).itertuples(index=False)
            for rings in polygon_rings(row.geometry, NATIONAL_PRECISION)]


SELECTED_BUDGET = 2000  # vertices of a selected county's outline


@lru_cache(maxsize=64)
def county_outline(adcode: str) -> tuple[dict, ...]:
    """Paths of one county's outline (each part's outer ring): the selected county on a map."""
    counties = geo.load_layer("counties")
    geoms = simplify_to_budget(counties[counties["adcode"] == adcode].geometry.values, SELECTED_BUDGET)
    return tuple({"path": rings[0]} for geom in geoms for rings in polygon_rings(geom))


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
                    "rings": polygon_rings(part, NATIONAL_PRECISION)[0]})
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


def to_web_inset(geoms: np.ndarray) -> np.ndarray:
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
            for part in to_web_inset(np.array(parts, dtype=object)) if parts else []:
                shapes += [{"adcode": adcode, "rings": r} for r in polygon_rings(part, NATIONAL_PRECISION)]
    return tuple(shapes)


@lru_cache(maxsize=1)
def web_inset_paths() -> tuple[dict, ...]:
    """The inset's paths: frame, maritime line, the province borders and coasts inside the box."""
    box = shapely.box(*SCS_BOX)
    frame = shapely.box(*WEB_INSET_BOX).exterior
    coast = shapely.intersection(shapely.boundary(geo.load_layer("provinces").geometry.values), box)
    coast = [g for g in shapely.get_parts(to_web_inset(coast)) if g.geom_type == "LineString" and not g.is_empty]
    lines = [frame] + list(shapely.get_parts(to_web_inset(maritime_line().geometry.values))) + coast
    return tuple({"path": np.round(np.asarray(g.coords)[:, :2], NATIONAL_PRECISION).tolist()} for g in lines)


def upper_level(region: str):
    """The level drawn over a region's counties: provinces nationally, the province's cities, or the city."""
    kind = regions.kind(region)
    if kind == "national":
        return geo.load_layer("provinces")
    cities = geo.load_layer("cities")
    if kind == "province":
        return cities[cities["province_adcode"] == region]
    return cities[cities["adcode"] == regions.city_of(region)]


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
