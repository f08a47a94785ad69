"""Consents, and the data subject rights of GDPR art. 15-17: export, erasure, withdrawal.

Every function here acts on one person only, the one passed in; the views pass the
logged-in person, never a person chosen by id.
"""

from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Prefetch, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.absences.models import Absence
from buurtnet.audit.models import AuditEvent
from buurtnet.delivery.models import (
    Delivery,
    DeliveryState,
    Notice,
    OutboxMessage,
    PushSubscription,
    Reason,
)
from buurtnet.messaging.models import Recipient, Reply
from buurtnet.networks.models import Membership as MembershipModel
from buurtnet.networks.models import (
    MembershipStatus,
    MunicipalPartner,
    Network,
    NetworkStatus,
    Role,
    ZoneStaff,
)
from buurtnet.people.models import Person, PhoneVerification
from buurtnet.reports.models import Report

from .models import PURPOSE_CHANNELS, PURPOSE_VERSIONS, PURPOSES, Consent, ConsentKind

ERASED_NAME = "Erased person"


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


# --- Consents per purpose ----------------------------------------------------------------


def purposes(person: Person) -> list[dict]:
    """Each purpose with where the person stands: the consent in force (if any), whether a
    channel that depends on it is chosen, and whether it can be withdrawn or given."""
    active = {
        c.kind: c
        for c in Consent.objects.filter(
            person=person, kind__in=PURPOSES, withdrawn_at__isnull=True
        ).order_by("given_at", "pk")
    }
    channels = set(person.channels or [])
    rows = []
    for kind in PURPOSES:
        in_use = bool(channels & set(PURPOSE_CHANNELS[kind]))
        consent = active.get(kind)
        rows.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "version": PURPOSE_VERSIONS[kind],
                "consent": consent,
                "given": consent is not None or in_use,
                "in_use": in_use,
            }
        )
    return rows


def _purpose(kind: str) -> ConsentKind:
    if kind not in {p.value for p in PURPOSES}:
        raise ValidationError(_("This is not a consent you can give or withdraw."), code="kind")
    return ConsentKind(kind)


def give_consent(person: Person, kind: str) -> bool:
    """Record the person's consent to a purpose (current version) and turn its channel on
    where it can be used. Returns whether the channel was turned on."""
    purpose = _purpose(kind)
    version = PURPOSE_VERSIONS[purpose]
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        current = Consent.objects.filter(
            person=person, kind=purpose, withdrawn_at__isnull=True
        ).order_by("-given_at", "-pk")
        if not current.filter(version=version).exists():
            # An older version in force is superseded by the new agreement.
            current.update(withdrawn_at=timezone.now())
            Consent.objects.create(person=person, kind=purpose, version=version)
        # The channel goes on only where the confirmed number can take it: a text needs a
        # mobile, a call a mobile or landline, both of an allowed country.
        if purpose == ConsentKind.SMS and not person.can_receive_sms:
            return False
        if purpose == ConsentKind.VOICE and not person.can_receive_calls:
            return False
        channels = list(person.channels or [])
        added = [c for c in PURPOSE_CHANNELS[purpose] if c not in channels]
        if added:
            person.channels = channels + added
            person.save(update_fields=["channels"])
        return True


def withdraw_consent(person: Person, kind: str) -> int:
    """Withdraw a purpose's consent and stop what depends on it at once: its channels leave
    the person's preferences and their queued or retrying deliveries are cancelled.
    Returns the number of deliveries cancelled."""
    purpose = _purpose(kind)
    chans = PURPOSE_CHANNELS[purpose]
    now = timezone.now()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        channels = list(person.channels or [])
        in_use = [c for c in channels if c in chans]
        withdrawn = Consent.objects.filter(
            person=person, kind=purpose, withdrawn_at__isnull=True
        ).update(withdrawn_at=now)
        if not withdrawn and not in_use:
            raise ValidationError(
                _("You have not given this consent, so there is nothing to withdraw."),
                code="not_given",
            )
        if not withdrawn:
            # Choosing the channel was the agreement (before consents were kept per
            # purpose): the withdrawal is recorded all the same.
            Consent.objects.create(
                person=person,
                kind=purpose,
                version=PURPOSE_VERSIONS[purpose],
                given_at=now,
                withdrawn_at=now,
            )
        if in_use:
            remaining = [c for c in channels if c not in chans] or ["inapp"]
            person.channels = remaining
            person.save(update_fields=["channels"])
        # A notice sent to a number or address named for it (a code being typed in now)
        # goes on: the person asked for it.
        theirs = models.Q(
            recipient__in=Recipient.objects.filter(person=person).values("pk")
        ) | models.Q(notice__person=person, notice__phone="", notice__email="")
        return Delivery.objects.filter(
            theirs,
            channel__in=chans,
            state__in=[DeliveryState.QUEUED, DeliveryState.AWAITING_RETRY],
        ).update(
            state=DeliveryState.CANCELLED,
            reason=Reason.CHANNEL_WITHDRAWN,
            error="consent withdrawn",
            next_attempt_at=None,
            lease_until=None,
        )


# --- Export (right of access, art. 15, and portability, art. 20) -------------------------


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _category_name(category, language: str) -> str:
    names = category.names or {}
    return names.get(language) or names.get("en") or next(iter(names.values()), category.code)


def export(person: Person) -> dict:
    """Everything Buurtnet holds about the person, and nothing about anyone else: other
    people appear only by their role (e.g. "officer"), never by name or contact."""
    person = Person.objects.get(pk=person.pk)
    lang = person.language
    data: dict = {"generated_at": timezone.now()}
    data["profile"] = {
        "email": person.email,
        "full_name": person.full_name,
        "language": person.language,
        "phone": person.phone,
        "phone_verified_at": person.phone_verified_at,
        "street": person.street,
        "house_number": person.house_number,
        "postcode": person.postcode,
        "city": person.city,
        "latitude": person.latitude,
        "longitude": person.longitude,
        "channels": list(person.channels or []),
        "quiet_hours_start": person.quiet_hours_start,
        "quiet_hours_end": person.quiet_hours_end,
        "date_joined": person.date_joined,
        "last_login": person.last_login,
    }
    data["email_addresses"] = [
        {"email": e.email, "verified": e.verified, "primary": e.primary}
        for e in EmailAddress.objects.filter(user=person).order_by("pk")
    ]
    data["second_factors"] = [
        {"type": a.type, "created_at": a.created_at, "last_used_at": a.last_used_at}
        for a in Authenticator.objects.filter(user=person).order_by("pk")
    ]
    data["zone_functions"] = [
        {"zone": s.zone.name, "function": s.function}
        for s in ZoneStaff.objects.filter(person=person).select_related("zone")
    ] + [
        {"municipality": p.municipality.name, "function": p.function}
        for p in MunicipalPartner.objects.filter(person=person).select_related("municipality")
    ]
    memberships = (
        MembershipModel.objects.filter(person=person)
        .select_related("network")
        .prefetch_related("changes")
        .order_by("applied_at", "pk")
    )
    data["memberships"] = [
        {
            "network": m.network.name,
            "role": m.role,
            "status": m.status,
            "applied_at": m.applied_at,
            "decided_at": m.decided_at,
            "decision_reason": m.decision_reason,
            "motivation": m.motivation,
            "status_changed_at": m.status_changed_at,
            "history": [
                {
                    "from_status": c.from_status,
                    "to_status": c.to_status,
                    "changed_at": c.changed_at,
                    "reason": c.reason,
                }
                for c in sorted(m.changes.all(), key=lambda c: (c.changed_at, c.pk))
            ],
        }
        for m in memberships
    ]
    data["consents"] = [
        {
            "kind": c.kind,
            "version": c.version,
            "network": c.network.name if c.network else "",
            "given_at": c.given_at,
            "withdrawn_at": c.withdrawn_at,
        }
        for c in Consent.objects.filter(person=person)
        .select_related("network")
        .order_by("given_at", "pk")
    ]
    reports = (
        Report.objects.filter(reporter=person)
        .select_related("network", "category")
        .prefetch_related("photos", "events")
        .order_by("created_at", "pk")
    )
    data["reports"] = [
        {
            "id": r.pk,
            "network": r.network.name,
            "category": _category_name(r.category, lang),
            "occurred_at": r.occurred_at,
            "longitude": r.longitude,
            "latitude": r.latitude,
            "description": r.description,
            "vehicle_plate": r.vehicle_plate,
            "vehicle_plate_foreign": r.vehicle_plate_foreign,
            "vehicle_make": r.vehicle_make,
            "vehicle_colour": r.vehicle_colour,
            "vehicle_direction": r.vehicle_direction,
            "status": r.status,
            "outcome": r.outcome,
            "created_at": r.created_at,
            "closed_at": r.closed_at,
            "photo_ids": [p.pk for p in r.photos.all()],
            # Steps only: who took them and their internal notes belong to the police.
            "events": [
                {"kind": e.kind, "to_status": e.to_status, "at": e.at}
                for e in sorted(r.events.all(), key=lambda e: (e.at, e.pk))
            ],
        }
        for r in reports
    ]
    recipients = (
        Recipient.objects.filter(person=person)
        .select_related("message")
        .prefetch_related(
            "message__texts",
            Prefetch("deliveries", queryset=Delivery.objects.order_by("queued_at", "pk")),
        )
        .order_by("message_id")
    )
    data["messages_received"] = []
    data["deliveries"] = []
    for r in recipients:
        texts = {t.language: t for t in r.message.texts.all()}
        text = texts.get(r.language) or r.message.main_text
        data["messages_received"].append(
            {
                "message_id": r.message_id,
                "kind": r.message.kind,
                "sender_role": r.message.sender_role,
                "title": text.title if text else "",
                "sent_at": r.message.sent_at,
                "seen_at": r.seen_at,
                "acknowledged_at": r.acknowledged_at,
            }
        )
        data["deliveries"].extend(
            {
                "message_id": r.message_id,
                "channel": d.channel,
                "state": d.state,
                "reason": d.reason,
                "queued_at": d.queued_at,
                "sent_at": d.sent_at,
                "delivered_at": d.delivered_at,
            }
            for d in r.deliveries.all()
        )
    # What they were told outside messages: when, about what, how it went. Not the text: a
    # notice may name someone else (a candidate for a function), and a code is a secret.
    data["notices"] = [
        {
            "kind": n.kind,
            "subject": n.subject,
            "created_at": n.created_at,
            "deliveries": [
                {
                    "channel": d.channel,
                    "state": d.state,
                    "reason": d.reason,
                    "queued_at": d.queued_at,
                    "sent_at": d.sent_at,
                    "delivered_at": d.delivered_at,
                }
                for d in n.deliveries.all()
            ],
        }
        for n in Notice.objects.filter(person=person)
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("pk")))
        .order_by("created_at", "pk")
    ]
    data["replies"] = [
        {"message_id": r.message_id, "channel": r.channel, "body": r.body, "at": r.received_at}
        for r in Reply.objects.filter(author=person).order_by("received_at", "pk")
    ]
    data["absences"] = [
        {
            "street": a.street,
            "house_number": a.house_number,
            "postcode": a.postcode,
            "city": a.city,
            "starts_on": a.starts_on,
            "ends_on": a.ends_on,
            "contact_name": a.contact_name,
            "contact_phone": a.contact_phone,
            "remarks": a.remarks,
            "status": a.status,
            "created_at": a.created_at,
            "cancelled_at": a.cancelled_at,
            # When the police passed by; not which officer.
            "police_passes": [p.passed_at for p in a.passes.order_by("passed_at")],
        }
        for a in Absence.objects.filter(person=person).order_by("starts_on", "pk")
    ]
    data["push_subscriptions"] = [
        {"endpoint_host": _host(s.endpoint), "user_agent": s.user_agent, "created_at": s.created_at}
        for s in PushSubscription.objects.filter(person=person).order_by("created_at", "pk")
    ]
    data["phone_verifications"] = [
        {"created_at": v.created_at, "expires_at": v.expires_at, "verified_at": v.verified_at}
        for v in PhoneVerification.objects.filter(person=person).order_by("created_at", "pk")
    ]
    data["audit_entries_as_actor"] = [
        {"at": e.at, "action": e.action, "as": e.actor_label}
        for e in AuditEvent.objects.filter(actor=person).order_by("at", "pk")
    ]
    return data


# --- Erasure (art. 17) -------------------------------------------------------------------


def erasure_blockers(person: Person) -> list[Network]:
    """BINs not dissolved (founding and dormant ones still take applications) in which the
    person is the only approved coordinator: they must hand over first, or the BIN is left
    without anyone to decide."""
    theirs = MembershipModel.objects.filter(
        person=person, role=Role.COORDINATOR, status=MembershipStatus.APPROVED
    ).exclude(network__status=NetworkStatus.DISSOLVED)
    # Two coordinators of one BIN erasing at the same moment must not both pass.
    list(Network.objects.select_for_update().filter(pk__in=theirs.values("network_id")))
    theirs = theirs.values("network_id")
    others = MembershipModel.objects.filter(
        network=models.OuterRef("pk"),
        role=Role.COORDINATOR,
        status=MembershipStatus.APPROVED,
    ).exclude(person=person)
    return list(
        Network.objects.filter(pk__in=theirs)
        .annotate(has_other=models.Exists(others))
        .filter(has_other=False)
        .order_by("name")
    )


def _null_links(person: Person) -> None:
    """Set every nullable link to the person (on_delete=SET_NULL) to NULL: reports they
    filed, decisions they took, audit entries they caused stay, without them."""
    for rel in Person._meta.get_fields(include_hidden=True):
        # Reverse relations, those with related_name="+" (the audit log's) included.
        if rel.auto_created and not rel.concrete and rel.on_delete is models.SET_NULL:
            manager = rel.related_model._base_manager
            manager.filter(**{rel.field.name: person}).update(**{rel.field.name: None})


def erase(person: Person) -> str:
    """Erase the person's account. Returns "deleted" or "anonymised".

    Deleted through the ORM: memberships (and their history), absences, messages received
    (recipients, with their deliveries and replies), replies, notices (with their
    deliveries; those sent to their address or number without an account too), push
    subscriptions, phone verifications, consents, e-mail addresses, second factors, zone and
    municipal functions, and the local outbox copies sent to their address or number (the
    task backend holds nothing of theirs: a delivery task's arguments are ids). Kept without
    the link: reports they filed, audit entries, decisions and changes they made. The person
    row is deleted; where a message they sent, a campaign they created or a plan they
    approved must keep its author (on_delete=PROTECT), it is anonymised instead.
    """
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        blockers = erasure_blockers(person)
        if blockers:
            raise ValidationError(
                _(
                    "You are the only coordinator of %(networks)s. Ask for a handover to "
                    "another coordinator first; then you can erase your account."
                )
                % {"networks": ", ".join(n.name for n in blockers)},
                code="only_coordinator",
            )
        addresses = [a for a in {person.email, person.phone} if a]
        addresses += list(EmailAddress.objects.filter(user=person).values_list("email", flat=True))
        _forget_admin_history(person)
        Recipient.objects.filter(person=person).delete()  # with deliveries and their replies
        Reply.objects.filter(author=person).delete()
        Absence.objects.filter(person=person).delete()
        MembershipModel.objects.filter(person=person).delete()
        ZoneStaff.objects.filter(person=person).delete()
        MunicipalPartner.objects.filter(person=person).delete()
        PushSubscription.objects.filter(person=person).delete()
        PhoneVerification.objects.filter(person=person).delete()
        Consent.objects.filter(person=person).delete()
        Authenticator.objects.filter(user=person).delete()
        EmailAddress.objects.filter(user=person).delete()
        sent_to_them = models.Q(person=person) | models.Q(phone__in=addresses)
        for address in addresses:
            # An address is one whatever its case: allauth may store it as it was typed.
            sent_to_them |= models.Q(email__iexact=address)
        Notice.objects.filter(sent_to_them).delete()
        OutboxMessage.objects.filter(recipient__in=addresses).delete()
        _null_links(person)
        try:
            with transaction.atomic():
                person.delete()
        except (ProtectedError, RestrictedError):
            _anonymise(person)
            return "anonymised"
        return "deleted"


def _forget_admin_history(person: Person) -> None:
    """The Django admin's change history names the objects it changed (str(person) is
    their name): entries about the person and their memberships lose that text."""
    memberships = list(MembershipModel.objects.filter(person=person).values_list("pk", flat=True))
    about = models.Q(
        content_type=ContentType.objects.get_for_model(Person), object_id=str(person.pk)
    ) | models.Q(
        content_type=ContentType.objects.get_for_model(MembershipModel),
        object_id__in=[str(pk) for pk in memberships],
    )
    LogEntry.objects.filter(about).update(object_repr=ERASED_NAME, change_message="")


def _anonymise(person: Person) -> None:
    person.full_name = ERASED_NAME
    person.email = f"erased-{person.pk}@invalid"
    person.phone = ""
    person.phone_verified_at = None
    person.street = person.house_number = person.postcode = person.city = ""
    person.latitude = person.longitude = None
    person.channels = []
    person.quiet_hours_start = person.quiet_hours_end = None
    person.is_active = False
    person.is_staff = False
    person.is_superuser = False
    person.last_login = None
    person.set_unusable_password()
    person.save()
    person.groups.clear()
    person.user_permissions.clear()
