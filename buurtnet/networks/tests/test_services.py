import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from buurtnet.delivery.models import OutboxMessage
from buurtnet.networks import services
from buurtnet.networks.models import Membership, MembershipChange, MembershipStatus
from buurtnet.networks.tests.factories import NetworkFactory, StreetFactory, square
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.privacy.models import Consent

pytestmark = pytest.mark.django_db


def applicant(at=(3.265, 50.825), **kwargs):
    return PersonFactory(at=at, **kwargs)


def test_networks_covering_finds_only_areas_containing_the_point(world):
    found = services.networks_covering(3.265, 50.825)
    assert found == [world.network]


def test_networks_covering_ignores_dissolved_networks(world):
    world.network.status = "dissolved"
    world.network.save()
    assert services.networks_covering(3.265, 50.825) == []


def test_geocode_interpolates_house_number_along_the_street():
    StreetFactory(name="Kerkstraat", postcode="8500")
    lon, lat = services.geocode("kerkstraat", "50", "8500")
    assert lon == pytest.approx(3.270)
    assert lat == pytest.approx(50.830)


def test_geocode_unknown_street_is_none():
    assert services.geocode("Nergensstraat", "1", "8500") is None


@pytest.mark.parametrize("text", ["Kerkstraat 50", "50 Kerkstraat", "kerkstraat 50b, Kortrijk"])
def test_find_address_reads_street_and_number_in_either_order(text):
    StreetFactory(name="Kerkstraat", postcode="8500")

    assert services.find_address(text, ["8520", "8500"]) == pytest.approx((3.270, 50.830))


def test_find_address_tries_only_the_postcode_in_the_text():
    StreetFactory(name="Kerkstraat", postcode="8500")

    assert services.find_address("Kerkstraat 50, 8520 Kuurne", ["8500"]) is None


def test_apply_creates_pending_membership_with_consents(world):
    person = applicant()
    membership = services.apply(person, world.network, consented=True, motivation=" Hi ")
    assert membership.status == MembershipStatus.APPLIED
    assert membership.motivation == "Hi"
    kinds = set(Consent.objects.filter(person=person).values_list("kind", "version"))
    assert kinds == {("privacy_notice", "2026-11"), ("charter", "1")}


def test_second_application_to_same_network_is_refused(world):
    person = applicant()
    services.apply(person, world.network, consented=True)
    with pytest.raises(ValidationError) as info:
        services.apply(person, world.network, consented=True)
    assert info.value.code == "duplicate"
    assert Membership.objects.filter(person=person).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "consented", "code"),
    [
        ({"at": (3.5, 50.9)}, True, "outside_area"),
        ({"at": None}, True, "outside_area"),
        ({"phone_verified_at": None}, True, "phone_unverified"),
        ({}, False, "no_consent"),
    ],
    ids=["outside", "no-address", "phone-unverified", "no-consent"],
)
def test_apply_refuses_and_changes_nothing(world, kwargs, consented, code):
    person = PersonFactory(**({"at": (3.265, 50.825)} | kwargs))
    with pytest.raises(ValidationError) as info:
        services.apply(person, world.network, consented=consented)
    assert info.value.code == code
    assert not Membership.objects.filter(person=person).exists()
    assert not Consent.objects.filter(person=person).exists()


def test_apply_to_proposed_network_is_refused(world):
    network = NetworkFactory(status="proposed", area=square(3.26, 50.82))
    with pytest.raises(ValidationError):
        services.apply(applicant(), network, consented=True)


def test_coordinator_approval_tells_the_applicant(world, django_capture_on_commit_callbacks):
    membership = services.apply(applicant(email="new@example.be"), world.network, consented=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(membership, world.coordinator, approve=True)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.APPROVED
    assert membership.decided_by == world.coordinator
    mail = OutboxMessage.objects.get(recipient="new@example.be")
    assert "Welcome to BIN Ours" in mail.subject


def test_decline_needs_a_reason_and_tells_it(world, django_capture_on_commit_callbacks):
    membership = services.apply(applicant(email="new@example.be"), world.network, consented=True)
    with pytest.raises(ValidationError):
        services.decide(membership, world.coordinator, approve=False, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(membership, world.coordinator, approve=False, reason="Not in our street")
    assert "Not in our street" in OutboxMessage.objects.get(recipient="new@example.be").body


def test_decision_message_uses_the_applicants_language(world, django_capture_on_commit_callbacks):
    person = applicant(email="nl@example.be", language="nl")
    membership = services.apply(person, world.network, consented=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(membership, world.coordinator, approve=True)
    assert OutboxMessage.objects.get(recipient="nl@example.be").subject.startswith("Welkom")


def test_applicant_who_chose_sms_is_also_texted(world, django_capture_on_commit_callbacks):
    person = applicant(channels=["email", "sms"])
    membership = services.apply(person, world.network, consented=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(membership, world.coordinator, approve=True)
    assert OutboxMessage.objects.filter(channel="sms", recipient=person.phone).exists()


@pytest.mark.parametrize("role", ["member", "steering", "officer", "zone_staff", "outsider"])
def test_only_the_coordinator_decides(world, role):
    membership = services.apply(applicant(), world.network, consented=True)
    with pytest.raises(PermissionDenied):
        services.decide(membership, getattr(world, role), approve=True)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.APPLIED


def test_coordinator_of_another_network_cannot_decide(world):
    membership = services.apply(applicant(), world.network, consented=True)
    with pytest.raises(PermissionDenied):
        services.decide(membership, world.their_coordinator, approve=True)


def test_application_cannot_be_decided_twice(world):
    membership = services.apply(applicant(), world.network, consented=True)
    services.decide(membership, world.coordinator, approve=True)
    with pytest.raises(ValidationError):
        services.decide(membership, world.coordinator, approve=False, reason="changed my mind")


def test_member_pauses_resumes_and_leaves_with_history(world):
    membership = world.member.memberships.get()
    services.pause(membership, world.member)
    services.resume(membership, world.member)
    services.leave(membership, world.member)
    assert list(
        MembershipChange.objects.filter(membership=membership).values_list(
            "from_status", "to_status"
        )
    ) == [("approved", "paused"), ("paused", "approved"), ("approved", "left")]


def test_nobody_pauses_someone_elses_membership(world):
    with pytest.raises(PermissionDenied):
        services.pause(world.member.memberships.get(), world.coordinator)


def test_resume_without_pause_is_refused(world):
    with pytest.raises(ValidationError):
        services.resume(world.member.memberships.get(), world.member)


def test_member_list_search_is_by_name(world):
    names = [m.person.full_name for m in services.member_list(world.network, search="coord")]
    assert names == ["Our coordinator"]


def test_network_status_change_is_recorded(world):
    services.change_network_status(world.network, "dormant", world.officer, note="no coordinator")
    change = world.network.status_changes.last()
    assert (change.status, change.changed_by, change.note) == (
        "dormant",
        world.officer,
        "no coordinator",
    )


def test_network_status_change_refuses_a_move_the_bin_cannot_make(world):
    world.network.status = "dissolved"
    world.network.save(update_fields=["status"])
    with pytest.raises(ValidationError) as refused:
        services.change_network_status(world.network, "active", world.officer)
    assert refused.value.code == "illegal_move"
    world.network.refresh_from_db()
    assert world.network.status == "dissolved"
    assert not world.network.status_changes.filter(status="active").exists()


def test_the_admin_shows_a_bins_status_but_does_not_change_it(world, client):
    from django.urls import reverse

    from buurtnet.networks.tests.test_views import log_in

    log_in(client, PersonFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:networks_network_change", args=[world.network.pk]))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()


def test_coordinator_cannot_change_network_status(world):
    with pytest.raises(PermissionDenied):
        services.change_network_status(world.network, "dormant", world.coordinator)


def test_create_network_refuses_malformed_polygon_and_saves_nothing(world):
    from buurtnet.networks.models import Network

    before = Network.objects.count()
    with pytest.raises(ValidationError):
        services.create_network(
            name="Bad",
            municipality=world.municipality,
            kind="residents",
            area={"type": "Polygon", "coordinates": [[[3.2, 50.8], [3.3, 50.8], [3.2, 50.8]]]},
        )
    assert Network.objects.count() == before
