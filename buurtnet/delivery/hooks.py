"""Provider webhooks: delivery receipts and members' SMS replies.

Anyone can POST to these addresses, so each hook checks the provider's signature over the
exact bytes it received before it reads anything, and a request that fails the check changes
nothing. The signatures are computed here independently of the simulator and the test fake
of Twilio, so the tests check one implementation against another.
"""

import base64
import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import registry
from .receipts import record_receipt

logger = logging.getLogger(__name__)

SIMULATOR_SIGNATURE = "X-Simulator-Signature"
TWILIO_SIGNATURE = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# Twilio's call outcomes: completed means someone (or a voicemail) took the call.
CALL_DELIVERED = {"completed"}
CALL_FAILED = {"busy", "no-answer", "failed", "canceled"}


def simulator_signature_valid(request: HttpRequest) -> bool:
    """hex(HMAC-SHA256(SMS_WEBHOOK_SECRET, body)) in X-Simulator-Signature.

    Only while the simulator is the SMS transport: the secret has a public default, so on
    an installation sending through a real provider it must open nothing.
    """
    secret = settings.SMS_WEBHOOK_SECRET
    given = request.headers.get(SIMULATOR_SIGNATURE, "")
    if settings.SMS_TRANSPORT != "simulator" or not (secret and given):
        return False
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode(), expected.encode())


def twilio_signature_valid(request: HttpRequest) -> bool:
    """Twilio's X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + each POST parameter's
    name and value, sorted)), over the public URL Twilio called (SITE_URL + path + query)."""
    token = settings.TWILIO_AUTH_TOKEN
    given = request.headers.get(TWILIO_SIGNATURE, "")
    if not (token and given):
        return False
    signed = settings.SITE_URL.rstrip("/") + request.get_full_path()
    for name in sorted(request.POST):
        for value in sorted(set(request.POST.getlist(name))):
            signed += name + value
    digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(given.encode(), base64.b64encode(digest))


def signed_by(check: Callable[[HttpRequest], bool]) -> Callable:
    """CSRF-exempt POST-only view that answers 403 unless `check` accepts the signature."""

    def decorate(view: Callable[[HttpRequest], HttpResponse]) -> Callable:
        @csrf_exempt
        @require_POST
        @functools.wraps(view)
        def wrapped(request: HttpRequest) -> HttpResponse:
            if not check(request):
                # The address only, never the content: it may be a member's message.
                logger.warning(
                    "Rejected a webhook to %s with a bad or missing signature from %s",
                    request.path,
                    request.META.get("REMOTE_ADDR", "?"),
                )
                return HttpResponseForbidden()
            return view(request)

        return wrapped

    return decorate


def json_object(request: HttpRequest) -> dict | None:
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def bad_request(problem: str) -> JsonResponse:
    return JsonResponse({"error": problem}, status=400)


def receipt_answer(matched: bool) -> JsonResponse:
    """404 for a receipt no delivery carries (yet): the simulator then retries it, since
    a fast receipt can arrive before the worker stored the provider's id."""
    return JsonResponse({"matched": matched}, status=200 if matched else 404)


@signed_by(simulator_signature_valid)
def simulator_status(request: HttpRequest) -> HttpResponse:
    """A delivery receipt from the simulator: {"id", "status", "error"}."""
    data = json_object(request)
    if data is None or not isinstance(data.get("id"), str):
        return bad_request("id is required")
    status, error = str(data.get("status", "")), str(data.get("error") or "")
    return receipt_answer(record_receipt(data["id"], status, error))


@signed_by(simulator_signature_valid)
def simulator_inbound(request: HttpRequest) -> HttpResponse:
    """A member's SMS reply through the simulator: {"from", "text"}, handed to the reply
    handler messaging registers (`registry.handle_reply`)."""
    data = json_object(request)
    if data is None or not all(isinstance(data.get(k), str) for k in ("from", "text")):
        return bad_request("from and text are required")
    return JsonResponse({"result": registry.handle_reply(data["from"], data["text"], "sms")})


@signed_by(twilio_signature_valid)
def twilio_sms_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback for a message: MessageSid, MessageStatus, ErrorCode."""
    sid, status = request.POST.get("MessageSid", ""), request.POST.get("MessageStatus", "")
    if not (sid and status):
        return bad_request("MessageSid and MessageStatus are required")
    code = request.POST.get("ErrorCode", "")
    return receipt_answer(record_receipt(sid, status, f"Twilio error {code}" if code else ""))


@signed_by(twilio_signature_valid)
def twilio_sms_inbound(request: HttpRequest) -> HttpResponse:
    """An SMS a member sent to our Twilio number: From, Body. Answered with empty TwiML,
    so Twilio sends nothing back on its own."""
    sender = request.POST.get("From", "")
    if not sender:
        return bad_request("From is required")
    registry.handle_reply(sender, request.POST.get("Body", ""), "sms")
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@signed_by(twilio_signature_valid)
def twilio_voice_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback for a call: CallSid, CallStatus, ErrorCode."""
    sid, status = request.POST.get("CallSid", ""), request.POST.get("CallStatus", "")
    if not (sid and status):
        return bad_request("CallSid and CallStatus are required")
    if status in CALL_DELIVERED:
        matched = record_receipt(sid, "delivered")
    elif status in CALL_FAILED:
        code = request.POST.get("ErrorCode", "")
        matched = record_receipt(
            sid, "failed", f"Call {status}" + (f", error {code}" if code else "")
        )
    else:
        # queued, ringing, in-progress: nothing to record, only whether we know the call.
        matched = record_receipt(sid, status)
    return receipt_answer(matched)
