from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Rules that hold for every app at once, installed when all models are loaded.

    It is an app of its own (no models, templates or static files) because the project
    package ``buurtnet`` cannot be one without its templates and static files being found
    twice, and a rule for all apps should not hide in one of them."""

    name = "buurtnet.core"
    verbose_name = _("Buurtnet")

    def ready(self) -> None:
        from buurtnet.common.form_fields import install_text_rules

        install_text_rules()
