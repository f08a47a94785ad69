"""Install the ready "safety feeling" survey (nl, fr, en) as a draft for a zone."""

from django.core.management.base import BaseCommand, CommandError

from buurtnet.networks.models import PoliceZone
from buurtnet.people.models import Person
from buurtnet.surveys.services import install_starter


class Command(BaseCommand):
    help = "Install the ready safety-feeling survey for a police zone, as a draft to review."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--zone", required=True, help="The zone's code, e.g. 5415.")
        parser.add_argument(
            "--author", default="", help="E-mail of the author (default: a staff member)."
        )

    def handle(self, *args, zone: str, author: str = "", **options) -> None:
        found = PoliceZone.objects.filter(code=zone).first()
        if found is None:
            raise CommandError(f"No police zone with code {zone!r}.")
        people = Person.objects.filter(is_active=True)
        if author:
            by = people.filter(email__iexact=author).first()
        else:
            by = (
                people.filter(zone_staff__zone=found).order_by("pk").first()
                or people.filter(is_superuser=True).order_by("pk").first()
            )
        if by is None:
            raise CommandError("No author: give --author, or add a staff member to the zone.")
        survey = install_starter(found, by)
        self.stdout.write(f"Survey {survey.pk} installed as a draft for {found.name}.")
