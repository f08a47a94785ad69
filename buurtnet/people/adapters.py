from allauth.account.adapter import DefaultAccountAdapter

from buurtnet.delivery.services import enqueue_email


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
