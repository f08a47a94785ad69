"""Governance's periodic steps (run by `manage.py tick`, see buurtnet.common.periodic)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import apply_due_role_changes, remind_overdue, sync_all_dormancy

periodic.register("roles_changed", apply_due_role_changes, description=_("roles changed"))
# Both scan every living BIN; their answers change by the day, not by the second.
periodic.register(
    "dormancy_synced",
    sync_all_dormancy,
    every=timedelta(minutes=10),
    description=_("BINs gone dormant"),
)
periodic.register(
    "governance_reminded",
    remind_overdue,
    every=timedelta(minutes=15),
    description=_("governance reminders"),
)
