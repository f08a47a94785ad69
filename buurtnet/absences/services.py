"""Announcing absences, the police's daily list and passes, telling residents, deleting.

Who may announce: an approved (or paused: members pause for their holidays) member,
coordinator or steering member of a BIN of the zone; a mandated officer's membership does
not count, it says where they work, not where they live. A zone can open the service to
every resident: then anyone logged in may announce a home that lies in one of its BIN areas.

Who sees an absence: the approved officer of the BIN whose area covers the home and the
zone's staff; nobody else (not the coordinator, not the platform administrator). The
resident sees their own.

Dates are calendar days in Europe/Brussels (`timezone.localdate()`). `ends_on` is the day
the resident comes back; both the first and the last day are watched and counted.

Deletion: `delete_after` is stored on each absence. An announced absence is kept
`retention_days` after its return (the resident is told the outcome meanwhile); a
cancelled one only until the day after the cancellation, so the resident still sees it
confirmed in their list. `purge` deletes what is past that date, with its passes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buurtnet.common import limits
from buurtnet.delivery import notices
from buurtnet.delivery.services import notify_person
from buurtnet.networks import geo
from buurtnet.networks.models import Membership, MembershipStatus, Network, PoliceZone, Role
from buurtnet.networks.permissions import Standing
from buurtnet.networks.services import geocode, networks_covering
from buurtnet.people.models import Person
from buurtnet.people.phones import normalize_phone

from .models import Absence, AbsencePass, AbsenceSettings, AbsenceStatus

# Memberships that say where a person lives (an officer's says where they work).
RESIDENT_ROLES = (Role.MEMBER, Role.STEERING, Role.COORDINATOR)
RESIDENT_STATUSES = (MembershipStatus.APPROVED, MembershipStatus.PAUSED)
# Holidays are announced weeks ahead, not years; a far date is a typing error.
ANNOUNCE_AHEAD = timedelta(days=365)
# The same officer tapping "Record a pass" twice within this time records one pass.
DOUBLE_TAP = timedelta(minutes=2)


def _today() -> date:
    return timezone.localdate()


# --- Settings ---------------------------------------------------------------------------


def settings_for(zone: PoliceZone | int) -> AbsenceSettings:
    """The zone's settings, created with the defaults the first time they are needed."""
    zone_id = zone if isinstance(zone, int) else zone.pk
    found, _created = AbsenceSettings.objects.get_or_create(zone_id=zone_id)
    return found


def save_settings(zone: PoliceZone, by: Person, values: Mapping) -> AbsenceSettings:
    """Zone staff change how their zone runs the watch. A new retention period applies to
    the absences already announced as well: shortening it must delete sooner."""
    if not Standing.of(by).can_view_zone(zone.pk):
        raise PermissionDenied
    current = settings_for(zone)
    for name in ("open_to_residents", "max_days", "retention_days", "lookahead_days"):
        if name in values:
            setattr(current, name, values[name])
    current.full_clean(exclude=["zone"])
    with transaction.atomic():
        current.save()
        keep = timedelta(days=current.retention_days)
        announced = list(
            Absence.objects.filter(zone=zone, status=AbsenceStatus.ANNOUNCED).only(
                "pk", "ends_on", "delete_after"
            )
        )
        for absence in announced:
            absence.delete_after = absence.ends_on + keep
        Absence.objects.bulk_update(announced, ["delete_after"], batch_size=500)
    return current


# --- Who may announce where ------------------------------------------------------------------


def _resident_networks(person: Person) -> list[Network]:
    """The BINs where this person is a resident member (approved or paused)."""
    ids = Membership.objects.filter(
        person=person, status__in=RESIDENT_STATUSES, role__in=RESIDENT_ROLES
    ).values("network_id")
    return list(
        Network.objects.filter(pk__in=ids)
        .exclude(status="dissolved")
        .select_related("municipality")
        .order_by("name")
    )


def _open_zone_ids() -> set[int]:
    return set(
        AbsenceSettings.objects.filter(open_to_residents=True).values_list("zone_id", flat=True)
    )


def announce_map_networks(person: Person) -> list[Network]:
    """The BINs to show on the person's form, or none when they may not announce at all:
    their own BINs, or, for a resident who is no member, the BIN covering their home in a
    zone open to all residents."""
    own = _resident_networks(person)
    if own:
        return own
    if not person.has_point:
        return []
    open_zones = _open_zone_ids()
    return [
        n
        for n in networks_covering(person.longitude, person.latitude)
        if n.municipality.zone_id in open_zones
    ]


def may_announce(person: Person) -> bool:
    return bool(announce_map_networks(person))


# --- Announcing --------------------------------------------------------------------------


@dataclass
class AbsenceInput:
    """What the resident typed in the form. The home is not among it: it is the address
    in their profile (see `announce`)."""

    starts_on: date | None
    ends_on: date | None
    contact_name: str = ""
    contact_phone: str = ""
    remarks: str = ""


def announce(person: Person, data: AbsenceInput | Mapping, today: date | None = None) -> Absence:
    """Store an absence of the person's home: the address (and its place on the map) of
    their profile, never one typed here, so that the officer's list holds only homes where
    members live. Raises PermissionDenied when the person may not announce one for that
    home, ValidationError with errors per field (every problem at once) for bad input;
    nothing is stored then. Errors about the home are under "location"."""
    if isinstance(data, Mapping):
        names = {f.name for f in fields(AbsenceInput)}
        data = AbsenceInput(**{k: v for k, v in data.items() if k in names})
    today = today or _today()
    own = _resident_networks(person)
    if not own and not _open_zone_ids():
        raise PermissionDenied(_("Only members of a BIN can ask the police to watch their home."))

    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    text = {name: (getattr(data, name) or "").strip() for name in ("contact_name", "remarks")}
    home = {
        name: (getattr(person, name) or "").strip()
        for name in ("street", "house_number", "postcode", "city")
    }
    _check_dates(data, today, add)
    phone = _check_contact(text["contact_name"], data.contact_phone, add)
    if len(text["remarks"]) > 2000:
        add("remarks", _("Keep the remarks under 2000 characters."))

    point = _home_point(person, home)
    zone_id, network = None, None
    if point is None:
        add(
            "location",
            _(
                "Your profile has no home address we can find on the map. Give your address "
                "first: the police watch the home where you live."
            ),
        )
    elif not geo.point_in_belgium(*point):
        add("location", _("Your home is not in Belgium. Give your address in Belgium first."))
    else:
        zone_id, network = _place(own, point, add)

    if zone_id is not None and data.starts_on and data.ends_on:
        rules = settings_for(zone_id)
        days = (data.ends_on - data.starts_on).days + 1
        if data.ends_on >= data.starts_on and days > rules.max_days:
            add(
                "ends_on",
                ngettext(
                    "The police watch a home for at most %(max)d day; this period has "
                    "%(days)d. Choose an earlier day of return, or call your local police.",
                    "The police watch a home for at most %(max)d days; this period has "
                    "%(days)d. Choose an earlier day of return, or call your local police.",
                    rules.max_days,
                )
                % {"max": rules.max_days, "days": days},
            )
    with transaction.atomic():
        # Two forms sent at once wait for each other, so both count what the other stored.
        limits.serialize_for(person.pk)
        if not errors and _already_announced(person, data, home):
            add(
                "starts_on",
                _(
                    "You already announced an absence for your home in this period. "
                    "Cancel that one first if the dates changed."
                ),
            )
        _check_open_absences(person, today, add)
        if errors:
            raise ValidationError(errors)
        retention = settings_for(zone_id).retention_days
        return Absence.objects.create(
            zone_id=zone_id,
            network=network,
            person=person,
            street=home["street"],
            house_number=home["house_number"],
            postcode=home["postcode"],
            city=home["city"],
            longitude=point[0],
            latitude=point[1],
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            contact_name=text["contact_name"],
            contact_phone=phone,
            remarks=text["remarks"],
            delete_after=data.ends_on + timedelta(days=retention),
        )


def _check_open_absences(person: Person, today: date, add) -> None:
    """A resident is away a few times a year: more absences not yet over than
    ABSENCES_OPEN_PER_PERSON would only fill the officer's list."""
    limit = settings.ABSENCES_OPEN_PER_PERSON
    ends = list(
        Absence.objects.filter(person=person, status=AbsenceStatus.ANNOUNCED, ends_on__gte=today)
        .order_by("ends_on")
        .values_list("ends_on", flat=True)
    )
    if len(ends) < limit:
        return
    # One more fits the day after enough of them have ended.
    free_on = ends[len(ends) - limit] + timedelta(days=1)
    add(
        NON_FIELD_ERRORS,
        ngettext(
            "You already announced %(n)d absence that is not over yet, the most the police "
            "take. Cancel one you no longer need, or wait: you can announce a new one on %(day)s.",
            "You already announced %(n)d absences that are not over yet, the most the police "
            "take. Cancel one you no longer need, or wait: you can announce a new one on %(day)s.",
            limit,
        )
        % {"n": limit, "day": formats.date_format(free_on, "j F Y")},
    )


def _check_dates(data: AbsenceInput, today: date, add) -> None:
    if data.starts_on is None:
        add("starts_on", _("Fill in the day you leave."))
    elif data.starts_on < today:
        add("starts_on", _("That day has already passed. Choose today or a later day."))
    elif data.starts_on > today + ANNOUNCE_AHEAD:
        add("starts_on", _("Announce an absence at most a year ahead."))
    if data.ends_on is None:
        add("ends_on", _("Fill in the day you come back."))
    elif data.starts_on and data.ends_on < data.starts_on:
        add(
            "ends_on",
            _("The day you come back is before the day you leave. Check both dates."),
        )


def _check_contact(name: str, raw_phone: str, add) -> str:
    """The person the police call when something is wrong (usually who has a key)."""
    if not name:
        add("contact_name", _("Give the name of someone the police can call."))
    elif len(name) > 120:
        add("contact_name", _("This is too long: at most %(n)d characters.") % {"n": 120})
    if not (raw_phone or "").strip():
        add("contact_phone", _("Give the phone number of that person."))
        return ""
    try:
        return normalize_phone(raw_phone)
    except ValidationError:
        add(
            "contact_phone",
            _("“%(value)s” is not a phone number. Write it like 0470 12 34 56.")
            % {"value": raw_phone.strip()},
        )
        return ""


def _home_point(person: Person, home: dict) -> tuple[float, float] | None:
    """The home's place on the map: the one in the profile, or else its address looked up
    in the street list. None without a full address: the police need one to pass by."""
    if not (home["street"] and home["house_number"] and home["postcode"]):
        return None
    if person.has_point:
        return (person.longitude, person.latitude)
    if home["street"] and home["postcode"]:
        return geocode(home["street"], home["house_number"], home["postcode"])
    return None


def _place(
    own: list[Network], point: tuple[float, float], add
) -> tuple[int | None, Network | None]:
    """The zone and the BIN of a home. A member's home must lie in a BIN area of one of
    their zones, unless that zone is open to all residents (then it may lie outside every
    BIN area, and the zone's staff watch it). Anyone else's home must lie in a BIN area of
    a zone open to all residents."""
    covering = networks_covering(*point)
    own_ids = {n.pk for n in own}
    own_zones = [n.municipality.zone_id for n in own]
    open_zones = _open_zone_ids()
    # Their own BIN first, then another BIN of their zone, then one of an open zone.
    for network in sorted(covering, key=lambda n: (n.pk not in own_ids, n.name)):
        zone_id = network.municipality.zone_id
        if zone_id in own_zones or zone_id in open_zones:
            return zone_id, network
    if not own:
        raise PermissionDenied(
            _(
                "Your police zone only watches the homes of BIN members, and this home is not "
                "in the area of a BIN."
            )
        )
    for zone_id in own_zones:
        if zone_id in open_zones:
            return zone_id, None
    names = ", ".join(n.name for n in own)
    add(
        "location",
        _(
            "The police of your zone only watch homes in the area of a BIN, and this place is "
            "outside it (your BIN: %(bins)s). Check the address in your settings."
        )
        % {"bins": names},
    )
    return None, None


def _already_announced(person: Person, data: AbsenceInput, home: dict) -> bool:
    return Absence.objects.filter(
        person=person,
        status=AbsenceStatus.ANNOUNCED,
        street__iexact=home["street"],
        house_number__iexact=home["house_number"],
        postcode=home["postcode"],
        starts_on__lte=data.ends_on,
        ends_on__gte=data.starts_on,
    ).exists()


def own_absences(person: Person) -> QuerySet[Absence]:
    return (
        Absence.objects.filter(person=person)
        .prefetch_related("passes")
        .order_by("-starts_on", "-id")
    )


def cancel(absence: Absence, by: Person, today: date | None = None) -> Absence:
    """The resident comes home earlier or does not leave. Only they can cancel, and only
    until the day of return; the data goes the day after the cancellation."""
    if absence.person_id != by.pk:
        raise PermissionDenied
    today = today or _today()
    cancelled = Absence.objects.filter(
        pk=absence.pk, status=AbsenceStatus.ANNOUNCED, ends_on__gte=today
    ).update(
        status=AbsenceStatus.CANCELLED,
        cancelled_at=timezone.now(),
        delete_after=today + timedelta(days=1),
    )
    if not cancelled:
        raise ValidationError(
            _("This absence is over or already cancelled; there is nothing to cancel.")
        )
    absence.refresh_from_db()
    return absence


# --- The police ----------------------------------------------------------------------------


def watcher_scope(person: Person) -> tuple[list[int], frozenset[int]]:
    """The BINs where the person is the approved officer, and the zones they work for."""
    standing = Standing.of(person)
    officer_of = [n for n, role in standing.network_roles.items() if role == Role.OFFICER]
    return officer_of, standing.zone_ids


def is_watcher(person: Person) -> bool:
    officer_of, zone_ids = watcher_scope(person)
    return bool(officer_of or zone_ids)


def may_watch(person: Person, absence: Absence) -> bool:
    """Whether the person watches over this home: the officer of its BIN or the zone's
    staff (its owner sees it in their own list)."""
    officer_of, zone_ids = watcher_scope(person)
    return absence.zone_id in zone_ids or (
        absence.network_id is not None and absence.network_id in officer_of
    )


def watch_list(officer: Person, today: date | None = None) -> QuerySet[Absence]:
    """The announced absences active today or in the zone's coming `lookahead_days`, of the
    BINs where the person is the approved officer and of every BIN (and home outside a
    BIN) of the zones whose staff they are; by start, with the passes."""
    today = today or _today()
    officer_of, zone_ids = watcher_scope(officer)
    if not officer_of and not zone_ids:
        return Absence.objects.none()
    mine = Q(network_id__in=officer_of) | Q(zone_id__in=zone_ids)
    zones = set(zone_ids) | set(
        Network.objects.filter(pk__in=officer_of).values_list("municipality__zone_id", flat=True)
    )
    # Each zone has its own horizon.
    horizon = Q()
    for zone_id in zones:
        ahead = today + timedelta(days=settings_for(zone_id).lookahead_days)
        horizon |= Q(zone_id=zone_id, starts_on__lte=ahead)
    return (
        Absence.objects.filter(mine, horizon, status=AbsenceStatus.ANNOUNCED, ends_on__gte=today)
        .select_related("network", "person")
        .prefetch_related(
            Prefetch(
                "passes",
                queryset=AbsencePass.objects.select_related("officer").order_by("passed_at", "id"),
            )
        )
        .order_by("starts_on", "ends_on", "postcode", "street", "house_number", "id")
    )


def watch_days(officer: Person, today: date | None = None) -> int:
    """How many days ahead the person's list reaches: the longest of their zones'."""
    today = today or _today()
    officer_of, zone_ids = watcher_scope(officer)
    zones = set(zone_ids) | set(
        Network.objects.filter(pk__in=officer_of).values_list("municipality__zone_id", flat=True)
    )
    return max((settings_for(z).lookahead_days for z in zones), default=0)


def record_pass(
    absence: Absence, by: Person, note: str = "", today: date | None = None
) -> AbsencePass:
    """The officer of the home's BIN (or the zone's staff) passed by the empty home.
    Only while the resident is away."""
    if not may_watch(by, absence):
        raise PermissionDenied
    today = today or _today()
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": _("Keep the note under 300 characters.")})
    if not absence.is_active_on(today):
        raise ValidationError(
            _("You can only record a pass while the resident is away (%(from)s to %(to)s).")
            % {
                "from": formats.date_format(absence.starts_on, "j F"),
                "to": formats.date_format(absence.ends_on, "j F"),
            }
        )
    now = timezone.now()
    with transaction.atomic():
        # Locked so that two taps at once do not both find no recent pass.
        Absence.objects.select_for_update().filter(pk=absence.pk).first()
        recent = (
            AbsencePass.objects.filter(
                absence=absence, officer=by, note=note, passed_at__gte=now - DOUBLE_TAP
            )
            .order_by("-passed_at")
            .first()
        )
        if recent is not None:
            return recent
        return AbsencePass.objects.create(absence=absence, officer=by, note=note, passed_at=now)


# --- Periodic work (the `tick` command) ------------------------------------------------------


def tell_residents(today: date | None = None) -> int:
    """Tell each resident whose absence ended how often the police passed by (number and
    moments, never who). Claimed with a guarded update: safe to run twice or on two
    machines; returns how many were told."""
    today = today or _today()
    due = (
        Absence.objects.filter(
            status=AbsenceStatus.ANNOUNCED, told_at__isnull=True, ends_on__lt=today
        )
        .select_related("person")
        .order_by("ends_on", "id")
    )
    told = 0
    for absence in list(due):
        with transaction.atomic():
            claimed = Absence.objects.filter(
                pk=absence.pk, status=AbsenceStatus.ANNOUNCED, told_at__isnull=True
            ).update(told_at=timezone.now())
            if not claimed:
                continue
            person = absence.person
            if person.is_active:
                moments = [
                    timezone.localtime(at)
                    for at in absence.passes.order_by("passed_at").values_list(
                        "passed_at", flat=True
                    )
                ]
                notify_person(
                    person,
                    "absences/email/ended",
                    {"absence": absence, "passes": moments, "count": len(moments)},
                    kind=notices.ABSENCE,
                    key=f"absence-ended-{absence.pk}",
                )
            told += 1
    return told


def purge(today: date | None = None) -> int:
    """Delete the absences past their `delete_after` date, cancelled ones too, with their
    passes. Returns how many absences were deleted."""
    today = today or _today()
    _total, per_model = Absence.objects.filter(delete_after__lt=today).delete()
    return per_model.get(Absence._meta.label, 0)
