"""One-click unsubscribe (RFC 8058) for the links in List-Unsubscribe headers and mail footers.

The link carries a signed (person, channel) pair, so it works without logging in, from any
mail client, for as long as the mail is kept: it has no expiry, because a member who finds
an old alert and wants no more must still be able to stop them.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from buurtnet.people.models import Channel, Person

SALT = "buurtnet.delivery.unsubscribe"
# The in-app inbox is part of being a member; it is not something to unsubscribe from.
WITHDRAWABLE = {Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.VOICE}


def make_token(person_id: int, channel: str) -> str:
    if channel not in WITHDRAWABLE:
        raise ValueError(f"Cannot unsubscribe from channel {channel!r}")
    return signing.Signer(salt=SALT).sign_object([person_id, channel])


def read_token(token: str) -> tuple[int, str]:
    """(person id, channel), or signing.BadSignature for anything we did not sign."""
    try:
        person_id, channel = signing.Signer(salt=SALT).unsign_object(token)
    except (TypeError, ValueError) as exc:
        raise signing.BadSignature("Malformed unsubscribe token") from exc
    if not isinstance(person_id, int) or channel not in WITHDRAWABLE:
        raise signing.BadSignature("Unexpected unsubscribe token content")
    return person_id, channel


def unsubscribe_url(person_id: int, channel: str = "email") -> str:
    """Absolute link for List-Unsubscribe and mail footers."""
    path = reverse("channels:unsubscribe", args=[make_token(person_id, channel)])
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def withdraw_channel(person_id: int, channel: str) -> Person | None:
    """Take the channel out of the person's choice; doing it twice changes nothing.
    The in-app inbox stays, so the member always keeps at least one channel."""
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None:
        return None
    remaining = [c for c in (person.channels or []) if c != channel]
    if Channel.INAPP not in remaining:
        remaining.append(Channel.INAPP.value)
    if remaining != person.channels:
        person.channels = remaining
        person.save(update_fields=["channels"])
    return person


def _channel_label(channel: str) -> str:
    return str(Channel(channel).label)


# Mail clients POST "List-Unsubscribe=One-Click" without any CSRF token; the signed token
# in the URL is what proves the request is genuine.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        person_id, channel = read_token(token)
    except signing.BadSignature:
        return render(request, "delivery/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        person = withdraw_channel(person_id, channel)
    else:
        # GET only asks: link scanners in mail filters open every link in a message.
        person = Person.objects.filter(pk=person_id).first()
    language = person.language if person else translation.get_language()
    with translation.override(language):
        return render(
            request,
            "delivery/unsubscribe.html",
            {
                "done": request.method == "POST",
                "channel_label": _channel_label(channel),
                "person": person,
            },
        )
