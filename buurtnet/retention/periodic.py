"""Retention's periodic step (run by `manage.py tick`, see buurtnet.common.periodic)."""

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import purge_if_due

# purge_if_due keeps its own hourly interval per zone (it records each zone's last purge).
periodic.register("retention_purged", purge_if_due, description=_("records purged by retention"))
