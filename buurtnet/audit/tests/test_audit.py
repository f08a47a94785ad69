"""The audit log: what is written where, that nothing can change or delete it but the
retention purge, and who may search it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from buurtnet.absences.models import Absence
from buurtnet.audit import services as audit
from buurtnet.audit.models import AppendOnlyError, AuditAction, AuditEvent
from buurtnet.networks import services as networks
from buurtnet.networks.models import MembershipStatus
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.plans import services as plans
from buurtnet.reports.models import ReportStatus
from buurtnet.reports.tests.test_reports import file

CLIENT_IP = "203.0.113.7"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


def raw(statement: str, pk: int) -> None:
    """Run UPDATE or DELETE on one entry, past every guard of the application."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"{statement} WHERE id = %s", [pk])  # noqa: S608 (fixed texts)


def members_url(world, network=None) -> str:
    return reverse("networks:members", args=[(network or world.network).pk])


def entry(world, network=None, actor=None, action=AuditAction.VIEW_REPORT, obj=None, at=None):
    """An entry as `record` writes it, at any moment (the past ones for the purge)."""
    network = network or world.network
    actor = actor or world.officer
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        actor=actor,
        actor_label=audit.actor_label(actor, network),
        action=action,
        object_type=obj._meta.label_lower if obj else "",
        object_id=str(obj.pk) if obj else "",
        zone_id=network.municipality.zone_id,
        network=network,
        detail={"results": 1},
    )


# --- What is written ------------------------------------------------------------------------


def test_officer_reading_the_member_contacts_writes_who_from_where_and_which_bin(client, world):
    log_in(client, world.officer).get(members_url(world), REMOTE_ADDR=CLIENT_IP)
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.VIEW_MEMBER_CONTACT
    assert (event.actor, event.actor_label) == (world.officer, "officer")
    assert (event.network, event.zone, event.ip) == (world.network, world.zone, CLIENT_IP)
    assert (event.object_type, event.object_id) == ("networks.network", str(world.network.pk))


def test_a_member_search_keeps_how_many_were_found_not_the_words(client, world):
    log_in(client, world.coordinator).get(members_url(world), {"q": "Our memb"})
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.SEARCH_PEOPLE
    assert event.detail == {"results": 1, "page": 1, "contact": False}
    assert "memb" not in str(event.detail).lower()


def test_the_coordinators_member_list_without_contacts_or_search_writes_nothing(client, world):
    log_in(client, world.coordinator).get(members_url(world))
    assert not AuditEvent.objects.exists()


def test_a_members_own_pages_write_nothing(client, world, now_sends):
    report = file(world, now_sends)
    client = log_in(client, world.member)
    for url in (
        reverse("home"),
        reverse("networks:detail", args=[world.network.pk]),
        reverse("reports:mine"),
        reverse("reports:detail", args=[report.pk]),
        reverse("absences:mine"),
    ):
        assert client.get(url).status_code == 200, url
    assert not AuditEvent.objects.exists()


def test_the_officer_opening_a_report_is_written(client, world, now_sends):
    report = file(world, now_sends)
    log_in(client, world.officer).get(reverse("reports:detail", args=[report.pk]))
    event = AuditEvent.objects.get()
    assert (event.action, event.object_id) == (AuditAction.VIEW_REPORT, str(report.pk))
    assert event.detail == {"contact": True}


def test_a_report_status_change_is_written_with_the_address(client, world, now_sends):
    report = file(world, now_sends)
    log_in(client, world.officer).post(
        reverse("reports:status", args=[report.pk]),
        {"status": ReportStatus.IN_PROGRESS},
        REMOTE_ADDR=CLIENT_IP,
    )
    event = AuditEvent.objects.get(action=AuditAction.CHANGE_REPORT)
    assert event.detail == {"from": "new", "to": "in_progress"}
    assert (event.actor, event.ip, event.object_id) == (world.officer, CLIENT_IP, str(report.pk))


def test_a_plan_approval_is_written_and_says_when_it_made_the_plan_active(world):
    content = plans.plan_content(plans.effective_plan(world.network))
    plan = plans.write_draft(world.network, world.coordinator, content)
    plans.approve(plan, world.coordinator)
    plans.approve(plan, world.officer)
    steps = [
        (e.actor_label, e.detail["step"], e.detail.get("activated"))
        for e in AuditEvent.objects.filter(action=AuditAction.CHANGE_PLAN).order_by("id")
    ]
    assert steps == [
        ("coordinator", "draft", None),
        ("coordinator", "approve", False),
        ("officer", "approve", True),
    ]


def test_a_membership_decision_is_written(world):
    application = MembershipFactory(
        network=world.network, status=MembershipStatus.APPLIED, decided_at=None
    )
    networks.decide(application, world.coordinator, approve=True)
    event = AuditEvent.objects.get(action=AuditAction.CHANGE_MEMBERSHIP)
    assert event.detail == {"from": "applied", "to": "approved"}
    assert event.object_id == str(application.pk)


def test_the_absence_watch_list_is_written_per_zone_without_addresses(client, world):
    today = timezone.localdate()
    Absence.objects.create(
        zone=world.zone,
        network=world.network,
        person=world.member,
        street="Kerkstraat",
        house_number="7",
        postcode="8500",
        city="Kortrijk",
        longitude=3.265,
        latitude=50.825,
        starts_on=today,
        ends_on=today + timedelta(days=3),
        delete_after=today + timedelta(days=33),
    )
    log_in(client, world.officer).get(reverse("absences:watch"))
    event = AuditEvent.objects.get()
    assert (event.action, event.zone, event.detail) == (
        AuditAction.VIEW_ABSENCES,
        world.zone,
        {"homes": 1},
    )
    assert event.actor_label == "officer"


def test_x_forwarded_for_is_ignored_without_the_proxy_setting(client, world):
    log_in(client, world.officer).get(
        members_url(world), REMOTE_ADDR=CLIENT_IP, HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert AuditEvent.objects.get().ip == CLIENT_IP


def test_behind_a_proxy_the_address_the_proxy_saw_is_kept(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    log_in(client, world.officer).get(
        members_url(world),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.1",  # the first one the client made up
    )
    assert AuditEvent.objects.get().ip == "198.51.100.1"


# --- Append-only --------------------------------------------------------------------------------


def test_saving_an_entry_again_is_refused(world):
    event = entry(world)
    event.detail = {"results": 99}
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get().detail == {"results": 1}


def test_updating_entries_through_the_queryset_is_refused(world):
    entry(world)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action=AuditAction.CHANGE_ROLE)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(ip="192.0.2.1")
    assert AuditEvent.objects.get().action == AuditAction.VIEW_REPORT


def test_deleting_an_entry_is_refused(world):
    event = entry(world)
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.count() == 1


@postgresql_only
def test_updating_an_entry_with_raw_sql_is_refused_by_the_database(world):
    event = entry(world)
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE audit_auditevent SET action = 'change_role'", event.pk)
    assert AuditEvent.objects.get().action == AuditAction.VIEW_REPORT


@postgresql_only
def test_deleting_an_entry_with_raw_sql_is_refused_by_the_database(world):
    event = entry(world)
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM audit_auditevent", event.pk)
    assert AuditEvent.objects.count() == 1


def test_erasing_the_actor_keeps_the_entry_and_their_role(world):
    officer = world.officer
    entry(world, actor=officer)
    officer.delete()
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_label) == (None, "officer")


# --- Retention ---------------------------------------------------------------------------------


def test_purge_deletes_only_entries_older_than_the_retention(world):
    now = timezone.now()
    entry(world, at=now - timedelta(days=731))
    kept = entry(world, at=now - timedelta(days=729))
    assert audit.purge(now=now) == 1
    assert list(AuditEvent.objects.all()) == [kept]


def test_purge_follows_the_retention_setting(world, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    entry(world, at=now - timedelta(days=31))
    entry(world, at=now - timedelta(days=29))
    assert audit.purge(now=now) == 1


@postgresql_only
def test_after_a_purge_the_database_refuses_deletes_again(world):
    audit.purge()
    event = entry(world)
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM audit_auditevent", event.pk)
    assert AuditEvent.objects.count() == 1


def test_the_tick_purges_old_entries(world):
    old = entry(world, at=timezone.now() - timedelta(days=800))
    call_command("tick")
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


# --- The search page ------------------------------------------------------------------------------

SEARCH = reverse("audit:search")


def test_zone_staff_see_only_their_zones_entries(client, world):
    entry(world, network=world.network)
    entry(world, network=world.far_network)
    response = log_in(client, world.zone_staff).get(SEARCH)
    assert response.status_code == 200
    assert "BIN Ours" in response.text
    assert "BIN Far" not in response.text
    assert "1 entry" in response.text


def test_the_platform_admin_sees_every_entry(client, world):
    entry(world, network=world.network)
    entry(world, network=world.far_network)
    response = log_in(client, world.admin).get(SEARCH)
    assert "BIN Ours" in response.text and "BIN Far" in response.text


@pytest.mark.parametrize(
    "who", ["member", "steering", "coordinator", "officer", "municipal", "outsider"]
)
def test_everyone_else_gets_403(client, world, who):
    assert log_in(client, getattr(world, who)).get(SEARCH).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(SEARCH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_search_filters_by_actor_action_date_and_object(client, world):
    now = timezone.now()
    entry(world, actor=world.officer, action=AuditAction.CHANGE_REPORT)
    entry(world, actor=world.officer, action=AuditAction.CHANGE_REPORT, obj=world.other_network)
    entry(world, actor=world.coordinator, action=AuditAction.CHANGE_REPORT)
    entry(world, actor=world.officer, action=AuditAction.VIEW_REPORT)
    entry(world, actor=world.officer, action=AuditAction.CHANGE_REPORT, at=now - timedelta(days=9))
    client = log_in(client, world.zone_staff)
    today = timezone.localdate()
    response = client.get(
        SEARCH,
        {
            "actor": "our officer",
            "action": AuditAction.CHANGE_REPORT,
            "since": (today - timedelta(days=1)).isoformat(),
            "until": today.isoformat(),
        },
    )
    assert "2 entries" in response.text
    response = client.get(
        SEARCH, {"object_type": "networks.network", "object_id": str(world.other_network.pk)}
    )
    assert "1 entry" in response.text


def test_an_end_date_before_the_start_is_refused_with_a_clear_error(client, world):
    entry(world)
    response = log_in(client, world.zone_staff).get(
        SEARCH, {"since": "2025-03-10", "until": "2025-03-01"}
    )
    assert response.status_code == 400
    assert "The end date lies before the start date." in response.text
    assert "0 entries" in response.text


def test_the_page_of_an_erased_actor_shows_their_role(client, world):
    entry(world, actor=world.officer)
    world.officer.delete()
    response = log_in(client, world.zone_staff).get(SEARCH)
    assert "(account erased), mandated officer" in response.text


def test_the_search_page_offers_no_way_to_change_anything(client, world):
    entry(world)
    response = log_in(client, world.admin).get(SEARCH)
    page = response.text.split('<main id="main">', 1)[1]
    assert 'method="post"' not in page.lower()


def test_pages_keep_the_filters(client, world):
    for _ in range(51):
        entry(world, action=AuditAction.CHANGE_REPORT)
    response = log_in(client, world.zone_staff).get(SEARCH, {"action": "change_report"})
    assert "Page 1 of 2" in response.text
    assert "action=change_report&amp;page=2" in response.text


def test_an_entry_about_a_person_with_no_name_shows_their_email(client, world):
    nameless = PersonFactory(full_name="")
    MembershipFactory(network=world.network, person=nameless, role="officer")
    entry(world, actor=nameless)
    response = log_in(client, world.zone_staff).get(SEARCH)
    assert nameless.email in response.text


def test_an_entry_cannot_be_overwritten_by_bulk_create_or_raw_delete(world):
    from buurtnet.audit.models import AppendOnlyError, AuditEvent

    entry = audit.record(world.officer, audit.Action.VIEW_REPORT, network=world.network)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create(
            [AuditEvent(pk=entry.pk, action="change_role", at=entry.at)],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["action"],
        )
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)
    assert AuditEvent.objects.get(pk=entry.pk).action == audit.Action.VIEW_REPORT


def test_a_role_handed_over_in_the_admin_is_audited(world, rf):
    from django.contrib.admin.sites import site

    from buurtnet.audit.models import AuditEvent
    from buurtnet.networks.models import Membership

    membership = Membership.objects.get(person=world.steering, network=world.network)
    membership.role = "coordinator"

    class ChangedRole:
        changed_data = ["role"]

    request = rf.post("/admin/")
    request.user = world.admin
    site._registry[Membership].save_model(request, membership, ChangedRole(), True)
    entry = AuditEvent.objects.get(action=audit.Action.CHANGE_ROLE)
    assert entry.network == world.network and entry.detail == {"role": "coordinator"}
