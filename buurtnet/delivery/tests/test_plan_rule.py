"""The worker goes by the plan rule each message link took when the message was sent: it
reads that snapshot once per batch, holds a delivery outside the rule's sending hours, and
reads an older snapshot that does not name its kind as its message's."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from buurtnet.delivery import plan_rule, worker
from buurtnet.delivery.models import Delivery, DeliveryState, Reason
from buurtnet.messaging import services
from buurtnet.messaging.models import MessageNetwork
from buurtnet.messaging.services import Draft


def notice(network) -> Draft:
    return Draft(
        kind="notice",
        language="en",
        texts={"en": {"title": "Street party", "body": "Road closed on Sunday.", "sms_text": ""}},
        target={"type": "networks", "networks": [network.pk]},
    )


@pytest.fixture
def mailed(world):
    """A notice to the four members of our BIN, e-mail deliveries written, none sent yet
    (the test runs the worker itself)."""
    for person in (world.member, world.steering, world.coordinator, world.officer):
        person.channels = ["email", "inapp"]
        person.save()
    return services.submit(world.officer, notice(world.network))


def emails(message):
    return Delivery.objects.filter(message=message, channel="email")


def test_a_batch_reads_the_rule_of_its_message_once_whatever_its_size(mailed, monkeypatch):
    read = []
    real = plan_rule.message_rule

    def counted(delivery):
        read.append(delivery.pk)
        return real(delivery)

    monkeypatch.setattr(plan_rule, "message_rule", counted)
    worker.deliver_ids(list(emails(mailed).values_list("id", flat=True)), "email")
    assert set(emails(mailed).values_list("state", flat=True)) == {DeliveryState.SENT}
    assert emails(mailed).count() == 4
    assert len(read) == 1


def test_outside_the_plans_sending_hours_a_delivery_waits_until_they_begin(mailed):
    local = timezone.localtime(timezone.now(), worker.LOCAL)
    opens = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    closes = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    [link] = MessageNetwork.objects.filter(message=mailed)
    link.rule = link.applied_rule.replace(send_from=opens, send_until=closes).to_json()
    link.save(update_fields=["rule"])
    worker.deliver_ids(list(emails(mailed).values_list("id", flat=True)), "email")
    waiting = list(emails(mailed))
    assert {(d.state, d.reason) for d in waiting} == {
        (DeliveryState.AWAITING_RETRY, Reason.SENDING_HOURS)
    }
    expected = datetime.combine(local.date(), opens, tzinfo=worker.LOCAL)
    if expected <= local:
        expected += timedelta(days=1)
    assert {d.next_attempt_at for d in waiting} == {expected}


def test_a_snapshot_without_its_kind_is_read_as_its_messages_with_the_old_defaults(world, mailed):
    """Automatic notices once stored only the keys they set: quiet hours then applied."""
    [link] = MessageNetwork.objects.filter(message=mailed)
    link.rule = {"channels": ["email", "inapp"], "fallback": True}
    link.save(update_fields=["rule"])
    member = world.member
    member.quiet_hours_start, member.quiet_hours_end = time(0, 0), time(23, 59)
    member.save()
    link = MessageNetwork.objects.get(pk=link.pk)
    assert (link.applied_rule.kind, link.applied_rule.fallback) == ("notice", True)
    worker.deliver_ids(list(emails(mailed).values_list("id", flat=True)), "email")
    held = emails(mailed).get(recipient__person=member)
    assert (held.state, held.reason) == (DeliveryState.AWAITING_RETRY, Reason.QUIET_HOURS)
    assert emails(mailed).filter(state=DeliveryState.SENT).count() == 3
