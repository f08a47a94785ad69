"""One-click unsubscribe (RFC 8058) for the links in List-Unsubscribe headers and mail footers.

The link carries a signed (person, channel, recipient row) triple, so it works without
logging in, from any mail client. It is bound to the message copy it came with: the
recipient row must still belong to that person. It works for UNSUBSCRIBE_LINK_MAX_AGE_DAYS
(a year); an older link, or one whose message copy is gone, shows how to change channels
after logging in. Opening it only asks; the change is made by POST.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .models import Channel, Delivery

SALT = "buurtnet.delivery.unsubscribe.v2"
# The in-app inbox is part of being a member; it is not something to unsubscribe from.
WITHDRAWABLE = {Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.VOICE}


def signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(
    person_id: int, channel: str, recipient_id: int, using: signing.TimestampSigner | None = None
) -> str:
    """The signed (person, channel, recipient row); `using` lets a worker that signs
    thousands of links reuse one signer."""
    if channel not in WITHDRAWABLE:
        raise ValueError(f"Cannot unsubscribe from channel {channel!r}")
    return (using or signer()).sign_object([person_id, channel, recipient_id])


def read_token(token: str) -> tuple[int, str, int]:
    """(person id, channel, recipient id); signing.SignatureExpired for a link older than
    UNSUBSCRIBE_LINK_MAX_AGE_DAYS, signing.BadSignature for anything we did not sign."""
    max_age = timedelta(days=settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS)
    try:
        person_id, channel, recipient_id = signer().unsign_object(token, max_age=max_age)
    except (TypeError, ValueError) as exc:
        raise signing.BadSignature("Malformed unsubscribe token") from exc
    if not _is_id(person_id) or not _is_id(recipient_id) or channel not in WITHDRAWABLE:
        raise signing.BadSignature("Unexpected unsubscribe token content")
    return person_id, channel, recipient_id


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def unsubscribe_url(person_id: int, recipient_id: int, channel: str = "email") -> str:
    """Absolute link for List-Unsubscribe and mail footers."""
    path = reverse("channels:unsubscribe", args=[make_token(person_id, channel, recipient_id)])
    return settings.SITE_URL.rstrip("/") + path


def is_bound(person_id: int, recipient_id: int) -> bool:
    """Whether the link's message copy (a messaging `Recipient`, reached through the
    delivery's own relation) still exists and belongs to that person."""
    recipient = Delivery._meta.get_field("recipient").related_model
    return recipient.objects.filter(pk=recipient_id, person_id=person_id).exists()


@transaction.atomic
def withdraw_channel(person_id: int, channel: str):
    """Take the channel out of the person's choice; doing it twice changes nothing.
    The in-app inbox stays, so the member always keeps at least one channel. Returns the
    person, or None when there is none with that id."""
    person = get_user_model().objects.select_for_update().filter(pk=person_id).first()
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


def _private(response: HttpResponse) -> HttpResponse:
    """The page of a capability link: kept out of caches (Django's never-cache headers:
    no-store, private and an expiry in the past), and its address (with the token) out of
    the Referer of anything it links to."""
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    return response


# Mail clients POST "List-Unsubscribe=One-Click" without any CSRF token; the signed token
# in the URL is what proves the request is genuine.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        person_id, channel, recipient_id = read_token(token)
    except signing.SignatureExpired:
        return _private(render(request, "delivery/unsubscribe.html", {"expired": True}, status=410))
    except signing.BadSignature:
        return _private(render(request, "delivery/unsubscribe.html", {"invalid": True}, status=400))
    if not is_bound(person_id, recipient_id):
        # Signed by us, but the message copy is gone (retention) or belongs to no one now.
        return _private(render(request, "delivery/unsubscribe.html", {"expired": True}, status=410))
    if request.method == "POST":
        person = withdraw_channel(person_id, channel)
    else:
        # GET only asks: link scanners in mail filters open every link in a message.
        person = get_user_model().objects.filter(pk=person_id).first()
    language = person.language if person else translation.get_language()
    with translation.override(language):
        return _private(
            render(
                request,
                "delivery/unsubscribe.html",
                {
                    "done": request.method == "POST",
                    "channel_label": _channel_label(channel),
                    "person": person,
                },
            )
        )
