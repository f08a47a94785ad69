"""Composing, approving, sending and following up messages.

Sending is set-based: the audience snapshot (Recipient) and one Delivery per recipient ×
channel are written by a few INSERT … SELECT statements in the same transaction as the
message, whatever the audience size; the delivery workers are enqueued after the commit.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.common import limits
from buurtnet.common.private_files import storing
from buurtnet.common.rule import Approver, Rule
from buurtnet.delivery import notices, outbox, reach
from buurtnet.delivery.models import Delivery, DeliveryState
from buurtnet.delivery.phones import normalize_phone
from buurtnet.delivery.services import notify_person
from buurtnet.networks.models import Membership, MembershipStatus, Network, PoliceZone, Role
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Channel, Person
from buurtnet.plans.models import POLICE_ROLES, MessageKind, PoliceRoute, SenderRole
from buurtnet.plans.services import EffectivePlan, effective_plans, sender_roles
from buurtnet.webhooks import services as webhooks

from . import attachments, content_check, sms_segments, targets, tasks
from .models import (
    ForwardStage,
    Message,
    MessageNetwork,
    MessageStatus,
    MessageText,
    Recipient,
    Reply,
)

COMPOSABLE_KINDS = [MessageKind.ALERT, MessageKind.NOTICE, MessageKind.TIP, MessageKind.RELAY]
ROLE_PREFERENCE = [
    SenderRole.OFFICER,
    SenderRole.ZONE_STAFF,
    SenderRole.COORDINATOR,
    SenderRole.STEERING,
    SenderRole.MEMBER,
]
# What a member may answer with an observation that the officer makes a report of.
REPORTABLE_KINDS = (MessageKind.ALERT, MessageKind.NOTICE, MessageKind.RELAY)
ACKNOWLEDGE_WORDS = {"ok", "oké", "oke", "okay", "ja", "oui", "yes", "gezien", "vu"}


MAX_SCHEDULE_AHEAD = timedelta(days=366)
MAX_ATTACHMENT = 5_000_000


@dataclass
class Draft:
    """What a sender composed, before any rule was applied."""

    kind: str
    texts: dict[str, dict]  # language -> {"title", "body", "sms_text"}
    target: dict
    language: str = "nl"
    zone_id: int | None = None
    scheduled_for: datetime | None = None
    is_exercise: bool = False
    attachment: object | None = None  # an UploadedFile
    public: bool = False  # a police notice also shown in the BIN's public feed
    # The compose form's one-time token or the API's Idempotency-Key: submitting the same
    # draft again with it returns the first message (submit_once).
    idempotency_key: str = ""


@dataclass
class Route:
    """How the message reaches one network under that network's plan."""

    network: Network
    plan: EffectivePlan
    rule: Rule
    sender_role: str
    needs_approval: bool
    stage: str


@dataclass
class Preview:
    routes: list[Route]
    excluded: list[tuple[Network, str]]
    people: int = 0
    channels: dict[str, int] = field(default_factory=dict)
    not_reachable: dict[str, int] = field(default_factory=dict)

    @property
    def deliveries(self) -> int:
        return sum(self.channels.values())

    @property
    def rows(self) -> list[tuple[str, str, int, int]]:
        labels = dict(Channel.choices)
        return [
            (channel, labels.get(channel, channel), n, self.not_reachable.get(channel, 0))
            for channel, n in self.channels.items()
        ]

    @property
    def needs_approval(self) -> bool:
        return any(route.needs_approval for route in self.routes)


# --- Who may send what, where ------------------------------------------------------------


def sender_zones(person: Person) -> list[PoliceZone]:
    standing = Standing.of(person)
    network_ids = list(standing.network_roles)
    ids = set(standing.zone_ids) | set(
        Network.objects.filter(pk__in=network_ids).values_list("municipality__zone_id", flat=True)
    )
    if standing.is_superuser:
        return list(PoliceZone.objects.order_by("name"))
    return list(PoliceZone.objects.filter(pk__in=ids).order_by("name"))


def plan_routes(
    sender: Person, kind: str, networks: list[Network]
) -> tuple[list[Route], list[tuple[Network, str]]]:
    """Split networks into those whose plan lets this sender send this kind, and the rest
    with the reason."""
    plans = effective_plans(networks)
    routes, excluded = [], []
    coordinated = _networks_with_coordinator([n.pk for n in networks])
    for network in networks:
        plan = plans[network.pk]
        rule = plan.rule_of(kind)
        allowed = [r for r in ROLE_PREFERENCE if r in sender_roles(sender, network)]
        allowed = [r for r in allowed if rule and rule.may_send(r)]
        if not allowed:
            excluded.append((network, _("its plan does not let you send this kind of message")))
            continue
        role = allowed[0]
        via_coordinator = (
            role in POLICE_ROLES
            and plan.police_route == PoliceRoute.VIA_COORDINATOR
            and network.pk in coordinated
        )
        routes.append(
            Route(
                network=network,
                plan=plan,
                rule=rule,
                sender_role=role,
                needs_approval=rule.needs_approval(role),
                stage=ForwardStage.COORDINATOR if via_coordinator else ForwardStage.MEMBERS,
            )
        )
    return routes, excluded


def _networks_with_coordinator(network_ids: list[int]) -> set[int]:
    return set(
        Membership.objects.filter(
            network_id__in=network_ids, role=Role.COORDINATOR, status=MembershipStatus.APPROVED
        ).values_list("network_id", flat=True)
    )


def _zone_for(sender: Person, draft: Draft) -> PoliceZone:
    zones = sender_zones(sender)
    if not zones:
        raise PermissionDenied
    if draft.zone_id is None:
        return zones[0]
    for zone in zones:
        if zone.pk == int(draft.zone_id):
            return zone
    raise ValidationError({"target": _("You cannot send messages in that zone.")})


def prepare(sender: Person, draft: Draft) -> tuple[PoliceZone, Preview]:
    """Resolve the target and the plans. Raises PermissionDenied when no targeted network's
    plan lets this person send this kind, ValidationError for a bad target."""
    if draft.kind not in COMPOSABLE_KINDS:
        raise ValidationError({"kind": _("Choose what kind of message this is.")})
    zone = _zone_for(sender, draft)
    try:
        networks = targets.resolve(zone.pk, draft.target)
    except ValidationError as exc:
        raise ValidationError({"target": exc.messages}) from exc
    if not networks:
        raise ValidationError({"target": _("There is no active BIN in what you chose.")})
    routes, excluded = plan_routes(sender, draft.kind, networks)
    if not routes:
        raise PermissionDenied(_("The communication plan does not let you send this message."))
    return zone, Preview(routes=routes, excluded=excluded)


# --- Validation --------------------------------------------------------------------------


def validate(sender: Person, draft: Draft, preview: Preview) -> None:
    """Every rule a message must meet before it is stored; raises one ValidationError
    with the errors per field so the form can show each next to its field."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    texts = {lang: t for lang, t in draft.texts.items() if any(v.strip() for v in t.values())}
    if draft.language not in texts:
        add(f"body_{draft.language}", _("Write the message in its main language."))
    for lang, text in texts.items():
        if not text.get("title", "").strip():
            add(f"title_{lang}", _("Give the message a title."))
        if not text.get("body", "").strip():
            add(f"body_{lang}", _("The message is empty. Write what members need to know."))
    limit = min(route.plan.sms_segment_limit for route in preview.routes)
    for lang, text in texts.items():
        sms = text.get("sms_text", "")
        counted = sms_segments.count(sms)
        if counted.segments > limit:
            add(
                f"sms_text_{lang}",
                _(
                    "The SMS text takes %(segments)d SMS segments; the plan allows at most "
                    "%(limit)d. Shorten it."
                )
                % {"segments": counted.segments, "limit": limit},
            )
    if draft.scheduled_for and draft.scheduled_for <= timezone.now():
        add("scheduled_for", _("That moment has passed. Choose a time in the future."))
    elif draft.scheduled_for and draft.scheduled_for > timezone.now() + MAX_SCHEDULE_AHEAD:
        add("scheduled_for", _("A message can be scheduled at most a year ahead."))
    if draft.attachment is not None and getattr(draft.attachment, "size", 0) > MAX_ATTACHMENT:
        # It goes by e-mail to every member: a mailbox refuses what is much larger.
        add(
            "attachment",
            _("The attachment is too large: at most %(mb)s MB.")
            % {"mb": MAX_ATTACHMENT // 1_000_000},
        )
    police = all(route.sender_role in POLICE_ROLES for route in preview.routes)
    plates_allowed = police and all(route.rule.plates_allowed for route in preview.routes)
    if draft.public and (draft.kind != MessageKind.NOTICE or not police):
        add("public", _("Only a notice from the police can be made public."))
    # A public notice is read by anyone: every check applies, whoever sends it.
    plates_allowed = plates_allowed and not draft.public
    for lang, text in texts.items():
        for name in ("title", "body", "sms_text"):
            findings = content_check.check_text(text.get(name, ""), allow_plates=plates_allowed)
            if police and not draft.public:
                findings = [f for f in findings if f.kind == "plate"]
            for finding in findings:
                add(f"{name}_{lang}", finding.explanation)
    if draft.attachment is not None and "attachment" not in errors:
        for explanation in attachments.check(
            _uploaded_bytes(draft.attachment),
            draft.attachment.name,
            trusted=police and not draft.public,
            allow_plates=plates_allowed,
        ):
            add("attachment", explanation)
    if errors:
        raise ValidationError(errors)


def _uploaded_bytes(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


# --- Audience and preview ----------------------------------------------------------------


def audience_counts(preview: Preview) -> Preview:
    """Fill in how many people and deliveries per channel the message will make."""
    members_ids = [r.network.pk for r in preview.routes if r.stage == ForwardStage.MEMBERS]
    coordinator_ids = [r.network.pk for r in preview.routes if r.stage == ForwardStage.COORDINATOR]
    audience, params = _audience_sql(members_ids, coordinator_ids)
    people_sql = f"SELECT COUNT(DISTINCT m.person_id) {audience}"
    with connection.cursor() as cursor:
        cursor.execute(people_sql, params)
        preview.people = cursor.fetchone()[0]
        for channel in ("email", "sms", "push", "voice", "inapp"):
            ids = [r.network.pk for r in preview.routes if r.rule.sends_on(channel)]
            if channel == "inapp":
                ids = [r.network.pk for r in preview.routes]
            if not ids:
                continue
            chosen = "1=1" if channel == "inapp" else reach.chosen_sql("p.channels", channel)
            usable = reach.usable_sql(channel)
            placeholders = ",".join(["%s"] * len(ids))
            cursor.execute(
                f"SELECT COUNT(DISTINCT CASE WHEN {usable} THEN m.person_id END), "
                f"COUNT(DISTINCT m.person_id) {audience} "
                f"AND m.network_id IN ({placeholders}) AND {chosen}",
                [*params, *ids],
            )
            ok, chose = cursor.fetchone()
            if chose:
                preview.channels[channel] = ok
                if chose - ok:
                    preview.not_reachable[channel] = chose - ok
    return preview


def _audience_sql(members_ids: list[int], coordinator_ids: list[int]) -> tuple[str, list]:
    conditions, params = [], []
    if members_ids:
        conditions.append(f"m.network_id IN ({','.join(['%s'] * len(members_ids))})")
        params += members_ids
    if coordinator_ids:
        conditions.append(
            f"(m.network_id IN ({','.join(['%s'] * len(coordinator_ids))}) AND m.role = %s)"
        )
        params += [*coordinator_ids, Role.COORDINATOR]
    where = " OR ".join(conditions) or "1=0"
    return (
        "FROM networks_membership m JOIN people_person p ON p.id = m.person_id "
        f"{reach.CONFIRMED_EMAIL_JOIN} "
        f"WHERE m.status = 'approved' AND p.is_active = TRUE AND ({where})",
        params,
    )


def preview_message(sender: Person, draft: Draft) -> Preview:
    _zone, preview = prepare(sender, draft)
    return audience_counts(preview)


# --- Submitting --------------------------------------------------------------------------


# How long a message answers for its idempotency key: a second submit of the same form or
# API request within this time returns it. After it, the key may name a new message.
IDEMPOTENCY_KEY_TTL = timedelta(hours=48)


class IdempotencyKeyReused(ValidationError):
    """The key already made a message, from other content: nothing is sent. `earlier` is
    that message."""

    def __init__(self, earlier: Message) -> None:
        super().__init__(
            _(
                "This form was already sent, with other content, as the message "
                "“%(title)s”. To send what you see here as a new message, press Send again."
            )
            % {"title": earlier.title},
            code="idempotency_key_reused",
        )
        self.earlier = earlier


def submit(sender: Person, draft: Draft, *, hold_for_officer: bool = False) -> Message:
    """Store a composed message and send it now, schedule it, or queue it for approval.
    `hold_for_officer` queues it for the officers of its BINs whatever the plan says (a CAP
    alert imported from another system waits for a person to look at it)."""
    return submit_once(sender, draft, hold_for_officer=hold_for_officer)[0]


def submit_once(
    sender: Person, draft: Draft, *, hold_for_officer: bool = False
) -> tuple[Message, bool]:
    """As `submit`, and a second submit of the same draft with the same idempotency key
    returns the first message instead of sending again: (message, created). The same key
    with other content raises IdempotencyKeyReused.

    The database holds one message per sender and key: two requests at the same moment
    wait for each other on the sender's row, and if one still slips through, the unique
    constraint refuses it and the first message is returned. A repeat is answered before
    any rule is applied, so it never counts against a rate limit."""
    key = draft.idempotency_key
    fingerprint = draft_fingerprint(draft) if key else ""
    if key and (earlier := _earlier_submission(sender, key, fingerprint)) is not None:
        return earlier, False
    zone, preview = prepare(sender, draft)
    validate(sender, draft, preview)
    if hold_for_officer:
        for route in preview.routes:
            route.needs_approval = True
            route.rule = route.rule.replace(approver=Approver.OFFICER)
    try:
        with transaction.atomic():
            if key:
                limits.serialize_for(sender.pk)
                if (earlier := _earlier_submission(sender, key, fingerprint)) is not None:
                    return earlier, False
                _release_expired_key(sender, key)
            if draft.kind == MessageKind.RELAY:
                _check_relay_rate(sender, [route.network for route in preview.routes])
            message = _create(sender, zone, draft, preview, fingerprint)
            if preview.needs_approval:
                message.status = MessageStatus.AWAITING_APPROVAL
                message.save(update_fields=["status"])
                _tell_approvers(message, preview)
            elif draft.scheduled_for:
                message.status = MessageStatus.SCHEDULED
                message.save(update_fields=["status"])
                tasks.schedule_dispatch(message.pk, message.kind, draft.scheduled_for)
            else:
                send(message)
    except IntegrityError:
        # The same submit arrived twice at the same moment; the other request stored it.
        earlier = _earlier_submission(sender, key, fingerprint) if key else None
        if earlier is None:
            raise
        return earlier, False
    return message, True


def draft_fingerprint(draft: Draft) -> str:
    """A hash of what a draft says (texts, target, kind, timing, attachment), to tell a
    repeated submit from another message sent with the same key."""
    attachment = ""
    if draft.attachment is not None:
        attachment = hashlib.sha256(_uploaded_bytes(draft.attachment)).hexdigest()
    texts = {
        lang: {name: str(value).strip() for name, value in sorted(text.items())}
        for lang, text in sorted(draft.texts.items())
        if any(str(value).strip() for value in text.values())
    }
    content = {
        "kind": draft.kind,
        "language": draft.language,
        "texts": texts,
        "target": draft.target,
        "zone": str(draft.zone_id or ""),
        "scheduled_for": draft.scheduled_for.isoformat() if draft.scheduled_for else "",
        "is_exercise": bool(draft.is_exercise),
        "public": bool(draft.public),
        "attachment": attachment,
    }
    canonical = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _earlier_submission(sender: Person, key: str, fingerprint: str) -> Message | None:
    """The message this sender already made with this key, if the key has not expired.
    Raises IdempotencyKeyReused when it was made from other content."""
    earlier = (
        Message.objects.filter(
            sender=sender,
            idempotency_key=key,
            created_at__gte=timezone.now() - IDEMPOTENCY_KEY_TTL,
        )
        .prefetch_related("texts", "networks")
        .first()
    )
    if earlier is not None and earlier.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused(earlier)
    return earlier


def _release_expired_key(sender: Person, key: str) -> None:
    """An expired key no longer names its message, so the unique constraint lets a new
    message take it (a client may reuse its keys after IDEMPOTENCY_KEY_TTL)."""
    Message.objects.filter(
        sender=sender,
        idempotency_key=key,
        created_at__lt=timezone.now() - IDEMPOTENCY_KEY_TTL,
    ).update(idempotency_key="", idempotency_fingerprint="")


def _check_relay_rate(sender: Person, networks: list[Network]) -> None:
    """A relay reaches every member of the BIN (or its officer first, for approval): one
    coordinator cannot flood them. Counted per BIN, whatever became of the earlier ones."""
    limits.serialize_for(sender.pk)
    relays = Message.objects.filter(sender=sender, kind=MessageKind.RELAY)
    for network in networks:
        limits.check_rate(
            relays.filter(networks__network=network),
            "relay_network",
            _(
                "You composed %(count)d relays for %(bin)s in the last %(period)s. You can "
                "send another one %(wait)s."
            ),
            values={"bin": network.name},
        )


def _create(
    sender: Person, zone: PoliceZone, draft: Draft, preview: Preview, fingerprint: str = ""
) -> Message:
    role = preview.routes[0].sender_role
    message = Message.objects.create(
        zone=zone,
        sender=sender,
        sender_role=role,
        kind=draft.kind,
        status=MessageStatus.SCHEDULED,
        is_exercise=draft.is_exercise,
        language=draft.language,
        target=draft.target,
        scheduled_for=draft.scheduled_for,
        public=draft.public,
        idempotency_key=draft.idempotency_key,
        idempotency_fingerprint=fingerprint,
    )
    if draft.attachment is not None:
        name = attachments.display_name(_uploaded_bytes(draft.attachment), draft.attachment.name)
        # Raised inside submit's transaction: the message is not created at all.
        message_if_down = _(
            "The attachment could not be stored just now, so the message was not sent. Try "
            "again in a few minutes."
        )
        with storing(name, message_if_down, field="attachment"):
            message.attachment.save(name, draft.attachment, save=True)
    MessageText.objects.bulk_create(
        MessageText(
            message=message,
            language=lang,
            title=text["title"].strip(),
            body=text["body"].strip(),
            sms_text=text.get("sms_text", "").strip(),
        )
        for lang, text in draft.texts.items()
        if text.get("title", "").strip() and text.get("body", "").strip()
    )
    MessageNetwork.objects.bulk_create(
        MessageNetwork(
            message=message,
            network=route.network,
            plan_version=route.plan.version,
            # The plan's forward deadline travels with the rule snapshot.
            rule=route.rule.replace(
                forward_within_minutes=route.plan.forward_within_minutes
            ).to_json(),
            stage=route.stage,
        )
        for route in preview.routes
    )
    return message


def _tell_approvers(message: Message, preview: Preview) -> None:
    network_ids = [r.network.pk for r in preview.routes if r.needs_approval]
    approver_roles = {r.rule.approver for r in preview.routes if r.needs_approval}
    approvers = Person.objects.filter(
        memberships__network_id__in=network_ids,
        memberships__role__in=approver_roles,
        memberships__status=MembershipStatus.APPROVED,
    ).distinct()
    for person in approvers:
        notify_person(
            person,
            "messaging/email/approval_needed",
            {"message": message},
            kind=notices.APPROVAL,
            key=f"approval-needed-{message.pk}",
        )


def send(message: Message) -> int:
    """Write the audience snapshot and the deliveries, mark the message sent and enqueue
    the workers after commit. Must run inside the caller's transaction. Returns the number
    of recipients."""
    now = timezone.now()
    languages = list(message.texts.values_list("language", flat=True))
    with connection.cursor() as cursor:
        count = _insert_recipients(cursor, message, languages, now)
    return _deliver(message, list(message.networks.all()), count, now)


def _deliver(message: Message, links: list[MessageNetwork], count: int, now: datetime) -> int:
    """Write the deliveries of the recipients already written, mark the message sent and
    enqueue the workers after commit."""
    per_channel = [
        (channel, [link.pk for link in links if link.applied_rule.sends_on(channel)])
        for channel in ("email", "sms", "push", "voice")
    ]
    outbox.write_deliveries(message.pk, per_channel, now)
    for link in links:
        if link.stage == ForwardStage.COORDINATOR:
            minutes = link.applied_rule.forward_within_minutes
            link.forward_due_at = now + timedelta(minutes=minutes)
            link.save(update_fields=["forward_due_at"])
    message.status = MessageStatus.SENT
    message.sent_at = now
    message.recipient_count = count
    message.save(update_fields=["status", "sent_at", "recipient_count"])
    outbox.enqueue_message(message.pk)
    webhooks.message_sent(message, [link.network_id for link in links])
    return count


def send_direct(
    *,
    sender: Person,
    sender_role: str,
    network: Network,
    people: list[Person],
    kind: str,
    texts: dict[str, dict],
    language: str,
    rule: Rule,
    plan_version: int | None = None,
) -> Message:
    """Send a message to named people of one network, outside the plan's audience: a
    member's report to the BIN's officer, the officer's feedback to that member. The rule
    gives the channels and hours, as for any message. Must run inside a transaction."""
    now = timezone.now()
    message = Message.objects.create(
        zone_id=network.municipality.zone_id,
        sender=sender,
        sender_role=sender_role,
        kind=kind,
        status=MessageStatus.SCHEDULED,
        language=language,
        # Who the people are stays in Recipient; the target only says it was personal.
        target={"type": "people", "networks": [network.pk]},
    )
    MessageText.objects.bulk_create(
        MessageText(
            message=message,
            language=lang,
            title=text["title"][:150],
            body=text["body"],
            sms_text=text.get("sms_text", "")[:1530],
        )
        for lang, text in texts.items()
    )
    link = MessageNetwork.objects.create(
        message=message,
        network=network,
        plan_version=plan_version,
        rule=rule.to_json(),
        stage=ForwardStage.MEMBERS,
    )
    unique = {person.pk: person for person in people if person.is_active}
    Recipient.objects.bulk_create(
        Recipient(
            message=message,
            person=person,
            link=link,
            language=person.language if person.language in texts else language,
        )
        for person in unique.values()
    )
    _deliver(message, [link], len(unique), now)
    return message


def _insert_recipients(cursor, message: Message, languages: list[str], now) -> int:
    placeholders = ",".join(["%s"] * len(languages))
    cursor.execute(
        "INSERT INTO messaging_recipient (message_id, person_id, link_id, language) "  # noqa: S608 - fixed fragments only; values are parameters
        "SELECT %s, m.person_id, MIN(l.id), "
        f"CASE WHEN p.language IN ({placeholders}) THEN p.language "
        f"WHEN MIN(n.language) IN ({placeholders}) THEN MIN(n.language) ELSE %s END "
        "FROM networks_membership m "
        "JOIN messaging_messagenetwork l ON l.network_id = m.network_id AND l.message_id = %s "
        "JOIN networks_network n ON n.id = m.network_id "
        "JOIN people_person p ON p.id = m.person_id "
        "WHERE m.status = 'approved' AND p.is_active = TRUE "
        "AND (l.stage = 'members' OR m.role = 'coordinator') "
        "GROUP BY m.person_id, p.language",
        [message.pk, *languages, *languages, message.language, message.pk],
    )
    return cursor.rowcount


def dispatch_scheduled(message_id: int, now: datetime | None = None) -> bool:
    """Send a scheduled message whose time has come. Safe to call twice."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != MessageStatus.SCHEDULED:
            return False
        if message.scheduled_for and message.scheduled_for > (now or timezone.now()):
            return False
        send(message)
    return True


def dispatch_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    due = Message.objects.filter(status=MessageStatus.SCHEDULED, scheduled_for__lte=now)
    return sum(dispatch_scheduled(pk, now) for pk in due.values_list("pk", flat=True))


# --- Managing a message --------------------------------------------------------------------


def can_manage(person: Person, message: Message) -> bool:
    """The sender, and the police of the message's networks, follow up a message. A
    message Buurtnet sent itself (no sender) is followed up by the police only."""
    if message.sender_id is not None and message.sender_id == person.pk:
        return True
    standing = Standing.of(person)
    if standing.is_superuser or message.zone_id in standing.zone_ids:
        return True
    # .all(): a list that prefetched the links asks nothing more per message.
    network_ids = {link.network_id for link in message.networks.all()}
    return any(standing.network_roles.get(n) == Role.OFFICER for n in network_ids)


def manageable(person: Person) -> QuerySet[Message]:
    """The messages `can_manage` lets this person follow up, as one query (the API's list):
    what they sent, their zones' messages, and those of the BINs where they are the officer.
    Rows are checked with can_manage again."""
    standing = Standing.of(person)
    messages = Message.objects.prefetch_related("texts", "networks")
    if standing.is_superuser:
        return messages
    officer_of = [n for n, role in standing.network_roles.items() if role == Role.OFFICER]
    return messages.filter(
        Q(sender=person)
        | Q(zone_id__in=standing.zone_ids)
        | Q(pk__in=Message.objects.filter(networks__network_id__in=officer_of).values("pk"))
    )


def cancel(message: Message, by: Person) -> Message:
    if not can_manage(by, message):
        raise PermissionDenied
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.status not in (MessageStatus.SCHEDULED, MessageStatus.AWAITING_APPROVAL):
            raise ValidationError(_("Only a message that has not been sent can be cancelled."))
        message.status = MessageStatus.CANCELLED
        message.decided_by, message.decided_at = by, timezone.now()
        message.save(update_fields=["status", "decided_by", "decided_at"])
    return message


def approval_queue(person: Person):
    """Messages waiting for this person's approval: relays in BINs where they are the
    approver the plan names."""
    standing = Standing.of(person)
    approver_networks = [n for n, role in standing.network_roles.items() if role in (Role.OFFICER,)]
    coordinator_networks = [
        n for n, role in standing.network_roles.items() if role == Role.COORDINATOR
    ]
    return (
        Message.objects.filter(status=MessageStatus.AWAITING_APPROVAL)
        .filter(
            Q(networks__network_id__in=approver_networks, networks__rule__approver="officer")
            | Q(
                networks__network_id__in=coordinator_networks,
                networks__rule__approver="coordinator",
            )
        )
        .exclude(sender=person)
        .distinct()
        .select_related("sender")
        .prefetch_related("texts")
    )


def decide(message: Message, by: Person, approve: bool, note: str = "") -> Message:
    if not approval_queue(by).filter(pk=message.pk).exists():
        raise PermissionDenied
    if not approve and not note.strip():
        raise ValidationError({"note": _("Tell the sender why it is not approved.")})
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.status != MessageStatus.AWAITING_APPROVAL:
            raise ValidationError(_("This message was already decided on."))
        message.decided_by, message.decided_at = by, timezone.now()
        message.decision_note = note.strip()
        if not approve:
            message.status = MessageStatus.REJECTED
            message.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
            notify_person(
                message.sender,
                "messaging/email/not_approved",
                {"message": message},
                kind=notices.DECISION,
                key=f"not-approved-{message.pk}",
            )
            return message
        message.save(update_fields=["decided_by", "decided_at", "decision_note"])
        if message.scheduled_for and message.scheduled_for > timezone.now():
            message.status = MessageStatus.SCHEDULED
            message.save(update_fields=["status"])
            tasks.schedule_dispatch(message.pk, message.kind, message.scheduled_for)
        else:
            send(message)
    return message


# --- Two levels: the coordinator forwards police messages ---------------------------------


def forward_queue(person: Person):
    standing = Standing.of(person)
    ids = [n for n, role in standing.network_roles.items() if role == Role.COORDINATOR]
    return (
        MessageNetwork.objects.filter(network_id__in=ids, stage=ForwardStage.COORDINATOR)
        .select_related("message", "network")
        .prefetch_related("message__texts")
        .order_by("forward_due_at")
    )


def forward(link: MessageNetwork, by: Person, texts: dict[str, dict]) -> Message:
    """The coordinator passes a police message on to their members, possibly shortened.
    Only fragments already in the police text may contain plates or phone numbers."""
    if not forward_queue(by).filter(pk=link.pk).exists():
        raise PermissionDenied
    parent = link.message
    original = " ".join(f"{t.title} {t.body} {t.sms_text}" for t in parent.texts.all())
    errors: dict[str, list[str]] = {}
    for lang, text in texts.items():
        if not text.get("body", "").strip() and not text.get("title", "").strip():
            continue
        if not text.get("body", "").strip():
            errors.setdefault(f"body_{lang}", []).append(_("The message is empty."))
        for name in ("title", "body", "sms_text"):
            for finding in content_check.check_text(text.get(name, "")):
                if finding.text not in original:
                    errors.setdefault(f"{name}_{lang}", []).append(finding.explanation)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        link = MessageNetwork.objects.select_for_update().get(pk=link.pk)
        if link.stage != ForwardStage.COORDINATOR:
            raise ValidationError(_("This message was already forwarded."))
        child = Message.objects.create(
            zone=parent.zone,
            sender=by,
            sender_role=SenderRole.COORDINATOR,
            kind=parent.kind,
            status=MessageStatus.SCHEDULED,
            is_exercise=parent.is_exercise,
            language=parent.language,
            target={"type": "networks", "networks": [link.network_id]},
            parent=parent,
        )
        MessageText.objects.bulk_create(
            MessageText(
                message=child,
                language=lang,
                title=t["title"].strip(),
                body=t["body"].strip(),
                sms_text=t.get("sms_text", "").strip(),
            )
            for lang, t in texts.items()
            if t.get("title", "").strip() and t.get("body", "").strip()
        )
        MessageNetwork.objects.create(
            message=child,
            network=link.network,
            plan_version=link.plan_version,
            rule=link.applied_rule.to_json(),
            stage=ForwardStage.MEMBERS,
        )
        send(child)
        link.stage = ForwardStage.FORWARDED
        link.forwarded_at = timezone.now()
        link.save(update_fields=["stage", "forwarded_at"])
    return child


def flag_overdue_forwards(now: datetime | None = None) -> int:
    """Tell the officer about police messages a coordinator did not forward in time."""
    now = now or timezone.now()
    overdue = MessageNetwork.objects.filter(
        stage=ForwardStage.COORDINATOR, overdue_flagged_at__isnull=True, forward_due_at__lte=now
    ).select_related("message__sender", "network")
    flagged = 0
    for link in overdue:
        with transaction.atomic():
            updated = MessageNetwork.objects.filter(
                pk=link.pk, overdue_flagged_at__isnull=True
            ).update(overdue_flagged_at=now)
            if updated:
                notify_person(
                    link.message.sender,
                    "messaging/email/forward_overdue",
                    {"message": link.message, "network": link.network},
                    kind=notices.OVERDUE,
                    key=f"forward-overdue-{link.pk}",
                )
                flagged += 1
    return flagged


# --- Members: inbox, seen, acknowledge, reply ---------------------------------------------


def inbox(person: Person):
    return (
        Recipient.objects.filter(person=person, message__status=MessageStatus.SENT)
        .select_related("message", "link__network")
        .prefetch_related("message__texts")
        .order_by(
            # Unread first (False sorts before True), then newest.
            ExpressionWrapper(Q(seen_at__isnull=False), output_field=BooleanField()).asc(),
            "-message__sent_at",
            "-id",
        )
    )


def mark_seen(recipient: Recipient) -> None:
    if recipient.seen_at is None:
        now = timezone.now()
        Recipient.objects.filter(pk=recipient.pk, seen_at__isnull=True).update(seen_at=now)
        recipient.seen_at = now


def acknowledge(recipient: Recipient) -> None:
    now = timezone.now()
    Recipient.objects.filter(pk=recipient.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now
    )
    Recipient.objects.filter(pk=recipient.pk, seen_at__isnull=True).update(seen_at=now)
    recipient.refresh_from_db(fields=["seen_at", "acknowledged_at"])


def reply(recipient: Recipient, body: str, channel: str = "inapp") -> Reply:
    body = body.strip()
    if recipient.message.sender_id is None:
        # Buurtnet sent it (a report reaching the police): a reply would reach nobody; the
        # page it links to is where to answer.
        raise ValidationError(
            _("Nobody reads replies to this notice: answer on the page it links to.")
        )
    if not body:
        raise ValidationError({"body": _("Write your reply first.")})
    with transaction.atomic():
        _check_reply_rate(recipient)
        mark_seen(recipient)
        created = Reply.objects.create(
            message_id=recipient.message_id,
            recipient=recipient,
            author_id=recipient.person_id,
            channel=channel,
            body=body[:4000],
        )
        message = recipient.message
        notify_person(
            message.sender,
            "messaging/email/reply_received",
            {"message": message},
            kind=notices.REPLY,
            key=f"reply-{created.pk}",
        )
    return created


def _check_reply_rate(recipient: Recipient) -> None:
    """Every reply e-mails the message's sender: one member cannot flood that inbox."""
    limits.serialize_for(recipient.person_id)
    own = Reply.objects.filter(author_id=recipient.person_id)
    limits.check_rate(
        own.filter(message_id=recipient.message_id),
        "reply_message",
        _(
            "You already answered this message %(count)d times in the last %(period)s. You "
            "can reply again %(wait)s."
        ),
        field="received_at",
    )
    limits.check_rate(
        own,
        "reply_person",
        _("You sent %(count)d replies in the last %(period)s. You can reply again %(wait)s."),
        field="received_at",
    )


def reply_by_phone(phone: str, text: str, channel: str = "sms") -> str:
    """Thread an SMS reply to the newest message this number received by SMS.
    "OK" (in any of our languages) acknowledges; anything else is a reply."""
    number = _e164(phone)
    if not number:
        return "unknown"
    recipient = (
        Recipient.objects.filter(
            person__phone=number,
            person__phone_verified_at__isnull=False,
            deliveries__channel=channel,
            deliveries__state__in=[DeliveryState.SENT, DeliveryState.DELIVERED],
            message__sent_at__gte=timezone.now() - timedelta(days=7),
        )
        .exclude(message__sender__isnull=True)
        .select_related("message")
        .order_by("-message__sent_at", "-id")
        .first()
    )
    if recipient is None:
        return "unknown"
    words = text.strip().strip(".!").lower()
    if words in ACKNOWLEDGE_WORDS:
        acknowledge(recipient)
        return "acknowledged"
    try:
        reply(recipient, text, channel=channel)
    except limits.RateLimited:
        # The provider must not retry it; the text is dropped like any flood.
        return "limited"
    return "replied"


# --- Following up -------------------------------------------------------------------------


def progress(message: Message) -> dict:
    """Deliveries per channel and state, and how many people saw and acknowledged it."""
    counts: dict[str, dict[str, int]] = {}
    rows = (
        Delivery.objects.filter(message=message)
        .values_list("channel", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for channel, state, n in rows:
        counts.setdefault(channel, {})[state] = n
    people = Recipient.objects.filter(message=message).aggregate(
        total=Count("id"),
        seen=Count("id", filter=Q(seen_at__isnull=False)),
        acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
    )
    return {"message": message.pk, "status": message.status, "channels": counts, **people}


def unreached(message: Message):
    """People the message did not reach on any channel but the inbox, with the reasons."""
    reached = Delivery.objects.filter(
        recipient=OuterRef("pk"), state__in=[DeliveryState.SENT, DeliveryState.DELIVERED]
    ).exclude(channel="inapp")
    return (
        Recipient.objects.filter(message=message, seen_at__isnull=True)
        .annotate(reached=Exists(reached))
        .filter(reached=False)
        .select_related("person", "link__network")
        .prefetch_related("deliveries")
        .order_by("person__full_name")
    )


def _e164(phone: str) -> str:
    try:
        return normalize_phone(phone) if phone else ""
    except ValidationError:
        return ""
