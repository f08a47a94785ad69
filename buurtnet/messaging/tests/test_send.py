import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from buurtnet.delivery.models import Delivery, OutboxMessage
from buurtnet.messaging import services
from buurtnet.messaging.models import MessageStatus, Recipient
from buurtnet.messaging.services import Draft


def draft(**overrides) -> Draft:
    values = {
        "kind": "alert",
        "language": "en",
        "texts": {
            "en": {
                "title": "Burglars",
                "body": "Doors forced in Kerkstraat.",
                "sms_text": "Burglars in Kerkstraat",
            }
        },
        "target": {"type": "networks", "networks": []},
    }
    values.update(overrides)
    return Draft(**values)


def test_officer_alert_reaches_every_member_once_per_channel(
    world, django_capture_on_commit_callbacks
):
    world.member.channels = ["email", "sms", "inapp"]
    world.member.save()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.submit(
            world.officer, draft(target={"type": "networks", "networks": [world.network.pk]})
        )
    assert message.status == MessageStatus.SENT
    assert Recipient.objects.filter(message=message).count() == 4
    sms = OutboxMessage.objects.filter(channel="sms", recipient=world.member.phone)
    print(
        services.progress(message), list(Delivery.objects.values_list("channel", "state", "error"))
    )
    assert sms.count() == 1
    assert Delivery.objects.filter(message=message, state="queued").count() == 0
    print(
        services.progress(message), list(Delivery.objects.values_list("channel", "state", "error"))
    )


def test_member_cannot_send_an_alert(world):
    with pytest.raises(PermissionDenied):
        services.submit(
            world.member, draft(target={"type": "networks", "networks": [world.network.pk]})
        )


def test_coordinator_relay_with_plate_is_blocked(world):
    with pytest.raises(ValidationError) as exc:
        services.submit(
            world.coordinator,
            draft(
                kind="relay",
                texts={"en": {"title": "Car", "body": "Car 1-ABC-123 cruising", "sms_text": ""}},
                target={"type": "networks", "networks": [world.network.pk]},
            ),
        )
    assert "body_en" in exc.value.message_dict
