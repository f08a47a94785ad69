import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from buurtnet.networks.models import Membership, MembershipStatus, Network
from buurtnet.networks.tests.factories import MembershipFactory, NetworkFactory, square

pytestmark = pytest.mark.django_db


def test_network_keeps_bounding_box_of_its_area():
    network = NetworkFactory(area=square(3.26, 50.82, size=0.02))
    assert (network.min_lon, network.min_lat) == (3.26, 50.82)
    assert network.max_lon == pytest.approx(3.28)
    assert network.max_lat == pytest.approx(50.84)


def test_network_clean_refuses_malformed_area():
    network = NetworkFactory.build(area={"type": "Polygon", "coordinates": [[[3, 50], [4, 50]]]})
    with pytest.raises(ValidationError) as info:
        network.clean()
    assert "area" in info.value.message_dict


def test_database_refuses_second_open_membership_of_same_network():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError):
        Membership.objects.create(
            network=membership.network, person=membership.person, status=MembershipStatus.APPLIED
        )


def test_person_may_reapply_after_leaving():
    membership = MembershipFactory(status=MembershipStatus.LEFT)
    Membership.objects.create(network=membership.network, person=membership.person)
    assert membership.person.memberships.count() == 2


def test_person_may_hold_different_roles_in_different_networks():
    membership = MembershipFactory(role="coordinator")
    MembershipFactory(person=membership.person, role="member")
    assert set(membership.person.memberships.values_list("role", flat=True)) == {
        "coordinator",
        "member",
    }


def test_municipality_nis_code_must_have_five_digits():
    from buurtnet.networks.tests.factories import MunicipalityFactory

    with pytest.raises(IntegrityError):
        MunicipalityFactory(nis_code="12")


def test_network_str_is_its_name():
    assert str(Network(name="BIN Centrum")) == "BIN Centrum"
