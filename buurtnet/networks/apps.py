from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "buurtnet.networks"
    verbose_name = _("Networks")

    def ready(self) -> None:
        from buurtnet.audit import services as audit

        from . import receivers  # noqa: F401 - connects the receivers
        from .permissions import audit_actor_label

        # The audit log sits below the networks and cannot ask a Standing itself.
        audit.register_actor_labeller(audit_actor_label)
