"""Print the demo log-ins made by seed_demo, with the current TOTP code for staff."""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand

from buurtnet.networks.models import Membership, MembershipStatus, PoliceZone, Role
from buurtnet.people.models import Person

from .seed_demo import COORDINATOR_EMAIL, DEMO_PASSWORD, NAMED_LOGINS, ZONE_CODE


def current_code(secret: str, at: float | None = None) -> tuple[str, int]:
    """The TOTP code for now (as the authenticator app shows it) and seconds it stays valid."""
    now = time.time() if at is None else at
    period = mfa_settings.TOTP_PERIOD
    code = format_hotp_value(hotp_value(secret, int(now) // period))
    return code, period - int(now) % period


class Command(BaseCommand):
    help = "Print the demo log-ins (from seed_demo) and the current TOTP code of staff accounts."

    def handle(self, *args, **options):
        zone = PoliceZone.objects.filter(code=ZONE_CODE).first()
        if zone is None:
            self.stdout.write(
                "There is no demo data yet: run `.venv/bin/python manage.py seed_demo` first."
            )
            return
        people = Person.objects.in_bulk([email for email, *_ in NAMED_LOGINS], field_name="email")
        secrets = {
            a.user_id: decrypt(a.data["secret"])
            for a in Authenticator.objects.filter(
                user__in=people.values(), type=Authenticator.Type.TOTP
            )
        }
        site = getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
        write = self.stdout.write
        write(f"Buurtnet demo: {zone.name}")
        write(f"Open {site} and log in with one of these (password for all: {DEMO_PASSWORD}):")
        write("")
        for email, _name, role, _totp in NAMED_LOGINS:
            person = people.get(email)
            if person is None:
                write(f"  {email:<32} (missing: was it deleted?)")
                continue
            write(f"  {email:<32} {person.full_name} – {role}")
            secret = secrets.get(person.pk)
            if secret:
                code, valid = current_code(secret)
                write(
                    f"  {'':<32} second factor (TOTP): code {code} "
                    f"(valid {valid} s more), secret {secret}"
                )
        coordinated = (
            Membership.objects.filter(
                person__email=COORDINATOR_EMAIL,
                role=Role.COORDINATOR,
                status=MembershipStatus.APPROVED,
            )
            .values_list("network_id", flat=True)
            .first()
        )
        write("")
        if coordinated:
            write(f"Applications waiting in BIN 1: {site}/networks/{coordinated}/applications/")
        write(f"Zone map: {site}/zones/{zone.code}/")
        write(f"Outbox (e-mail and SMS the demo 'sent', with make demo): {site}/outbox/")
        write("")
        write(
            "Staff accounts ask for the 6-digit code after the password. Add the secret to an "
            "authenticator app, or run `.venv/bin/python manage.py demo_logins` again for fresh "
            "codes (each code is accepted once; wait for the next one to log in again)."
        )
