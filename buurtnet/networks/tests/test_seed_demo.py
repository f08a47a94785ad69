"""The demo seed: a plausible zone whose data obey the same rules as real data."""

import itertools
import math
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from shapely.geometry import LineString, Point, shape

from buurtnet.absences.models import Absence
from buurtnet.core.management.commands.demo_logins import current_code
from buurtnet.core.management.commands.seed_demo import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    MAX_BIN_CORNERS,
    MEMBER_EMAIL,
    NAMED_LOGINS,
    NETWORKS,
    OFFICER_EMAIL,
    ZONE_CODE,
)
from buurtnet.messaging.models import Message
from buurtnet.networks import geo
from buurtnet.networks.models import (
    Membership,
    MembershipChange,
    MembershipStatus,
    Municipality,
    MunicipalPartner,
    Network,
    NetworkStatusChange,
    PoliceZone,
    Role,
    Street,
    ZoneStaff,
)
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person
from buurtnet.people.phones import normalize_phone
from buurtnet.prevention.models import Tip
from buurtnet.reports.models import Report

MEMBERS = 300
pytestmark = pytest.mark.django_db


def seed(members: int = MEMBERS) -> str:
    out = StringIO()
    call_command("seed_demo", members=members, stdout=out)
    return out.getvalue()


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back at its end; each
    test runs in a savepoint within it. The seed hashes the demo password and the tests
    check it, so a fast hasher keeps this quick."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        output = seed()
        assert f"Seeded {MEMBERS} members in" in output
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db, settings) -> PoliceZone:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return PoliceZone.objects.get(code=ZONE_CODE)


def test_zone_municipalities_and_networks(seeded):
    municipalities = Municipality.objects.filter(zone=seeded)
    assert sorted(municipalities.values_list("nis_code", flat=True)) == ["34022", "34023", "34025"]
    networks = list(Network.objects.filter(municipality__zone=seeded))
    assert len(networks) == 30
    assert {n.status for n in networks} == {"active", "founding", "dormant", "proposed"}
    assert {n.kind for n in networks} >= {"residents", "self_employed", "farmers", "schools"}
    for network in networks:
        geo.validate_area(network.area)
        assert network.charter and "112" in network.charter
        assert (network.agreement_signed_on is not None) == (
            network.status in ("active", "dormant")
        )
        assert NetworkStatusChange.objects.filter(network=network, status=network.status).exists()
    for a, b in itertools.combinations(networks, 2):
        assert not geo.overlaps(a.area, b.area), (a.name, b.name)


def test_municipalities_have_outlines_that_do_not_overlap(seeded):
    municipalities = list(Municipality.objects.filter(zone=seeded))
    for municipality in municipalities:
        geo.validate_area(municipality.area)
        assert 10 <= len(municipality.area["coordinates"][0]) - 1 <= 25, municipality
    for a, b in itertools.combinations(municipalities, 2):
        assert not geo.overlaps(a.area, b.area), (a.name, b.name)


def test_every_bin_lies_in_its_municipality_with_room_to_spare(seeded):
    for network in Network.objects.filter(municipality__zone=seeded).select_related("municipality"):
        assert shape(network.municipality.area).covers(shape(network.area)), network.name
        assert len(network.area["coordinates"][0]) - 1 <= MAX_BIN_CORNERS, network.name
        for lon, lat in network.area["coordinates"][0]:
            assert (round(lon, 6), round(lat, 6)) == (lon, lat)


def test_bins_sit_on_the_real_places_their_names_refer_to(seeded):
    """Each BIN's area holds the real centre of its place (its seed), e.g. Heule's church."""
    for municipality, places in NETWORKS.items():
        for place in places:
            network = Network.objects.get(municipality__name=municipality, name=place.name)
            assert network.contains(*place.seed), place.name
    first = Network.objects.filter(municipality__zone=seeded).order_by("pk").first()
    assert first.name == NETWORKS["Kortrijk"][0].name


def test_streets_lie_in_their_network_and_are_unique_per_postcode(seeded):
    networks = list(Network.objects.filter(municipality__zone=seeded))
    streets = list(Street.objects.filter(municipality__zone=seeded))
    assert len(streets) >= 30 * 6
    assert len({(s.postcode, s.name.lower()) for s in streets}) == len(streets)
    shapes = [shape(n.area) for n in networks]
    for street in streets:
        segment = LineString(
            [(street.start_lon, street.start_lat), (street.end_lon, street.end_lat)]
        )
        assert sum(area.covers(segment) for area in shapes) == 1, street
        for number in (1, street.highest_number // 2, street.highest_number):
            point = Point(*street.locate(number))
            assert sum(area.covers(point) for area in shapes) == 1, street


def test_streets_are_short_stretches_with_the_right_postcodes(seeded):
    streets = list(Street.objects.filter(municipality__zone=seeded).select_related("municipality"))
    postcodes = {
        "Kortrijk": {"8500", "8501", "8510", "8511"},
        "Kuurne": {"8520"},
        "Lendelede": {"8860"},
    }
    for street in streets:
        assert street.postcode in postcodes[street.municipality.name], street
        kx, ky = geo.metres_per_degree(street.start_lat)
        length = math.hypot(
            (street.end_lon - street.start_lon) * kx, (street.end_lat - street.start_lat) * ky
        )
        assert 95 <= length <= 305, (street, length)
    heule = {s.name for s in streets if s.postcode == "8501"}
    assert {"Heulsekasteelstraat", "Watermolenwal", "Bissegemplaats"} <= heule
    centre = {s.name for s in streets if s.postcode == "8500"}
    assert {"Grote Markt", "Lange Steenstraat", "Doorniksestraat", "Budastraat"} <= centre


def test_every_member_lives_in_the_area_of_their_network(seeded):
    memberships = Membership.objects.filter(network__municipality__zone=seeded).exclude(
        role=Role.OFFICER
    )
    members = memberships.filter(role=Role.MEMBER).exclude(
        person__email__endswith="@demo.buurtnet.be"
    )
    assert members.count() == MEMBERS
    statuses = set(members.values_list("status", flat=True))
    assert {MembershipStatus.APPROVED, MembershipStatus.APPLIED} <= statuses
    for membership in memberships.select_related("person", "network"):
        person = membership.person
        assert person.has_point, person
        assert membership.network.contains(person.longitude, person.latitude), person
        if membership.status != MembershipStatus.APPLIED:
            assert membership.decided_at and membership.decided_by_id
    assert MembershipChange.objects.count() >= Membership.objects.count()


def test_people_have_valid_verified_phones_and_unusable_passwords(seeded):
    people = list(Person.objects.all())
    assert len(people) > MEMBERS
    assert len({p.phone for p in people}) == len(people)
    named = {email for email, *_ in NAMED_LOGINS}
    for person in people:
        assert normalize_phone(person.phone) == person.phone
        assert person.phone.startswith("+324")
        assert person.phone_verified
        assert person.full_name
        if person.email not in named:
            assert not person.has_usable_password()
    assert {p.language for p in people} == {"nl", "fr", "en"}


def test_named_logins(seeded):
    people = Person.objects.in_bulk([email for email, *_ in NAMED_LOGINS], field_name="email")
    assert len(people) == len(NAMED_LOGINS)
    first = Network.objects.filter(municipality__zone=seeded).order_by("pk").first()
    for email, _name, _role, needs_totp in NAMED_LOGINS:
        person = people[email]
        assert person.check_password(DEMO_PASSWORD)
        assert person.full_name and person.phone_verified
        assert first.contains(person.longitude, person.latitude)
        assert EmailAddress.objects.filter(
            user=person, email=email, verified=True, primary=True
        ).exists()
        has_totp = Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
        assert has_totp == needs_totp, email
        assert Standing.of(person).is_police_or_staff == needs_totp, email
    assert people[ADMIN_EMAIL].is_superuser and people[ADMIN_EMAIL].is_staff
    assert ZoneStaff.objects.filter(person=people["zone@demo.buurtnet.be"], zone=seeded).exists()
    assert MunicipalPartner.objects.filter(
        person=people["municipal@demo.buurtnet.be"], municipality__name="Kortrijk"
    ).exists()
    officer = Standing.of(people[OFFICER_EMAIL])
    assert 3 <= len(officer.network_roles) <= 4
    assert first.pk in officer.network_roles
    assert Standing.of(people[COORDINATOR_EMAIL]).role_in(first) == Role.COORDINATOR
    assert Standing.of(people[MEMBER_EMAIL]).role_in(first) == Role.MEMBER
    assert first.memberships.filter(status=MembershipStatus.APPLIED).count() >= 3


def test_every_network_has_a_coordinator_steering_group_and_officer(seeded):
    for network in Network.objects.filter(municipality__zone=seeded):
        roles = list(
            network.memberships.filter(status=MembershipStatus.APPROVED).values_list(
                "role", flat=True
            )
        )
        assert roles.count(Role.COORDINATOR) == 1
        assert 1 <= roles.count(Role.STEERING) <= 3
        assert roles.count(Role.OFFICER) == 1


def test_totp_code_matches_allauth(seeded):
    officer = Person.objects.get(email=OFFICER_EMAIL)
    totp = Authenticator.objects.get(user=officer, type=Authenticator.Type.TOTP).wrap()
    code, valid_for = current_code(DEMO_TOTP_SECRET)
    assert 0 < valid_for <= 30
    assert totp.validate_code(code)


def test_second_run_adds_nothing(seeded):
    counts = (Person.objects.count(), Membership.objects.count(), Network.objects.count())
    output = seed()
    assert "already exists" in output
    assert (Person.objects.count(), Membership.objects.count(), Network.objects.count()) == counts


@pytest.mark.django_db
def test_seed_is_deterministic(seeded):
    def wipe():
        Report.objects.all().delete()
        Tip.objects.all().delete()
        Absence.objects.all().delete()
        Message.objects.all().delete()
        Membership.objects.all().delete()
        Street.objects.all().delete()
        Network.objects.all().delete()
        Municipality.objects.all().delete()
        PoliceZone.objects.all().delete()
        Person.objects.all().delete()

    def snapshot():
        return (
            list(Person.objects.order_by("pk").values_list("full_name", "street", "phone")),
            list(Person.objects.order_by("pk").values_list("longitude", "latitude")),
            list(Municipality.objects.order_by("pk").values_list("name", "area")),
            list(Network.objects.order_by("pk").values_list("name", "area")),
            list(
                Street.objects.order_by("pk").values_list(
                    "name", "postcode", "start_lon", "start_lat", "end_lon", "end_lat"
                )
            ),
        )

    wipe()
    seed(members=20)
    first = snapshot()
    wipe()
    seed(members=20)
    assert snapshot() == first
