"""The view state survives a round trip through the URL, and bad URLs fall back safely."""

from analytics.present.state import ViewState, from_query, to_query

OPTS = dict(years=[2023, 2024, 2025, 2026], regions=["510000", "510100", "513400"],
            counties=["510104", "513401"], metrics=["status", "cv_r4"], default_region="510000")


def test_round_trip_keeps_every_field():
    state = ViewState(year=2024, stage="junior", region="510100", county="510104", metric="cv_r4", school="5101040001")
    assert from_query(to_query(state), **OPTS) == state


def test_empty_url_gives_latest_year_whole_province():
    assert from_query({}, **OPTS) == ViewState(year=2026, stage="all", region="510000")


def test_unknown_values_fall_back_to_defaults():
    state = from_query({"year": "1999", "stage": "senior", "region": "999900", "county": "000000",
                        "metric": "x", "school": "s"}, **OPTS)
    assert state == ViewState(year=2026, stage="all", region="510000")


def test_county_outside_region_moves_region_to_its_prefecture():
    state = from_query({"region": "510100", "county": "513401"}, **OPTS)
    assert state.region == "513400" and state.county == "513401"


def test_empty_values_are_left_out_of_the_url():
    assert to_query(ViewState(year=2025)) == {"year": "2025", "stage": "all", "metric": "status"}


def test_a_hostile_url_falls_back_to_defaults_without_an_error():
    v = from_query({"year": "9" * 70000, "region": "5" * 5000, "stage": "<b>", "county": "../../etc",
                       "metric": "![x](http://h/x.png)"}, years=(2023, 2024), regions={"510000": "四川省"},
                      counties=["510104"], metrics={"status": 1}, default_region="510000", plans={"p": 1})
    assert (v.year, v.stage, v.region, v.county, v.metric) == (2024, "all", "510000", "", "status")


def test_a_province_level_city_does_not_keep_a_county_of_another_province():
    """region=500000 (重庆) with county=510104 (成都 锦江区): the county is not in 重庆."""
    v = from_query({"region": "500000", "county": "510104"}, years=(2024,),
                      regions={"500000": "重庆市", "510000": "四川省", "510100": "成都市"}, counties=["510104", "500101"],
                      metrics={"status": 1}, default_region="510000", plans={})
    assert v.region != "500000" or v.county == ""
    assert not (v.region == "500000" and v.county.startswith("51"))


def test_english_is_kept_in_the_url_and_chinese_is_the_default():
    state = ViewState(year=2024, region="510000", lang="en")
    assert to_query(state)["lang"] == "en"
    assert from_query(to_query(state), **OPTS).lang == "en"
    assert "lang" not in to_query(ViewState(year=2024))
    assert from_query({"lang": "fr"}, **OPTS).lang == "zh"
