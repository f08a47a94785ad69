import factory
from django.utils import timezone

from buurtnet.networks.models import (
    Membership,
    MembershipStatus,
    Municipality,
    MunicipalPartner,
    Network,
    NetworkStatus,
    PoliceZone,
    Role,
    Street,
    ZoneStaff,
)
from buurtnet.people.tests.factories import PersonFactory


def square(lon: float, lat: float, size: float = 0.02) -> dict:
    """A GeoJSON square with its south-west corner at (lon, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon, lat],
                [lon + size, lat],
                [lon + size, lat + size],
                [lon, lat + size],
                [lon, lat],
            ]
        ],
    }


class PoliceZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoliceZone

    name = factory.Sequence(lambda n: f"Politiezone {n}")
    code = factory.Sequence(lambda n: f"{5300 + n}")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Gemeente {n}")
    nis_code = factory.Sequence(lambda n: f"{30000 + n:05d}")
    zone = factory.SubFactory(PoliceZoneFactory)


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"BIN {n}")
    municipality = factory.SubFactory(MunicipalityFactory)
    area = factory.LazyFunction(lambda: square(3.26, 50.82))
    status = NetworkStatus.ACTIVE
    charter = "We share information with the police. Emergencies: call 112 or 101."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    network = factory.SubFactory(NetworkFactory)
    person = factory.SubFactory(PersonFactory)
    role = Role.MEMBER
    status = MembershipStatus.APPROVED
    decided_at = factory.LazyFunction(timezone.now)


class ZoneStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ZoneStaff

    zone = factory.SubFactory(PoliceZoneFactory)
    person = factory.SubFactory(PersonFactory, full_name="Zone Staff")


class MunicipalPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MunicipalPartner

    municipality = factory.SubFactory(MunicipalityFactory)
    person = factory.SubFactory(PersonFactory, full_name="Prevention Service")


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    municipality = factory.SubFactory(MunicipalityFactory)
    name = "Kerkstraat"
    postcode = "8500"
    start_lon, start_lat = 3.262, 50.822
    end_lon, end_lat = 3.278, 50.838
    highest_number = 100
