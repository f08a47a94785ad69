"""Publish the project's starter set of prevention tips in a zone.

manage.py starter_tips --zone 5401
"""

from django.core.management.base import BaseCommand, CommandError

from buurtnet.networks.models import PoliceZone
from buurtnet.prevention.services import install_starter_tips


class Command(BaseCommand):
    help = "Publish the starter set of prevention tips (nl, fr, en) in a zone."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--zone", required=True, help="The zone's code, e.g. 5401.")

    def handle(self, *args, zone: str, **options) -> None:
        found = PoliceZone.objects.filter(code=zone).first()
        if found is None:
            raise CommandError(f"No zone with code {zone}.")
        added = install_starter_tips(found)
        self.stdout.write(f"{added} tips published in {found.name}.")
