"""Delivery's periodic step (run by `manage.py tick`, see buurtnet.common.periodic): lost work
is handed out again."""

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .outbox import recover

periodic.register("tasks_recovered", recover, description=_("tasks recovered"))
