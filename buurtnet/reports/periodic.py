"""Reports' periodic step (run by `manage.py tick`, see buurtnet.common.periodic)."""

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import flag_overdue_reports

periodic.register("reports_flagged", flag_overdue_reports, description=_("reports overdue"))
