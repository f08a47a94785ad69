"""Messages: those the caller may follow up, composing (now or scheduled), cancelling, and
their delivery progress. Every check is messaging.services' own."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import Message

from ..auth import require_scope
from ..models import Scope
from ..pagination import paginate
from ..problems import Problem, not_found
from ..schemas import MessageIn, MessageOut, MessagePage, ProgressOut
from .common import PageQuery, PathId, idempotency_key, responses

router = Router(tags=["messages"])


def message_out(message: Message) -> dict:
    return {
        "id": message.pk,
        "kind": message.kind,
        "status": message.status,
        "sender_role": message.sender_role,
        "zone_id": message.zone_id,
        "language": message.language,
        "is_exercise": message.is_exercise,
        "target": message.target,
        "networks": [link.network_id for link in message.networks.all()],
        "scheduled_for": message.scheduled_for,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "recipient_count": message.recipient_count,
        "texts": [
            {"language": t.language, "title": t.title, "body": t.body, "sms_text": t.sms_text}
            for t in message.texts.all()
        ],
    }


def managed(request: HttpRequest, message_id: PathId) -> Message:
    message = Message.objects.prefetch_related("texts", "networks").filter(pk=message_id).first()
    if message is None or not messaging.can_manage(request.user, message):
        raise not_found()
    return message


@router.get("", response=responses({200: MessagePage}), summary="Messages you follow up")
def list_messages(request: HttpRequest, page: PageQuery):
    require_scope(request, Scope.MESSAGES_READ)
    rows, next_url = paginate(
        request,
        messaging.manageable(request.user),
        ["-id"],
        cursor=page.cursor,
        limit=page.limit,
        list_key="messages",
    )
    items = [message_out(m) for m in rows if messaging.can_manage(request.user, m)]
    return {"items": items, "next": next_url}


@router.post(
    "",
    response=responses({201: MessageOut}, 422),
    summary="Send or schedule a message",
    description=(
        "Goes through the same plan rules and checks as the compose page: the plan may "
        "queue it for approval (status `approval`), `scheduled_for` schedules it. With an "
        "`Idempotency-Key` header, the same request sent again within 48 hours answers "
        "the first message (`Idempotent-Replayed: true`) and sends nothing; the same key "
        "with another body is a 422 problem `idempotency-key-reused`."
    ),
)
def create_message(request: HttpRequest, payload: MessageIn, response: HttpResponse):
    require_scope(request, Scope.MESSAGES_WRITE)
    key = idempotency_key(request)
    target = payload.target.model_dump(exclude_none=True)
    draft = messaging.Draft(
        kind=payload.kind,
        texts={lang: text.model_dump() for lang, text in payload.texts.items()},
        target=target,
        language=payload.language,
        zone_id=payload.zone_id,
        scheduled_for=payload.scheduled_for,
        is_exercise=payload.is_exercise,
        idempotency_key=key,
    )
    try:
        message, created = messaging.submit_once(request.user, draft)
    except messaging.IdempotencyKeyReused as exc:
        raise Problem(
            422,
            _("Idempotency-Key already used"),
            _(
                "This Idempotency-Key already made message %(id)d from another request "
                "body. Send a new key for a new message."
            )
            % {"id": exc.earlier.pk},
            type="idempotency-key-reused",
        ) from exc
    if not created:
        response["Idempotent-Replayed"] = "true"
    return Status(201, message_out(message))


@router.get("/{message_id}", response=responses({200: MessageOut}, 404), summary="One message")
def get_message(request: HttpRequest, message_id: PathId):
    require_scope(request, Scope.MESSAGES_READ)
    return message_out(managed(request, message_id))


@router.get(
    "/{message_id}/progress",
    response=responses({200: ProgressOut}, 404),
    summary="Delivery counts and who saw it",
)
def get_progress(request: HttpRequest, message_id: PathId):
    require_scope(request, Scope.MESSAGES_READ)
    return messaging.progress(managed(request, message_id))


@router.post(
    "/{message_id}/cancel",
    response=responses({200: MessageOut}, 404, 422),
    summary="Cancel a scheduled message or one awaiting approval",
)
def cancel_message(request: HttpRequest, message_id: PathId):
    require_scope(request, Scope.MESSAGES_WRITE)
    message = messaging.cancel(managed(request, message_id), request.user)
    return message_out(Message.objects.prefetch_related("texts", "networks").get(pk=message.pk))
