"""Person stores what its number is (country, kind) beside it, for the SQL that chooses who
gets a text or a call; it must follow the number on every save."""

from buurtnet.people.models import Person
from buurtnet.people.phones import LANDLINE, MOBILE
from buurtnet.people.tests.factories import PersonFactory


def test_facts_follow_the_number_when_only_the_phone_is_saved(db):
    person = PersonFactory(phone="+32471234567")
    assert (person.phone_region, person.phone_kind) == ("BE", MOBILE)

    person.phone = "+3292345678"
    person.save(update_fields=["phone"])

    stored = Person.objects.values_list("phone_region", "phone_kind").get(pk=person.pk)
    assert stored == ("BE", LANDLINE)


def test_a_removed_number_leaves_no_facts(db):
    person = PersonFactory(phone="+31612345678")
    person.phone = ""
    person.save()

    stored = Person.objects.values_list("phone_region", "phone_kind").get(pk=person.pk)
    assert stored == ("", "")


def test_migration_fills_the_facts_of_numbers_stored_before_them(db):
    from importlib import import_module

    from django.apps import apps

    fill = import_module("buurtnet.people.migrations.0003_fill_phone_facts").fill
    landline = PersonFactory(phone="+3292345678")
    mobile = PersonFactory(phone="+32471234567")
    Person.objects.update(phone_region="", phone_kind="")

    fill(apps, None)

    stored = dict(Person.objects.values_list("pk", "phone_kind"))
    assert (stored[landline.pk], stored[mobile.pk]) == (LANDLINE, MOBILE)
