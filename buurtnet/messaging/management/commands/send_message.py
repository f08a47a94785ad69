"""Send a message from the command line, for drills and scripts.

It obeys the communication plan exactly as the site does: the sender must be allowed to
send this kind in the targeted BINs, and the same checks apply. Prints the message id.

    manage.py send_message --as officer@demo.buurtnet.be --network 3 --kind alert \
        --title "Oefening" --body "Dit is een oefening." --sms "Oefening BIN" --exercise
"""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from buurtnet.messaging.services import Draft, submit
from buurtnet.people.models import Person


class Command(BaseCommand):
    help = "Send a message as a given sender, following the plan; prints the message id."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as", dest="sender", required=True, help="Sender's e-mail.")
        parser.add_argument("--kind", default="notice")
        parser.add_argument("--network", type=int, action="append", default=[])
        parser.add_argument("--zone-wide", action="store_true")
        parser.add_argument("--municipality", type=int)
        parser.add_argument("--area", help="A GeoJSON polygon, or a circle as lon,lat,metres.")
        parser.add_argument("--language", default="nl")
        parser.add_argument("--title", required=True)
        parser.add_argument("--body", required=True)
        parser.add_argument("--sms", default="")
        parser.add_argument(
            "--text",
            action="append",
            default=[],
            help="Another language: lang|title|body|sms (may repeat).",
        )
        parser.add_argument("--at", help="Send later: an ISO date and time with offset.")
        parser.add_argument("--exercise", action="store_true")

    def handle(self, *args, **options) -> None:
        sender = Person.objects.filter(email=options["sender"].lower()).first()
        if sender is None:
            raise CommandError(f"No person with e-mail {options['sender']}")
        texts = {
            options["language"]: {
                "title": options["title"],
                "body": options["body"],
                "sms_text": options["sms"],
            }
        }
        for extra in options["text"]:
            lang, title, body, *sms = extra.split("|")
            texts[lang] = {"title": title, "body": body, "sms_text": sms[0] if sms else ""}
        when = parse_datetime(options["at"]) if options["at"] else None
        if options["at"] and when is None:
            raise CommandError("--at must be an ISO date and time, e.g. 2026-12-01T20:00+01:00")
        draft = Draft(
            kind=options["kind"],
            texts=texts,
            target=self._target(options),
            language=options["language"],
            scheduled_for=when,
            is_exercise=options["exercise"],
        )
        try:
            message = submit(sender, draft)
        except PermissionDenied as exc:
            raise CommandError(str(exc) or "The communication plan does not allow this.") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(str(message.pk))

    def _target(self, options) -> dict:
        if options["network"]:
            return {"type": "networks", "networks": options["network"]}
        if options["municipality"]:
            return {"type": "municipality", "municipality": options["municipality"]}
        if options["area"]:
            area = options["area"]
            if area.lstrip().startswith("{"):
                return {"type": "area", "polygon": json.loads(area)}
            lon, lat, metres = (float(x) for x in area.split(","))
            return {"type": "area", "circle": {"lon": lon, "lat": lat, "radius_m": metres}}
        if options["zone_wide"]:
            return {"type": "zone"}
        raise CommandError("Say who it is for: --network, --municipality, --area or --zone-wide")
