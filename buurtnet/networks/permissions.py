"""Object-level permissions: what a person may do with one network.

A person's roles are not global: they are member here, coordinator there, officer of a
few BINs, staff of a zone, partner of a municipality. `Standing` gathers those once per
request (three small queries) and answers `can(action, network)` without more queries.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied

from buurtnet.audit.models import ActorLabel

from .models import Membership, MembershipStatus, Municipality, Network, NetworkStatus, Role


class Action(StrEnum):
    VIEW_NETWORK = "view_network"  # the BIN's own page: status, area, charter, its people's names
    VIEW_MEMBERS = "view_members"  # the member list: names, roles, status, channels
    VIEW_MEMBER_CONTACT = "view_member_contact"  # phone, e-mail and address of members
    VIEW_APPLICATIONS = "view_applications"
    DECIDE_APPLICATION = "decide_application"
    EDIT_NETWORK = "edit_network"  # area, status, charter


# Which network roles allow which actions on their own network.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.MEMBER: frozenset({Action.VIEW_NETWORK}),
    Role.STEERING: frozenset({Action.VIEW_NETWORK, Action.VIEW_MEMBERS, Action.VIEW_APPLICATIONS}),
    Role.COORDINATOR: frozenset(
        {
            Action.VIEW_NETWORK,
            Action.VIEW_MEMBERS,
            Action.VIEW_APPLICATIONS,
            Action.DECIDE_APPLICATION,
        }
    ),
    Role.OFFICER: frozenset(
        {
            Action.VIEW_NETWORK,
            Action.VIEW_MEMBERS,
            Action.VIEW_MEMBER_CONTACT,
            Action.VIEW_APPLICATIONS,
            Action.EDIT_NETWORK,
        }
    ),
}
ZONE_STAFF_ACTIONS = frozenset(
    {Action.VIEW_NETWORK, Action.VIEW_MEMBERS, Action.VIEW_APPLICATIONS, Action.EDIT_NETWORK}
)
MUNICIPAL_ACTIONS = frozenset({Action.VIEW_NETWORK})
WITHOUT_COORDINATOR = (NetworkStatus.FOUNDING, NetworkStatus.DORMANT)


@dataclass
class Standing:
    """Where one person stands: their roles per network, zone and municipality.

    The one place that answers "is this person zone staff / officer of this BIN" for every
    app, with one rule for a superuser (the platform administrator):

    - the `is_*` answers say which post a person holds (officer, coordinator, staff of a zone,
      municipal partner). Being a superuser is no post: they are false for an administrator
      who holds none. Ask them where the post itself matters (an imported CAP alert is drafted
      in the name of a staff member of its zone);
    - the `can*` answers say what a person may do. A superuser may do everything: whatever an
      officer or the staff of any zone may do there.
    """

    person_id: int | None
    is_superuser: bool = False
    network_roles: dict[int, str] = field(default_factory=dict)
    zone_ids: frozenset[int] = frozenset()
    zone_municipality_ids: frozenset[int] = frozenset()
    partner_municipality_ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, person) -> "Standing":
        if person is None or not person.is_authenticated:
            return cls(person_id=None)
        cached = getattr(person, "_standing", None)
        if cached is not None:
            return cached
        roles: dict[int, str] = {}
        for network_id, role, status in Membership.objects.filter(
            person=person, status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED]
        ).values_list("network_id", "role", "status"):
            # A paused member keeps seeing their BIN; a paused coordinator or officer
            # has handed over and acts as a member until they resume.
            roles[network_id] = role if status == MembershipStatus.APPROVED else Role.MEMBER
        zone_ids = frozenset(person.zone_staff.values_list("zone_id", flat=True))
        zone_municipality_ids = (
            frozenset(
                Municipality.objects.filter(zone_id__in=zone_ids).values_list("id", flat=True)
            )
            if zone_ids
            else frozenset()
        )
        standing = cls(
            person_id=person.pk,
            is_superuser=person.is_superuser,
            network_roles=roles,
            zone_ids=zone_ids,
            zone_municipality_ids=zone_municipality_ids,
            partner_municipality_ids=frozenset(
                person.municipal_partner.values_list("municipality_id", flat=True)
            ),
        )
        person._standing = standing
        return standing

    def actions_on(self, network: Network) -> frozenset[Action]:
        if self.person_id is None:
            return frozenset()
        if self.is_superuser:
            return frozenset(Action)
        allowed: set[Action] = set()
        role = self.network_roles.get(network.pk)
        if role:
            allowed |= ROLE_ACTIONS[role]
            if role == Role.OFFICER and network.status in WITHOUT_COORDINATOR:
                # A BIN being founded, or dormant, has no coordinator to approve members.
                allowed.add(Action.DECIDE_APPLICATION)
        if self.is_zone_staff_of(network):
            allowed |= ZONE_STAFF_ACTIONS
        if self.is_municipal_partner(network):
            allowed |= MUNICIPAL_ACTIONS
        return frozenset(allowed)

    def role_in(self, network: Network) -> str | None:
        return self.network_roles.get(network.pk)

    # --- Posts held (false for a superuser who holds none) -------------------------------

    def is_officer(self, network: Network) -> bool:
        return self.role_in(network) == Role.OFFICER

    def is_coordinator(self, network: Network) -> bool:
        return self.role_in(network) == Role.COORDINATOR

    def is_zone_staff(self, zone_id: int) -> bool:
        """Staff of this zone (by its id)."""
        return zone_id in self.zone_ids

    def is_zone_staff_of(self, network: Network) -> bool:
        """Staff of the zone the network lies in (without a query: by its municipality)."""
        return network.municipality_id in self.zone_municipality_ids

    def is_municipal_partner(self, network: Network) -> bool:
        """Partner for the municipality the network lies in."""
        return network.municipality_id in self.partner_municipality_ids

    # --- What the person may do (everything, for a superuser) -----------------------------

    def can(self, action: Action, network: Network) -> bool:
        return action in self.actions_on(network)

    def can_view_zone(self, zone_id: int) -> bool:
        """See and manage the zone's own pages (its CAP settings, surveys, audit log…): its
        staff, or a superuser."""
        return self.is_superuser or self.is_zone_staff(zone_id)

    def can_act_as_zone_staff(self, network: Network) -> bool:
        """Do what the staff of the network's zone may do there: they, or a superuser."""
        return self.is_superuser or self.is_zone_staff_of(network)

    def can_oversee(self, network: Network) -> bool:
        """The BIN's officer and its zone's staff (or a superuser): the founding steps, the
        overview, screening."""
        return self.is_officer(network) or self.can_act_as_zone_staff(network)

    @property
    def is_police_or_staff(self) -> bool:
        """Holds a role that must log in with a second factor (police, zone staff, municipal
        partner, administrator)."""
        return (
            self.is_superuser
            or bool(self.zone_ids)
            or bool(self.partner_municipality_ids)
            or any(role == Role.OFFICER for role in self.network_roles.values())
        )


def require(person, action: Action, network: Network) -> Standing:
    """Raise PermissionDenied (403) unless the person may do action on network."""
    standing = Standing.of(person)
    if not standing.can(action, network):
        raise PermissionDenied
    return standing


def audit_actor_label(actor, network: Network | None, zone_id: int | None) -> str:
    """In which capacity an authenticated actor acted, for the audit log: their role in the
    BIN, else staff of the zone, else platform admin, else municipal partner. Registered
    with the audit app (networks.apps); uses the cached Standing (no queries in a view)."""
    standing = Standing.of(actor)
    role = standing.role_in(network) if network is not None else None
    if role:
        return role
    if zone_id is not None and standing.is_zone_staff(zone_id):
        return ActorLabel.ZONE_STAFF
    if standing.is_superuser:
        return ActorLabel.ADMIN
    if network is not None and standing.is_municipal_partner(network):
        return ActorLabel.MUNICIPAL
    if network is None:
        # A page over several BINs (the absence watch): the highest role they hold.
        held = set(standing.network_roles.values())
        for role in (ActorLabel.OFFICER, ActorLabel.COORDINATOR, ActorLabel.STEERING):
            if role in held:
                return role
    return ActorLabel.PERSON
