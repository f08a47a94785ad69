"""Phone numbers: stored in E.164, Belgian numbers accepted in national form.

A number a person gives for their account must belong to one of the countries in
SMS_ALLOWED_COUNTRIES and be an ordinary subscriber number (mobile, landline or VoIP): premium
rate, shared cost and other special numbers are the way SMS and call toll fraud makes money.
Only a mobile number (or, where a country's numbering cannot tell, a "fixed line or mobile"
one) ever gets a text message; a landline is reached by voice calls only.
"""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import get_text_list
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

DEFAULT_ALLOWED_COUNTRIES = "BE,NL,FR,DE,LU"
SMS_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
VOICE_TYPES = SMS_TYPES | {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.VOIP,
}
# What a number is, as stored on Person.phone_kind.
MOBILE = "mobile"  # texts and calls
LANDLINE = "landline"  # calls only (fixed line, VoIP)
SPECIAL = "special"  # neither: premium rate, shared cost, unknown…


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


def allowed_countries() -> frozenset[str]:
    """Region codes (ISO 3166, e.g. "BE") whose numbers may be texted or called."""
    raw = getattr(settings, "SMS_ALLOWED_COUNTRIES", DEFAULT_ALLOWED_COUNTRIES)
    if isinstance(raw, str):
        raw = raw.split(",")
    return frozenset(code.strip().upper() for code in raw if code.strip())


# Names of the countries a Belgian zone may allow; any other stays its ISO code.
COUNTRY_NAMES = {
    "BE": _("Belgium"),
    "DE": _("Germany"),
    "FR": _("France"),
    "LU": _("Luxembourg"),
    "NL": _("the Netherlands"),
}


def allowed_country_names() -> str:
    """The allowed countries in the active language, in alphabetical order and joined as a
    sentence: "Belgium, France and the Netherlands"."""
    names = sorted(str(COUNTRY_NAMES.get(code, code)) for code in allowed_countries())
    return get_text_list(names, gettext("and"))


def check_contact_number(e164: str) -> None:
    """Refuse a number of a country not allowed, or one that is not an ordinary subscriber's."""
    number = phonenumbers.parse(e164, settings.PHONE_DEFAULT_REGION)
    if phonenumbers.region_code_for_number(number) not in allowed_countries():
        raise ValidationError(
            _("We can only reach phone numbers from these countries: %(countries)s."),
            code="country_not_allowed",
            params={"countries": allowed_country_names()},
        )
    if phonenumbers.number_type(number) not in VOICE_TYPES:
        raise ValidationError(
            _("This is a special number (premium rate, shared cost…). Give your own number."),
            code="special_number",
        )


def number_facts(e164: str) -> tuple[str, str]:
    """The number's country (region code, "" if none) and kind (MOBILE, LANDLINE or SPECIAL).

    Person stores both beside the number (`phone_region`, `phone_kind`), so that the SQL
    choosing an alert's recipients (`reachable_sql`) applies the same rule as `reachable`.
    """
    if not e164:
        return "", ""
    try:
        number = phonenumbers.parse(e164, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return "", SPECIAL
    kind = phonenumbers.number_type(number)
    if kind in SMS_TYPES:
        return phonenumbers.region_code_for_number(number) or "", MOBILE
    if kind in VOICE_TYPES:
        return phonenumbers.region_code_for_number(number) or "", LANDLINE
    return phonenumbers.region_code_for_number(number) or "", SPECIAL


def reachable(region: str, kind: str, channel: str) -> bool:
    """The rule: a text goes to a mobile number, a call to a mobile or landline, and only
    in an allowed country."""
    if region not in allowed_countries():
        return False
    return kind == MOBILE if channel == "sms" else kind in (MOBILE, LANDLINE)


def can_receive_sms(e164: str) -> bool:
    """True for a mobile number of an allowed country: the only numbers ever texted."""
    return reachable(*number_facts(e164), "sms")


def can_receive_calls(e164: str) -> bool:
    """True for a mobile or landline number of an allowed country."""
    return reachable(*number_facts(e164), "voice")


def allowed_region_sql(alias: str) -> str:
    """SQL true when the stored phone_region of people_person `alias` is an allowed country.
    Only region codes phonenumbers knows are written into the SQL, quoted: a setting cannot
    inject anything, and a code it does not know matches no number anyway."""
    codes = sorted(c for c in allowed_countries() if c in phonenumbers.SUPPORTED_REGIONS)
    if not codes:
        return "(1=0)"
    quoted = ", ".join(f"'{code}'" for code in codes)
    return f"({alias}.phone_region IN ({quoted}))"


def reachable_sql(alias: str, channel: str) -> str:
    """`reachable` in SQL, on the facts stored for people_person `alias`."""
    kinds = f"'{MOBILE}'" if channel == "sms" else f"'{MOBILE}', '{LANDLINE}'"
    return f"({allowed_region_sql(alias)} AND {alias}.phone_kind IN ({kinds}))"


def check_sms_number(e164: str) -> None:
    """Refuse, with a clear reason, a number that may not receive text messages."""
    check_contact_number(e164)
    if not can_receive_sms(e164):
        raise ValidationError(
            _(
                "Text messages go to mobile numbers only. This number can receive voice "
                "calls; give a mobile number for text messages."
            ),
            code="not_mobile",
        )


def display_phone(e164: str) -> str:
    """A Belgian number as Belgians write it; foreign numbers in international form."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, settings.PHONE_DEFAULT_REGION)
    if number.country_code == 32:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
