"""A hand-built fixture with known numbers, for the figures and the dashboard's tests.

In BIN Ours ("A"), with a period of the last 60 days:
- an alert sent 20 days ago (settles), to 20 members: e-mail delivered after 1…10 s to ten
  of them, and 5 seen + 3 acknowledged of the 20;
- a notice sent 1 day ago (counted live): e-mail delivered after 11…20 s to ten members, SMS
  to five: after 5, 5, 30 and 60 s, and one failed;
- an alert sent 12 hours ago to 4 members, 1 seen;
- so e-mail: median 10 s, p95 19 s over 20; SMS: median 5 s, p95 60 s over 4;
  alerts seen: 9 of 24 = 37.5 %.
- reports: 4 with a response time (3 answered in time, 1 late), 1 without: 75 %.
- membership changes 10 days ago: 3 joined, 1 came back from a pause (not a join), 2 left,
  1 paused.
In BIN Theirs (same zone) an alert with a 1000 s e-mail delivery, a report and a join; in
BIN Far (other zone) the same: none of it may count for A.
"""

from datetime import timedelta

from django.utils import timezone

from buurtnet.delivery.models import Delivery
from buurtnet.insights.figures import Period
from buurtnet.messaging.models import ForwardStage, Message, MessageNetwork, Recipient
from buurtnet.networks.models import MembershipChange, MembershipStatus
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.reports import services as reports
from buurtnet.reports.models import Report


def period() -> Period:
    today = timezone.localdate()
    return Period(today - timedelta(days=60), today)


def members_of(network, count: int) -> list:
    people = [PersonFactory() for _ in range(count)]
    for person in people:
        MembershipFactory(network=network, person=person)
    return people


def message(network, sender, kind: str, sent_at, people, seen=(), acknowledged=()) -> Message:
    msg = Message.objects.create(
        zone=network.municipality.zone,
        sender=sender,
        sender_role="officer",
        kind=kind,
        status="sent",
        sent_at=sent_at,
        created_at=sent_at,
    )
    link = MessageNetwork.objects.create(message=msg, network=network, stage=ForwardStage.MEMBERS)
    for i, person in enumerate(people):
        Recipient.objects.create(
            message=msg,
            person=person,
            link=link,
            language="nl",
            seen_at=sent_at if i in seen else None,
            acknowledged_at=sent_at if i in acknowledged else None,
        )
    return msg


def deliver(msg, channel: str, seconds: list[int | None], failed: int = 0) -> None:
    """One delivery per recipient in order: delivered after seconds[i], then `failed` failed."""
    recipients = list(msg.recipients.order_by("pk"))
    for recipient, after in zip(recipients, seconds, strict=False):
        done = msg.sent_at + timedelta(seconds=after)
        Delivery.objects.create(
            message=msg,
            recipient=recipient,
            channel=channel,
            state="delivered",
            queued_at=msg.sent_at,
            sent_at=done,
            delivered_at=done,
        )
    for recipient in recipients[len(seconds) : len(seconds) + failed]:
        Delivery.objects.create(
            message=msg, recipient=recipient, channel=channel, state="failed", queued_at=msg.sent_at
        )


def report(world, network, created_at, due_after=None, answered_after=None) -> Report:
    category = reports.categories_for(world.zone).first()
    return Report.objects.create(
        network=network,
        reporter=world.member,
        category=category,
        occurred_at=created_at,
        longitude=3.265,
        latitude=50.825,
        description="A van",
        created_at=created_at,
        due_at=created_at + due_after if due_after else None,
        responded_at=created_at + answered_after if answered_after else None,
    )


def change(network, from_status: str, to_status: str, when) -> None:
    membership = MembershipFactory(network=network)
    MembershipChange.objects.create(
        membership=membership, from_status=from_status, to_status=to_status, changed_at=when
    )


def build(world) -> None:
    now = timezone.now()
    officer = world.officer
    people = members_of(world.network, 20)
    old = message(
        world.network,
        officer,
        "alert",
        now - timedelta(days=20),
        people,
        seen=range(5),
        acknowledged=range(5, 8),
    )
    deliver(old, "email", list(range(1, 11)))
    recent = message(world.network, officer, "notice", now - timedelta(days=1), people)
    deliver(recent, "email", list(range(11, 21)))
    sms = list(recent.recipients.order_by("pk"))
    for recipient, after in zip(sms, [5, 5, 30, 60], strict=False):
        done = recent.sent_at + timedelta(seconds=after)
        Delivery.objects.create(
            message=recent,
            recipient=recipient,
            channel="sms",
            state="delivered",
            queued_at=recent.sent_at,
            sent_at=done,
            delivered_at=done,
        )
    Delivery.objects.create(
        message=recent, recipient=sms[4], channel="sms", state="failed", queued_at=recent.sent_at
    )
    message(world.network, officer, "alert", now - timedelta(hours=12), people[:4], seen=[0])

    hour = timedelta(hours=1)
    day = now - timedelta(days=5)
    report(world, world.network, day, due_after=4 * hour, answered_after=hour)
    report(world, world.network, day, due_after=4 * hour, answered_after=2 * hour)
    report(world, world.network, day, due_after=4 * hour, answered_after=4 * hour)
    report(world, world.network, day, due_after=4 * hour, answered_after=5 * hour)
    report(world, world.network, day, answered_after=hour)

    when = now - timedelta(days=10)
    for _ in range(3):
        change(world.network, MembershipStatus.APPLIED, MembershipStatus.APPROVED, when)
    change(world.network, MembershipStatus.PAUSED, MembershipStatus.APPROVED, when)
    change(world.network, MembershipStatus.APPROVED, MembershipStatus.LEFT, when)
    change(world.network, MembershipStatus.PAUSED, MembershipStatus.LEFT, when)
    change(world.network, MembershipStatus.APPROVED, MembershipStatus.PAUSED, when)

    for network in (world.other_network, world.far_network):
        outsiders = members_of(network, 2)
        msg = message(network, officer, "alert", now - timedelta(days=1), outsiders, seen=[0, 1])
        deliver(msg, "email", [1000, 1000])
        report(world, network, day, due_after=hour, answered_after=5 * hour)
        change(network, MembershipStatus.APPLIED, MembershipStatus.APPROVED, when)


def month_of(days_ago: int) -> str:
    return (timezone.localdate() - timedelta(days=days_ago)).strftime("%Y-%m")
