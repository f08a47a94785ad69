from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "buurtnet.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from . import services

        # The address of each request, for entries written deep in a service.
        request_started.connect(services.request_started, dispatch_uid="audit_request_ip")
        request_finished.connect(services.request_finished, dispatch_uid="audit_request_ip_end")
