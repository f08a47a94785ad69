"""A local fake of Twilio's REST API, for the tests: Messages.json and Calls.json with HTTP
basic auth, answers shaped like Twilio's (resources, error bodies and codes), and status
callbacks and inbound SMS signed with Twilio's real X-Twilio-Signature algorithm.

The signature is computed here on its own, not imported from the hooks, so the tests check
the hooks against a second implementation of Twilio's documented algorithm.
"""

import base64
import collections
import email.utils
import hashlib
import hmac
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from aiohttp import BasicAuth, web

from buurtnet.delivery.simulator import BackgroundServer

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    20503: (503, "Service unavailable"),
    21205: (400, "Url parameter is required."),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21614: (400, "'To' number {to} is not a valid mobile number"),
}
STATUS_ERRORS = {429: 20429, 500: 20500, 503: 20503}


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """base64(HMAC-SHA1(auth token, URL followed by every parameter's name and value,
    sorted by name)), as Twilio documents for X-Twilio-Signature."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_error(code: int, **values: str) -> web.Response:
    status, message = ERRORS[code]
    body = {
        "code": code,
        "message": message.format(**values),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


def now_rfc2822() -> str:
    return email.utils.format_datetime(datetime.now(UTC))


class FakeTwilio(BackgroundServer):
    """Twilio on 127.0.0.1. Numbers starting with `invalid_prefix` get error 21211, those
    starting with `landline_prefix` error 21614 (SMS only); `fail_next()` answers the next
    requests with 429/5xx. `messages` and `calls` are the resources created."""

    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        invalid_prefix: str = "+3247000000",
        landline_prefix: str = "+3256",
    ) -> None:
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token
        self.invalid_prefix, self.landline_prefix = invalid_prefix, landline_prefix
        self._resources: dict[str, dict[str, Any]] = {}
        self._peers: set[Any] = set()
        # Faults queued by the test: (HTTP status, Retry-After or None) for the next requests.
        self._faults: collections.deque[tuple[int, int | None]] = collections.deque()
        # Every create request (messages and calls), whatever it was answered.
        self._requests = 0

    def build_app(self) -> web.Application:
        app = web.Application()
        base = f"/{API_VERSION}/Accounts/{{account}}"
        app.router.add_post(f"{base}/Messages.json", self.create_message)
        app.router.add_post(f"{base}/Calls.json", self.create_call)
        return app

    # --- The API ------------------------------------------------------------------------

    async def create_message(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused:
            return refused
        form = await request.post()
        to, sender, body = (str(form.get(k, "")) for k in ("To", "From", "Body"))
        problem = self._address_problem(to, sender, sms=True)
        if problem:
            return problem
        if not body:
            return twilio_error(21602)
        resource = self._resource("SM", "Messages", form)
        resource.update(body=body, num_segments=str(len(body) // 153 + 1), num_media="0")
        return self._created_answer(resource, form)

    async def create_call(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused:
            return refused
        form = await request.post()
        to, sender = str(form.get("To", "")), str(form.get("From", ""))
        problem = self._address_problem(to, sender, sms=False)
        if problem:
            return problem
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            return twilio_error(21205)
        resource = self._resource("CA", "Calls", form)
        resource.update(to_formatted=to, from_formatted=sender)
        return self._created_answer(resource, form)

    def _refusal(self, request: web.Request) -> web.Response | None:
        """Auth, the account in the path, and faults queued by the test."""
        self._peers.add(request.transport.get_extra_info("peername") if request.transport else 0)
        self._requests += 1
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return twilio_error(20003)
        if (auth.login, auth.password) != (self.account_sid, self.auth_token):
            return twilio_error(20003)
        if request.match_info["account"] != self.account_sid:
            return twilio_error(20404)
        if self._faults:
            status, retry_after = self._faults.popleft()
            answer = twilio_error(STATUS_ERRORS[status])
            if retry_after is not None:
                answer.headers["Retry-After"] = str(retry_after)
            return answer
        return None

    def _address_problem(self, to: str, sender: str, sms: bool) -> web.Response | None:
        if not to:
            return twilio_error(21604)
        if not sender:
            return twilio_error(21603)
        if not E164.match(to) or to.startswith(self.invalid_prefix):
            return twilio_error(21211, to=to)
        if sms and to.startswith(self.landline_prefix):
            return twilio_error(21614, to=to)
        return None

    def _resource(self, prefix: str, kind: str, form: Any) -> dict[str, Any]:
        sid = prefix + uuid.uuid4().hex
        created = now_rfc2822()
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "to": str(form["To"]),
            "from": str(form["From"]),
            "status": "queued",
            "direction": "outbound-api",
            "date_created": created,
            "date_updated": created,
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/{kind}/{sid}.json",
        }
        return resource

    def _created_answer(self, resource: dict[str, Any], form: Any) -> web.Response:
        # Kept with what the tests check that Twilio does not echo back.
        self._resources[resource["sid"]] = {
            **resource,
            "status_callback": str(form.get("StatusCallback", "")),
            "twiml": str(form.get("Twiml", "")),
        }
        return web.json_response(resource, status=201)

    # --- What the tests read and do -----------------------------------------------------

    def fail_next(self, count: int = 1, status: int = 503, retry_after: int | None = None) -> None:
        """Answer the next `count` requests with 429/500/503 (and `Retry-After` if given)."""
        self._faults.extend([(status, retry_after)] * count)

    @property
    def requests(self) -> int:
        """How many create requests arrived, whatever they were answered."""
        return self.call(lambda: self._requests)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self._created("SM")

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self._created("CA")

    @property
    def connections(self) -> int:
        return self.call(lambda: len(self._peers))

    def _created(self, prefix: str) -> list[dict[str, Any]]:
        return self.call(
            lambda: [dict(r) for sid, r in self._resources.items() if sid.startswith(prefix)]
        )

    def signature(self, url: str, params: dict[str, str]) -> str:
        return twilio_signature(self.auth_token, url, params)

    def send_status(self, sid: str, status: str, error_code: str = "") -> httpx.Response:
        """POST Twilio's status callback for a created message or call, signed."""
        resource = self.call(lambda: dict(self._resources[sid]))
        common = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": resource["from"],
            "To": resource["to"],
        }
        if sid.startswith("SM"):
            params = {**common, "MessageSid": sid, "SmsSid": sid}
            params.update(MessageStatus=status, SmsStatus=status)
        else:
            params = {**common, "CallSid": sid, "CallStatus": status, "Direction": "outbound-api"}
            params.update(Called=resource["to"], Caller=resource["from"])
        if error_code:
            params["ErrorCode"] = error_code
        return self.post_signed(resource["status_callback"], params)

    def send_inbound(
        self, url: str, sender: str, body: str, to: str = "+3225550000"
    ) -> httpx.Response:
        """POST an SMS a member sent to our number, as Twilio's incoming-message webhook."""
        sid = "SM" + uuid.uuid4().hex
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": sender,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
        }
        return self.post_signed(url, params)

    def post_signed(self, url: str, params: dict[str, str]) -> httpx.Response:
        headers = {"X-Twilio-Signature": self.signature(url, params)}
        return httpx.post(url, data=params, headers=headers, timeout=10)
