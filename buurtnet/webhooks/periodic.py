"""Webhooks' periodic steps (run by `manage.py tick`, see buurtnet.common.periodic)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import purge_log, retry_due

periodic.register("webhooks_retried", retry_due, description=_("webhooks retried"))
periodic.register(
    "webhook_log_purged",
    purge_log,
    every=timedelta(hours=1),
    description=_("webhook events purged"),
)
