"""The zone's public BIN areas as GeoJSON (RFC 7946) for municipal maps."""

import json

import pytest
from django.urls import reverse
from shapely.geometry import shape

from buurtnet.networks.models import NetworkStatus
from buurtnet.networks.tests.factories import NetworkFactory, square


def areas(client, zone):
    return client.get(reverse("networks:zone_areas", args=[zone.code]))


def test_the_areas_are_a_feature_collection_of_valid_polygons(world, client):
    # Drawn clockwise: the answer turns the ring the way RFC 7946 wants.
    clockwise = square(3.34, 50.82)
    clockwise["coordinates"][0].reverse()
    NetworkFactory(name="BIN Clockwise", municipality=world.municipality, area=clockwise)
    answer = areas(client, world.zone)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/geo+json"
    collection = json.loads(answer.content)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 3
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        geometry = shape(feature["geometry"])
        assert feature["geometry"]["type"] == "Polygon"
        assert geometry.is_valid and not geometry.is_empty
        assert geometry.exterior.is_ccw
        for lon, lat in feature["geometry"]["coordinates"][0]:
            assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_only_public_areas_of_living_bins_of_the_zone_are_shown(world, client):
    NetworkFactory(name="BIN Hidden", municipality=world.municipality, area_public=False)
    for status in (NetworkStatus.PROPOSED, NetworkStatus.DISSOLVED):
        NetworkFactory(name=f"BIN {status}", municipality=world.municipality, status=status)
    for status in (NetworkStatus.FOUNDING, NetworkStatus.DORMANT):
        NetworkFactory(name=f"BIN {status}", municipality=world.municipality, status=status)
    names = {
        f["properties"]["name"] for f in json.loads(areas(client, world.zone).content)["features"]
    }
    assert names == {"BIN Ours", "BIN Theirs", "BIN founding", "BIN dormant"}


def test_the_properties_say_nothing_about_people(world, client):
    collection = json.loads(areas(client, world.zone).content)
    ours = next(f for f in collection["features"] if f["id"] == world.network.pk)
    assert ours["properties"] == {
        "name": "BIN Ours",
        "type": "residents",
        "municipality": "Ourtown",
        "status": "active",
    }
    for person in (world.member, world.coordinator, world.officer):
        assert person.full_name.encode() not in areas(client, world.zone).content


def test_the_areas_may_be_cached_and_used_by_other_sites(world, client):
    answer = areas(client, world.zone)
    assert "public" in answer["Cache-Control"] and "max-age=" in answer["Cache-Control"]
    assert answer["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("code", ["9999", "nope"])
def test_an_unknown_zone_is_not_found(world, client, code):
    assert client.get(reverse("networks:zone_areas", args=[code])).status_code == 404
