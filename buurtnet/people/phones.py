"""Phone numbers: the rules live in `buurtnet.delivery.phones`.

Delivery decides who may be texted or called, and may import no app above it, so the module
moved there. This name stays because code and a frozen migration import it from here
(`people/migrations/0001_initial.py` names `buurtnet.people.phones.validate_phone`).
"""

from buurtnet.delivery.phones import (
    COUNTRY_NAMES,
    DEFAULT_ALLOWED_COUNTRIES,
    LANDLINE,
    MOBILE,
    SMS_TYPES,
    SPECIAL,
    VOICE_TYPES,
    allowed_countries,
    allowed_country_names,
    allowed_region_sql,
    can_receive_calls,
    can_receive_sms,
    check_contact_number,
    check_sms_number,
    display_phone,
    normalize_phone,
    number_facts,
    reachable,
    reachable_sql,
    validate_phone,
)

__all__ = [
    "COUNTRY_NAMES",
    "DEFAULT_ALLOWED_COUNTRIES",
    "LANDLINE",
    "MOBILE",
    "SMS_TYPES",
    "SPECIAL",
    "VOICE_TYPES",
    "allowed_countries",
    "allowed_country_names",
    "allowed_region_sql",
    "can_receive_calls",
    "can_receive_sms",
    "check_contact_number",
    "check_sms_number",
    "display_phone",
    "normalize_phone",
    "number_facts",
    "reachable",
    "reachable_sql",
    "validate_phone",
]
