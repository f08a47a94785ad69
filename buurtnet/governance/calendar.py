"""Meetings as iCalendar: the invitation file sent with the messaging pipeline, and each
member's personal feed of their BINs' meetings behind a secret link.

The files go to every member, so they name no person: no ATTENDEE, no member's e-mail
address or phone number, only the BIN, the meeting and its page. The ORGANIZER is the BIN
at the platform's own sending address: iTIP expects one in a REQUEST, and without it some
calendars show the invitation as a plain appointment.
"""

import secrets
from datetime import UTC, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from buurtnet.common.markdown import to_text
from buurtnet.delivery.channels.email import site_domain
from buurtnet.networks.models import Membership, MembershipStatus
from buurtnet.people.models import Person

from .models import CalendarKey, Meeting, MeetingStatus

PRODID = "-//Buurtnet//Meetings//EN"
METHODS = ("REQUEST", "PUBLISH", "CANCEL")
# How far back a feed goes: a year of past meetings is enough to look up when one was.
FEED_HISTORY = timedelta(days=365)
# Members whose membership is paused still see when their BIN meets.
FEED_STATUSES = (MembershipStatus.APPROVED, MembershipStatus.PAUSED)


def meeting_url(meeting: Meeting) -> str:
    try:
        path = reverse("governance:meeting", args=[meeting.pk])
    except NoReverseMatch:
        path = f"/governance/meetings/{meeting.pk}/"
    return settings.SITE_URL.rstrip("/") + path


def _utc(value):
    return value.astimezone(UTC)


def _event(meeting: Meeting, domain: str, cancelled: bool, stamp) -> Event:
    event = Event()
    event.add("uid", f"{meeting.uid}@{domain}")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(meeting.starts_at))
    event.add("dtend", _utc(meeting.ends_at))
    event.add("summary", f"{meeting.network.name}: {meeting.title}")
    if meeting.place or meeting.video_url:
        event.add("location", meeting.place or meeting.video_url)
    url = meeting_url(meeting)
    event.add("url", url)
    description = [to_text(meeting.agenda)] if meeting.agenda.strip() else []
    if meeting.place and meeting.video_url:
        description.append(_("Video link: %(url)s") % {"url": meeting.video_url})
    description.append(_("Answer the invitation on the site: %(url)s") % {"url": url})
    event.add("description", "\n\n".join(description))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def invitation_ics(meeting: Meeting, method: str = "REQUEST") -> bytes:
    """One meeting as an iCalendar file: REQUEST for an invitation or an update (the
    SEQUENCE tells calendars which is newer), CANCEL when it is called off, PUBLISH to
    simply show it. Texts in the network's language."""
    if method not in METHODS:
        raise ValueError(f"Unknown iCalendar method {method!r}")
    cancelled = method == "CANCEL" or meeting.status == MeetingStatus.CANCELLED
    calendar = _calendar(method)
    with translation.override(meeting.network.language):
        event = _event(meeting, site_domain(), cancelled, timezone.now())
        if method != "PUBLISH":
            _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
            organizer = vCalAddress(f"mailto:{address}")
            organizer.params["cn"] = vText(meeting.network.name)
            event.add("organizer", organizer)
        calendar.add_component(event)
    return calendar.to_ical()


def feed_meetings(person: Person):
    """The meetings in a person's feed: those of every BIN where they are an approved or
    paused member, from a year ago on (held and cancelled ones too)."""
    networks = Membership.objects.filter(person=person, status__in=FEED_STATUSES).values(
        "network_id"
    )
    return (
        Meeting.objects.filter(
            network_id__in=networks, starts_at__gte=timezone.now() - FEED_HISTORY
        )
        .select_related("network")
        .order_by("starts_at", "pk")
    )


def feed_ics(person: Person) -> bytes:
    """The person's meetings calendar, to subscribe to in any calendar application."""
    calendar = _calendar("PUBLISH")
    domain = site_domain()
    now = timezone.now()
    with translation.override(person.language or settings.LANGUAGE_CODE):
        calendar.add("x-wr-calname", _("Buurtnet meetings"))
        calendar.add("name", _("Buurtnet meetings"))
        calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT6H")
        for meeting in feed_meetings(person):
            calendar.add_component(
                _event(meeting, domain, meeting.status == MeetingStatus.CANCELLED, now)
            )
    return calendar.to_ical()


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def calendar_key(person: Person) -> CalendarKey:
    """The person's feed secret, made on first use."""
    key = CalendarKey.objects.filter(person=person).first()
    if key is not None:
        return key
    with transaction.atomic():
        key, _created = CalendarKey.objects.get_or_create(
            person=person, defaults={"secret": _new_secret()}
        )
    return key


def reset_calendar_key(person: Person) -> CalendarKey:
    """A new secret: the old feed link stops working at once."""
    key, _created = CalendarKey.objects.update_or_create(
        person=person, defaults={"secret": _new_secret(), "created_at": timezone.now()}
    )
    return key


def person_for_secret(secret: str) -> Person | None:
    """The active person a feed secret belongs to, or None."""
    if not secret or len(secret) > 64:
        return None
    key = (
        CalendarKey.objects.filter(secret=secret, person__is_active=True)
        .select_related("person")
        .first()
    )
    return key.person if key else None


def feed_url(key: CalendarKey) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("governance:calendar_feed", args=[key.secret])
