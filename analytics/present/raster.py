"""Maps drawn as one image: county shapes rasterised once into a grid of county numbers, then
coloured for each view by a palette lookup (what is drawn, and where: `images`).

A browser without a GPU (headless CI, office PCs, remote desktops) draws WebGL in software and
spends seconds on the national map's thousands of county polygons; one textured image costs it
almost nothing. The grid is in Web Mercator, as deck.gl's BitmapLayer expects.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from analytics.core.classes import MAP_BORDER, MAP_GROUND, MAP_LABEL, MAP_OUTLINE

SEA = 0  # outside every county: transparent
BORDER = 65534  # a county border
OUTLINE = 65535  # an upper-level outline (province) and the inset's frame and lines


def mercator_y(lat: np.ndarray) -> np.ndarray:
    """Web Mercator's y (radians) of latitudes in degrees."""
    return np.log(np.tan(np.pi / 4 + np.radians(np.asarray(lat, dtype=float)) / 2))


@dataclass(frozen=True)
class Frame:
    """An image of `width` × `height` pixels covering lon/lat `bounds` (west, south, east, north)."""

    bounds: tuple[float, float, float, float]
    width: int
    height: int

    @classmethod
    def fit(cls, bounds: tuple[float, float, float, float], width: int) -> Frame:
        """The frame of the bounds at `width` pixels, its height from the Mercator aspect."""
        west, south, east, north = bounds
        aspect = (mercator_y(north) - mercator_y(south)) / np.radians(east - west)
        return cls(tuple(float(b) for b in bounds), int(width), max(1, int(round(width * float(aspect)))))

    def pixels(self, coords) -> np.ndarray:
        """Pixel (column, row) of lon/lat coordinates, as an n × 2 float array."""
        c = np.asarray(coords, dtype=float).reshape(-1, 2)
        west, south, east, north = self.bounds
        top, bottom = mercator_y(north), mercator_y(south)
        col = (c[:, 0] - west) / (east - west) * self.width
        row = (top - mercator_y(c[:, 1])) / (top - bottom) * self.height
        return np.column_stack([col, row])


@dataclass(frozen=True)
class CountyRaster:
    """County numbers per pixel: value i + 1 is codes[i]; SEA, BORDER and OUTLINE otherwise."""

    codes: tuple[str, ...]
    pixels: np.ndarray  # uint16, height × width
    frame: Frame

    def code_at(self, lon: float, lat: float) -> str | None:
        """The county code drawn at a place (None for sea, borders and outside the image)."""
        col, row = self.frame.pixels([lon, lat])[0]
        if not (0 <= col < self.frame.width and 0 <= row < self.frame.height):
            return None
        value = int(self.pixels[int(row), int(col)])
        return self.codes[value - 1] if 0 < value <= len(self.codes) else None


def draw(frame: Frame, codes: Sequence[str], shapes: Iterable[tuple[str, list]],
         lines: Iterable[tuple[list, int]], spots: Mapping[str, tuple[float, float]] | None = None) -> CountyRaster:
    """Rasterise county shapes (code, [outer ring, hole…]) with one-pixel borders, then lines
    (coordinates, width in pixels) over them.

    Larger shapes are drawn first, so an enclave inside another county's hole stays on top. A
    county too small to keep a pixel of its own gets the one at its spot (lon, lat), so every
    county of `codes` with a spot in the frame is drawn."""
    number = {code: i + 1 for i, code in enumerate(codes)}
    image = Image.new("I", (frame.width, frame.height), SEA)
    pen = ImageDraw.Draw(image)
    projected = []
    for code, rings in shapes:
        outer = frame.pixels(rings[0])
        if len(outer) >= 3:
            extent = np.ptp(outer, axis=0)
            projected.append((float(extent[0] * extent[1]), number[code], outer, [frame.pixels(h) for h in rings[1:]]))
    for _, value, outer, holes in sorted(projected, key=lambda p: -p[0]):
        pen.polygon(outer.ravel().tolist(), fill=value, outline=BORDER)
        for hole in holes:
            if len(hole) >= 3:
                pen.polygon(hole.ravel().tolist(), fill=SEA, outline=BORDER)
    for coords, width in lines:
        points = frame.pixels(coords)
        if len(points) >= 2:
            pen.line(points.ravel().tolist(), fill=OUTLINE, width=width, joint="curve")
    pixels = np.asarray(image, dtype=np.int64).astype(np.uint16)
    present = np.zeros(len(codes) + 1, dtype=bool)
    present[np.unique(pixels[pixels <= len(codes)])] = True
    for code, (lon, lat) in (spots or {}).items():
        if code in number and not present[number[code]]:
            col, row = frame.pixels([lon, lat])[0]
            if 0 <= col < frame.width and 0 <= row < frame.height:
                pixels[int(row), int(col)] = number[code]
    return CountyRaster(tuple(codes), pixels, frame)


def paint(raster: CountyRaster, colours: Mapping[str, Sequence[int]], missing: Sequence[int],
          border: Sequence[int] = MAP_BORDER, outline: Sequence[int] = MAP_OUTLINE,
          ground: Sequence[int] | None = None) -> bytes:
    """The raster as a PNG: each county in its colour (`missing` when it has none), borders and
    outlines in theirs, the sea transparent (or `ground`: a picture that must hide the one below).
    A palette image: a view has a handful of colours."""
    rgb = [tuple(int(c) for c in colours.get(code, missing)[:3]) for code in raster.codes]
    palette = [tuple(ground or MAP_GROUND)] + sorted(set(rgb) | {tuple(missing[:3]), tuple(border[:3]), tuple(outline[:3])})
    if len(palette) > 256:
        raise ValueError(f"a map image has at most 255 colours, this view has {len(palette) - 1}")
    slot = {colour: i for i, colour in enumerate(palette) if i}
    lookup = np.zeros(65536, dtype=np.uint8)
    lookup[1:len(rgb) + 1] = [slot[c] for c in rgb]
    lookup[BORDER], lookup[OUTLINE] = slot[tuple(border[:3])], slot[tuple(outline[:3])]
    image = Image.fromarray(lookup[raster.pixels], "P")
    image.putpalette([v for colour in palette for v in colour])
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6, **({} if ground else {"transparency": 0}))
    return out.getvalue()


def label_image(frame: Frame, labels: Iterable[tuple[str, float, float, int]], font: str, index: int,
                pad: tuple[int, int] = (6, 2), colour: Sequence[int] = MAP_LABEL,
                background: Sequence[int] = (255, 255, 255, 190)) -> bytes:
    """Labels (text, lon, lat, size in pixels) centred on their places, each on a translucent box,
    as a transparent PNG over the frame (the font: a file and its index in a collection). A label
    that would run over the frame's side is moved in, never cut."""
    image = Image.new("RGBA", (frame.width, frame.height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    faces: dict[int, ImageFont.FreeTypeFont] = {}
    for text, lon, lat, size in labels:
        face = faces.setdefault(size, ImageFont.truetype(font, size, index=index))
        x, y = frame.pixels([lon, lat])[0]
        left, top, right, bottom = pen.textbbox((x, y), text, font=face, anchor="mm")
        x += max(0, pad[0] + 1 - left) - max(0, right + pad[0] - (frame.width - 2))  # 1 px clear of the side
        left, top, right, bottom = pen.textbbox((x, y), text, font=face, anchor="mm")
        pen.rectangle((left - pad[0], top - pad[1], right + pad[0], bottom + pad[1]), fill=tuple(background))
        pen.text((x, y), text, font=face, fill=tuple(colour), anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def data_url(png: bytes) -> str:
    """A PNG as a data: URL (the browser needs nothing from a server or the internet)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
