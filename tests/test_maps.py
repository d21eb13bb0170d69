"""Map layers: colours, legends, sizes sent to the browser, clickable layer limits."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from analytics.assess import balance, county_values, metrics
from analytics.assess.criteria import load_criteria
from analytics.atlas import geo
from analytics.core.classes import COUNTY_STATUS, DIVERGING, NO_DATA, SCHOOL_STATE, SEQUENTIAL, colours
from analytics.present import geometry, images, maps, raster
from analytics.store import db


@pytest.fixture(scope="module")
def counties(demo_db):
    with db.connect(demo_db) as con:
        return balance.assess(con, 2024).counties


def deck_json(counties, region, metric="status", stage="all"):
    m = metrics.map_metrics(load_criteria())[metric]
    values = county_values.metric_values(counties, None, metric, 2024, stage)
    data, breaks = maps.county_data(region, values, m, "zh")
    return maps.build_deck(region, data).to_json(), data, breaks


def test_sichuan_map_is_small_and_offline(counties):
    text, data, _ = deck_json(counties, "510000")
    assert len(text) < 2_000_000
    spec = json.loads(text)
    # Streamlit replaces a missing mapStyle with an online CARTO basemap; pydeck's sentinel
    # makes it draw none (the browser test checks that no request leaves the machine)
    assert spec.get("mapStyle") == "__MAP_STYLE__"
    assert "http" not in text
    assert {rec["adcode"] for rec in data.fill} == set(counties["adcode"])
    assert {rec["adcode"] for rec in data.pick} == set(counties["adcode"])


def _vertices(records) -> int:
    return sum(len(ring) for r in records for ring in (r["rings"] if isinstance(r["rings"][0][0], list) else [r["rings"]]))


@pytest.mark.parametrize("region", [maps.NATIONAL, "510000", "513400", "500000"])
def test_only_a_coarse_copy_is_clickable(counties, region):
    """Clicks are dropped when picking takes longer than deck.gl's 250 ms click window (software
    rendering): the drawn shapes are not pickable, and the clickable copy is a few thousand vertices."""
    spec = json.loads(deck_json(counties, region)[0])
    pickable = {layer["id"] for layer in spec["layers"] if layer.get("pickable")}
    assert pickable == {maps.county_layer_id(region)}
    assert all("pickable" in layer for layer in spec["layers"])  # Streamlit makes every layer pickable when none says
    assert _vertices(geometry.pick_records(region)) <= geometry.PICK_BUDGET


def test_the_clickable_copy_is_invisible_without_a_colour_streamlit_could_repaint(counties):
    """Streamlit repaints a clicked object of a layer that has a colour (an alpha of 0 read as 255:
    the clicked county black, every other faded), so a click had to redraw the map as a new deck.
    The copy has no colour and is hidden by opacity; its id names its region, so a click on the map
    before (the province, from the national map) is not read as one on this."""
    for region in (maps.NATIONAL, "510000"):
        layer = next(x for x in json.loads(deck_json(counties, region)[0])["layers"] if x.get("pickable"))
        assert "getFillColor" not in layer and layer["opacity"] == 0 and layer["id"] == f"counties-{region}"


def test_national_clicks_pick_provinces_with_a_summary_tooltip(counties):
    _, data, _ = deck_json(counties, maps.NATIONAL)
    sichuan = [r for r in data.pick if r["adcode"] == "510000"]
    assert sichuan and sichuan[0]["name"] == "四川省"
    assert sichuan[0]["l1"] == "183 个县（区）" and "达标" in sichuan[0]["l2"]
    assert {r["adcode"] for r in data.pick} >= {"110000", "500000", "650000", "710000"}


def test_status_colours_and_chinese_tooltip(counties):
    _, data, _ = deck_json(counties, "510100")
    rec = next(r for r in data.fill if r["adcode"] == "510104")
    status = counties[(counties["adcode"] == "510104") & (counties["year"] == 2024)
                      & (counties["stage"] == "all")]["status"].iloc[0]
    assert rec["fill"] == list(colours(COUNTY_STATUS)[status])
    rec = next(r for r in data.pick if r["adcode"] == "510104")
    assert rec["name"] == "锦江区" and rec["sub"] == "成都市" and rec["l1"].startswith("状态：")


def _dark_text_near(picture, frame, lon: float, lat: float) -> bool:
    """Whether a label picture has dark text on its box near (lon, lat)."""
    col, row = frame.pixels([lon, lat])[0]
    box = [picture.getpixel((int(col) + dx, int(row) + dy)) for dx in range(-20, 21) for dy in range(-8, 9)
           if 0 <= int(col) + dx < frame.width and 0 <= int(row) + dy < frame.height]
    return any(p[3] == 255 and p[0] < 100 for p in box)


@pytest.mark.parametrize("region", ["510000", "513400", maps.NATIONAL])
def test_every_map_draws_its_counties_and_labels_as_pictures_not_shapes_or_text(counties, region):
    """A software-rendered browser spent seconds on 20,000 polygon vertices and a layer of Chinese
    text on each rerun; a region's map sends two pictures, the only shapes the coarse clickable copy."""
    spec = json.loads(deck_json(counties, region)[0])
    kinds = {layer["id"]: layer["@@type"] for layer in spec["layers"]}
    assert kinds == {"shapes": "BitmapLayer", maps.county_layer_id(region): "PolygonLayer", "labels": "BitmapLayer"}


def test_labels_read_at_their_size_on_a_narrow_map_too():
    """A map 400 pixels wide (a 1024-pixel screen) is zoomed out: its label picture's text is drawn
    larger, so it still reads at 13 pixels on screen, and fewer labels are placed."""
    wide = images.labels("510000", 800, 600)
    narrow = images.labels("510000", 400, 600)
    assert "成都市" in {rec["text"] for rec in narrow} and len(narrow) <= len(wide)
    frame = images.county_raster("510000").frame
    assert images._screen_scale(frame, geometry.main_bounds("510000"), 400, 600) > 3.5
    picture = _image({"image": images.labels_picture("510000", 400, 600)["url"]})
    lon, lat = next(rec["position"] for rec in narrow if rec["text"] == "成都市")
    assert _dark_text_near(picture, frame, lon, lat)


def test_continuous_legend_classes_cover_values():
    metric = metrics.map_metrics(load_criteria())["cv_composite"]
    values = pd.Series([0.1, 0.2, 0.3, 0.4, 0.5, None])
    breaks = maps.class_breaks(values)
    colours = maps.colour_for(values, metric, breaks)
    assert colours[0] == list(SEQUENTIAL[0]) and colours[4] == list(SEQUENTIAL[-1])
    assert colours[5] == list(NO_DATA)
    items = maps.legend_items(metric, breaks, "zh")
    swatches = [label for colour, label in items if colour is not None]
    assert swatches[-1] == "无数据" and len(swatches) == len(breaks) + 2
    assert (None, "颜色越深越差（数值越高越差）") in items


def test_higher_is_better_metrics_reverse_the_palette():
    metric = metrics.map_metrics(load_criteria())["mean_r4"]
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0])
    colours = maps.colour_for(values, metric, maps.class_breaks(values))
    assert colours[0] == list(SEQUENTIAL[-1])  # lowest value = darkest (worst)


def test_a_cv_legend_marks_the_pass_limit_of_the_stage():
    metric = metrics.map_metrics(load_criteria())["cv_r1"]
    values = pd.Series([0.2, 0.3, 0.35, 0.42, 0.61, 0.7])
    breaks = maps.breaks_for(metric, values, "primary")
    assert 0.5 in breaks
    labels = [label for _, label in maps.legend_items(metric, breaks, "zh", "primary")]
    assert any(label.startswith("≥ 0.500（超限值）") or label.startswith("0.500 – ") and "超限值" in label
               for label in labels)
    assert "达标限值：小学 ≤ 0.500，初中 ≤ 0.450" in labels


def test_status_change_since_the_first_year_is_better_same_worse_or_not_comparable():
    before = pd.Series(["far", "pass", "near", "incomplete", "vetoed", None])
    after = pd.Series(["near", "pass", "far", "pass", "pass", "pass"])
    assert county_values.status_change(before, after).tolist() == [
        "better", "same", "worse", "not_comparable", "better", "not_comparable"]


def test_cv_change_uses_a_diverging_palette_centred_on_zero(counties):
    metric = metrics.map_metrics(load_criteria())["change_cv"]
    values = county_values.metric_values(counties, None, "change_cv", 2024, "all")
    breaks = maps.breaks_for(metric, values["value"])
    assert breaks[0] == -breaks[-1] and breaks[1] == -breaks[2]
    colours = maps.colour_for(pd.Series([-1.0, 0.0, 1.0]), metric, breaks)
    assert colours == [list(DIVERGING[0]), list(DIVERGING[2]), list(DIVERGING[-1])]


def _boxes(placed, bounds, width, height):
    import math

    minx, miny, maxx, maxy = bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    scale = min(width / ((maxx - minx) * k), height / (maxy - miny))
    out = []
    for r in placed:
        x, y = (r["position"][0] - minx) * k * scale, (maxy - r["position"][1]) * scale
        w, h = sum(r["size"] if not c.isascii() else r["size"] * 0.6 for c in r["text"]) / 2, r["size"] / 2
        out.append((x - w, y - h, x + w, y + h))
    return out


@pytest.mark.parametrize("region", ["510000", maps.NATIONAL])
def test_placed_labels_never_overlap(region):
    bounds = geometry.region_bounds(region)
    placed = geometry.place_labels(list(geometry.label_records(region)), bounds, 640, 520)
    boxes = _boxes(placed, bounds, 640, 520)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_yibin_and_luzhou_are_both_labelled_on_the_sichuan_map():
    """They overlapped at one size: one moves a line, neither is dropped."""
    placed = geometry.place_labels(list(geometry.label_records("510000")), geometry.region_bounds("510000"), 640, 520)
    assert {"宜宾市", "泸州市"} <= {r["text"] for r in placed}


def _image(layer: dict):
    """The picture of a BitmapLayer of a deck's JSON (a data: URL, nothing fetched)."""
    import base64
    import io

    from PIL import Image

    head, data = layer["image"].split(",", 1)
    assert head == "data:image/png;base64"
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA")


def _spot(code: str) -> tuple[float, float]:
    counties = geo.load_layer("counties").set_index("adcode")
    point = counties.geometry[code].representative_point()
    return point.x, point.y


def test_the_national_map_is_one_image_coloured_by_status_with_no_data_grey(counties):
    """2,875 counties drawn by a software-rendered browser took seconds; the country is one
    picture, each county in its status colour, a county without data (outside the Sichuan demo) grey."""
    text, data, _ = deck_json(counties, maps.NATIONAL)
    spec = json.loads(text)
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert layers["shapes"]["@@type"] == "BitmapLayer" and layers["labels"]["@@type"] == "BitmapLayer"
    assert "http" not in text and len(text) < 1_500_000
    image, frame = _image(layers["shapes"]), images.county_raster(maps.NATIONAL).frame
    assert image.size == (frame.width, frame.height) and layers["shapes"]["bounds"] == list(frame.bounds)
    status = counties[(counties["year"] == 2024) & (counties["stage"] == "all")].set_index("adcode")["status"]
    checked = 0
    for code in ["510104", "513434", "510722", "511602", "513226"] + ["110105", "650102", "460105"]:
        lon, lat = _spot(code)
        if images.county_raster(maps.NATIONAL).code_at(lon, lat) != code:
            continue  # a spot on a border line
        col, row = frame.pixels([lon, lat])[0]
        expected = colours(COUNTY_STATUS)[status[code]] if code in status.index else NO_DATA
        assert image.getpixel((int(col), int(row)))[:3] == tuple(expected), code
        checked += 1
    assert checked >= 6
    assert {rec["adcode"] for rec in data.fill} == set(images.county_raster(maps.NATIONAL).codes)


def test_every_county_of_the_national_image_has_a_pixel_or_shares_one_within_its_prefecture():
    """Districts smaller than a pixel (Macau's parishes, Hong Kong's districts) share one with a
    neighbour of the same prefecture; every other county keeps a pixel of its own, 三沙's islands in
    the inset."""
    r = images.county_raster(maps.NATIONAL)
    drawn = {r.codes[v - 1] for v in np.unique(r.pixels) if 0 < v <= len(r.codes)}
    assert set(r.codes) == set(geo.load_layer("counties")["adcode"])
    missing = set(r.codes) - drawn
    assert len(missing) < 20
    assert {"460301", "460302"} <= drawn
    for code in missing:
        assert any(other[:4] == code[:4] for other in drawn), code


def test_the_national_image_has_the_south_china_sea_inset_and_province_labels(counties):
    r = images.county_raster(maps.NATIONAL)
    x0, y0, x1, y1 = geometry.WEB_INSET_BOX
    (left, top), (right, bottom) = r.frame.pixels([[x0, y1], [x1, y0]]).astype(int)
    inset = r.pixels[top:bottom, left:right]
    codes = {r.codes[v - 1][:2] for v in np.unique(inset) if 0 < v <= len(r.codes)}
    assert {"44", "45", "46"} <= codes  # 广东, 广西 and 海南 with its islands, moved into the box
    assert (inset == raster.OUTLINE).any()  # the frame, the maritime line, the coasts
    assert geometry.main_bounds(maps.NATIONAL)[1] == geometry.MAIN_SOUTH  # reaches Hainan's tip, not 3°N
    assert {"台湾省", "海南省", "南海诸岛"} <= {rec["text"] for rec in images.labels(maps.NATIONAL, 800, 600)}
    labels = _image(json.loads(deck_json(counties, maps.NATIONAL)[0])["layers"][-1])
    lon, lat = next(rec["position"] for rec in images.labels(maps.NATIONAL, 800, 620) if rec["text"] == "四川省")
    assert _dark_text_near(labels, r.frame, lon, lat)


def test_the_national_raster_is_kept_between_processes_and_read_back_identical(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    images.county_raster.cache_clear()
    made = images.county_raster(maps.NATIONAL)
    assert len(list((tmp_path / "junheng-geometry").glob("*.npz"))) == 1
    images.county_raster.cache_clear()  # as in a new process
    read = images.county_raster(maps.NATIONAL)
    assert read.codes == made.codes and read.frame == made.frame
    assert np.array_equal(read.pixels, made.pixels)
    images.county_raster.cache_clear()


def test_a_province_picture_gives_every_county_a_pixel_in_its_status_colour(counties):
    """浙江's island counties (舟山) and 成都's small districts are drawn; the Sichuan picture shows
    each county in its status colour, and a county's border lies between counties."""
    zhejiang = images.county_raster("330000")
    drawn = {zhejiang.codes[v - 1] for v in np.unique(zhejiang.pixels) if 0 < v <= len(zhejiang.codes)}
    assert drawn == set(geometry.region_counties("330000")["adcode"])
    text, _, _ = deck_json(counties, "510000")
    layer = next(layer for layer in json.loads(text)["layers"] if layer["id"] == "shapes")
    image, r = _image(layer), images.county_raster("510000")
    assert layer["bounds"] == list(r.frame.bounds) and image.size == (r.frame.width, r.frame.height)
    status = counties[(counties["year"] == 2024) & (counties["stage"] == "all")].set_index("adcode")["status"]
    checked = 0
    for code in ["510104", "513434", "510722", "511602", "513226", "510112"]:
        lon, lat = _spot(code)
        if r.code_at(lon, lat) == code:
            col, row = r.frame.pixels([lon, lat])[0]
            assert image.getpixel((int(col), int(row)))[:3] == tuple(colours(COUNTY_STATUS)[status[code]]), code
            checked += 1
    assert checked >= 5 and (r.pixels == raster.BORDER).any() and (r.pixels == raster.OUTLINE).any()


def test_a_selected_county_with_schools_gets_a_sharper_picture_of_its_surroundings(counties):
    """Zoomed to a county, the prefecture's picture would be magnified into blocks: a picture of
    the county's surroundings at the zoomed detail lies over it, with their labels."""
    values = county_values.metric_values(counties, None, "status", 2024, "all")
    m = metrics.map_metrics(load_criteria())["status"]
    data, _ = maps.county_data("510100", values, m, "zh")
    school = {"school_id": "S1", "position": [104.27, 30.56], "radius": 5.0, "fill": [255, 255, 255],
              "line": [0, 0, 0], "name": "一小", "sub": "", "l1": "", "l2": "", "l3": ""}
    spec = json.loads(maps.build_deck("510100", data, selected="510112", schools=[school]).to_json())
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert {"shapes", "focus", "selected", maps.SCHOOL_LAYER, "labels"} <= set(layers)
    focus, base = images.focus_raster("510112"), images.county_raster("510100")
    detail = focus.frame.width / (focus.frame.bounds[2] - focus.frame.bounds[0])
    assert detail > 3 * base.frame.width / (base.frame.bounds[2] - base.frame.bounds[0])
    lon, lat = _spot("510112")
    assert focus.code_at(lon, lat) == "510112"
    assert layers["labels"]["bounds"] == list(focus.frame.bounds)
    # opaque: the magnified prefecture picture below (its outlines in blocks) never shows through
    assert _image(layers["focus"]).getchannel("A").getextrema() == (255, 255)


def test_the_inset_keeps_the_islets_the_main_map_leaves_out():
    shapes = geometry.web_inset_shapes(maps.NATIONAL)
    tiny = [r for r in shapes if shapely.Polygon(r["rings"][0]).area < 1e-4]  # square degrees: ~1 km²
    assert len(tiny) > 100  # the South China Sea islands, drawn at the inset's scale


def test_islands_leave_the_main_map_for_the_inset():
    provinces = geo.load_layer("provinces")
    hainan = provinces[provinces["adcode"] == "460000"]
    main, inset = geometry.national_main(hainan), geometry.scs_inset(hainan)
    assert main.total_bounds[1] >= geometry.MAIN_SOUTH - 0.5  # Hainan island only
    assert inset.total_bounds[1] < 5  # 曾母暗沙 side of the islands
    taiwan = geometry.national_main(provinces[provinces["adcode"] == "710000"])
    assert taiwan.geometry.iloc[0].distance(shapely.Point(123.47, 25.74)) < 0.01  # 钓鱼岛 drawn with Taiwan


def test_clickable_shapes_are_kept_between_processes_and_read_back_identical(tmp_path, monkeypatch):
    """A new server process reads a map's clickable shapes from the temp folder (JSON) instead of
    simplifying its counties again; what it reads is what it would have made."""
    import json
    import tempfile

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    geometry.pick_records.cache_clear()
    made = geometry.pick_records("510000")
    assert len(list((tmp_path / "junheng-geometry").glob("*.json"))) == 1
    geometry.pick_records.cache_clear()  # as in a new process
    read = geometry.pick_records("510000")
    assert json.dumps(read) == json.dumps(made)
    geometry.pick_records.cache_clear()


def _school_row(**changes) -> dict:
    row = {"school_id": "S1", "name": "测试小学", "kind": "小学", "stage": "primary", "students": 400,
           "longitude": 102.26, "latitude": 27.89, "eligible": True, "compliant": True,
           "standards_met": 7, **{f"ratio_r{i}": 1.2 for i in range(1, 8)}}
    return {**row, **changes}


def test_a_school_whose_compliance_is_unknown_is_drawn_as_missing_data_not_an_error():
    """No facilities return: R4–R7 unknown, so compliance is unknown (NA) — a state to draw."""
    unknown = _school_row(compliant=pd.NA, standards_met=pd.NA, **{f"ratio_r{i}": np.nan for i in range(4, 8)})
    frame = pd.DataFrame([unknown, _school_row(school_id="S2", compliant=False, standards_met=5),
                          _school_row(school_id="S3", eligible=False, compliant=pd.NA, standards_met=pd.NA)])
    frame["compliant"] = frame["compliant"].astype("boolean")
    frame["standards_met"] = frame["standards_met"].astype("Int32")
    points = {p["school_id"]: p for p in maps.school_data(frame, "zh")}
    assert points["S1"]["fill"] == list(colours(SCHOOL_STATE)["no_data"])
    tip = " ".join(points["S1"][k] for k in ("sub", "l1", "l2", "l3"))
    assert "缺数据" in points["S1"]["sub"] and "已知达标 3 项，缺数据 4 项" in tip
    assert points["S2"]["fill"] == list(colours(SCHOOL_STATE)["noncompliant"])
    assert points["S3"]["fill"] == list(colours(SCHOOL_STATE)["not_assessed"])
    assert len({tuple(c) for c in colours(SCHOOL_STATE).values()}) == len(SCHOOL_STATE)


def test_every_demo_county_year_with_a_school_of_unknown_compliance_draws_its_schools(demo_db):
    """The demo itself has such county-years (a school without a facilities return)."""
    con = db.connect(demo_db)
    a = balance.assess(con.cursor(), None, load_criteria(), lazy=True)
    s = a.schools
    unknown = s[s["eligible"] & s["compliant"].isna()][["adcode", "year"]].drop_duplicates()
    assert len(unknown) >= 5
    for adcode, year in unknown.itertuples(index=False):
        locations = db.school_locations(con.cursor(), adcode)
        states = set()
        for stage in ("all", "primary", "junior"):
            points = maps.county_school_points(s, locations, adcode, int(year), stage, "en")
            assert points or stage != "all"
            states |= {tuple(p["fill"]) for p in points}
        assert colours(SCHOOL_STATE)["no_data"] in states


def test_a_label_at_the_frames_side_is_moved_in_not_cut():
    """The English inset title ('South China Sea islands (南海诸岛)') ran over the map's right edge."""
    import io

    from PIL import Image

    from analytics.present import fonts, raster

    frame = raster.Frame.fit((100.0, 20.0, 110.0, 30.0), 200)
    png = raster.label_image(frame, [("South China Sea islands", 109.9, 25.0, 13), ("Left edge", 100.0, 22.0, 13)],
                             str(fonts.font_file()), fonts.SC_INDEX)
    alpha = Image.open(io.BytesIO(png)).getchannel("A")
    columns = [x for x in range(frame.width) if any(alpha.getpixel((x, y)) for y in range(frame.height))]
    assert columns[0] > 0 and columns[-1] < frame.width - 1


@pytest.mark.parametrize("metric", ["status", "change_status"])
def test_places_outside_the_data_have_a_legend_entry_on_class_maps(metric):
    """Before: provinces without data were grey on the national status map, with no legend entry."""
    m = metrics.map_metrics(load_criteria())[metric]
    assert (NO_DATA, "无数据") in maps.legend_items(m, [], "zh")
