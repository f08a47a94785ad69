import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from buurtnet.people.phones import (
    can_receive_sms,
    check_contact_number,
    check_sms_number,
    display_phone,
    normalize_phone,
)
from buurtnet.people.tests.factories import PersonFactory


@pytest.mark.parametrize(
    "raw", ["0470 12 34 56", "0470/12.34.56", "+32 470 12 34 56", "0032470123456"]
)
def test_belgian_mobile_in_any_form_becomes_e164(raw):
    assert normalize_phone(raw) == "+32470123456"


def test_foreign_number_in_international_form_is_kept():
    assert normalize_phone("+31 6 12345678") == "+31612345678"


@pytest.mark.parametrize("raw", ["12", "hello", "0470 12", "+32 999 99 99 99"])
def test_what_is_not_a_phone_number_is_refused(raw):
    with pytest.raises(ValidationError) as info:
        normalize_phone(raw)
    assert info.value.code == "invalid_phone"


def test_belgian_number_is_shown_in_national_form():
    assert display_phone("+32470123456") == "0470 12 34 56"


@pytest.mark.parametrize(
    "phone", ["+32470123456", "+31612345678", "+33612345678", "+4915123456789", "+352621123456"]
)
def test_mobile_number_of_an_allowed_country_is_accepted_for_sms(phone):
    check_sms_number(phone)
    assert can_receive_sms(phone)


def test_belgian_landline_is_refused_for_sms():
    with translation.override("en"), pytest.raises(ValidationError) as info:
        check_sms_number("+3292345678")
    assert info.value.code == "not_mobile"
    assert info.value.messages[0].startswith("Text messages go to mobile numbers only.")
    assert not can_receive_sms("+3292345678")


def test_mobile_number_of_a_country_not_allowed_is_refused():
    with translation.override("en"), pytest.raises(ValidationError) as info:
        check_sms_number("+14155550123")
    assert info.value.code == "country_not_allowed"
    assert not can_receive_sms("+14155550123")


def test_the_refusal_names_the_allowed_countries_in_a_sentence():
    with translation.override("en"), pytest.raises(ValidationError) as info:
        check_contact_number("+14155550123")
    assert info.value.messages[0] == (
        "We can only reach phone numbers from these countries: "
        "Belgium, France, Germany, Luxembourg and the Netherlands."
    )


def test_a_country_without_a_name_is_shown_by_its_code(settings):
    settings.SMS_ALLOWED_COUNTRIES = "BE,CH"
    with translation.override("en"), pytest.raises(ValidationError) as info:
        check_contact_number("+14155550123")
    assert info.value.messages[0].endswith("countries: Belgium and CH.")


def test_allowed_countries_come_from_settings(settings):
    settings.SMS_ALLOWED_COUNTRIES = "BE"

    with pytest.raises(ValidationError) as info:
        check_sms_number("+31612345678")
    assert info.value.code == "country_not_allowed"


def test_premium_rate_number_is_refused_even_for_voice():
    with pytest.raises(ValidationError) as info:
        check_contact_number("+3290012345")
    assert info.value.code == "special_number"


def test_landline_is_accepted_for_voice_calls():
    check_contact_number("+3292345678")


@pytest.mark.django_db
def test_the_settings_menu_calls_the_phone_page_phone_not_mobile(client):
    client.force_login(PersonFactory())
    page = client.get(reverse("people:preferences")).text
    assert f'<a href="{reverse("people:phone")}">Phone</a>' in page
    assert "Mobile phone" not in page
