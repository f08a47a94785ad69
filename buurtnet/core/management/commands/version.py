"""Print the version of the Buurtnet code that is installed here."""

from django.core.management.base import BaseCommand

from buurtnet import __version__


class Command(BaseCommand):
    help = "Print the Buurtnet version (pyproject.toml of the checkout, or the installed package)."
    # The version is a fact about the code, not the database: no system checks, no database.
    requires_system_checks = []

    def handle(self, *args, **options) -> None:
        self.stdout.write(__version__)
