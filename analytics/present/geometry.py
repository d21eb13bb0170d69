"""What the web and print maps draw, and where: county shapes simplified to a vertex budget (kept
on disk between processes), the invisible clickable copy, outlines, labels placed without
overlaps, the national map as one image with its 南海诸岛 inset, and the view of a region."""

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
from analytics.core.classes import NO_DATA
from analytics.core.i18n import plain, t
from analytics.present import fonts, raster

NATIONAL = regions.NATIONAL
FULL_CIRCLE = math.degrees(2 * math.pi)  # longitude round the world: a zoom-0 Web Mercator tile spans it
PRECISION = 4  # decimal places of coordinates sent to the browser (~10 m)
NATIONAL_PRECISION = 3
VERTEX_BUDGET = 20000  # vertices of the drawn county shapes of a province or prefecture map
NATIONAL_VERTEX_BUDGET = 30000  # … of the whole country
PICK_BUDGET = 3000  # vertices of the invisible clickable copy (see pick_records)
MIN_PICK_AREA = 0.02  # square degrees: smaller parts (islands) are not clickable, but still drawn


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
    return cities[cities["adcode"] == regions.city_of(region)]


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
