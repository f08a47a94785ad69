import re
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from buurtnet.delivery.models import DeliveryState, Notice, OutboxMessage
from buurtnet.people import services
from buurtnet.people.models import PhoneVerification
from buurtnet.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def texted_code(phone: str) -> str:
    return re.search(r"\b(\d{6})\b", OutboxMessage.objects.filter(recipient=phone).first().body)[1]


@pytest.fixture
def person():
    return PersonFactory(phone="", phone_verified_at=None)


def test_phone_code_is_texted_and_confirms_the_number(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_phone_verification(person, "0470 12 34 56")
    assert person.phone == "+32470123456"
    services.confirm_phone(person, texted_code("+32470123456"))
    person.refresh_from_db()
    assert person.phone_verified


def test_wrong_code_is_refused_and_counted(person):
    services.start_phone_verification(person, "0470 12 34 56")
    with pytest.raises(ValidationError) as info:
        services.confirm_phone(person, "000000x")
    assert info.value.code == "wrong_code"
    assert PhoneVerification.objects.get().attempts == 1
    person.refresh_from_db()
    assert not person.phone_verified


def test_code_stops_working_after_too_many_attempts(person, settings):
    services.start_phone_verification(person, "0470 12 34 56")
    PhoneVerification.objects.update(attempts=settings.PHONE_CODE_MAX_ATTEMPTS)
    with pytest.raises(ValidationError) as info:
        services.confirm_phone(person, "123456")
    assert info.value.code == "too_many_attempts"


def test_expired_code_is_refused(person):
    services.start_phone_verification(person, "0470 12 34 56")
    PhoneVerification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError) as info:
        services.confirm_phone(person, "123456")
    assert info.value.code == "expired"


def test_codes_are_rate_limited(person):
    for _ in range(services.MAX_CODES_PER_HOUR):
        services.start_phone_verification(person, "0470 12 34 56")
    with pytest.raises(ValidationError) as info:
        services.start_phone_verification(person, "0470 12 34 56")
    assert info.value.code == "rate_limited"


def test_invalid_number_changes_nothing(person):
    with pytest.raises(ValidationError):
        services.start_phone_verification(person, "12345")
    person.refresh_from_db()
    assert person.phone == ""
    assert not PhoneVerification.objects.exists()


def test_changing_the_number_needs_new_verification():
    person = PersonFactory(phone="+32470000001")
    services.start_phone_verification(person, "0470 99 99 99")
    person.refresh_from_db()
    assert not person.phone_verified


def test_sms_channel_needs_a_verified_phone(person):
    with pytest.raises(ValidationError) as info:
        services.update_preferences(
            person, language="nl", channels=["sms"], quiet_hours_start=None, quiet_hours_end=None
        )
    assert info.value.code == "phone_unverified"


def test_preferences_need_a_channel_and_complete_quiet_hours():
    person = PersonFactory()
    with pytest.raises(ValidationError):
        services.update_preferences(
            person, language="fr", channels=[], quiet_hours_start=None, quiet_hours_end=None
        )
    with pytest.raises(ValidationError):
        services.update_preferences(
            person,
            language="fr",
            channels=["email"],
            quiet_hours_start=time(22),
            quiet_hours_end=None,
        )
    person.refresh_from_db()
    assert person.language == "en"


def test_preferences_are_saved_in_a_fixed_channel_order():
    person = PersonFactory()
    services.update_preferences(
        person,
        language="fr",
        channels=["sms", "email", "bogus"],
        quiet_hours_start=time(22),
        quiet_hours_end=time(7),
    )
    person.refresh_from_db()
    assert (person.language, person.channels) == ("fr", ["email", "sms"])


def test_the_code_is_texted_in_the_persons_language_and_kept_as_a_code_notice(
    person, django_capture_on_commit_callbacks
):
    person.language = "fr"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.start_phone_verification(person, "0470 12 34 56")
    notice = Notice.objects.get()
    assert (notice.kind, notice.person, notice.phone) == ("code", person, "+32470123456")
    assert notice.deliveries.get().state == DeliveryState.SENT
    assert texted_code("+32470123456")
    assert OutboxMessage.objects.get().body.startswith("Votre code Buurtnet est")


def test_landline_gets_its_code_by_voice_call_never_by_sms(
    person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_phone_verification(person, "09 234 56 78")

    sent = OutboxMessage.objects.filter(recipient="+3292345678")
    assert [m.channel for m in sent] == ["voice"]
    spoken = "".join(sent.get().body.split(".")[0].split())
    services.confirm_phone(person, re.search(r"(\d{6})$", spoken)[1])
    person.refresh_from_db()
    assert person.phone_verified
    assert not person.can_receive_sms


def test_mobile_number_gets_its_code_by_sms(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_phone_verification(person, "0470 12 34 56")

    assert [m.channel for m in OutboxMessage.objects.all()] == ["sms"]


def test_number_of_a_country_not_allowed_is_refused_and_changes_nothing(
    person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as info:
        services.start_phone_verification(person, "+1 415 555 0123")

    assert info.value.code == "country_not_allowed"
    person.refresh_from_db()
    assert person.phone == ""
    assert not PhoneVerification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_sms_cannot_be_chosen_for_a_confirmed_landline():
    person = PersonFactory(phone="+3292345678")

    with pytest.raises(ValidationError) as info:
        services.update_preferences(
            person, language="nl", channels=["sms"], quiet_hours_start=None, quiet_hours_end=None
        )

    assert info.value.code == "not_mobile"


def test_a_queued_code_call_to_a_country_no_longer_allowed_is_not_made(
    person, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_phone_verification(person, "09 234 56 78")
        settings.SMS_ALLOWED_COUNTRIES = "NL"

    assert not OutboxMessage.objects.filter(recipient="+3292345678").exists()


def test_a_dutch_speaking_member_hears_the_code_in_dutch(django_capture_on_commit_callbacks):
    person = PersonFactory(phone="", phone_verified_at=None, language="nl")
    with django_capture_on_commit_callbacks(execute=True):
        services.start_phone_verification(person, "09 234 56 78")

    call = OutboxMessage.objects.get(recipient="+3292345678", channel="voice")
    assert call.body.startswith("Uw Buurtnet-code is ")
    assert "Ik herhaal" in call.body


def test_voice_calls_can_be_chosen_for_a_confirmed_landline():
    person = PersonFactory(phone="+3292345678")

    services.update_preferences(
        person, language="nl", channels=["voice"], quiet_hours_start=None, quiet_hours_end=None
    )

    person.refresh_from_db()
    assert person.channels == ["voice"]


def test_changing_to_a_landline_stops_sms():
    person = PersonFactory(channels=["email", "sms"])

    services.start_phone_verification(person, "09 234 56 78")

    person.refresh_from_db()
    assert person.channels == ["email"]
    assert not person.can_receive_sms


def test_new_account_takes_the_language_it_signed_up_in(client):
    from buurtnet.people.models import Person

    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    client.post(
        "/accounts/signup/",
        {
            "email": "marie@example.be",
            "password1": "Tournesol-2026!",
            "password2": "Tournesol-2026!",
        },
    )
    assert Person.objects.get(email="marie@example.be").language == "fr"
