from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from buurtnet.common.client_ip import client_ip
from buurtnet.delivery import notices
from buurtnet.delivery.services import send_code

from .models import Language


class AccountAdapter(DefaultAccountAdapter):
    """Sends allauth's mails (confirmation links, log-in codes, password resets) through
    the outbox with the alerts, so a slow SMTP server never blocks a sign-up and a failed
    send is retried by the worker, not lost."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_wrong_passwords": _(
            "Too many wrong passwords. Wait a minute, or log in with a code sent to your e-mail "
            "address."
        ),
    }

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """The password throttle offers the log-in code. Only here: allauth's shared
        "too many attempts" message also serves the code forms, where that advice is wrong."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            raise self.validation_error("too_many_wrong_passwords") from error

    def get_client_ip(self, request: HttpRequest) -> str:
        """The client's address as the audit log sees it: X-Forwarded-For is believed only
        behind TRUSTED_PROXY_COUNT proxies, so the throttle counts per person, not per proxy."""
        ip = client_ip(request.META)
        if not ip:
            raise PermissionDenied("Unable to determine the client's address")
        return ip

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        user = context.get("user")
        send_code(
            user if getattr(user, "pk", None) else None,
            channel="email",
            to=email,
            subject=message.subject,
            text=message.body,
            html=html,
            language=get_language() or "",
            # A log-in code is typed in within minutes; a confirmation or password link
            # stays useful for days.
            kind=notices.CODE if "code" in template_prefix else notices.LINK,
        )

    def save_user(self, request, user, form, commit=True):
        """A new person gets their messages in the language they signed up in."""
        language = (get_language() or "").split("-")[0]
        if language in Language.values:
            user.language = language
        return super().save_user(request, user, form, commit=commit)
