"""Shared fixtures: named people per access level (as healthcheck's hc/test.py does)."""

import pytest

from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import (
    MembershipFactory,
    MunicipalityFactory,
    MunicipalPartnerFactory,
    NetworkFactory,
    PoliceZoneFactory,
    ZoneStaffFactory,
    square,
)
from buurtnet.people.tests.factories import PersonFactory

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _immediate_tasks_and_english(settings):
    """Tasks run at once (after commit) unless a test asks for the real worker; UI in English."""
    settings.TASKS = IMMEDIATE_TASKS
    settings.LANGUAGE_CODE = "en"
    # The embedded default sink, not Django's test-time locmem backend.
    settings.EMAIL_BACKEND = "buurtnet.delivery.mail.OutboxEmailBackend"
    # PBKDF2 at production strength costs a second per person on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class World:
    """Two BINs in one zone (ours and theirs) and a third BIN in another zone, with a
    person for every access level on "ours"."""

    def __init__(self) -> None:
        self.zone = PoliceZoneFactory(name="PZ Ours", code="5401")
        self.other_zone = PoliceZoneFactory(name="PZ Elsewhere", code="5402")
        self.municipality = MunicipalityFactory(zone=self.zone, name="Ourtown", nis_code="34022")
        self.other_municipality = MunicipalityFactory(
            zone=self.zone, name="Theirtown", nis_code="34023"
        )
        self.far_municipality = MunicipalityFactory(
            zone=self.other_zone, name="Fartown", nis_code="44021"
        )
        self.network = NetworkFactory(
            name="BIN Ours", municipality=self.municipality, area=square(3.26, 50.82)
        )
        self.other_network = NetworkFactory(
            name="BIN Theirs", municipality=self.other_municipality, area=square(3.30, 50.82)
        )
        self.far_network = NetworkFactory(
            name="BIN Far", municipality=self.far_municipality, area=square(3.70, 51.05)
        )
        self.people = {}
        for role in (Role.MEMBER, Role.STEERING, Role.COORDINATOR, Role.OFFICER):
            person = PersonFactory(full_name=f"Our {role}", at=(3.265, 50.825))
            MembershipFactory(network=self.network, person=person, role=role)
            self.people[role] = person
        self.people["zone_staff"] = ZoneStaffFactory(zone=self.zone).person
        self.people["municipal"] = MunicipalPartnerFactory(municipality=self.municipality).person
        self.people["admin"] = PersonFactory(
            full_name="Platform Admin", is_staff=True, is_superuser=True
        )
        self.people["outsider"] = PersonFactory(full_name="Nobody Here")
        self.their_member = PersonFactory(full_name="Their Member", at=(3.305, 50.825))
        MembershipFactory(network=self.other_network, person=self.their_member)
        self.their_coordinator = PersonFactory(full_name="Their Coordinator", at=(3.305, 50.825))
        MembershipFactory(
            network=self.other_network, person=self.their_coordinator, role=Role.COORDINATOR
        )

    def __getattr__(self, name):
        try:
            return self.__dict__["people"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@pytest.fixture
def world(db) -> World:
    return World()
