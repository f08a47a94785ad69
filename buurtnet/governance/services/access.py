"""Who may do what in a BIN's governance. Every answer is about one network and comes from
the person's `Standing` there (networks.permissions, the one place that knows who is officer
or zone staff of a BIN), never from a global role. These are governance's words for it."""

from django.core.exceptions import PermissionDenied

from buurtnet.networks.models import Network
from buurtnet.networks.permissions import Action, Standing
from buurtnet.people.models import Person


def is_officer(person: Person, network: Network) -> bool:
    return Standing.of(person).is_officer(network)


def is_coordinator(person: Person, network: Network) -> bool:
    return Standing.of(person).is_coordinator(network)


def can_act_as_zone_staff(person: Person, network: Network) -> bool:
    """May act as the staff of the BIN's zone: they, or a superuser (what one may do here,
    not the post held: that is `Standing.is_zone_staff`)."""
    return Standing.of(person).can_act_as_zone_staff(network)


def is_municipal_partner(person: Person, network: Network) -> bool:
    return Standing.of(person).is_municipal_partner(network)


def can_oversee(person: Person, network: Network) -> bool:
    """The BIN's officer and its zone's staff: overview, founding steps, screening."""
    return Standing.of(person).can_oversee(network)


def can_run_meetings(person: Person, network: Network) -> bool:
    return is_coordinator(person, network) or is_officer(person, network)


def can_see_meetings(person: Person, network: Network) -> bool:
    return Standing.of(person).can(Action.VIEW_NETWORK, network)


def can_see_consultations(person: Person, network: Network) -> bool:
    return can_oversee(person, network) or is_coordinator(person, network)


def can_see_cases(person: Person, network: Network) -> bool:
    """A coordinator's case is for the police and the administrative authority only."""
    return can_oversee(person, network) or is_municipal_partner(person, network)


def can_see_agreement(person: Person, network: Network) -> bool:
    return (
        can_oversee(person, network)
        or is_coordinator(person, network)
        or is_municipal_partner(person, network)
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
