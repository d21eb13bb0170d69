"""Reviewed boundaries: checked on import, used by maps, their 审图号 printed instead of 示意图."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from analytics.assess import balance
from analytics.assess.criteria import load_criteria
from analytics.atlas import geo
from analytics.export import exports, output
from analytics.ingest import boundaries
from analytics.present import geometry, images
from analytics.store import db


@pytest.fixture
def reviewed_dir(tmp_path, monkeypatch):
    """Reviewed boundaries go to a temporary folder; caches are cleared before and after."""
    monkeypatch.setattr(geo, "REVIEWED_DIR", tmp_path / "reviewed")

    def clear():
        for f in (geo.review, geo.load_layer, geometry.pick_records, geometry.county_outline, geometry.label_records,
                  geometry._simplified_counties, geometry.web_inset_shapes, geometry.web_inset_paths,
                  images.county_raster, images.focus_raster, images.focus_picture, images.labels,
                  images.labels_picture, images.focus_labels_picture):
            f.cache_clear()
    clear()
    yield tmp_path / "reviewed"
    clear()


def sichuan_geojson(path, rows=None):
    """The built-in Sichuan counties written as a user's GeoJSON file."""
    gdf = geo.counties("510000")[["adcode", "name", "geometry"]]
    if rows is not None:
        gdf = gdf.iloc[rows]
    gdf.to_file(path, driver="GeoJSON")
    return path


@pytest.mark.slow
def test_a_reviewed_file_replaces_the_sketch_note_on_exported_maps(reviewed_dir, tmp_path, demo_db):
    with db.connect(demo_db) as con:
        a = balance.assess(con, 2026)
        ctx = output.context_from(db.metadata(con), True, "zh")
    report = boundaries.import_reviewed(sichuan_geojson(tmp_path / "sc.geojson"), "GS(2024)1234号", "wgs84",
                                        set(a.counties["adcode"]))
    assert report["covered"] == 183 and report["missing"] == [] and report["extra"] == []
    assert json.loads((reviewed_dir / "REVIEW.json").read_text())["review_no"] == "GS(2024)1234号"
    fig = exports.map_figure(exports.Briefing(a, None, load_criteria(), "510000", 2026, "all", ctx), "status")
    text = PdfReader(io.BytesIO(exports.render(fig, "pdf"))).pages[0].extract_text()
    assert "审图号：GS(2024)1234号" in text and "示意图" not in text
    assert "审图号" in geometry.caption("zh")


def test_without_reviewed_boundaries_maps_say_sketch(reviewed_dir):
    assert geo.map_note("zh") == "示意图，非标准地图"
    assert "示意图" in geometry.caption("zh")


def test_coverage_lists_the_counties_the_file_lacks(reviewed_dir, tmp_path):
    known = set(geo.counties("510000")["adcode"])
    report = boundaries.import_reviewed(sichuan_geojson(tmp_path / "part.geojson", rows=slice(0, 20)),
                                        "川S(2023)012号", "wgs84", known)
    assert report["covered"] == 20 and len(report["missing"]) == 163


@pytest.mark.parametrize("review_no", ["", "2024-1234", "GS 2024 1234"])
def test_a_review_number_must_look_like_one(reviewed_dir, tmp_path, review_no):
    with pytest.raises(boundaries.BoundaryError, match="审图号"):
        boundaries.import_reviewed(sichuan_geojson(tmp_path / "sc.geojson"), review_no, "wgs84", set())
    assert not reviewed_dir.exists()


def test_a_file_without_adcodes_or_with_bad_ones_is_refused_and_changes_nothing(reviewed_dir, tmp_path):
    gdf = geo.counties("510000")[["name", "geometry"]].head(3)
    gdf.to_file(tmp_path / "nocode.geojson", driver="GeoJSON")
    with pytest.raises(boundaries.BoundaryError, match="no adcode column"):
        boundaries.import_reviewed(tmp_path / "nocode.geojson", "GS(2024)1234号", "wgs84", set())
    bad = geo.counties("510000")[["adcode", "name", "geometry"]].head(3).assign(adcode=["510104", "5101", "510000"])
    bad.to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    with pytest.raises(boundaries.BoundaryError, match=r"row 2: '5101'"):
        boundaries.import_reviewed(tmp_path / "bad.geojson", "GS(2024)1234号", "wgs84", set())
    assert not reviewed_dir.exists()


def test_gcj02_files_are_converted_to_wgs84(reviewed_dir, tmp_path):
    import shapely

    gdf = geo.counties("510000")[["adcode", "name", "geometry"]].head(5)
    shifted = gdf.assign(geometry=shapely.transform(
        gdf.geometry.values, lambda c: __import__("numpy").column_stack(geo.wgs84_to_gcj02(c[:, 0], c[:, 1]))))
    shifted.to_file(tmp_path / "gcj.geojson", driver="GeoJSON")
    boundaries.import_reviewed(tmp_path / "gcj.geojson", "GS(2024)1234号", "gcj02", set())
    got = geo.load_layer("counties").set_index("adcode").geometry
    for code, geom in zip(gdf["adcode"], gdf.geometry):
        assert got[code].centroid.distance(geom.centroid) < 1e-4


def test_the_cli_imports_reports_coverage_and_refuses_a_bad_number(reviewed_dir, tmp_path, demo_db, capsys):
    from analytics.cli import main

    path = sichuan_geojson(tmp_path / "sc.geojson")
    assert main(["boundaries", "import", str(path), "--review-no", "GS(2099)x号", "--db", str(demo_db)]) == 2
    assert "审图号" in capsys.readouterr().err
    assert main(["boundaries", "import", str(path), "--review-no", "GS(2024)1234号", "--db", str(demo_db)]) == 0
    assert "covered: 183/183" in capsys.readouterr().out
    assert main(["boundaries", "remove"]) == 0 and not reviewed_dir.exists()


def test_a_review_number_with_other_digits_is_refused(reviewed_dir, tmp_path):
    with pytest.raises(boundaries.BoundaryError, match="审图号"):
        boundaries.import_reviewed(sichuan_geojson(tmp_path / "sc.geojson"), "GS(٢٠٢٤)١٢٣٤号", "wgs84", set())


def test_an_empty_polygon_is_refused_naming_its_row(reviewed_dir, tmp_path):
    import shapely

    gdf = geo.counties("510000")[["adcode", "name", "geometry"]].iloc[:3].copy()
    gdf.loc[gdf.index[1], "geometry"] = shapely.Polygon()
    gdf.to_file(tmp_path / "empty.geojson", driver="GeoJSON")
    with pytest.raises(boundaries.BoundaryError, match=r"empty geometries, e.g. row 2"):
        boundaries.import_reviewed(tmp_path / "empty.geojson", "GS(2024)1234号", "wgs84", set())
    assert not reviewed_dir.exists()


def test_overlapping_counties_are_refused_naming_both(reviewed_dir, tmp_path):
    gdf = geo.counties("510000")[["adcode", "name", "geometry"]].iloc[:3].copy()
    gdf.loc[gdf.index[2], "geometry"] = gdf.geometry.iloc[0].buffer(0.01)  # a copy of the first, a little larger
    gdf.to_file(tmp_path / "overlap.geojson", driver="GeoJSON")
    with pytest.raises(boundaries.BoundaryError, match=r"overlap, e.g. rows 1 and 3"):
        boundaries.import_reviewed(tmp_path / "overlap.geojson", "GS(2024)1234号", "wgs84", set())


def test_the_db_option_may_stand_before_the_file(reviewed_dir, tmp_path, demo_db):
    from analytics.cli import main

    path = sichuan_geojson(tmp_path / "sc.geojson")
    assert main(["boundaries", "import", "--db", str(demo_db), str(path), "--review-no", "GS(2024)1234号"]) == 0
    assert main(["boundaries", "remove", "--db", str(demo_db)]) == 0 and not reviewed_dir.exists()


def test_two_boundary_imports_at_once_take_turns_and_both_finish(reviewed_dir, tmp_path):
    """Two imports of one machine at once lost the reviewed folder (no lock); they now take turns."""
    import threading

    files = [sichuan_geojson(tmp_path / f"sc{i}.geojson", rows=slice(0, 30)) for i in range(2)]
    errors: list[BaseException] = []

    def run(path):
        try:
            boundaries.import_reviewed(path, "GS(2024)1234号", "wgs84", set())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert json.loads((reviewed_dir / "REVIEW.json").read_text())["file"] in {"sc0.geojson", "sc1.geojson"}
    assert not list(tmp_path.glob(".reviewed.*"))


def test_a_refused_file_says_one_line_without_the_reading_librarys_warnings(tmp_path):
    """Two features with one GeoJSON id make the reader warn; the user reads only the refusal."""
    import subprocess
    import sys

    feature = {"type": "Feature", "id": 1, "properties": {"adcode": "5101"},
               "geometry": {"type": "Polygon", "coordinates": [[[104, 30], [105, 30], [105, 31], [104, 30]]]}}
    path = tmp_path / "same_ids.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature, {**feature, "properties": {
        "adcode": "510105"}}]}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "analytics", "boundaries", "import", str(path), "--review-no",
                           "GS(2024)1234号", "--db", str(tmp_path / "none.duckdb")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["error: same_ids.geojson, column adcode: 1 value(s) are not 6-digit county "
                                        "adcodes (row 1: '5101')"]
