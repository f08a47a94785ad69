from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "buurtnet.plans"
    verbose_name = _("Communication plans")
