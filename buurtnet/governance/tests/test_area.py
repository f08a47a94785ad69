"""A BIN's area on the map: the zone's staff change it (checked, confirmed, audited, told to
the BIN's coordinators and officers), and a founding request draws one among the BINs
around. Through HTTP and the services."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from buurtnet.audit.models import AuditEvent
from buurtnet.delivery.models import Notice
from buurtnet.governance.services import area as areas
from buurtnet.networks.models import Network, NetworkStatus
from buurtnet.networks.tests.factories import (
    NetworkFactory,
    ZoneStaffFactory,
    square,
)
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

# BIN Ours is square(3.26, 50.82) (0.02 wide); this one is a little smaller, inside it.
SMALLER = square(3.262, 50.822, 0.015)
# A bow tie: its border crosses itself.
CROSSING = {
    "type": "Polygon",
    "coordinates": [[[3.26, 50.82], [3.28, 50.84], [3.28, 50.82], [3.26, 50.84], [3.26, 50.82]]],
}
# Reaches into BIN Theirs, square(3.30, 50.82).
INTO_THEIRS = square(3.27, 50.82, 0.035)


def area_url(network: Network) -> str:
    return reverse("governance:network_area", args=[network.pk])


def post(client, network, area, step, **extra):
    return client.post(area_url(network), {"area": json.dumps(area), "step": step, **extra})


# --- Who may change a BIN's area --------------------------------------------------------------


def test_the_zone_staff_get_the_area_on_a_map_to_draw_on(client, world):
    log_in(client, world.zone_staff)
    answer = client.get(area_url(world.network))
    page = answer.content.decode()
    assert answer.status_code == 200
    assert 'data-mode="draw"' in page and 'data-touching="overlap"' in page
    data = answer.context["map_data"]
    shown = {f["properties"]["name"]: f["properties"]["this"] for f in data["areas"]["features"]}
    assert shown == {"BIN Ours": True, "BIN Theirs": False}
    assert json.loads(answer.context["form"]["area"].value()) == world.network.area


@pytest.mark.parametrize("role", ["member", "coordinator", "officer", "municipal", "outsider"])
def test_nobody_but_the_zone_staff_knows_the_page(client, world, role):
    log_in(client, getattr(world, role))
    assert client.get(area_url(world.network)).status_code == 404


def test_another_zones_staff_get_404(client, world):
    log_in(client, ZoneStaffFactory(zone=world.other_zone).person)
    assert client.get(area_url(world.network)).status_code == 404
    assert post(client, world.network, SMALLER, "save", confirm="on").status_code == 404
    world.network.refresh_from_db()
    assert world.network.area == square(3.26, 50.82)


# --- Checking, confirming, saving -------------------------------------------------------------


def test_checking_a_new_area_asks_to_confirm_and_saves_nothing(client, world):
    log_in(client, world.zone_staff)
    answer = post(client, world.network, SMALLER, "check")
    assert answer.status_code == 200 and answer.context["confirming"]
    assert "Save the new area" in answer.content.decode()
    assert answer.context["map_data"]["shape"] == SMALLER
    world.network.refresh_from_db()
    assert world.network.area == square(3.26, 50.82)


def test_checking_the_current_area_again_says_nothing_would_change(client, world):
    log_in(client, world.zone_staff)
    answer = post(client, world.network, square(3.26, 50.82), "check")
    assert answer.context["unchanged"]
    assert "saving it changes nothing" in answer.content.decode()


def test_the_area_being_edited_is_framed_close_with_its_surroundings(client, world):
    (south, west), (north, east) = (
        log_in(client, world.zone_staff).get(area_url(world.network)).context["map_data"]["fit"]
    )
    assert (south, west) == pytest.approx((50.817, 3.257))
    assert (north, east) == pytest.approx((50.843, 3.283))


def test_saving_without_the_confirmation_saves_nothing(client, world):
    log_in(client, world.zone_staff)
    answer = post(client, world.network, SMALLER, "save")
    assert answer.status_code == 400
    assert "Tick the box to confirm the new area." in answer.content.decode()
    world.network.refresh_from_db()
    assert world.network.area == square(3.26, 50.82)


def test_the_confirmed_area_is_saved_audited_and_told(
    client, world, django_capture_on_commit_callbacks
):
    log_in(client, world.zone_staff)
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, world.network, SMALLER, "save", confirm="on")
    assert answer.status_code == 302
    assert answer["Location"] == reverse("networks:detail", args=[world.network.pk])
    world.network.refresh_from_db()
    assert world.network.area == SMALLER
    assert world.network.min_lon == pytest.approx(3.262)
    assert AuditEvent.objects.filter(
        actor=world.zone_staff, object_id=str(world.network.pk), detail__do="change_area"
    ).exists()
    told = set(Notice.objects.filter(subject__contains="area").values_list("person", flat=True))
    assert told == {world.coordinator.pk, world.officer.pk}


def test_the_audit_entry_keeps_the_previous_area_to_put_it_back(world):
    before = world.network.area

    areas.change_area(world.network, world.zone_staff, SMALLER)

    entry = AuditEvent.objects.get(detail__do="change_area", object_id=str(world.network.pk))
    assert entry.detail["previous_area"] == before


def test_going_back_to_the_drawing_keeps_the_new_area(client, world):
    log_in(client, world.zone_staff)
    answer = post(client, world.network, SMALLER, "edit")
    assert answer.status_code == 200 and not answer.context["confirming"]
    assert json.loads(answer.context["form"]["area"].value()) == SMALLER


def test_a_polygon_that_crosses_itself_is_refused_next_to_the_map(client, world):
    log_in(client, world.zone_staff)
    answer = post(client, world.network, CROSSING, "check")
    assert answer.status_code == 400
    assert "The polygon crosses itself" in answer.content.decode()
    assert post(client, world.network, CROSSING, "save", confirm="on").status_code == 400
    world.network.refresh_from_db()
    assert world.network.area == square(3.26, 50.82)


def test_an_area_outside_the_zone_is_refused(client, world):
    world.municipality.area = square(3.25, 50.81, 0.05)
    world.municipality.save()
    log_in(client, world.zone_staff)
    answer = post(client, world.network, square(3.40, 50.82), "save", confirm="on")
    assert answer.status_code == 400
    assert "outside the police zone" in answer.content.decode()
    world.network.refresh_from_db()
    assert world.network.area == square(3.26, 50.82)


def test_without_a_zone_outline_the_zone_is_not_checked(client, world):
    log_in(client, world.zone_staff)
    answer = post(client, world.network, square(3.40, 50.82), "save", confirm="on")
    assert answer.status_code == 302


def test_an_overlap_with_another_bin_is_warned_before_saving(client, world):
    log_in(client, world.zone_staff)
    answer = post(client, world.network, INTO_THEIRS, "check")
    assert answer.status_code == 200
    assert [n.name for n in answer.context["overlaps"]] == ["BIN Theirs"]
    assert "The new area overlaps these BINs" in answer.content.decode()


def test_the_service_refuses_whoever_is_not_zone_staff(world):
    with pytest.raises(PermissionDenied):
        areas.change_area(world.network, world.officer, SMALLER)
    world.network.refresh_from_db()
    assert world.network.area == square(3.26, 50.82)


# --- The founding request ---------------------------------------------------------------------


def request_data(world, area) -> dict:
    return {
        "name": "BIN Molenwijk",
        "municipality_id": world.municipality.pk,
        "kind": "residents",
        "motivation": "Break-ins in our street.",
        "area": json.dumps(area),
    }


def test_the_request_form_draws_among_the_public_bins_around_the_home(client, world):
    NetworkFactory(name="BIN Hidden", municipality=world.municipality, area=square(3.24, 50.80))
    Network.objects.filter(name="BIN Hidden").update(area_public=False)
    log_in(client, PersonFactory(at=(3.285, 50.83)))
    answer = client.get(reverse("governance:request"))
    page = answer.content.decode()
    assert 'data-mode="draw"' in page and 'data-field="id_area"' in page
    data = answer.context["map_data"]
    assert {f["properties"]["name"] for f in data["areas"]["features"]} == {
        "BIN Ours",
        "BIN Theirs",
    }
    assert [p["label"] for p in data["points"]] == ["Your home"]


def test_the_request_map_opens_on_the_neighbourhood_around_the_home(client, world):
    log_in(client, PersonFactory(at=(3.285, 50.83)))
    (south, west), (north, east) = client.get(reverse("governance:request")).context["map_data"][
        "fit"
    ]
    assert south < 50.83 < north and west < 3.285 < east
    assert (north - south) * 111_320 == pytest.approx(1400, rel=0.05)


def test_the_zone_staff_draw_among_every_bin_of_their_zone(client, world):
    NetworkFactory(name="BIN Hidden", municipality=world.municipality, area=square(3.24, 50.80))
    Network.objects.filter(name="BIN Hidden").update(area_public=False)
    log_in(client, world.zone_staff)
    data = client.get(reverse("governance:request")).context["map_data"]
    assert {f["properties"]["name"] for f in data["areas"]["features"]} == {
        "BIN Ours",
        "BIN Theirs",
        "BIN Hidden",
    }


def test_a_proposed_area_overlapping_a_bin_is_sent_with_a_warning(client, world):
    log_in(client, PersonFactory(at=(3.275, 50.835)))
    answer = client.post(
        reverse("governance:request"), request_data(world, square(3.27, 50.83)), follow=True
    )
    assert Network.objects.get(name="BIN Molenwijk").status == NetworkStatus.PROPOSED
    assert "The proposed area overlaps BIN Ours" in answer.content.decode()


def test_a_proposed_area_outside_the_zone_is_refused(client, world):
    world.municipality.area = square(3.25, 50.81, 0.05)
    world.municipality.save()
    log_in(client, PersonFactory(at=(3.405, 50.825)))
    answer = client.post(reverse("governance:request"), request_data(world, square(3.40, 50.82)))
    assert answer.status_code == 400
    assert "outside the police zone" in answer.content.decode()
    assert not Network.objects.filter(name="BIN Molenwijk").exists()
