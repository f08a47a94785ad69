from django.conf import settings

from buurtnet.networks.models import Network
from buurtnet.people.models import Person

from .models import Consent, ConsentKind


def record_join_consents(person: Person, network: Network) -> list[Consent]:
    """Store the person's consent to the current privacy notice and the network's charter."""
    return Consent.objects.bulk_create(
        [
            Consent(
                person=person,
                kind=ConsentKind.PRIVACY_NOTICE,
                version=settings.PRIVACY_NOTICE_VERSION,
            ),
            Consent(
                person=person,
                kind=ConsentKind.CHARTER,
                version=str(network.charter_version),
                network=network,
            ),
        ]
    )
