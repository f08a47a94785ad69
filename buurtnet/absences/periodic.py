"""Absences' periodic steps (run by `manage.py tick`, see buurtnet.common.periodic)."""

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import purge, tell_residents

# In this order: residents are told their absence ended before its data is purged.
periodic.register("residents_told", tell_residents, description=_("residents told"))
periodic.register("absences_purged", purge, description=_("absences deleted"))
