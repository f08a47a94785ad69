"""The project's own periodic step (run by `manage.py tick`, see buurtnet.common.periodic)."""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic


def clear_expired_sessions() -> int:
    """Expired log-in sessions hold who was logged in from where: Django never deletes them by
    itself (its `clearsessions` command is meant for cron), and every "seen" link opened in a
    new browser adds one."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return 0


periodic.register(
    "sessions_cleared",
    clear_expired_sessions,
    every=timedelta(hours=1),
    description=_("expired sessions deleted"),
)
