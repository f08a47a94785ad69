"""The nearest address of a point, in words, from the street table; and its JSON endpoint."""

import pytest
from django.urls import reverse

from buurtnet.networks import services
from buurtnet.networks.tests.factories import MunicipalityFactory, StreetFactory
from buurtnet.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NEAREST = reverse("networks:nearest_address")


@pytest.fixture
def kerkstraat():
    """From (3.262, 50.822) to (3.278, 50.838), numbers 1 to 100."""
    return StreetFactory(municipality=MunicipalityFactory(name="Kortrijk"), name="Kerkstraat")


# --- The service -------------------------------------------------------------------------------


def test_a_point_on_the_street_gets_the_number_at_that_share(kerkstraat):
    assert services.nearest_address(3.270, 50.830) == "Kerkstraat 50, 8500 Kortrijk"


def test_a_point_beside_the_street_is_projected_on_it(kerkstraat):
    # About 60 m north-west of the street's middle.
    assert services.nearest_address(3.26928, 50.83029) == "Kerkstraat 50, 8500 Kortrijk"


def test_the_start_of_the_street_is_number_1(kerkstraat):
    assert services.nearest_address(3.262, 50.822) == "Kerkstraat 1, 8500 Kortrijk"


def test_beyond_the_end_of_the_street_is_its_highest_number(kerkstraat):
    assert services.nearest_address(3.2785, 50.8385) == "Kerkstraat 100, 8500 Kortrijk"


def test_a_point_more_than_300_metres_from_every_street_has_no_address(kerkstraat):
    # Inside the box looked at, but some 560 m before the street's start.
    assert services.nearest_address(3.2678, 50.8185) is None


def test_a_point_far_from_every_street_has_no_address(kerkstraat):
    assert services.nearest_address(4.40, 50.85) is None


def test_the_nearest_of_two_streets_wins(kerkstraat):
    StreetFactory(
        municipality=kerkstraat.municipality,
        name="Molenstraat",
        start_lon=3.266,
        start_lat=50.830,
        end_lon=3.266,
        end_lat=50.840,
        highest_number=40,
    )

    assert services.nearest_address(3.2662, 50.835) == "Molenstraat 20, 8500 Kortrijk"


def test_a_long_street_passing_by_with_both_ends_far_away_is_found():
    # 2.8 km long (the gazetteer's segments are at most 3 km): both ends 1.4 km away.
    StreetFactory(
        municipality=MunicipalityFactory(name="Kuurne"),
        name="Ringlaan",
        postcode="8520",
        start_lon=3.28,
        start_lat=50.85,
        end_lon=3.32,
        end_lat=50.85,
        highest_number=200,
    )

    assert services.nearest_address(3.30, 50.8505) == "Ringlaan 100, 8520 Kuurne"


# --- The endpoint -----------------------------------------------------------------------------


@pytest.fixture
def resident(client):
    client.force_login(PersonFactory(full_name="Rita Resident"))
    return client


def test_an_anonymous_visitor_is_sent_to_log_in(client, kerkstraat):
    answer = client.get(NEAREST, {"lon": "3.270", "lat": "50.830"})

    assert answer.status_code == 302
    assert reverse("account_login") in answer["Location"]


def test_the_endpoint_answers_the_address_in_words(resident, kerkstraat):
    answer = resident.get(NEAREST, {"lon": "3.270", "lat": "50.830"})

    assert answer.status_code == 200
    assert answer.json() == {"label": "Near Kerkstraat 50, 8500 Kortrijk"}
    assert "private" in answer["Cache-Control"]


def test_the_endpoint_answers_null_far_from_every_street(resident, kerkstraat):
    answer = resident.get(NEAREST, {"lon": "4.40", "lat": "50.85"})

    assert answer.json() == {"label": None}


@pytest.mark.parametrize(
    ("lon", "lat"),
    [("", "50.83"), ("abc", "50.83"), ("nan", "50.83"), ("inf", "50.83"), ("3.27e0", "50.83")],
)
def test_coordinates_that_are_not_plain_degrees_are_refused(resident, lon, lat):
    answer = resident.get(NEAREST, {"lon": lon, "lat": lat})

    assert answer.status_code == 400
    assert answer.json() == {"error": "Give the place as a longitude and latitude in degrees."}


def test_a_point_outside_belgium_is_refused(resident):
    answer = resident.get(NEAREST, {"lon": "2.35", "lat": "48.86"})

    assert answer.status_code == 400
    assert answer.json() == {"error": "This place lies outside Belgium."}


def test_the_endpoint_answers_only_get(resident):
    answer = resident.post(NEAREST, {"lon": "3.270", "lat": "50.830"})

    assert answer.status_code == 405
