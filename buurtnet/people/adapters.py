from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import get_language

from buurtnet.delivery.services import enqueue_email

from .models import Language


class AccountAdapter(DefaultAccountAdapter):
    """Sends allauth's mails through the task workers, so a slow SMTP server never
    blocks a sign-up and a failed send is retried by the worker, not lost."""

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
        enqueue_email(email, message.subject, message.body, html)

    def save_user(self, request, user, form, commit=True):
        """A new person gets their messages in the language they signed up in."""
        language = (get_language() or "").split("-")[0]
        if language in Language.values:
            user.language = language
        return super().save_user(request, user, form, commit=commit)
