"""What a map shows (networks.mapping), the {% map %} tag, and the zone's outline."""

import json

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from buurtnet.networks import mapping
from buurtnet.networks.models import NetworkStatus
from buurtnet.networks.tests.factories import (
    MunicipalityFactory,
    NetworkFactory,
    PoliceZoneFactory,
    square,
)

pytestmark = pytest.mark.django_db


def render_map(arguments: str, data: dict | None = None, request=None) -> str:
    template = Template("{% load maps %}{% map data " + arguments + " %}")
    context = {"data": data or mapping.map_data(), "request": request or RequestFactory().get("/")}
    return template.render(Context(context))


# --- Features and points -------------------------------------------------------------------------


def test_an_area_feature_carries_name_status_and_its_area():
    network = NetworkFactory(name="BIN Heule", status=NetworkStatus.FOUNDING)

    feature = mapping.area_feature(network)

    assert feature["type"] == "Feature"
    assert feature["geometry"] == network.area
    assert feature["properties"] == {
        "id": network.pk,
        "name": "BIN Heule",
        "status": "founding",
        "status_label": "Founding",
        "url": None,
        "this": False,
    }


def test_the_status_label_is_translated():
    network = NetworkFactory(status=NetworkStatus.ACTIVE)

    with translation.override("nl"):
        feature = mapping.area_feature(network)

    assert feature["properties"]["status_label"] == "Actief"


def test_an_area_feature_links_to_the_bin_only_when_asked():
    network = NetworkFactory()

    feature = mapping.area_feature(network, link=True, this=True)

    assert feature["properties"]["url"] == reverse("networks:detail", args=[network.pk])
    assert feature["properties"]["this"] is True


def test_a_point_has_its_label_number_and_kind():
    assert mapping.point(3.26, 50.82, label="Home", number=2, kind="report") == {
        "lon": 3.26,
        "lat": 50.82,
        "label": "Home",
        "number": 2,
        "kind": "report",
    }


# --- Map data and framing ------------------------------------------------------------------------


def test_the_map_frames_every_area_and_point():
    network = NetworkFactory(area=square(3.26, 50.82))

    data = mapping.map_data(
        areas=[mapping.area_feature(network)], points=[mapping.point(3.30, 50.81)]
    )

    assert data["fit"] == [[50.81, 3.26], [50.84, 3.30]]
    assert data["areas"]["type"] == "FeatureCollection"
    assert len(data["areas"]["features"]) == 1


def test_a_single_point_is_framed_with_about_300_metres_around_it():
    data = mapping.map_data(points=[mapping.point(3.26, 50.82)])

    (south, west), (north, east) = data["fit"]
    assert (north - south) * 111_320 == pytest.approx(300, rel=0.01)
    assert (east - west) * 111_320 * 0.6317 == pytest.approx(300, rel=0.01)
    assert (south + north) / 2 == pytest.approx(50.82)


def test_fit_points_frames_the_points_and_ignores_the_areas():
    network = NetworkFactory(area=square(3.20, 50.70, size=0.3))

    data = mapping.map_data(
        areas=[mapping.area_feature(network)],
        points=[mapping.point(3.26, 50.82), mapping.point(3.27, 50.83)],
        fit="points",
    )

    assert data["fit"] == [[50.82, 3.26], [50.83, 3.27]]


def test_a_drawn_circle_is_framed_by_its_radius():
    data = mapping.map_data(shape={"type": "Circle", "lon": 3.26, "lat": 50.82, "radius_m": 1000})

    (south, _west), (north, _east) = data["fit"]
    assert (north - south) * 111_320 == pytest.approx(2000, rel=0.01)


def test_a_frame_holds_the_shapes_with_their_surroundings():
    south_west, north_east = mapping.frame(square(3.26, 50.82), square(3.29, 50.82), margin=0.5)

    assert south_west == pytest.approx([50.81, 3.235])
    assert north_east == pytest.approx([50.85, 3.335])


def test_an_empty_map_has_nothing_to_frame():
    data = mapping.map_data()

    assert data == {
        "areas": {"type": "FeatureCollection", "features": []},
        "points": [],
        "shape": None,
        "labels": False,
        "fit": None,
    }


def test_an_explicit_fit_is_kept():
    data = mapping.map_data(points=[mapping.point(3.26, 50.82)], fit=[[50, 3], [51, 4]])

    assert data["fit"] == [[50.0, 3.0], [51.0, 4.0]]


# --- The tag ----------------------------------------------------------------------------------


def test_the_tag_writes_the_base_map_and_the_data_for_the_script(tile_server):
    data = mapping.map_data(points=[mapping.point(3.26, 50.82, label="Home")], labels=True)

    html = render_map("label='BIN areas' map_id='zone-map'", data)

    assert f'data-tiles="{tile_server.template}"' in html
    assert 'data-attribution="Test tiles"' in html
    assert 'id="zone-map" data-map="zone-map-data" data-mode="view"' in html
    assert 'role="region" aria-label="BIN areas"' in html
    script = html.split('<script id="zone-map-data" type="application/json">')[1]
    assert json.loads(script.split("</script>")[0]) == data


def test_the_tag_notes_the_tile_origin_on_the_request(tile_server):
    request = RequestFactory().get("/")

    render_map("label='Areas'", request=request)

    assert request.map_tile_origins == {tile_server.origin}


def test_the_attribution_is_escaped(settings):
    settings.MAP_TILES = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILES_ATTRIBUTION = '<b>Tiles</b> & "co"'

    html = render_map("label='Areas'")

    assert 'data-attribution="&lt;b&gt;Tiles&lt;/b&gt; &amp; &quot;co&quot;"' in html


def test_the_pick_mode_names_its_inputs_and_shows_the_place():
    html = render_map("label='Your home' mode='pick' lon='id_longitude' lat='id_latitude'")

    assert 'data-lon="id_longitude" data-lat="id_latitude"' in html
    assert 'id="map-place" aria-live="polite"' in html
    assert "data-draw" not in html


def test_the_draw_mode_offers_a_circle_only_when_asked():
    polygon_only = render_map("label='Area' mode='draw' field='id_area'")
    both = render_map("label='Target' mode='draw' field='id_area' shapes='polygon circle'")

    assert 'data-draw="polygon"' in polygon_only and 'data-draw="circle"' not in polygon_only
    assert 'data-draw="circle"' in both
    assert 'id="map-touching" aria-live="polite"' in both


def test_the_tag_refuses_an_unknown_mode():
    with pytest.raises(TemplateSyntaxError):
        render_map("label='Areas' mode='scribble'")


def test_the_tag_uses_the_zones_base_map(settings):
    settings.MAP_TILES = "cartoweb"
    zone = PoliceZoneFactory(map_tiles="osm")
    template = Template("{% load maps %}{% map data label='Areas' zone=zone %}")

    html = template.render(Context({"data": mapping.map_data(), "zone": zone}))

    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html


# --- The zone's outline ---------------------------------------------------------------------------


def test_a_zone_without_municipal_outlines_has_no_outline():
    zone = PoliceZoneFactory()
    MunicipalityFactory(zone=zone)

    assert mapping.zone_outline(zone) is None


def test_the_zone_outline_joins_its_municipalities():
    zone = PoliceZoneFactory()
    MunicipalityFactory(zone=zone, area=square(3.20, 50.80, size=0.1))
    MunicipalityFactory(zone=zone, area=square(3.30, 50.80, size=0.1))

    assert mapping.zone_outline(zone).bounds == pytest.approx((3.20, 50.80, 3.40, 50.90))


def test_an_area_inside_the_zone_is_not_outside():
    zone = PoliceZoneFactory()
    MunicipalityFactory(zone=zone, area=square(3.20, 50.80, size=0.1))

    assert not mapping.outside_zone(square(3.25, 50.85, size=0.02), zone)


def test_an_area_far_from_the_zone_is_outside():
    zone = PoliceZoneFactory()
    MunicipalityFactory(zone=zone, area=square(3.20, 50.80, size=0.1))

    assert mapping.outside_zone(square(4.40, 50.85, size=0.02), zone)


def test_an_area_reaching_a_little_over_the_approximate_outline_is_accepted():
    zone = PoliceZoneFactory()
    MunicipalityFactory(zone=zone, area=square(3.20, 50.80, size=0.1))

    # 5% of the square lies east of the outline.
    assert not mapping.outside_zone(square(3.281, 50.85, size=0.02), zone)


def test_a_circle_mostly_outside_the_zone_is_outside():
    zone = PoliceZoneFactory()
    MunicipalityFactory(zone=zone, area=square(3.20, 50.80, size=0.1))

    circle = {"type": "Circle", "lon": 3.30, "lat": 50.85, "radius_m": 1000}

    assert mapping.outside_zone(circle, zone)


def test_without_outlines_nothing_is_outside():
    assert not mapping.outside_zone(square(5.0, 50.0), PoliceZoneFactory())
