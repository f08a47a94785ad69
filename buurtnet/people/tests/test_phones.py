import pytest
from django.core.exceptions import ValidationError

from buurtnet.people.phones import display_phone, normalize_phone


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
