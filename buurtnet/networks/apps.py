from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "buurtnet.networks"
    verbose_name = _("Networks")

    def ready(self) -> None:
        from django.core import checks

        from buurtnet.audit import services as audit

        from . import basemap, receivers  # noqa: F401 - connects the receivers
        from .permissions import audit_actor_label

        # The audit log sits below the networks and cannot ask a Standing itself.
        audit.register_actor_labeller(audit_actor_label)
        # A base map that cannot work (MAP_TILES…) stops manage.py check and the server.
        checks.register(basemap.check_settings)
