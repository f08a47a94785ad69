import pytest
from django.urls import reverse

from buurtnet.networks.middleware import SESSION_KEY
from buurtnet.networks.models import Membership, MembershipStatus, NetworkStatus
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def log_in(client, person):
    """Log in; staff count as having passed their second factor."""
    client.force_login(person)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client


@pytest.fixture
def application(world):
    return MembershipFactory(
        network=world.network,
        person=PersonFactory(full_name="Ann Applicant", at=(3.265, 50.825), street="Molenstraat"),
        status=MembershipStatus.APPLIED,
        decided_at=None,
    )


def decide_url(world, membership):
    return reverse("networks:decide", args=[world.network.pk, membership.pk])


def test_coordinator_sees_pending_applications(client, world, application):
    response = log_in(client, world.coordinator).get(
        reverse("networks:applications", args=[world.network.pk])
    )
    assert response.status_code == 200
    assert "Ann Applicant" in response.text
    assert "Molenstraat" in response.text


def test_coordinator_approves_application(client, world, application):
    response = log_in(client, world.coordinator).post(
        decide_url(world, application), {"decision": "approve"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == MembershipStatus.APPROVED


def test_decline_without_reason_shows_error_and_changes_nothing(client, world, application):
    response = log_in(client, world.coordinator).post(
        decide_url(world, application), {"decision": "decline", "reason": ""}
    )
    assert response.status_code == 400
    assert "Give a reason" in response.text
    application.refresh_from_db()
    assert application.status == MembershipStatus.APPLIED


@pytest.mark.parametrize("role", ["member", "steering", "officer", "zone_staff", "municipal"])
def test_approval_by_someone_not_the_coordinator_is_403(client, world, application, role):
    response = log_in(client, getattr(world, role)).post(
        decide_url(world, application), {"decision": "approve"}
    )
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == MembershipStatus.APPLIED


def test_other_coordinator_gets_403_even_for_unknown_application(client, world):
    response = log_in(client, world.their_coordinator).post(
        reverse("networks:decide", args=[world.network.pk, 999999]), {"decision": "approve"}
    )
    assert response.status_code == 403


def test_coordinator_cannot_see_other_network_members(client, world):
    response = log_in(client, world.coordinator).get(
        reverse("networks:members", args=[world.other_network.pk])
    )
    assert response.status_code == 403


def test_member_cannot_see_member_list(client, world):
    response = log_in(client, world.member).get(
        reverse("networks:members", args=[world.network.pk])
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "steering"])
def test_member_list_never_shows_phone_or_address_to_citizens(client, world, role):
    member = world.member
    response = log_in(client, getattr(world, role)).get(
        reverse("networks:members", args=[world.network.pk])
    )
    assert member.full_name in response.text
    assert member.phone not in response.text
    assert member.email not in response.text
    assert f"{member.street} {member.house_number}" not in response.text


def test_officer_sees_member_contact_details(client, world):
    response = log_in(client, world.officer).get(
        reverse("networks:members", args=[world.network.pk])
    )
    assert world.member.phone in response.text


def test_member_network_page_shows_no_other_members_contact(client, world):
    response = log_in(client, world.member).get(reverse("networks:detail", args=[world.network.pk]))
    assert response.status_code == 200
    for person in (world.coordinator, world.steering, world.officer):
        assert person.phone not in response.text
        assert person.email not in response.text


def test_member_list_is_paginated_and_searchable(client, world):
    for i in range(60):
        MembershipFactory(network=world.network, person=PersonFactory(full_name=f"Zed {i:02d}"))
    client = log_in(client, world.coordinator)
    url = reverse("networks:members", args=[world.network.pk])
    first = client.get(url)
    assert "64 members" in first.text
    assert "Page 1 of 2" in first.text
    found = client.get(url, {"q": "zed 07"})
    assert "1 member" in found.text
    assert "Zed 07" in found.text


def test_member_pauses_and_leaves_from_home(client, world):
    membership = world.member.memberships.get()
    client = log_in(client, world.member)
    client.post(reverse("networks:membership_action", args=[membership.pk, "pause"]))
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PAUSED
    client.post(reverse("networks:membership_action", args=[membership.pk, "leave"]))
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.LEFT


def test_nobody_leaves_on_behalf_of_another(client, world):
    membership = world.member.memberships.get()
    response = log_in(client, world.coordinator).post(
        reverse("networks:membership_action", args=[membership.pk, "leave"])
    )
    assert response.status_code == 404  # as for a membership that does not exist
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.APPROVED


def test_zone_staff_sees_all_bins_of_the_zone_on_the_map(client, world):
    response = log_in(client, world.zone_staff).get(
        reverse("networks:zone_map", args=[world.zone.code])
    )
    assert response.status_code == 200
    assert "BIN Ours" in response.text and "BIN Theirs" in response.text
    assert "BIN Far" not in response.text
    names = [f["properties"]["name"] for f in response.context["map_data"]["areas"]["features"]]
    assert sorted(names) == ["BIN Ours", "BIN Theirs"]


def test_zone_map_areas_link_to_their_bins_and_carry_labels(client, world):
    response = log_in(client, world.zone_staff).get(
        reverse("networks:zone_map", args=[world.zone.code])
    )
    data = response.context["map_data"]
    urls = {f["properties"]["name"]: f["properties"]["url"] for f in data["areas"]["features"]}
    assert urls["BIN Ours"] == reverse("networks:detail", args=[world.network.pk])
    assert data["labels"] is True


def test_zone_map_filters_by_municipality(client, world):
    response = log_in(client, world.zone_staff).get(
        reverse("networks:zone_map", args=[world.zone.code]),
        {"municipality": world.other_municipality.pk},
    )
    names = [f["properties"]["name"] for f in response.context["map_data"]["areas"]["features"]]
    assert names == ["BIN Theirs"]
    assert [n.name for n in response.context["networks"]] == ["BIN Theirs"]


def test_zone_map_filters_by_status(client, world):
    world.other_network.status = NetworkStatus.FOUNDING
    world.other_network.save()
    response = log_in(client, world.zone_staff).get(
        reverse("networks:zone_map", args=[world.zone.code]), {"status": "founding"}
    )
    names = [f["properties"]["name"] for f in response.context["map_data"]["areas"]["features"]]
    assert names == ["BIN Theirs"]
    assert "BIN Ours" not in response.text


def test_zone_map_filter_of_another_zone_is_refused_next_to_the_field(client, world):
    response = log_in(client, world.zone_staff).get(
        reverse("networks:zone_map", args=[world.zone.code]),
        {"municipality": world.far_municipality.pk},
    )
    assert response.status_code == 200
    assert response.context["filters"].errors["municipality"]
    assert "BIN Ours" in response.text and "BIN Far" not in response.text


def test_zone_map_legend_names_the_statuses_in_words(client, world):
    response = log_in(client, world.zone_staff).get(
        reverse("networks:zone_map", args=[world.zone.code])
    )
    assert "Founding" in response.text and "Dormant" in response.text


def test_zone_staff_get_a_link_to_edit_the_area_on_the_bin_page(client, world):
    response = log_in(client, world.zone_staff).get(
        reverse("networks:detail", args=[world.network.pk])
    )
    assert "Edit the area on the map" in response.text
    assert reverse("governance:network_area", args=[world.network.pk]) in response.text


@pytest.mark.parametrize("role", ["member", "coordinator", "officer", "municipal"])
def test_others_get_no_link_to_edit_the_area(client, world, role):
    response = log_in(client, getattr(world, role)).get(
        reverse("networks:detail", args=[world.network.pk])
    )
    assert response.status_code == 200
    assert "Edit the area on the map" not in response.text


def test_bin_page_shows_its_own_area(client, world):
    response = log_in(client, world.member).get(reverse("networks:detail", args=[world.network.pk]))
    (feature,) = response.context["map_data"]["areas"]["features"]
    assert feature["properties"]["this"] is True
    assert feature["properties"]["name"] == "BIN Ours"


def test_zone_map_of_another_zone_is_403(client, world):
    response = log_in(client, world.zone_staff).get(
        reverse("networks:zone_map", args=[world.other_zone.code])
    )
    assert response.status_code == 403


def test_location_outside_every_bin_is_refused_and_saves_nothing(client, world):
    person = world.outsider
    response = log_in(client, person).post(
        reverse("networks:location"), {"longitude": "4.40", "latitude": "51.20"}
    )
    assert response.status_code == 200
    assert "No neighbourhood information network covers this address" in response.text
    person.refresh_from_db()
    assert person.longitude is None


def test_unknown_address_is_refused(client, world):
    response = log_in(client, world.outsider).post(
        reverse("networks:location"),
        {"street": "Nergensstraat", "house_number": "1", "postcode": "8500"},
    )
    assert "We could not find this address" in response.text


def test_location_lists_the_covering_bins(client, world):
    response = log_in(client, world.outsider).post(
        reverse("networks:location"), {"longitude": "3.265", "latitude": "50.825"}
    )
    assert "BIN Ours" in response.text
    assert "BIN Theirs" not in response.text


def test_found_point_can_be_corrected_keeping_the_address(client, world):
    response = log_in(client, world.outsider).post(
        reverse("networks:location"),
        {
            "street": "Kerkstraat",
            "house_number": "4",
            "postcode": "8500",
            "longitude": "3.265",
            "latitude": "50.825",
        },
    )
    correction = response.context["form"]
    assert correction.initial["street"] == "Kerkstraat"
    assert correction.initial["longitude"] == 3.265
    assert 'name="street" value="Kerkstraat"' in response.text


def test_joining_map_shows_only_public_areas(client, world):
    world.other_network.area_public = False
    world.other_network.save()
    response = log_in(client, world.outsider).get(reverse("networks:location"))
    names = [f["properties"]["name"] for f in response.context["map_data"]["areas"]["features"]]
    assert "BIN Ours" in names and "BIN Theirs" not in names


def test_found_point_map_names_a_bin_whose_area_is_not_public_without_drawing_it(client, world):
    world.network.area_public = False
    world.network.save()
    response = log_in(client, world.outsider).post(
        reverse("networks:location"), {"longitude": "3.265", "latitude": "50.825"}
    )
    assert "BIN Ours" in response.text
    assert response.context["map_data"]["areas"]["features"] == []
    (south, west), (north, east) = response.context["map_data"]["fit"]
    assert south < 50.825 < north and west < 3.265 < east


def test_second_application_through_the_site_is_refused(client, world):
    client = log_in(client, world.member)
    response = client.post(
        reverse("networks:apply", args=[world.network.pk]),
        {"accept_charter": "on", "accept_privacy": "on"},
    )
    assert "You already applied to or belong to this network" in response.text
    assert Membership.objects.filter(person=world.member).count() == 1


def test_application_without_consent_is_refused(client, world):
    person = PersonFactory(at=(3.265, 50.825))
    response = log_in(client, person).post(
        reverse("networks:apply", args=[world.network.pk]), {"accept_charter": "on"}
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(person=person).exists()


def test_join_sends_person_without_verified_phone_to_the_phone_step(client, world):
    person = PersonFactory(phone_verified_at=None)
    response = log_in(client, person).get(reverse("networks:join"))
    assert response["Location"].startswith(reverse("people:phone"))


# --- Query counts: every page costs a fixed number of queries, however many rows. -------

HOME_QUERIES = {
    # session, user, 3 for the standing (4 for zone staff: their municipalities),
    # memberships, + led networks and their counts (2) / zones / municipalities (1),
    # + open surveys for those who answer them (1)
    "member": 7,
    "coordinator": 9,
    "officer": 8,
    "zone_staff": 8,
    "municipal": 7,
}


@pytest.mark.parametrize("role", sorted(HOME_QUERIES))
def test_home_page_query_count_is_fixed(client, world, django_assert_num_queries, role):
    for _ in range(5):
        MembershipFactory(network=world.network)
    client = log_in(client, getattr(world, role))
    with django_assert_num_queries(HOME_QUERIES[role]):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("extra_members", [1, 40])
def test_member_list_query_count_does_not_grow(
    client, world, django_assert_num_queries, extra_members
):
    for _ in range(extra_members):
        MembershipFactory(network=world.network)
    client = log_in(client, world.coordinator)
    # session, user, 3 for the standing, network, count, page
    with django_assert_num_queries(8):
        client.get(reverse("networks:members", args=[world.network.pk]))


def test_applications_query_count(client, world, django_assert_num_queries):
    for _ in range(10):
        MembershipFactory(network=world.network, status=MembershipStatus.APPLIED)
    client = log_in(client, world.coordinator)
    with django_assert_num_queries(8):
        client.get(reverse("networks:applications", args=[world.network.pk]))


def test_zone_map_query_count(client, world, django_assert_num_queries):
    client = log_in(client, world.zone_staff)
    # session, user, 4 for the standing, zone, networks, their member counts, the
    # municipalities of the filter
    with django_assert_num_queries(10):
        client.get(reverse("networks:zone_map", args=[world.zone.code]))
