"""Prevention's periodic step (run by `manage.py tick`, see buurtnet.common.periodic)."""

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import send_due

periodic.register("campaign_tips_sent", send_due, description=_("campaign tips sent"))
