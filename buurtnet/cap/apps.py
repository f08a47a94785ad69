from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapConfig(AppConfig):
    name = "buurtnet.cap"
    verbose_name = _("CAP alerts")
