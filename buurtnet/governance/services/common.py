"""What the sections of governance share: who holds a function in a BIN, telling people,
links, and storing the documents and invitations."""

from datetime import date, datetime, time

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.common.private_files import storing
from buurtnet.delivery import notices
from buurtnet.delivery.services import notify_person
from buurtnet.networks.models import MembershipStatus, Network, NetworkStatus, Role
from buurtnet.people.models import Person

LANGUAGES = ("nl", "fr", "en")


# Statuses in which a BIN lives: founded or being founded, not proposed or ended.
LIVING = (NetworkStatus.FOUNDING, NetworkStatus.ACTIVE, NetworkStatus.DORMANT)


def _people(network: Network, *roles: str) -> list[Person]:
    return list(
        Person.objects.filter(
            memberships__network=network,
            memberships__status=MembershipStatus.APPROVED,
            memberships__role__in=roles,
            is_active=True,
        ).distinct()
    )


def officers_of(network: Network) -> list[Person]:
    return _people(network, Role.OFFICER)


def coordinators_of(network: Network) -> list[Person]:
    return _people(network, Role.COORDINATOR)


def _zone_staff(network: Network) -> list[Person]:
    return list(
        Person.objects.filter(
            zone_staff__zone_id=network.municipality.zone_id, is_active=True
        ).distinct()
    )


def _invitees(network: Network) -> list[Person]:
    return list(
        Person.objects.filter(
            memberships__network=network,
            memberships__status=MembershipStatus.APPROVED,
            is_active=True,
        ).distinct()
    )


# Governance's notices wait for the morning, except those where someone waits for the
# person (a request to decide, an agreement to sign) or a deadline has passed.
NOTICE_KINDS = {
    "action_overdue": notices.OVERDUE,
    "agreement_to_sign": notices.APPROVAL,
    "consultation_overdue": notices.OVERDUE,
    "founding_requested": notices.APPROVAL,
    "role_change_review": notices.APPROVAL,
}


def _notify(people, template: str, context: dict) -> None:
    kind = NOTICE_KINDS.get(template, notices.GOVERNANCE)
    for person in {p.pk: p for p in people}.values():
        notify_person(person, f"governance/email/{template}", context, kind=kind)


def _url(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _store(field: FieldFile, name: str, content: bytes) -> None:
    """Write a file of the private storage and save its model (a page error when the storage
    does not answer: nothing is saved)."""
    message = _(
        "The file could not be stored just now, so nothing was saved. Try again in a few minutes."
    )
    with storing(name, message):
        field.save(name, ContentFile(content), save=True)
