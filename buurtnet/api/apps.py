from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "buurtnet.api"
    verbose_name = _("API")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - a change of role revokes the person's tokens
