"""Writing and publishing tips, and running the campaigns that send them."""

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.common import markdown, photos
from buurtnet.common.private_files import storing
from buurtnet.messaging import services as messaging
from buurtnet.messaging import sms_segments
from buurtnet.messaging.models import Recipient
from buurtnet.messaging.targets import RECEIVING_STATUSES
from buurtnet.networks.models import Municipality, Network, NetworkKind, PoliceZone
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person
from buurtnet.plans.models import MessageKind

from .models import (
    Campaign,
    CampaignSend,
    CampaignTip,
    Recurrence,
    Theme,
    Tip,
    TipStatus,
    TipText,
)
from .schedule import MAX_PERIOD_DAYS, Schedule, same_day_in

logger = logging.getLogger(__name__)

LANGUAGES = ("nl", "fr", "en")
# Campaigns are planned for the coming seasons, not decades: a far date is a typing error.
PLAN_AHEAD = timedelta(days=2 * 366)
STARTER_TIPS = Path(__file__).with_name("starter_tips.json")
SMS_SEGMENTS = 2


# --- Who may do what ----------------------------------------------------------------------


def tip_zones(person: Person) -> list[PoliceZone]:
    """Zones whose tips this person writes: as zone staff, or as a partner (prevention
    service) of one of its municipalities."""
    standing = Standing.of(person)
    ids = set(standing.zone_ids) | set(
        Municipality.objects.filter(pk__in=standing.partner_municipality_ids).values_list(
            "zone_id", flat=True
        )
    )
    return list(PoliceZone.objects.filter(pk__in=ids).order_by("name"))


def can_edit_tip(person: Person, tip: Tip) -> bool:
    standing = Standing.of(person)
    if tip.zone_id in standing.zone_ids:
        return True
    return tip.municipality_id is not None and (
        tip.municipality_id in standing.partner_municipality_ids
    )


def campaign_zones(person: Person) -> list[PoliceZone]:
    """Campaigns go out as the zone's staff: only they run them."""
    return list(PoliceZone.objects.filter(pk__in=Standing.of(person).zone_ids).order_by("name"))


# --- Tips ------------------------------------------------------------------------------------


@dataclass
class TipInput:
    texts: dict[str, dict]  # language -> {"title", "sms_text", "body"}
    themes: list[str]
    network_kinds: list[str] = field(default_factory=list)
    image: bytes | None = None
    municipality_id: int | None = None


def save_tip(person: Person, zone: PoliceZone, data: TipInput, tip: Tip | None = None) -> Tip:
    """Create or edit a tip (it stays in its status). Raises ValidationError per field."""
    if tip is not None and not can_edit_tip(person, tip):
        raise PermissionDenied
    if zone not in tip_zones(person):
        raise PermissionDenied
    municipality_id = _municipality_for(person, zone, data.municipality_id)
    texts = _validate_tip(data)
    image = photos.clean_photo(data.image) if data.image else None
    with transaction.atomic():
        if tip is None:
            tip = Tip(zone=zone, created_by=person)
        tip.themes = list(data.themes)
        tip.network_kinds = list(data.network_kinds)
        tip.municipality_id = municipality_id
        tip.updated_at = timezone.now()
        if image is not None:
            _store_image(tip, image)
        tip.save()
        tip.texts.all().delete()
        TipText.objects.bulk_create(
            TipText(tip=tip, language=lang, **text) for lang, text in texts.items()
        )
    return tip


def _store_image(tip: Tip, image: photos.CleanPhoto) -> None:
    """Write the tip's image; when the private storage does not answer, the form says so and
    save_tip's transaction rolls back: the tip is not saved."""
    name = f"tip.{image.extension}"
    message = _(
        "The image could not be stored just now, so the tip was not saved. "
        "Try again in a few minutes."
    )
    with storing(name, message, field="image"):
        tip.image.save(name, ContentFile(image.content), save=False)


def _municipality_for(person: Person, zone: PoliceZone, wanted: int | None) -> int | None:
    """A municipal partner writes for their municipality; zone staff may name one."""
    standing = Standing.of(person)
    own = [
        m
        for m in Municipality.objects.filter(zone=zone).values_list("pk", flat=True)
        if m in standing.partner_municipality_ids
    ]
    if zone.pk in standing.zone_ids:
        if wanted and not Municipality.objects.filter(pk=wanted, zone=zone).exists():
            raise ValidationError({"municipality": _("That municipality is not in your zone.")})
        return wanted or None
    if wanted in own:
        return wanted
    return own[0] if own else None


def _validate_tip(data: TipInput) -> dict[str, dict]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    texts = {}
    for lang in LANGUAGES:
        given = data.texts.get(lang, {})
        text = {
            k: markdown.without_controls(given.get(k) or "").strip()
            for k in ("title", "sms_text", "body")
        }
        if not any(text.values()):
            continue
        for name, message in (
            ("title", _("Give this language version a title.")),
            ("sms_text", _("Write the short text for SMS.")),
            ("body", _("Write the full text.")),
        ):
            if not text[name]:
                add(f"{name}_{lang}", message)
        if len(text["title"]) > 150:
            add(f"title_{lang}", _("Keep the title under 150 characters."))
        if sms_segments.count(text["sms_text"]).segments > SMS_SEGMENTS:
            add(
                f"sms_text_{lang}",
                _("The SMS text takes more than %(n)d SMS segments. Shorten it.")
                % {"n": SMS_SEGMENTS},
            )
        texts[lang] = text
    if not texts:
        add("title_nl", _("Write the tip in at least one language."))
    if not data.themes or set(data.themes) - set(Theme.values):
        add("themes", _("Choose at least one theme."))
    if set(data.network_kinds) - set(NetworkKind.values):
        add("network_kinds", _("Choose BIN types from the list."))
    if errors:
        raise ValidationError(errors)
    return texts


def set_status(tip: Tip, by: Person, status: str) -> Tip:
    """Publish (from draft or archive) or archive a tip."""
    if not can_edit_tip(by, tip):
        raise PermissionDenied
    if status not in (TipStatus.PUBLISHED, TipStatus.ARCHIVED, TipStatus.DRAFT):
        raise ValidationError(_("Unknown status."))
    if status == TipStatus.PUBLISHED and not tip.texts.exists():
        raise ValidationError(_("Write the tip in at least one language."))
    tip.status = status
    if status == TipStatus.PUBLISHED and tip.published_at is None:
        tip.published_at = timezone.now()
    tip.save(update_fields=["status", "published_at"])
    return tip


def public_tips(zone: PoliceZone, query: str = "", theme: str = "") -> QuerySet[Tip]:
    """The zone's published tips, newest first, matching the words and the theme."""
    tips = Tip.objects.filter(zone=zone, status=TipStatus.PUBLISHED)
    for word in query.split()[:5]:
        matching = TipText.objects.filter(Q(title__icontains=word) | Q(body__icontains=word))
        tips = tips.filter(pk__in=matching.values("tip_id"))
    if theme in Theme.values:
        # The theme codes are fixed words, so the quoted word matches exactly in the JSON
        # list, the same on SQLite and PostgreSQL.
        tips = tips.filter(themes__icontains=f'"{theme}"')
    return tips.prefetch_related("texts").order_by("-published_at", "-id")


def install_starter_tips(zone: PoliceZone, by: Person | None = None) -> int:
    """Publish the project's starter set in a zone; tips it already has are left alone."""
    entries = json.loads(STARTER_TIPS.read_text(encoding="utf-8"))
    existing = set(Tip.objects.filter(zone=zone).values_list("code", flat=True))
    now = timezone.now()
    added = 0
    with transaction.atomic():
        for entry in entries:
            if entry["code"] in existing:
                continue
            tip = Tip.objects.create(
                zone=zone,
                code=entry["code"],
                themes=entry["themes"],
                network_kinds=entry.get("network_kinds", []),
                status=TipStatus.PUBLISHED,
                created_by=by,
                published_at=now,
            )
            TipText.objects.bulk_create(
                TipText(tip=tip, language=lang, **text) for lang, text in entry["texts"].items()
            )
            added += 1
    return added


# --- Campaigns ---------------------------------------------------------------------------------


@dataclass
class CampaignInput:
    name: str
    tip_ids: list[int]
    network_kinds: list[str] = field(default_factory=list)
    municipality_ids: list[int] = field(default_factory=list)
    whole_zone: bool = False
    recurrence: str = Recurrence.ONCE
    starts_at: datetime | None = None
    period_ends_on: date | None = None
    every_days: int = 7


def create_campaign(person: Person, zone: PoliceZone, data: CampaignInput) -> Campaign:
    if zone not in campaign_zones(person):
        raise PermissionDenied
    tips, municipalities = _validate_campaign(zone, data)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            zone=zone,
            name=data.name.strip(),
            network_kinds=list(data.network_kinds),
            whole_zone=data.whole_zone,
            recurrence=data.recurrence,
            starts_at=data.starts_at,
            period_ends_on=data.period_ends_on if data.recurrence == Recurrence.YEARLY else None,
            every_days=data.every_days,
            created_by=person,
        )
        campaign.municipalities.set(municipalities)
        CampaignTip.objects.bulk_create(
            CampaignTip(campaign=campaign, tip=tip, position=i) for i, tip in enumerate(tips)
        )
        _dry_run(person, campaign)
    return campaign


def _validate_campaign(zone: PoliceZone, data: CampaignInput) -> tuple[list[Tip], list]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not data.name.strip():
        add("name", _("Give the campaign a name."))
    published = Tip.objects.filter(zone=zone, status=TipStatus.PUBLISHED)
    by_id = {t.pk: t for t in published.filter(pk__in=data.tip_ids)}
    tips = [by_id[i] for i in data.tip_ids if i in by_id]
    if not tips or len(tips) != len(set(data.tip_ids)):
        add("tips", _("Choose at least one published tip of your zone."))
    municipalities = list(Municipality.objects.filter(zone=zone, pk__in=data.municipality_ids))
    if len(municipalities) != len(set(data.municipality_ids)):
        add("municipalities", _("That municipality is not in your zone."))
    if set(data.network_kinds) - set(NetworkKind.values):
        add("network_kinds", _("Choose BIN types from the list."))
    if data.whole_zone and (data.network_kinds or data.municipality_ids):
        add(
            "whole_zone",
            _("Choose the whole zone, or BIN types and municipalities, not both."),
        )
    if not (data.whole_zone or data.network_kinds or data.municipality_ids):
        add(
            "whole_zone",
            _("Choose who the campaign is for: BIN types, municipalities or the zone."),
        )
    if not 1 <= (data.every_days or 0) <= MAX_PERIOD_DAYS:
        add("every_days", _("Choose between 1 and 366 days."))
    if data.starts_at is None:
        add("starts_at", _("Say when the campaign starts."))
    elif data.starts_at <= timezone.now():
        add("starts_at", _("That moment has passed. Choose a time in the future."))
    elif data.starts_at > timezone.now() + PLAN_AHEAD:
        add("starts_at", _("Plan a campaign at most two years ahead."))
    if data.recurrence not in Recurrence.values:
        add("recurrence", _("Choose how often."))
    elif data.recurrence == Recurrence.YEARLY and data.starts_at:
        start = timezone.localtime(data.starts_at).date()
        if data.period_ends_on is None:
            add("period_ends_on", _("Say when the period ends."))
        elif data.period_ends_on < start:
            add("period_ends_on", _("The period ends before it starts."))
        elif data.period_ends_on >= same_day_in(start, start.year + 1):
            add("period_ends_on", _("A yearly period must end within a year of its start."))
    if errors:
        raise ValidationError(errors)
    return tips, municipalities


def _dry_run(person: Person, campaign: Campaign) -> None:
    """Check each tip now as it will be sent: to which BINs, under their plans, with the
    messaging checks (number plates, SMS length), so a campaign never fails at its moment
    for a reason known today."""
    errors = []
    for item in campaign.items.all():
        tip = item.tip
        title = tip.text.title if tip.text else str(tip.pk)
        draft = _draft(campaign, tip)
        if draft is None:
            errors.append(
                _("“%(tip)s” suits none of the BINs the campaign is for.") % {"tip": title}
            )
            continue
        try:
            _zone, preview = messaging.prepare(person, draft)
            messaging.validate(person, draft, preview)
        except (ValidationError, PermissionDenied) as exc:
            problems = [m for m in getattr(exc, "messages", None) or [] if m] or [
                _("The communication plans do not let you send it.")
            ]
            errors += [f"“{title}”: {problem}" for problem in problems]
    if errors:
        raise ValidationError({"tips": errors})


def schedule_of(campaign: Campaign) -> Schedule:
    return Schedule(
        recurrence=campaign.recurrence,
        starts_at=campaign.starts_at,
        every_days=campaign.every_days,
        tip_count=len(campaign.items.all()),
        period_ends_on=campaign.period_ends_on,
    )


def target_networks(campaign: Campaign, tip: Tip) -> list[Network]:
    """The running BINs the campaign chose, of the types the tip suits. Chosen types and
    municipalities narrow each other: farmers' BINs of one municipality."""
    networks = Network.objects.filter(
        municipality__zone_id=campaign.zone_id, status__in=RECEIVING_STATUSES
    )
    if not campaign.whole_zone:
        if campaign.network_kinds:
            networks = networks.filter(kind__in=campaign.network_kinds)
        municipality_ids = [m.pk for m in campaign.municipalities.all()]
        if municipality_ids:
            networks = networks.filter(municipality_id__in=municipality_ids)
    if tip.network_kinds:
        networks = networks.filter(kind__in=tip.network_kinds)
    return list(networks.order_by("pk"))


def send_due(now: datetime | None = None) -> int:
    """Send the current tip of every campaign whose moment has come. Safe to run twice and
    from two machines: the moment is claimed by a unique row before anything is sent."""
    now = now or timezone.now()
    campaigns = Campaign.objects.filter(is_active=True, starts_at__lte=now).prefetch_related(
        "items__tip__texts", "municipalities"
    )
    sent = 0
    for campaign in campaigns:
        due = schedule_of(campaign).latest_due(now)
        if due is None:
            continue
        moment, index = due
        if CampaignSend.objects.filter(campaign=campaign, due_at=moment).exists():
            continue  # sent already; the moment stays "latest" until the next one
        tip = campaign.items.all()[index].tip
        try:
            # The claim and the message commit together: a crash in between leaves the
            # moment unclaimed for the next pass, and a second pass at the same time waits
            # on the unique row, then finds it taken.
            with transaction.atomic():
                send = CampaignSend.objects.create(campaign=campaign, due_at=moment, tip=tip)
                sent += _send(campaign, send, tip)
        except IntegrityError:
            continue
        except Exception:
            logger.exception("Campaign %s could not send its tip of %s", campaign.pk, moment)
    return sent


def _draft(campaign: Campaign, tip: Tip) -> "messaging.Draft | None":
    networks = target_networks(campaign, tip)
    if not networks:
        return None
    texts = {
        t.language: {"title": t.title, "body": markdown.to_text(t.body), "sms_text": t.sms_text}
        for t in tip.texts.all()
    }
    return messaging.Draft(
        kind=MessageKind.TIP,
        texts=texts,
        target={"type": "networks", "networks": [n.pk for n in networks]},
        language="nl" if "nl" in texts else next(iter(texts)),
        zone_id=campaign.zone_id,
    )


def _send(campaign: Campaign, send: CampaignSend, tip: Tip) -> int:
    draft = _draft(campaign, tip) if tip.status == TipStatus.PUBLISHED else None
    if draft is None:
        send.error = _("No BIN to send to, or the tip is no longer published.")
        send.save(update_fields=["error"])
        return 0
    if campaign.zone not in campaign_zones(campaign.created_by):
        # Nobody else may send in their name: the campaign stops and says why.
        send.error = _("The campaign's author no longer works for this zone; it was stopped.")
        send.save(update_fields=["error"])
        Campaign.objects.filter(pk=campaign.pk).update(is_active=False)
        return 0
    try:
        with transaction.atomic():
            message = messaging.submit(campaign.created_by, draft)
    except (ValidationError, PermissionDenied) as exc:
        reason = [m for m in getattr(exc, "messages", None) or [str(exc)] if m]
        send.error = "; ".join(reason)[:300] or _("The communication plans do not allow this tip.")
        send.save(update_fields=["error"])
        return 0
    send.message = message
    send.save(update_fields=["message"])
    return 1


def stop(campaign: Campaign, by: Person) -> Campaign:
    if campaign.zone not in campaign_zones(by):
        raise PermissionDenied
    campaign.is_active = False
    campaign.save(update_fields=["is_active"])
    return campaign


def reach(campaign: Campaign) -> list[dict]:
    """Per BIN: how many people the campaign's tips reached and how many saw them."""
    message_ids = list(campaign.sends.exclude(message=None).values_list("message_id", flat=True))
    rows = (
        # Where the plan routes police messages via the coordinator, the members get the
        # coordinator's forwarded copy: it counts too.
        Recipient.objects.filter(
            Q(message_id__in=message_ids) | Q(message__parent_id__in=message_ids)
        )
        .values("link__network_id", "link__network__name")
        .annotate(
            reached=Count("person_id", distinct=True),
            seen=Count("person_id", filter=Q(seen_at__isnull=False), distinct=True),
            messages=Count("message_id", distinct=True),
        )
        .order_by("link__network__name")
    )
    return [
        {
            "network": row["link__network__name"],
            "reached": row["reached"],
            "seen": row["seen"],
            "messages": row["messages"],
        }
        for row in rows
    ]


def upcoming(campaign: Campaign, count: int = 5) -> list[datetime]:
    now = timezone.now()
    moments = schedule_of(campaign).moments(now, now + timedelta(days=2 * 366))
    return [m for m, _i in moments[:count]]
