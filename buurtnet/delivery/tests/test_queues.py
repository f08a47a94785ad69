"""Work queues by urgency: an alert never waits behind a campaign (docs/queues.md).

The mapping and the enqueue sites are checked on the database backend's own rows; the
order is checked with real `manage.py worker` processes on the database backend and on RQ
(Redis database 11), with 2,000 bulk deliveries waiting when the alert is sent.
"""

import os
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db.models import Max, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from buurtnet.delivery import outbox, services, tasks
from buurtnet.delivery.models import Delivery, Notice
from buurtnet.delivery.queues import (
    ALERTS,
    BACKGROUND,
    BULK,
    NOTICES,
    PRIORITY,
    QUEUES,
    queue_for_kind,
    route,
    sending_on,
)
from buurtnet.delivery.simulator import SimulatorServer
from buurtnet.messaging.models import Message, MessageNetwork
from buurtnet.networks.models import Membership, MembershipStatus, Role
from buurtnet.networks.tests.factories import MembershipFactory, NetworkFactory, square
from buurtnet.operations.models import WorkerBeat
from buurtnet.operations.probes import worker_problems
from buurtnet.people.models import Person
from buurtnet.people.tests.factories import PersonFactory

from .smtp_sink import SmtpSink
from .test_fanout_workers import FAILING, manage, run, send_alert, wait_until, worker_env

REDIS_URL = "redis://127.0.0.1:6379/11"  # this file's own Redis database
BULK_MEMBERS = 2000  # a tip goes by e-mail (the default plan): 2,000 bulk deliveries


def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}


def rq_tasks(settings) -> None:
    settings.RQ_QUEUES = {queue: {"URL": REDIS_URL} for queue in QUEUES}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.backend.RQBackend", "QUEUES": QUEUES}}


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not running")
    client.flushdb()  # database 11 only
    return client


def waiting(task_name: str) -> list[tuple[str, int]]:
    """(queue, priority) of the waiting database-backend tasks of this task function."""
    return list(
        DBTaskResult.objects.filter(task_path__endswith=f".{task_name}", status="READY")
        .order_by("enqueued_at")
        .values_list("queue_name", "priority")
    )


def to_bin(world, kind: str, **fields):
    from buurtnet.messaging.tests.test_send import draft

    return draft(kind=kind, target={"type": "networks", "networks": [world.network.pk]}, **fields)


# --- Which queue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "queue"),
    [
        ("alert", ALERTS),
        ("notice", NOTICES),
        ("relay", NOTICES),
        ("feedback", NOTICES),
        ("report", NOTICES),
        ("tip", BULK),
    ],
)
def test_each_message_kind_has_its_queue(kind, queue):
    assert queue_for_kind(kind) == queue


def test_a_mass_mailing_block_sends_notices_to_bulk_but_never_an_alert():
    with sending_on(BULK):
        assert queue_for_kind("notice") == BULK
        assert queue_for_kind("alert") == ALERTS
    assert queue_for_kind("notice") == NOTICES


def test_the_queues_are_in_priority_order():
    assert QUEUES[0] == ALERTS
    assert [PRIORITY[queue] for queue in QUEUES] == sorted(PRIORITY.values(), reverse=True)


def test_an_alerts_deliveries_wait_in_alerts_with_the_highest_priority(
    world, settings, django_capture_on_commit_callbacks
):
    from buurtnet.messaging import services as messaging

    world.member.channels = ["email", "sms", "inapp"]
    world.member.save()
    database_tasks(settings)
    with django_capture_on_commit_callbacks(execute=True):
        messaging.submit(world.officer, to_bin(world, "alert"))
    assert set(waiting("deliver_range")) == {(ALERTS, PRIORITY[ALERTS])}


def test_a_tips_deliveries_wait_in_bulk(world, settings, django_capture_on_commit_callbacks):
    from buurtnet.messaging import services as messaging

    database_tasks(settings)
    with django_capture_on_commit_callbacks(execute=True):
        messaging.submit(world.officer, to_bin(world, "tip"))
    assert set(waiting("deliver_range")) == {(BULK, PRIORITY[BULK])}


def test_a_surveys_notices_wait_in_bulk(world, settings, django_capture_on_commit_callbacks):
    from buurtnet.surveys.tests.helpers import sent

    database_tasks(settings)
    with django_capture_on_commit_callbacks(execute=True):
        sent(world.zone_staff, world.zone, [world.network])
    assert Message.objects.filter(kind="notice").exists()
    assert set(waiting("deliver_range")) == {(BULK, PRIORITY[BULK])}


def test_a_follow_up_of_a_bulk_batch_stays_in_bulk(
    world, settings, django_capture_on_commit_callbacks
):
    from buurtnet.messaging import services as messaging

    database_tasks(settings)
    message = messaging.submit(world.officer, to_bin(world, "notice"))
    ids = list(Delivery.objects.filter(message=message).values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True), sending_on(BULK):
        outbox.enqueue_ids(ids, "email")
    assert waiting("deliver_ids") == [(BULK, PRIORITY[BULK])]


def test_a_follow_up_of_an_alert_goes_to_alerts(
    world, settings, django_capture_on_commit_callbacks
):
    from buurtnet.messaging import services as messaging

    database_tasks(settings)
    message = messaging.submit(world.officer, to_bin(world, "alert"))
    ids = list(Delivery.objects.filter(message=message).values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_ids(ids, "email", run_after=timezone.now() + timedelta(minutes=1))
    assert waiting("deliver_ids") == [(ALERTS, PRIORITY[ALERTS])]


def test_a_scheduled_alerts_dispatch_waits_in_alerts(
    world, settings, django_capture_on_commit_callbacks
):
    from buurtnet.messaging import services as messaging

    database_tasks(settings)
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        messaging.submit(world.officer, to_bin(world, "alert", scheduled_for=later))
    assert waiting("dispatch_message") == [(ALERTS, PRIORITY[ALERTS])]


def test_a_log_in_code_goes_with_the_alerts_and_a_notice_to_a_person_does_not(
    world, settings, django_capture_on_commit_callbacks
):
    database_tasks(settings)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_code(
            None, channel="email", to="ann@example.be", subject="Your code", text="123456"
        )
        services.notify_person(world.member, "messaging/email/approval_needed", {"message": None})
    assert waiting("deliver_ids") == [(ALERTS, PRIORITY[ALERTS]), (NOTICES, PRIORITY[NOTICES])]


def test_stale_notice_deliveries_are_enqueued_again_on_the_queue_of_their_kind(
    world, settings, django_capture_on_commit_callbacks
):
    database_tasks(settings)
    code = services.send_code(
        world.member, channel="email", to=world.member.email, subject="Code", text="1"
    )
    notice = services.notify_person(world.member, "networks/email/application_approved", {})
    Delivery.objects.filter(notice__in=[code, notice]).update(
        state="inflight", lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert outbox.recover() == 2
    assert sorted(waiting("deliver_ids")) == [
        (ALERTS, PRIORITY[ALERTS]),
        (NOTICES, PRIORITY[NOTICES]),
    ]


def test_a_yearly_report_and_a_webhook_go_to_background(settings, db):
    from buurtnet.insights import report_services
    from buurtnet.webhooks import services as webhooks

    database_tasks(settings)
    report_services._enqueue(1, 1)
    webhooks._enqueue([(1, 1)])
    assert waiting("generate_yearly_report") == [(BACKGROUND, PRIORITY[BACKGROUND])]
    assert waiting("deliver") == [(BACKGROUND, PRIORITY[BACKGROUND])]


def test_rq_takes_no_task_priority_and_route_gives_it_none(settings):
    rq_tasks(settings)
    task = route(tasks.deliver_ids, NOTICES)
    assert (task.queue_name, task.priority) == (NOTICES, 0)


def test_a_queue_no_live_worker_serves_is_named(db):
    WorkerBeat.objects.create(name="w", queues=f"{ALERTS},{NOTICES}", host="h", pid=1)
    assert worker_problems(timezone.now()) == [
        {"check": "queue_unserved", "queue": BACKGROUND},
        {"check": "queue_unserved", "queue": BULK},
    ]


# --- Real worker processes ---------------------------------------------------------------


@pytest.fixture
def two_bins(transactional_db):
    """A big BIN of BULK_MEMBERS members (the campaign's), a small one of five (the
    alert's) in the same zone, one officer over both."""
    big = NetworkFactory(name="BIN Campaign", area=square(3.26, 50.82))
    small = NetworkFactory(
        name="BIN Alert", area=square(3.30, 50.82), municipality=big.municipality
    )
    officer = PersonFactory(email="officer@queues.test", channels=["inapp"])
    for network in (big, small):
        MembershipFactory(network=network, person=officer, role=Role.OFFICER)
    for _ in range(5):
        MembershipFactory(network=small, person=PersonFactory(channels=["email", "sms"]))
    password = make_password("a-long-test-password")
    people = Person.objects.bulk_create(
        PersonFactory.build(
            email=f"bulk{i}@queues.test",
            phone=f"+32471{i:06d}",
            channels=["email"],
            password=password,
        )
        for i in range(BULK_MEMBERS)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in people
    )
    Membership.objects.bulk_create(
        Membership(
            network=big,
            person=p,
            role=Role.MEMBER,
            status=MembershipStatus.APPROVED,
            decided_at=timezone.now(),
        )
        for p in people
    )
    return big, small, officer


def send_tip(network, officer, env) -> int:
    message_id = int(
        run(
            "send_message",
            *("--as", officer.email, "--network", str(network.pk), "--kind", "tip"),
            *("--language", "en", "--title", "Lock your bike", "--body", "Use two locks."),
            env=env,
        )
    )
    # The default plan sends tips from 08:00 to 21:00 only: open the window whatever the
    # hour the test runs, or the worker holds the tip back until the morning.
    for link in MessageNetwork.objects.filter(message_id=message_id):
        link.rule = link.applied_rule.replace(send_from=None, send_until=None).to_json()
        link.save(update_fields=["rule"])
    return message_id


def assert_alert_went_first(alert_id: int, tip_id: int) -> None:
    alert = Delivery.objects.filter(message_id=alert_id, channel__in=["email", "sms"])
    bulk = Delivery.objects.filter(message_id=tip_id, channel__in=["email", "sms"])
    assert bulk.filter(state="sent").count() == BULK_MEMBERS
    assert not alert.exclude(state="sent").exists(), list(
        alert.exclude(state="sent").values("channel", "reason", "error")
    )
    alert_first = alert.aggregate(t=Min("sent_at"))["t"]
    bulk_first, bulk_last = bulk.aggregate(a=Min("sent_at"), b=Max("sent_at")).values()
    assert alert_first < bulk_last
    # One worker, alerts first: the whole alert left before the campaign's first message.
    assert alert.aggregate(t=Max("sent_at"))["t"] <= bulk_first


def burst_worker(env) -> None:
    worker = manage("worker", "--burst", "--interval", "0.05", env=env)
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err[-3000:]


def test_database_worker_takes_the_alert_before_the_waiting_bulk_work(two_bins):
    big, small, officer = two_bins
    with SmtpSink() as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        env = worker_env(smtp, simulator)
        tip_id = send_tip(big, officer, env)
        alert_id = send_alert(small, officer, env)
        assert DBTaskResult.objects.filter(queue_name=BULK).count() >= BULK_MEMBERS // 20
        burst_worker(env)
    assert_alert_went_first(alert_id, tip_id)


def test_rq_worker_takes_the_alert_before_the_waiting_bulk_work(two_bins):
    client = redis_or_skip()
    big, small, officer = two_bins
    with SmtpSink() as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        env = worker_env(smtp, simulator, TASKS_REDIS_URL=REDIS_URL)
        tip_id = send_tip(big, officer, env)
        alert_id = send_alert(small, officer, env)
        assert client.llen("rq:queue:bulk") >= BULK_MEMBERS // 20
        burst_worker(env)
    assert_alert_went_first(alert_id, tip_id)


def test_rq_worker_runs_a_job_deferred_with_run_after(transactional_db, settings):
    redis_or_skip()
    rq_tasks(settings)
    with SmtpSink() as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        env = worker_env(smtp, simulator, TASKS_REDIS_URL=REDIS_URL)
        worker = manage("worker", env=env)
        try:
            due = timezone.now() + timedelta(seconds=2)
            # A notice's delivery written by hand: its task is enqueued only here.
            notice = Notice.objects.create(
                kind="code", language="en", email="ann@example.be", subject="Later", text="Now"
            )
            delivery = Delivery.objects.create(notice=notice, channel="email", state="queued")
            route(tasks.deliver_ids, ALERTS, run_after=due).enqueue([delivery.pk], "email")
            wait_until(lambda: smtp.handler.recipients(), timeout=30)
            arrived = timezone.now()
        finally:
            worker.terminate()
            _out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err[-3000:]  # SIGTERM ends it, scheduler and all
    assert smtp.handler.recipients() == ["ann@example.be"]
    # Held in RQ's scheduled registry until due (RQ keeps whole seconds), then moved.
    assert arrived >= due - timedelta(seconds=1)
