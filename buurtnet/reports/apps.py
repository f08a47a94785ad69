from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "buurtnet.reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from buurtnet.messaging import links
        from buurtnet.plans.models import MessageKind

        from .services import report_url_for_message

        # The message that told the police of a report leads to the report's page.
        links.register(MessageKind.REPORT, report_url_for_message, _("Open the report"))
