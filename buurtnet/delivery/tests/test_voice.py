"""Voice calls: the TwiML script, the outbox and Twilio's Calls API (a local fake)."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from buurtnet.delivery.channels import Envelope, TransportError, get_transport
from buurtnet.delivery.channels.voice import (
    TWIML_MAX_CHARS,
    OutboxVoiceTransport,
    TwilioVoiceTransport,
    fitting_twiml,
    twiml,
)
from buurtnet.delivery.models import OutboxMessage, Reason
from buurtnet.delivery.tests.fake_twilio import FakeTwilio


def envelope(to: str = "+3256123456", language: str = "nl", text: str = "Inbraak") -> Envelope:
    return Envelope(
        delivery_id=1,
        idempotency_key="bn-1-1-voice",
        channel="voice",
        to=to,
        person_id=1,
        language=language,
        subject="Inbraakalarm",
        text=text,
    )


def parse(document: str) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - TwiML we built


def said(document: str) -> list[tuple[str | None, str | None]]:
    return [(say.get("language"), say.text) for say in parse(document).iter("Say")]


@pytest.fixture
def twilio(settings):
    with FakeTwilio() as fake:
        settings.TWILIO_BASE_URL = fake.url
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_FROM = "+3225550000"
        settings.SITE_URL = "https://buurtnet.example"
        yield fake


def test_message_is_said_twice_in_belgian_dutch():
    assert said(twiml("Sluit ramen en deuren", "nl")) == [("nl-BE", "Sluit ramen en deuren")] * 2


@pytest.mark.parametrize(("language", "voice"), [("fr", "fr-BE"), ("en", "en-GB"), ("xx", "nl-BE")])
def test_speech_language_follows_the_members_language(language, voice):
    assert {lang for lang, _text in said(twiml("x", language))} == {voice}


def test_markup_in_the_text_is_said_not_obeyed():
    text = 'Let op </Say><Hangup/> & "quotes"'
    root = parse(twiml(text, "nl"))
    assert {child.tag for child in root} == {"Say", "Pause"}
    assert [say.text for say in root.iter("Say")] == [text, text]


def test_control_characters_do_not_break_the_xml():
    assert said(twiml("Bel\x0b 101\x00", "nl"))[0][1] == "Bel 101"


def test_long_message_is_said_once_to_stay_within_twilios_limit():
    document = fitting_twiml("a" * 2500, "nl")
    assert len(document) <= TWIML_MAX_CHARS
    assert len(said(document)) == 1


def test_overlong_message_is_cut_to_twilios_limit():
    document = fitting_twiml("&" * 5000, "nl")
    assert len(document) <= TWIML_MAX_CHARS
    assert said(document)[0][1].startswith("&&&")


@pytest.mark.django_db
def test_outbox_voice_transport_keeps_the_call_script():
    outcome = OutboxVoiceTransport().send(envelope(text="Verdachte wagen"))
    stored = OutboxMessage.objects.get(channel="voice")
    assert (stored.recipient, stored.subject, stored.body) == (
        "+3256123456",
        "Inbraakalarm",
        "Verdachte wagen",
    )
    assert outcome.provider_ref == f"outbox-{stored.pk}"


def test_configured_voice_transport_is_twilio(settings):
    settings.VOICE_TRANSPORT = "twilio"
    transport = get_transport("voice")
    assert isinstance(transport.inner, TwilioVoiceTransport)  # behind its provider's breaker


def test_twilio_voice_transport_places_the_call_with_inline_twiml(twilio):
    transport = TwilioVoiceTransport()
    outcome = transport.send(envelope(language="fr", text="Cambriolage rue de l'Église"))
    transport.close()
    [call] = twilio.calls
    assert outcome.provider_ref == call["sid"]
    assert (call["to"], call["from"]) == ("+3256123456", "+3225550000")
    assert said(call["twiml"]) == [("fr-BE", "Cambriolage rue de l'Église")] * 2
    voice_hook = "https://buurtnet.example" + reverse("hooks:voice_twilio_status")
    assert call["status_callback"] == voice_hook


def test_call_to_an_invalid_number_is_a_permanent_phone_error(twilio):
    transport = TwilioVoiceTransport()
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(to="12"))
    transport.close()
    assert (caught.value.permanent, caught.value.reason) == (True, Reason.PHONE_INVALID)


def test_twilio_outage_during_a_call_is_transient(twilio):
    twilio.fail_next(1, status=503)
    transport = TwilioVoiceTransport()
    with pytest.raises(TransportError) as caught:
        transport.send(envelope())
    transport.close()
    assert not caught.value.permanent
