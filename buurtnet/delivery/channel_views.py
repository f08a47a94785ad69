"""A member's devices for web push: the settings page, subscribing a browser, removing one,
and the service worker that shows the notifications."""

import base64
import binascii
import ipaddress
import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .channels.push import push_configured
from .models import Channel, PushSubscription

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# More than any one person owns; stops a script from filling the table through one account.
MAX_DEVICES = 20
MAX_ENDPOINT_LENGTH = 1000
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
SERVICE_WORKER = "js/sw.js"


def allow_loopback_http() -> bool:
    """Local push services (the tests' fake, a developer's) speak plain HTTP on loopback;
    real ones are always HTTPS."""
    return getattr(settings, "PUSH_ALLOW_LOOPBACK_HTTP", settings.DEBUG)


def _b64url_bytes(value: object) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def clean_endpoint(endpoint: object) -> str:
    invalid = ValidationError(_("The browser gave an address Buurtnet cannot send to."))
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise invalid
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
    except ValueError:
        raise invalid from None
    if parts.scheme == "http" and host in LOOPBACK_HOSTS and allow_loopback_http():
        return endpoint
    if parts.scheme != "https" or not host or _is_ip_address(host):
        # Push services have DNS names; refusing IP literals keeps members from making
        # the server POST into its own network.
        raise invalid
    return endpoint


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def clean_keys(keys: object) -> tuple[str, str]:
    """The browser's P-256 public key and auth secret, checked so a bad pair fails here and
    not on every alert later."""
    invalid = ValidationError(_("The browser gave encryption keys Buurtnet cannot use."))
    if not isinstance(keys, dict):
        raise invalid
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    point, secret = _b64url_bytes(p256dh), _b64url_bytes(auth)
    # Web push takes only the uncompressed point (65 bytes) and a 16-byte secret.
    if point is None or secret is None or len(point) != 65 or len(secret) != 16:
        raise invalid
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise invalid from None
    return p256dh, auth


def clean_subscription(data: object) -> dict[str, str]:
    """The fields of a browser's PushSubscription.toJSON(), or a translated ValidationError."""
    if not isinstance(data, dict):
        raise ValidationError(_("That is not a push subscription."))
    endpoint = clean_endpoint(data.get("endpoint"))
    p256dh, auth = clean_keys(data.get("keys"))
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth}


@transaction.atomic
def save_subscription(
    person: "AbstractBaseUser", fields: dict[str, str], user_agent: str = ""
) -> tuple[PushSubscription, bool]:
    """Store (or refresh) a device for the person; one row per endpoint, so subscribing the
    same browser again changes nothing. An endpoint belongs to one browser profile: when
    someone else logs in there and subscribes, the device moves to them."""
    others = PushSubscription.objects.filter(person=person).exclude(endpoint=fields["endpoint"])
    if others.count() >= MAX_DEVICES:
        raise ValidationError(
            _("You already receive push notifications on %(count)d devices. Remove one first.")
            % {"count": MAX_DEVICES}
        )
    return PushSubscription.objects.update_or_create(
        endpoint=fields["endpoint"],
        defaults={
            "person": person,
            "p256dh": fields["p256dh"],
            "auth": fields["auth"],
            "user_agent": user_agent[:300],
        },
    )


def device_label(user_agent: str) -> str:
    """A name the member recognises ("Firefox on Android") instead of a user-agent string."""
    browsers = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome")]
    systems = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad")]
    systems += [("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux")]
    browser = next((name for mark, name in browsers if mark in user_agent), "")
    if not browser and "Safari/" in user_agent:
        browser = "Safari"
    system = next((name for mark, name in systems if mark in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")


@login_required
@require_GET
def push_settings(request: HttpRequest) -> HttpResponse:
    subscriptions = PushSubscription.objects.filter(person=request.user).order_by("-created_at")
    return render(
        request,
        "delivery/push.html",
        {
            "configured": push_configured(),
            "public_key": settings.VAPID_PUBLIC_KEY,
            "push_chosen": Channel.PUSH in (request.user.channels or []),
            "devices": [(sub, device_label(sub.user_agent)) for sub in subscriptions],
        },
    )


@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """Called by push-subscribe.js with the browser's subscription as JSON."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in first.")}, status=401)
    if not push_configured():
        error = _("Push notifications are not available on this installation.")
        return JsonResponse({"error": error}, status=409)
    try:
        fields = clean_subscription(json.loads(request.body))
        user_agent = request.headers.get("User-Agent", "")
        subscription, created = save_subscription(request.user, fields, user_agent)
    except ValueError:
        return JsonResponse({"error": _("That is not a push subscription.")}, status=400)
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=400)
    # The page reloads after this answer and shows the confirmation there.
    messages.success(request, _("Push notifications are on for this device."))
    return JsonResponse({"id": subscription.pk}, status=201 if created else 200)


@login_required
@require_POST
def push_remove(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(PushSubscription, pk=pk, person=request.user)
    subscription.delete()
    messages.success(request, _("That device no longer receives push notifications."))
    return redirect("channels:push")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker is served from here rather than /static/ so it can control the whole site:
    a worker's scope may not reach above its own path unless Service-Worker-Allowed says so,
    and static files are served without that header."""
    path = finders.find(SERVICE_WORKER)
    if not path:
        raise Http404
    with open(path, "rb") as source:
        response = HttpResponse(source.read(), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    # Browsers compare the worker byte for byte on every check; never serve a stale copy.
    response["Cache-Control"] = "no-cache"
    return response
