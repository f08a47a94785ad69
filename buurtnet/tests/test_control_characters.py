"""Control characters in text fields are refused in every app by one rule
(buurtnet.common.form_fields.install_text_rules): one-line fields take no line break at all,
multi-line fields (text areas, model TextFields) take line breaks and tabs only."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from buurtnet.cap.models import CapFeed
from buurtnet.common.form_fields import MULTILINE_MODEL_FIELDS
from buurtnet.governance.models import Meeting
from buurtnet.governance.tests.test_views import form_data as meeting_data
from buurtnet.messaging.models import Message
from buurtnet.networks.tests.test_views import log_in
from buurtnet.prevention.models import Tip

ONE_LINE = "This field must be on one line, without control characters."


def compose(client, world, **texts):
    log_in(client, world.officer)
    data = {
        "kind": "notice",
        "language": "nl",
        "target_type": "networks",
        "networks": [world.network.pk],
        "title_nl": "Wegenwerken Kerkstraat",
        "body_nl": "De Kerkstraat is afgesloten.",
        "action": "send",
        "zone": world.zone.pk,
    }
    return client.post(reverse("messaging:compose"), {**data, **texts})


def new_tip(client, world, title: str):
    log_in(client, world.zone_staff)
    data = {
        "zone": world.zone.pk,
        "title_nl": title,
        "sms_text_nl": "Sluit deuren en ramen.",
        "body_nl": "Een open raam is een uitnodiging.",
        "themes": ["burglary"],
        "publish": "1",
    }
    return client.post(reverse("prevention:new_tip"), data)


def new_feed(client, world, name: str):
    log_in(client, world.zone_staff)
    data = {
        "form": "feed",
        "name": name,
        "url": "https://alerts.example.be/cap.atom",
        "poll_every_minutes": "5",
    }
    return client.post(reverse("cap:zone", args=[world.zone.code]), data)


def test_message_with_a_one_line_title_is_sent(client, world):
    answer = compose(client, world)

    assert answer.status_code == 302
    assert Message.objects.count() == 1


@pytest.mark.parametrize("title", ["Wegenwerken\nKerkstraat", "Wegenwerken\rKerkstraat"])
def test_message_title_with_a_line_break_is_refused(client, world, title):
    answer = compose(client, world, title_nl=title)

    assert ONE_LINE in answer.content.decode()
    assert not Message.objects.exists()


@pytest.mark.parametrize("char", ["\x07", "\x1b", "\x85", "\u202e", "\u200b", "\u2028"])
def test_message_title_with_a_control_or_format_character_is_refused(client, world, char):
    answer = compose(client, world, title_nl=f"Wegen{char}werken")

    assert ONE_LINE in answer.content.decode()
    assert not Message.objects.exists()


def test_message_body_keeps_its_line_breaks_and_tabs(client, world):
    answer = compose(client, world, body_nl="Afgesloten.\r\n\tVolg de omleiding.")

    assert answer.status_code == 302
    assert Message.objects.get().texts.get().body == "Afgesloten.\r\n\tVolg de omleiding."


def test_message_body_with_another_control_character_is_refused(client, world):
    answer = compose(client, world, body_nl="Afgesloten.\x1b[2J")

    assert "This field may not contain control characters." in answer.content.decode()
    assert not Message.objects.exists()


def test_message_title_with_an_emoji_is_one_line(client, world):
    answer = compose(client, world, title_nl="Buurtfeest \U0001f389")

    assert answer.status_code == 302


def test_message_title_keeps_an_emoji_sequence_and_a_soft_hyphen(client, world):
    answer = compose(
        client, world, title_nl="Buurt\u00adfeest \U0001f468\u200d\U0001f469\u200d\U0001f467"
    )

    assert answer.status_code == 302


def test_message_title_with_a_right_to_left_override_is_refused(client, world):
    answer = compose(client, world, title_nl="Factuur \u202egpj.exe")

    assert ONE_LINE in answer.content.decode()
    assert not Message.objects.exists()


def test_message_body_keeps_a_soft_hyphen_and_an_emoji_sequence(client, world):
    body = "Buurt\u00adfeest \U0001f468\u200d\U0001f469\u200d\U0001f467"

    answer = compose(client, world, body_nl=body)

    assert answer.status_code == 302


def test_tip_title_with_a_line_break_is_refused(client, world):
    assert new_tip(client, world, "Sluit altijd af").status_code == 302
    Tip.objects.all().delete()

    answer = new_tip(client, world, "Sluit\naltijd af")

    assert ONE_LINE in answer.content.decode()
    assert not Tip.objects.exists()


def test_cap_feed_name_with_a_line_break_is_refused(client, world):
    answer = new_feed(client, world, "Crisis\ncentre")

    assert ONE_LINE in answer.content.decode()
    assert not CapFeed.objects.exists()


def test_meeting_title_with_a_line_break_is_refused(client, world):
    log_in(client, world.coordinator)
    url = reverse("governance:meeting_new", args=[world.network.pk])

    answer = client.post(url, meeting_data(title="Autumn\nmeeting"))

    assert ONE_LINE in answer.content.decode()
    assert not Meeting.objects.exists()


def test_model_char_field_refuses_a_line_break_in_full_clean(world):
    feed = CapFeed(
        zone=world.zone,
        owner=world.zone_staff,
        name="Crisis\ncentre",
        url="https://alerts.example.be/cap.atom",
    )

    with pytest.raises(ValidationError) as caught:
        feed.full_clean()

    assert caught.value.message_dict["name"] == [ONE_LINE]


def test_every_multi_line_model_field_named_exists():
    for label in MULTILINE_MODEL_FIELDS:
        app_label, model_name, field_name = label.split(".")
        apps.get_model(app_label, model_name)._meta.get_field(field_name)
