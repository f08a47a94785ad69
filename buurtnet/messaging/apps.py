from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "buurtnet.messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        """Plug messaging into delivery, which may not import it: the worker renders each
        message with messaging's renderer, and the provider webhooks hand members' SMS
        replies to messaging."""
        from buurtnet.delivery import registry

        from .rendering import Renderer
        from .services import reply_by_phone

        registry.register_renderer(Renderer)
        registry.register_reply_handler(reply_by_phone)
