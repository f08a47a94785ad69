"""Voice calls: the message read out by text-to-speech, for members without a smartphone.

The message is said twice, with a pause, as a phone chain caller would repeat it: the member
may have picked up mid-sentence or missed a word.
"""

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from django.conf import settings

from ..models import OutboxChannel, OutboxMessage
from .base import Envelope, Outcome
from .sms import TwilioTransport

# Twilio's text-to-speech locales for the members' languages (Belgian where it has them).
SPEECH_LANGUAGES = {"nl": "nl-BE", "fr": "fr-BE", "en": "en-GB", "de": "de-DE"}
REPEAT = 2
# Twilio refuses a Twiml parameter longer than this.
TWIML_MAX_CHARS = 4000
# Characters XML 1.0 cannot carry at all, not even escaped.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def speech_language(language: str) -> str:
    return SPEECH_LANGUAGES.get(language, SPEECH_LANGUAGES["nl"])


def twiml(text: str, language: str, repeat: int = REPEAT) -> str:
    """`<Response><Say language="nl-BE">…</Say>…</Response>` with the text escaped by the
    XML serializer, so nothing in a message can add or change TwiML verbs."""
    response = ET.Element("Response")
    for index in range(repeat):
        if index:
            ET.SubElement(response, "Pause", length="1")
        say = ET.SubElement(response, "Say", language=speech_language(language))
        say.text = XML_INVALID.sub("", text)
    return ET.tostring(response, encoding="unicode")


def fitting_twiml(text: str, language: str) -> str:
    """TwiML within Twilio's limit: the message twice if it fits, else once, else cut."""
    for repeat in (REPEAT, 1):
        document = twiml(text, language, repeat)
        if len(document) <= TWIML_MAX_CHARS:
            return document
    # The frame around one character, less that character (empty would self-close).
    budget = TWIML_MAX_CHARS - (len(twiml("x", language, 1)) - 1)
    return twiml(cut_to_escaped_length(text, budget), language, 1)


def cut_to_escaped_length(text: str, budget: int) -> str:
    """The longest start of `text` that takes at most `budget` characters once escaped
    ("&" becomes "&amp;", so characters are not a fair measure)."""
    used = 0
    for index, char in enumerate(text):
        used += len(escape(char))
        if used > budget:
            return text[:index]
    return text


class OutboxVoiceTransport:
    """Keeps the call's script in the local outbox instead of calling."""

    channel = "voice"

    def open(self) -> None:
        pass

    def send(self, envelope: Envelope) -> Outcome:
        message = OutboxMessage.objects.create(
            channel=OutboxChannel.VOICE,
            recipient=envelope.to,
            subject=envelope.subject[:300],
            body=envelope.text,
        )
        return Outcome(state="sent", provider_ref=f"outbox-{message.pk}")

    def close(self) -> None:
        pass


class TwilioVoiceTransport(TwilioTransport):
    """Twilio's Calls API with the TwiML inline, so Twilio needs no second request to us."""

    channel = "voice"
    resource = "Calls.json"
    status_hook = "hooks:voice_twilio_status"

    def send(self, envelope: Envelope) -> Outcome:
        return self.create(
            {
                "To": envelope.to,
                "From": settings.TWILIO_FROM,
                "Twiml": fitting_twiml(envelope.text, envelope.language),
            }
        )
