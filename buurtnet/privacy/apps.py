from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "buurtnet.privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the receivers
