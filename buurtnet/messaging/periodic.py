"""Messaging's periodic steps (run by `manage.py tick`, see buurtnet.common.periodic)."""

from django.utils.translation import gettext_lazy as _

from buurtnet.common import periodic

from .services import dispatch_due, flag_overdue_forwards

periodic.register("messages_dispatched", dispatch_due, description=_("messages sent"))
periodic.register("forwards_flagged", flag_overdue_forwards, description=_("forwards overdue"))
