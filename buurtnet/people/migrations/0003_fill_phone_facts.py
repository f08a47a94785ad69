"""Fill phone_region and phone_kind for the numbers stored before they existed.

The rule is written out here rather than imported, so that this migration keeps doing what
it did when the app's code changes later.
"""

import phonenumbers
from django.db import migrations

SMS_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
VOICE_TYPES = {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.VOIP}


def facts(e164: str) -> tuple[str, str]:
    try:
        number = phonenumbers.parse(e164, "BE")
    except phonenumbers.NumberParseException:
        return "", "special"
    region = phonenumbers.region_code_for_number(number) or ""
    kind = phonenumbers.number_type(number)
    if kind in SMS_TYPES:
        return region, "mobile"
    if kind in VOICE_TYPES:
        return region, "landline"
    return region, "special"


def fill(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    batch = []
    for person in Person.objects.exclude(phone="").only("pk", "phone").iterator(chunk_size=2000):
        person.phone_region, person.phone_kind = facts(person.phone)
        batch.append(person)
        if len(batch) >= 2000:
            Person.objects.bulk_update(batch, ["phone_region", "phone_kind"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["phone_region", "phone_kind"])


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_phone_facts"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
