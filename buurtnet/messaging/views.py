from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buurtnet.common.form_errors import apply_errors
from buurtnet.delivery.models import DeliveryState
from buurtnet.networks import mapping
from buurtnet.networks.models import Network, Role
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Channel

from . import links, services
from . import waiting as waiting_reasons
from .forms import ComposeForm, ForwardForm, ReplyForm
from .models import Message, MessageNetwork, MessageStatus, Recipient, TargetKind
from .rendering import read_seen_token
from .targets import RECEIVING_STATUSES


def _zone(request: HttpRequest):
    zones = services.sender_zones(request.user)
    if not zones:
        raise PermissionDenied
    wanted = request.POST.get("zone") or request.GET.get("zone")
    for zone in zones:
        if str(zone.pk) == wanted:
            return zone, zones
    return zones[0], zones


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    zone, zones = _zone(request)
    initial = {"kind": "alert", "language": request.user.language, "target_type": "networks"}
    form = ComposeForm(
        request.POST or None,
        request.FILES or None,
        zone=zone,
        initial=initial,
        can_publish=_is_police(request.user),
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        draft = form.draft(zone.pk)
        try:
            if request.POST.get("action") == "send":
                message, created = services.submit_once(request.user, draft)
                if created:
                    flash.success(request, _sent_text(message))
                else:
                    flash.info(request, _already_sent_text(message))
                return redirect("messaging:detail", message.pk)
            _zone_checked, checked = services.prepare(request.user, draft)
            services.validate(request.user, draft, checked)
            preview = services.audience_counts(checked)
        except services.IdempotencyKeyReused as exc:
            apply_errors(form, exc)
            form.renew_token()
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            return render(
                request,
                "messaging/compose.html",
                _compose_context(request.user, form, zone, zones, None, str(exc) or None),
                status=403,
            )
    return render(
        request,
        "messaging/compose.html",
        _compose_context(request.user, form, zone, zones, preview),
    )


def _is_police(person) -> bool:
    standing = Standing.of(person)
    return (
        standing.is_superuser
        or bool(standing.zone_ids)
        or Role.OFFICER in standing.network_roles.values()
    )


def _sent_text(message: Message) -> str:
    if message.status == MessageStatus.AWAITING_APPROVAL:
        return _("The message waits for approval. You will be told when it goes out.")
    if message.status == MessageStatus.SCHEDULED:
        return _("The message is scheduled.")
    return _("The message is on its way.")


def _already_sent_text(message: Message) -> str:
    """A second submit of the same form (a double click, a retry, a second tab)."""
    if message.status == MessageStatus.AWAITING_APPROVAL:
        return _("This message was already sent for approval. Nothing was sent twice.")
    if message.status == MessageStatus.SCHEDULED:
        return _("This message was already scheduled. Nothing was sent twice.")
    return _("This message was already sent. Nothing was sent twice.")


def _compose_context(person, form, zone, zones, preview, denied: str | None = None) -> dict:
    # The BINs a drawn area can reach (targets.resolve): the zone's receiving ones. The
    # drawing itself is in the form's area field, where the map reads it from.
    networks = Network.objects.filter(
        municipality__zone=zone, status__in=RECEIVING_STATUSES
    ).select_related("municipality")
    standing = Standing.of(person)
    if zone is not None and not standing.can_view_zone(zone.pk):
        # Others (a coordinator, an officer) see the areas public maps show, and their own.
        networks = networks.filter(Q(area_public=True) | Q(pk__in=standing.network_roles))
    return {
        "form": form,
        "zone": zone,
        "zones": zones,
        "preview": preview,
        "denied": denied,
        "area_map": mapping.map_data(
            areas=[mapping.area_feature(n) for n in networks], labels=True
        ),
    }


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    sent = (
        Message.objects.filter(sender=request.user)
        .prefetch_related("texts")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "messaging/list.html",
        {
            "sent": sent,
            "approvals": services.approval_queue(request.user)[:50],
            "forwards": services.forward_queue(request.user)[:50],
        },
    )


def _managed(request: HttpRequest, pk: int) -> Message:
    message = get_object_or_404(Message.objects.prefetch_related("texts"), pk=pk)
    if not services.can_manage(request.user, message):
        raise Http404
    return message


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _managed(request, pk)
    return render(
        request,
        "messaging/detail.html",
        {
            "message": message,
            "progress": _progress(message),
            "links": message.networks.select_related("network"),
            "seen": message.recipients.filter(seen_at__isnull=False)
            .select_related("person")
            .order_by("-seen_at")[:200],
            "unreached": services.unreached(message)[:500],
            "replies": message.replies.select_related("author"),
            "can_report_replies": _officer_of_any(request.user, message),
            **_area_map(message),
        },
    )


def _area_map(message: Message) -> dict:
    """The message's BINs on a map, with the area it was meant for: the drawn polygon or
    circle, or the area of the CAP alert it was imported from. No map ("area_map" None)
    without anything to show; "map_zone" picks the base map."""
    networks = list(
        Network.objects.filter(
            pk__in=message.networks.values_list("network_id", flat=True)
        ).select_related("municipality__zone")
    )
    areas = [mapping.area_feature(n) for n in networks if n.area]
    shape = _target_shape(message.target or {})
    if not areas and shape is None:
        return {"area_map": None, "map_zone": None}
    return {
        "area_map": mapping.map_data(areas=areas, shape=shape, labels=True),
        "map_zone": networks[0].municipality.zone if networks else None,
    }


def _target_shape(target: dict) -> dict | None:
    """The drawn area of an area target ({"type": "Circle", ...} or a Polygon), else the
    area an imported CAP alert was for (kept as "area" in its target), else None."""
    if target.get("type") == TargetKind.AREA:
        circle = target.get("circle")
        if isinstance(circle, dict):
            return {
                "type": "Circle",
                "lon": circle.get("lon"),
                "lat": circle.get("lat"),
                "radius_m": circle.get("radius_m"),
            }
        polygon = target.get("polygon")
        return polygon if isinstance(polygon, dict) else None
    area = target.get("area")
    if isinstance(area, dict) and area.get("type") in ("Polygon", "MultiPolygon"):
        return area
    return None


def _officer_of_any(person, message: Message) -> bool:
    """Whether the person is the officer of one of the message's BINs (who can make a
    report of a member's reply to it)."""
    if message.kind not in services.REPORTABLE_KINDS:
        return False
    roles = Standing.of(person).network_roles
    return any(
        roles.get(network_id) == Role.OFFICER
        for network_id in message.networks.values_list("network_id", flat=True)
    )


@login_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    message = _managed(request, pk)
    return render(
        request,
        "messaging/_progress.html",
        {"message": message, "progress": _progress(message)},
    )


# The progress table's columns and the delivery states each one adds up.
PROGRESS_COLUMNS = {
    "waiting": (DeliveryState.QUEUED, DeliveryState.INFLIGHT, DeliveryState.AWAITING_RETRY),
    "sent": (DeliveryState.SENT,),
    "delivered": (DeliveryState.DELIVERED,),
    "failed": (DeliveryState.FAILED, DeliveryState.BOUNCED),
    "not_sent": (DeliveryState.SKIPPED, DeliveryState.CANCELLED),
}


def _progress(message: Message) -> dict:
    """services.progress with one row per channel, its states summed into the table's
    columns (a template cannot add up states that may be missing)."""
    progress = services.progress(message)
    labels = dict(Channel.choices)
    progress["rows"] = [
        {
            "channel": channel,
            "label": labels.get(channel, channel),
            **{
                column: sum(states.get(state, 0) for state in column_states)
                for column, column_states in PROGRESS_COLUMNS.items()
            },
        }
        for channel, states in progress["channels"].items()
    ]
    waiting = any(row["waiting"] for row in progress["rows"])
    progress["waiting"] = waiting_reasons.why_waiting(message) if waiting else []
    return progress


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    message = _managed(request, pk)
    try:
        services.cancel(message, request.user)
        flash.success(request, _("The message was cancelled; nobody received it."))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    return redirect("messaging:detail", message.pk)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message, pk=pk)
    if not services.can_manage(request.user, message):
        raise Http404  # as for a message that does not exist (docs/permissions.md)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide(message, request.user, approve, request.POST.get("note", ""))
        flash.success(request, _("Approved and sent.") if approve else _("Not approved."))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    return redirect("messaging:list")


@login_required
def forward(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(MessageNetwork.objects.select_related("message", "network"), pk=pk)
    if not services.forward_queue(request.user).filter(pk=link.pk).exists():
        raise Http404
    texts = list(link.message.texts.all())
    languages = [t.language for t in texts]
    initial = {}
    for t in texts:
        initial |= {f"title_{t.language}": t.title, f"body_{t.language}": t.body}
        initial[f"sms_text_{t.language}"] = t.sms_text
    form = ForwardForm(request.POST or None, languages=languages, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = {
            lang: {
                "title": data[f"title_{lang}"],
                "body": data[f"body_{lang}"],
                "sms_text": data.get(f"sms_text_{lang}", ""),
            }
            for lang in languages
        }
        try:
            services.forward(link, request.user, chosen)
            flash.success(request, _("Forwarded to the members."))
            return redirect("messaging:list")
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "messaging/forward.html", {"form": form, "link": link})


# --- Members -------------------------------------------------------------------------------


# Unread first, then newest. services.inbox orders by a bare Q, which Django cannot order
# by ("'Q' object has no attribute 'asc'"); once it orders by this, drop the re-ordering.
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = services.inbox(request.user)[:100]
    return render(request, "messaging/inbox.html", {"items": items})


def _own(request: HttpRequest, pk: int) -> Recipient:
    recipient = get_object_or_404(
        Recipient.objects.select_related("message", "link__network").prefetch_related(
            "message__texts"
        ),
        pk=pk,
        person=request.user,
        message__status=MessageStatus.SENT,
    )
    return recipient


@login_required
def inbox_item(request: HttpRequest, pk: int) -> HttpResponse:
    recipient = _own(request, pk)
    services.mark_seen(recipient)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply(recipient, form.cleaned_data["body"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Thank you. Your reply went to the sender."))
            return redirect("messaging:inbox_item", recipient.pk)
    return render(request, "messaging/inbox_item.html", _item_context(recipient, form))


def _item_context(recipient: Recipient, form=None) -> dict:
    texts = {t.language: t for t in recipient.message.texts.all()}
    text = texts.get(recipient.language) or texts.get(recipient.message.language)
    # A member's report reaches the police as a message; its page is the report.
    page = links.page_of(recipient.message)
    return {"recipient": recipient, "text": text, "form": form, "page": page}


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    recipient = _own(request, pk)
    services.acknowledge(recipient)
    if request.headers.get("HX-Request"):
        return render(request, "messaging/_acknowledged.html", {"recipient": recipient})
    flash.success(request, _("Thank you. The sender sees that you have read it."))
    return redirect("messaging:inbox_item", recipient.pk)


# The tokens of the seen links this browser opened, by recipient id (the latest few).
SEEN_SESSION_KEY = "messaging_seen_links"
SEEN_LINKS_KEPT = 20


@require_GET
def seen(request: HttpRequest, token: str) -> HttpResponse:
    """The link in e-mails: the signed token names the recipient row and its person, so the
    message opens without logging in. As Django's PasswordResetConfirmView does, the token
    goes into the session and the browser is sent on to an address without it, so it stays
    out of the address bar, the history, later access-log lines and Referer headers.
    Opening marks nothing: mail filters open every link they see."""
    recipient, problem = _seen_recipient(token)
    if recipient is None:
        return _seen_refused(request, problem)
    links = {
        pk: kept
        for pk, kept in request.session.get(SEEN_SESSION_KEY, {}).items()
        if pk != str(recipient.pk)
    }
    links[str(recipient.pk)] = token
    request.session[SEEN_SESSION_KEY] = dict(list(links.items())[-SEEN_LINKS_KEPT:])
    return _private(redirect("messaging:seen_message", recipient.pk))


@require_http_methods(["GET", "POST"])
def seen_message(request: HttpRequest, pk: int) -> HttpResponse:
    """The message of a seen link opened in this browser; confirming it is a POST (with the
    usual CSRF token: the form is on this page, in the browser the link opened)."""
    token = request.session.get(SEEN_SESSION_KEY, {}).get(str(pk), "")
    recipient, problem = _seen_recipient(token)
    if recipient is None or recipient.pk != pk:
        return _seen_refused(request, problem or "invalid")
    if request.method == "POST":
        services.acknowledge(recipient)
        return _private(redirect("messaging:seen_message", recipient.pk))
    return _private(render(request, "messaging/seen.html", _item_context(recipient)))


def _seen_recipient(token: str) -> tuple[Recipient | None, str]:
    """The recipient row a seen token names, if it still belongs to the person the token
    names; else None and why ("expired" or "invalid")."""
    try:
        recipient_id, person_id = read_seen_token(token)
    except signing.SignatureExpired:
        return None, "expired"
    except signing.BadSignature:
        return None, "invalid"
    recipient = (
        Recipient.objects.select_related("message", "link__network")
        .prefetch_related("message__texts")
        .filter(pk=recipient_id, person_id=person_id, message__status=MessageStatus.SENT)
        .first()
    )
    return recipient, "" if recipient else "invalid"


def _seen_refused(request: HttpRequest, problem: str) -> HttpResponse:
    expired = problem == "expired"
    return _private(
        render(
            request,
            "messaging/seen_invalid.html",
            {"expired": expired},
            status=410 if expired else 404,
        )
    )


def _private(response: HttpResponse) -> HttpResponse:
    """A page reached through a capability link: kept out of every cache. The token is no
    longer in its address, so the site's same-origin Referrer-Policy stays: "no-referrer"
    would make the browser send `Origin: null` with the confirm form, which the CSRF check
    refuses."""
    response["Cache-Control"] = "no-store, private"
    return response
