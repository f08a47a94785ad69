"""Phone numbers: stored in E.164, Belgian numbers accepted in national form."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of a phone number, or raise ValidationError.

    "0470 12 34 56" and "+32 470 12 34 56" both become "+32470123456".
    """
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": text}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": text}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    normalize_phone(value)


def display_phone(e164: str) -> str:
    """A Belgian number as Belgians write it; foreign numbers in international form."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, settings.PHONE_DEFAULT_REGION)
    if number.country_code == 32:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
