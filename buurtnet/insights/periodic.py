"""Insights' periodic step (run by `manage.py tick`, see buurtnet.common.periodic)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .figures import settle

# Settling scans recent messages: every five minutes is fresh enough for a dashboard.
periodic.register(
    "figures_settled",
    settle,
    every=timedelta(minutes=5),
    description=_("messages settled into the dashboard's figures"),
)
