"""The base map: settings and zone choice, validation, start-up check, CSP and the test tiles."""

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path

from buurtnet.networks import basemap
from buurtnet.networks.tests.factories import MunicipalityFactory, PoliceZoneFactory
from buurtnet.security import with_image_sources

# --- Presets and settings ---------------------------------------------------------------------


def test_the_default_base_map_is_ngi_cartoweb(settings):
    settings.MAP_TILES = "cartoweb"

    base = basemap.installation()

    assert base.url == "https://cartoweb.wmts.ngi.be/1.0.0/topo/default/3857/{z}/{y}/{x}.png"
    assert base.attribution == "© NGI/IGN"
    assert base.attribution_url == "https://www.ngi.be/website/gebruiksvoorwaarden-cartoweb-be"
    assert base.max_native_zoom == 17


def test_the_osm_preset_names_openstreetmap():
    base = basemap.build("osm")

    assert base.url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert base.attribution == "© OpenStreetMap contributors"
    assert base.max_native_zoom == 19


def test_the_none_preset_has_no_tiles_and_no_origin():
    base = basemap.build("none")

    assert base.url == ""
    assert base.origin == ""


def test_a_preset_name_is_case_insensitive():
    assert basemap.build(" OSM ").url == basemap.PRESETS["osm"].url


def test_the_attribution_setting_overrides_the_presets(settings):
    settings.MAP_TILES = "osm"
    settings.MAP_TILES_ATTRIBUTION = "Tiles by the city"
    settings.MAP_TILES_ATTRIBUTION_URL = "https://city.example/tiles"

    base = basemap.installation()

    assert (base.attribution, base.attribution_url) == (
        "Tiles by the city",
        "https://city.example/tiles",
    )


def test_overriding_only_the_attribution_text_keeps_the_presets_link(settings):
    settings.MAP_TILES = "osm"
    settings.MAP_TILES_ATTRIBUTION = "© OpenStreetMap contributors, via the city"
    settings.MAP_TILES_ATTRIBUTION_URL = ""

    base = basemap.installation()

    assert (base.attribution, base.attribution_url) == (
        "© OpenStreetMap contributors, via the city",
        "https://www.openstreetmap.org/copyright",
    )


def test_the_max_zoom_setting_is_read_from_its_text(settings):
    settings.MAP_TILES = "cartoweb"
    settings.MAP_TILES_MAX_ZOOM = "16"

    assert basemap.installation().max_native_zoom == 16


def test_a_max_zoom_that_is_not_a_zoom_level_is_refused():
    with pytest.raises(ValidationError, match="highest zoom level"):
        basemap.build("osm", max_zoom="seventeen")


# --- Templates ------------------------------------------------------------------------------------


def test_a_custom_xyz_template_is_kept_with_its_attribution():
    base = basemap.build("https://tiles.example.org/{z}/{x}/{y}.png", "© Example")

    assert base.url == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert base.attribution == "© Example"
    assert base.max_native_zoom == 19


def test_a_wmts_template_is_normalised_to_z_y_x():
    template = "https://wmts.example.org/topo/3857/{TileMatrix}/{TileRow}/{TileCol}.png"

    assert (
        basemap.validate_template(template) == "https://wmts.example.org/topo/3857/{z}/{y}/{x}.png"
    )


def test_a_custom_template_without_attribution_is_refused():
    with pytest.raises(ValidationError, match="needs an attribution"):
        basemap.build("https://tiles.example.org/{z}/{x}/{y}.png")


@pytest.mark.parametrize(
    "template",
    ["http://tiles.example.org/{z}/{x}/{y}.png", "ftp://tiles.example.org/{z}/{x}/{y}.png"],
)
def test_a_template_must_be_https(template):
    with pytest.raises(ValidationError, match="https://"):
        basemap.validate_template(template)


@pytest.mark.parametrize("host", ["127.0.0.1:8123", "localhost:8123"])
def test_plain_http_is_allowed_for_this_computer(host):
    assert basemap.validate_template(f"http://{host}/{{z}}/{{x}}/{{y}}.png")


def test_a_template_without_x_is_refused():
    with pytest.raises(ValidationError, match="must contain"):
        basemap.validate_template("https://tiles.example.org/{z}/{y}.png")


@pytest.mark.parametrize(
    "template",
    [
        'https://tiles.example.org/{z}/{x}/{y}.png"',
        "https://tiles.example.org/{z}/{x}/{y}.png 'unsafe-inline'",
        "https://tiles.example.org/{z}/{x}/{y}.png;script-src",
        "https://tiles.example.org/{z}/{x}/\n{y}.png",
    ],
)
def test_quotes_spaces_and_control_characters_are_refused(template):
    with pytest.raises(ValidationError, match="may not contain"):
        basemap.validate_template(template)


def test_an_unknown_placeholder_is_refused():
    with pytest.raises(ValidationError, match=r"\{apikey\}"):
        basemap.validate_template("https://tiles.example.org/{z}/{x}/{y}.png?key={apikey}")


def test_a_placeholder_in_the_host_is_refused_except_a_leading_subdomain():
    with pytest.raises(ValidationError, match="host name"):
        basemap.validate_template("https://tiles-{z}.example.org/{z}/{x}/{y}.png")


def test_the_origin_keeps_the_port():
    base = basemap.build("http://127.0.0.1:8123/{z}/{x}/{y}.png", "Test")

    assert base.origin == "http://127.0.0.1:8123"


def test_a_subdomain_placeholder_becomes_a_csp_wildcard():
    base = basemap.build("https://{s}.tiles.example.org/{z}/{x}/{y}.png", "© Example")

    assert base.origin == "https://*.tiles.example.org"


def test_an_attribution_with_a_line_break_is_refused():
    with pytest.raises(ValidationError, match="line breaks"):
        basemap.build("https://tiles.example.org/{z}/{x}/{y}.png", "© Example\nclick here")


# --- Per zone ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_zone_without_its_own_base_map_uses_the_installations(settings):
    settings.MAP_TILES = "cartoweb"

    assert basemap.for_zone(PoliceZoneFactory()) == basemap.PRESETS["cartoweb"]


@pytest.mark.django_db
def test_a_zone_with_its_own_base_map_uses_it(settings):
    settings.MAP_TILES = "cartoweb"
    zone = PoliceZoneFactory(
        map_tiles="https://tiles.zone.example/{z}/{x}/{y}.png", map_tiles_attribution="© Zone"
    )

    base = basemap.for_zone(zone)

    assert (base.url, base.attribution) == ("https://tiles.zone.example/{z}/{x}/{y}.png", "© Zone")


@pytest.mark.django_db
def test_a_zone_base_map_stored_wrong_falls_back_to_the_installations(settings):
    settings.MAP_TILES = "osm"
    zone = PoliceZoneFactory(map_tiles="http://tiles.zone.example/{z}/{x}/{y}.png")

    assert basemap.for_zone(zone).url == basemap.PRESETS["osm"].url


def test_no_zone_means_the_installations_base_map(settings):
    settings.MAP_TILES = "osm"

    assert basemap.for_zone(None).url == basemap.PRESETS["osm"].url


@pytest.mark.django_db
def test_a_zone_template_without_attribution_is_refused_on_the_attribution_field():
    zone = PoliceZoneFactory.build(map_tiles="https://tiles.zone.example/{z}/{x}/{y}.png")

    with pytest.raises(ValidationError) as caught:
        zone.full_clean()

    assert list(caught.value.message_dict) == ["map_tiles_attribution"]


@pytest.mark.django_db
def test_a_bad_zone_template_is_refused_on_the_tiles_field():
    zone = PoliceZoneFactory.build(
        map_tiles="http://tiles.zone.example/{z}/{x}/{y}.png", map_tiles_attribution="© Zone"
    )

    with pytest.raises(ValidationError) as caught:
        zone.full_clean()

    assert "map_tiles" in caught.value.message_dict


@pytest.mark.django_db
def test_a_zone_wmts_template_is_stored_normalised():
    zone = PoliceZoneFactory.build(
        map_tiles="https://wmts.zone.example/{TileMatrix}/{TileRow}/{TileCol}.png",
        map_tiles_attribution="© Zone",
    )

    zone.full_clean()

    assert zone.map_tiles == "https://wmts.zone.example/{z}/{y}/{x}.png"


@pytest.mark.django_db
def test_a_municipality_outline_must_be_a_valid_polygon():
    municipality = MunicipalityFactory.build(
        zone=PoliceZoneFactory(), area={"type": "Polygon", "coordinates": [[[3.2, 50.8]]]}
    )

    with pytest.raises(ValidationError) as caught:
        municipality.full_clean()

    assert "area" in caught.value.message_dict


# --- Start-up check -----------------------------------------------------------------------------


def test_the_startup_check_accepts_a_preset(settings):
    settings.MAP_TILES = "cartoweb"

    assert basemap.check_settings() == []


def test_the_startup_check_refuses_a_template_without_attribution(settings):
    settings.MAP_TILES = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILES_ATTRIBUTION = ""

    errors = basemap.check_settings()

    assert [error.id for error in errors] == ["buurtnet.E301"]
    assert "attribution" in errors[0].msg


# --- Content-Security-Policy --------------------------------------------------------------------


def page_with_map(request):
    template = Template("{% load maps %}<main>{% map data label='Areas' %}</main>")
    data = {"areas": {"type": "FeatureCollection", "features": []}, "points": [], "fit": None}
    return HttpResponse(template.render(RequestContext(request, {"data": data})))


def page_without_map(request):
    return HttpResponse("<main>No map here</main>")


urlpatterns = [
    path("with-map/", page_with_map),
    path("without-map/", page_without_map),
]


@pytest.mark.urls(__name__)
def test_a_page_with_a_map_allows_its_tile_server_in_img_src(client, tile_server):
    policy = client.get("/with-map/")["Content-Security-Policy"]

    assert f"img-src 'self' data: {tile_server.origin};" in policy


@pytest.mark.urls(__name__)
def test_a_page_without_a_map_does_not_allow_the_tile_server(client, tile_server):
    policy = client.get("/without-map/")["Content-Security-Policy"]

    assert tile_server.origin not in policy
    assert "img-src 'self' data:;" in policy


@pytest.mark.urls(__name__)
def test_a_map_without_base_map_adds_no_image_source(client, settings):
    settings.MAP_TILES = "none"

    policy = client.get("/with-map/")["Content-Security-Policy"]

    assert "img-src 'self' data:;" in policy


def test_image_sources_fall_back_to_default_src_when_img_src_is_missing():
    policy = with_image_sources("default-src 'self'; script-src 'self'", ["https://t.example"])

    assert policy == "default-src 'self'; script-src 'self'; img-src 'self' https://t.example"


def test_image_sources_replace_none():
    policy = with_image_sources("img-src 'none'", ["https://t.example"])

    assert policy == "img-src https://t.example"


# --- The test tile server -----------------------------------------------------------------------


def test_the_tile_server_serves_a_png_and_counts_it(tile_server):
    answer = httpx.get(tile_server.template.format(z=14, x=8340, y=5480), timeout=5)

    assert answer.headers["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert tile_server.requests == 1


def test_the_tile_server_answers_404_to_anything_but_a_tile(tile_server):
    answer = httpx.get(f"{tile_server.origin}/robots.txt", timeout=5)

    assert answer.status_code == 404
    assert tile_server.requests == 0


def test_unreachable_tiles_refuse_the_connection(tiles_unreachable):
    with pytest.raises(httpx.ConnectError):
        httpx.get(tiles_unreachable.format(z=1, x=1, y=1), timeout=5)
