"""The audit log's periodic step (run by `manage.py tick`, see buurtnet.common.periodic)."""

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import purge

periodic.register("audit_purged", purge, description=_("audit entries purged"))
