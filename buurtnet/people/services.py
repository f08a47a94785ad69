"""Account-level rules: phone verification, home address, channel preferences."""

import secrets
from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override

from buurtnet.delivery.phones import (
    can_receive_sms,
    check_contact_number,
    check_sms_number,
    normalize_phone,
)
from buurtnet.delivery.services import send_code

from .models import Channel, Person, PhoneVerification

# At most this many codes per person per hour: an SMS costs money and can be abused.
MAX_CODES_PER_HOUR = 5


def _hash_code(person: Person, code: str) -> str:
    return salted_hmac("buurtnet.phone-code", f"{person.pk}:{code}").hexdigest()


def start_phone_verification(person: Person, raw_phone: str) -> PhoneVerification:
    """Store the (normalised) phone number and send a six-digit code to it.

    A mobile number gets the code by text message; a landline, which never gets a text,
    gets it read out in a voice call. Numbers of countries not allowed, and special numbers
    (premium rate…), are refused: they are how SMS toll fraud makes money.
    """
    phone = normalize_phone(raw_phone)
    if not phone:
        raise ValidationError(_("Enter your phone number."), code="required")
    check_contact_number(phone)
    now = timezone.now()
    recent = PhoneVerification.objects.filter(
        person=person, created_at__gte=now - timedelta(hours=1)
    ).count()
    if recent >= MAX_CODES_PER_HOUR:
        raise ValidationError(
            _("Too many codes were sent. Try again in an hour."), code="rate_limited"
        )
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        if person.phone != phone:
            person.phone = phone
            person.phone_verified_at = None
            if not can_receive_sms(phone):
                person.channels = [c for c in (person.channels or []) if c != Channel.SMS]
            person.save(update_fields=["phone", "phone_verified_at", "channels"])
        verification = PhoneVerification.objects.create(
            person=person,
            phone=phone,
            code_hash=_hash_code(person, code),
            expires_at=now + timedelta(minutes=settings.PHONE_CODE_TTL_MINUTES),
        )
        _send_code(person, phone, code)
    return verification


def _send_code(person: Person, phone: str, code: str) -> None:
    """Text the code to a mobile, or have a call read it out to a landline, through the
    outbox (retried while the provider is down, in the person's language)."""
    minutes = settings.PHONE_CODE_TTL_MINUTES
    with override(person.language):
        if can_receive_sms(phone):
            text = _("Your Buurtnet code is %(code)s. It is valid for %(minutes)s minutes.")
            text %= {"code": code, "minutes": minutes}
            send_code(person, channel="sms", to=phone, text=text)
            return
        # Digits apart, so text-to-speech reads "4 0 1…", not "four hundred and one thousand".
        spoken = " ".join(code)
        text = _("Your Buurtnet code is %(code)s. I repeat: %(code)s.") % {"code": spoken}
        send_code(person, channel="voice", to=phone, text=text)


def confirm_phone(person: Person, code: str) -> None:
    """Mark the phone verified if code matches the latest unexpired code for it."""
    code = "".join((code or "").split())
    verification = (
        PhoneVerification.objects.filter(
            person=person, phone=person.phone, verified_at__isnull=True
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if verification is None or verification.expires_at < timezone.now():
        raise ValidationError(_("This code has expired. Ask for a new one."), code="expired")
    if verification.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
        raise ValidationError(
            _("Too many wrong codes. Ask for a new one."), code="too_many_attempts"
        )
    if not constant_time_compare(verification.code_hash, _hash_code(person, code)):
        PhoneVerification.objects.filter(pk=verification.pk).update(
            attempts=verification.attempts + 1
        )
        raise ValidationError(_("This code is not correct."), code="wrong_code")
    now = timezone.now()
    with transaction.atomic():
        verification.verified_at = now
        verification.save(update_fields=["verified_at"])
        person.phone_verified_at = now
        person.save(update_fields=["phone_verified_at"])


def set_home(
    person: Person,
    *,
    street: str,
    house_number: str,
    postcode: str,
    city: str,
    longitude: float,
    latitude: float,
) -> Person:
    person.street, person.house_number = street.strip(), house_number.strip()
    person.postcode, person.city = postcode.strip(), city.strip()
    person.longitude, person.latitude = longitude, latitude
    person.save(
        update_fields=["street", "house_number", "postcode", "city", "longitude", "latitude"]
    )
    return person


def update_preferences(
    person: Person,
    *,
    language: str,
    channels: list[str],
    quiet_hours_start: time | None,
    quiet_hours_end: time | None,
) -> Person:
    channels = [c for c in Channel.values if c in set(channels)]
    if not channels:
        raise ValidationError(_("Choose at least one channel."), code="no_channel")
    if Channel.SMS in channels and not person.phone_verified:
        raise ValidationError(
            _("Confirm your mobile phone number before you choose SMS."), code="phone_unverified"
        )
    if Channel.SMS in channels:
        check_sms_number(person.phone)
    if Channel.VOICE in channels and not person.phone_verified:
        raise ValidationError(
            _("Confirm your phone number before you choose voice calls."),
            code="phone_unverified",
        )
    if (quiet_hours_start is None) != (quiet_hours_end is None):
        raise ValidationError(
            _("Give both the start and the end of your quiet hours, or neither."),
            code="quiet_hours_incomplete",
        )
    person.language = language
    person.channels = channels
    person.quiet_hours_start, person.quiet_hours_end = quiet_hours_start, quiet_hours_end
    person.save(update_fields=["language", "channels", "quiet_hours_start", "quiet_hours_end"])
    return person
