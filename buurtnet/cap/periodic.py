"""CAP's periodic step (run by `manage.py tick`, see buurtnet.common.periodic)."""

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import poll_sources

# Each feed has its own interval (checked inside); the step itself looks on every pass.
periodic.register("cap_imported", poll_sources, description=_("CAP alerts imported"))
