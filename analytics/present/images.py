"""The web maps' pictures: every region's counties (the country, a province, a prefecture, the
view round a selected county) rasterised once into a grid of county numbers, kept between
processes, and painted per view; their labels drawn as a transparent image over them.

A browser without a GPU (office PCs, remote desktops, CI) spends seconds drawing thousands of
county polygons and a layer of Chinese text; an image costs it almost nothing, and a change of
year, stage or metric sends only new colours in the same picture.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from analytics.atlas import geo, regions
from analytics.core.classes import MAP_GROUND, NO_DATA
from analytics.core.i18n import t
from analytics.present import fonts, geometry, raster

NATIONAL = regions.NATIONAL
RASTER_SCALE = 2  # an image has twice the pixels of the map's first view: sharp on HiDPI screens
OUTLINE_PIXELS = 3  # upper-level outlines (provinces, prefectures) in image pixels; the inset's lines are 2
LABEL_PIXELS = 13  # label text on the web map, in screen pixels
SMALL_LABEL_PIXELS = 11  # … where the first size collides (a prefecture's small districts)
FOCUS_SPAN = 2  # the picture round a selected county spans twice its first view's width (wider columns)
FIRST_VIEW_HEIGHT = 620  # the tallest map frame: a picture covers its first view

# the code a stored raster was made by: this module, the drawing and the shapes it reads
_CODE = hashlib.sha1(b"".join(Path(m).read_bytes() for m in (__file__, raster.__file__, geometry.__file__))).hexdigest()


def _kept(name: str, frame: raster.Frame, make) -> raster.CountyRaster:
    """make(), a raster of `frame`, kept in the temp folder between processes (plain arrays,
    compressed: a view round a selected county is 8 MB raw, and one is kept per county visited)."""
    def save(path: Path, made: raster.CountyRaster) -> None:
        with path.open("wb") as f:
            np.savez_compressed(f, pixels=made.pixels, codes=np.array(made.codes))  # mostly runs: ~50× smaller

    def load(path: Path) -> raster.CountyRaster:
        with np.load(path, allow_pickle=False) as stored:
            pixels, codes = stored["pixels"], tuple(str(c) for c in stored["codes"])
        if pixels.shape != (frame.height, frame.width):
            raise ValueError("a raster of another frame")
        return raster.CountyRaster(codes, pixels, frame)

    return geometry.stored(name, make, save, load, ".npz", code=_CODE)


def _zoom_width(bounds: tuple[float, float, float, float], zoom: float) -> int:
    """Image pixels across `bounds` at RASTER_SCALE times the screen pixels of a view at `zoom`."""
    return round(RASTER_SCALE * 512 * 2 ** zoom * (bounds[2] - bounds[0]) / geometry.FULL_CIRCLE)


def region_frame(region: str) -> raster.Frame:
    """The picture's frame of a region's map: its counties (nationally with the 南海诸岛 inset box),
    a little margin so no outline is cut at the edge."""
    if region == NATIONAL:
        west, south, east, north = geometry.main_bounds(NATIONAL)
        box = geometry.WEB_INSET_BOX
        bounds = (west, min(south, box[1]), max(east, box[2]), max(north, box[3]))
        return raster.Frame.fit(bounds, _zoom_width(bounds, geometry.view_for(geometry.main_bounds(NATIONAL)).zoom))
    west, south, east, north = geometry.main_bounds(region)
    pad = 0.01 * max(east - west, north - south)
    bounds = (west - pad, south - pad, east + pad, north + pad)
    return raster.Frame.fit(bounds, _zoom_width(bounds, geometry.view_for(geometry.main_bounds(region)).zoom))


def focus_frame(county: str) -> raster.Frame:
    """The picture's frame round a selected county: everything its first view shows, and as wide
    again (a wider column zooms the map in, never out)."""
    view = geometry.view_for(geometry.region_bounds(county))
    radians_per_pixel = 2 * math.pi / (512 * 2 ** view.zoom)
    half_width = math.degrees(radians_per_pixel) * FOCUS_SPAN * geometry.DEFAULT_WIDTH / 2
    centre = float(raster.mercator_y(view.latitude))
    half_height = radians_per_pixel * FIRST_VIEW_HEIGHT / 2

    def latitude(y: float) -> float:
        return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)

    bounds = (view.longitude - half_width, latitude(centre - half_height), view.longitude + half_width,
              latitude(centre + half_height))
    return raster.Frame.fit(bounds, round(RASTER_SCALE * FOCUS_SPAN * geometry.DEFAULT_WIDTH))


def _draw(frame: raster.Frame, counties, upper) -> raster.CountyRaster:
    """Counties (a GeoDataFrame with adcode) with their borders, and the outlines of `upper`
    (prefectures or provinces) over them, shapes simplified to half a pixel of the frame."""
    tolerance = (frame.bounds[2] - frame.bounds[0]) / frame.width / 2
    codes = list(counties["adcode"])
    geoms = shapely.coverage_simplify(counties.geometry.values, tolerance)
    shapes = [(code, rings) for code, geom in zip(codes, geoms) if not geom.is_empty
              for rings in geometry.polygon_rings(geom)]
    lines = [(shapely.get_coordinates(line), OUTLINE_PIXELS)
             for line in shapely.get_parts(shapely.boundary(shapely.coverage_simplify(upper.geometry.values, tolerance)))]
    spots = shapely.get_coordinates(shapely.point_on_surface(counties.geometry.values))
    return raster.draw(frame, codes, shapes, lines, dict(zip(codes, map(tuple, spots))))


def _national() -> raster.CountyRaster:
    """Every county of the country, the province outlines, and the 南海诸岛 inset with its lines."""
    frame = region_frame(NATIONAL)
    tolerance = (frame.bounds[2] - frame.bounds[0]) / frame.width / 2  # half a pixel, in degrees
    gdf = geometry.region_counties(NATIONAL)
    codes = list(gdf["adcode"])
    geoms = shapely.coverage_simplify(gdf.geometry.values, tolerance)
    shapes = [(code, rings) for code, geom in zip(codes, geoms) if not geom.is_empty
              for rings in geometry.polygon_rings(geom)]
    known = set(codes)
    shapes += [(rec["adcode"], rec["rings"]) for rec in geometry.web_inset_shapes(NATIONAL) if rec["adcode"] in known]
    provinces = shapely.coverage_simplify(geo.load_layer("provinces").geometry.values, tolerance)
    lines = [(shapely.get_coordinates(line), OUTLINE_PIXELS) for line in shapely.get_parts(shapely.boundary(provinces))]
    lines += [(rec["path"], OUTLINE_PIXELS - 1) for rec in geometry.web_inset_paths()]
    points = shapely.point_on_surface(gdf.geometry.values)
    south = shapely.get_y(points) < frame.bounds[1]  # 三沙's islands: their spot is in the inset
    points[south] = geometry.to_web_inset(points[south])
    spots = shapely.get_coordinates(points)
    return raster.draw(frame, codes, shapes, lines, dict(zip(codes, map(tuple, spots))))


@lru_cache(maxsize=16)
def county_raster(region: str) -> raster.CountyRaster:
    """The counties of a region's map as a raster of county numbers (drawn once, kept between
    processes: the country takes about two seconds to draw, reading it back milliseconds)."""
    frame = region_frame(region)
    if region == NATIONAL:
        return _kept("national_raster", frame, _national)
    return _kept(f"region_raster|{region}", frame,
                 lambda: _draw(frame, geometry.region_counties(region), geometry.upper_level(region)))


@lru_cache(maxsize=8)
def focus_raster(county: str) -> raster.CountyRaster:
    """The prefecture's counties round a selected county, at the detail of the map zoomed to it."""
    frame = focus_frame(county)
    return _kept(f"focus_raster|{county}", frame,
                 lambda: _draw(frame, geometry.region_counties(county), geometry.upper_level(county)))


def picture(r: raster.CountyRaster, colours: dict[str, list], ground: tuple[int, int, int] | None = None) -> dict:
    """A raster painted with a colour per county (NO_DATA for the rest): data URL and lon/lat bounds."""
    return {"url": raster.data_url(raster.paint(r, colours, NO_DATA, ground=ground)), "bounds": list(r.frame.bounds)}


@lru_cache(maxsize=32)
def focus_picture(county: str, colours: tuple[tuple[str, tuple[int, ...]], ...]) -> dict:
    """The picture round a selected county, painted with (adcode, colour) pairs; kept per colouring
    (a map is built on every run of its page). Outside the counties it is the page's ground, hiding
    the magnified prefecture picture below (its outlines would show as blocks)."""
    return picture(focus_raster(county), dict(colours), ground=MAP_GROUND)


LABEL_WIDTH_STEP = 50  # label pictures are made per map width rounded to this (a few per region)


def label_width(width: int | None) -> int:
    """The map width a label picture is made for: the column's width, rounded."""
    return max(LABEL_WIDTH_STEP, round((width or geometry.DEFAULT_WIDTH) / LABEL_WIDTH_STEP) * LABEL_WIDTH_STEP)


def _screen_scale(frame: raster.Frame, bounds: tuple[float, float, float, float], width: int, height: int) -> float:
    """Image pixels of `frame` per screen pixel, in the first view that fits `bounds` in width × height."""
    zoom = geometry.view_for(bounds, width=width, height=height).zoom
    return frame.width / (512 * 2 ** zoom * (frame.bounds[2] - frame.bounds[0]) / geometry.FULL_CIRCLE)


@lru_cache(maxsize=32)
def labels(region: str, width: int = geometry.DEFAULT_WIDTH, height: int = FIRST_VIEW_HEIGHT,
           lang: str = "zh") -> tuple[dict, ...]:
    """A region map's labels that fit its first view (width × height) without overlapping: provinces
    nationally, with the inset's title; prefectures in a province; counties in a prefecture."""
    placed = geometry.place_labels(list(geometry.label_records(region, lang)), geometry.main_bounds(region),
                                   width, height,
                                   sizes=(LABEL_PIXELS,) if region == NATIONAL else (LABEL_PIXELS, SMALL_LABEL_PIXELS))
    if region == NATIONAL:  # drill down for the rest
        box = geometry.WEB_INSET_BOX
        placed.append({"text": t("inset_scs", lang), "position": [(box[0] + box[2]) / 2, box[1] + 0.8],
                       "size": LABEL_PIXELS})
    return tuple(placed)


def _label_picture(frame: raster.Frame, placed, scale: float) -> dict:
    """Labels drawn as one transparent image over `frame`, their text `scale` image pixels per
    screen pixel (so it reads at its size on screen, whatever the map's width)."""
    png = raster.label_image(frame, [(rec["text"], *rec["position"], round(rec["size"] * scale)) for rec in placed],
                             str(fonts.font_file()), fonts.SC_INDEX)
    return {"url": raster.data_url(png), "bounds": list(frame.bounds)}


@lru_cache(maxsize=32)
def labels_picture(region: str, width: int = geometry.DEFAULT_WIDTH, height: int = FIRST_VIEW_HEIGHT,
                   lang: str = "zh") -> dict:
    """The labels of a region's map (width × height, see label_width) as one image over its
    picture: a software-rendered browser takes about a second to lay out a text layer of Chinese."""
    frame = county_raster(region).frame
    scale = _screen_scale(frame, geometry.main_bounds(region), width, height)
    return _label_picture(frame, labels(region, width, height, lang), scale)


@lru_cache(maxsize=16)
def focus_labels_picture(county: str, width: int = geometry.DEFAULT_WIDTH, height: int = FIRST_VIEW_HEIGHT,
                         lang: str = "zh") -> dict:
    """The county labels round a selected county, placed for the map zoomed to it."""
    frame = focus_frame(county)
    west, south, east, north = frame.bounds
    records = [rec for rec in geometry.label_records(county, lang)
               if west <= rec["position"][0] <= east and south <= rec["position"][1] <= north]
    scale = _screen_scale(frame, geometry.region_bounds(county), width, height)
    placed = geometry.place_labels(records, frame.bounds, frame.width / scale, frame.height / scale,
                                   sizes=(LABEL_PIXELS, SMALL_LABEL_PIXELS))
    return _label_picture(frame, placed, scale)
