"""`manage.py tick` (buurtnet.core) over the steps the apps register (buurtnet.common.periodic):
what it records in PeriodicRun, when a step with a minimum interval runs again, `--list`."""

import dataclasses
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import override
from freezegun import freeze_time

from buurtnet.common import periodic
from buurtnet.operations.models import PeriodicRun

pytestmark = pytest.mark.django_db

# Keys that readiness, the metrics and the operators' dashboards already know.
KNOWN_KEYS = {
    "messages_dispatched",
    "cap_imported",
    "campaign_tips_sent",
    "survey_rounds_opened",
    "forwards_flagged",
    "reports_flagged",
    "tasks_recovered",
    "webhooks_retried",
    "figures_settled",
    "roles_changed",
    "dormancy_synced",
    "governance_reminded",
    "residents_told",
    "absences_purged",
    "audit_purged",
    "webhook_log_purged",
    "retention_purged",
    "sessions_cleared",
}


def replace_step(monkeypatch, key: str, function) -> None:
    periodic.steps()  # every app's steps registered first
    step = periodic._steps[key]
    monkeypatch.setitem(periodic._steps, key, dataclasses.replace(step, function=function))


def counting(monkeypatch, key: str) -> list[int]:
    """Replace the step by one that counts its runs."""
    runs: list[int] = []
    replace_step(monkeypatch, key, lambda: runs.append(1) or 0)
    return runs


def test_every_app_registers_the_steps_the_tick_ran_before():
    keys = [step.key for step in periodic.steps()]
    assert set(keys) == KNOWN_KEYS
    assert len(keys) == len(KNOWN_KEYS)


def test_residents_are_told_before_their_absence_is_purged():
    keys = [step.key for step in periodic.steps()]
    assert keys.index("residents_told") < keys.index("absences_purged")


def test_tick_records_every_step_it_ran():
    call_command("tick")
    runs = {run.name: run for run in PeriodicRun.objects.all()}
    assert set(runs) == KNOWN_KEYS
    assert all(run.last_finished and run.last_error == "" for run in runs.values())


def test_tick_records_a_failing_step_without_personal_data(monkeypatch):
    def broken() -> int:
        raise ValueError("could not mail jan.peeters@example.be at +32 470 12 34 56")

    call_command("tick")
    finished_before = PeriodicRun.objects.get(name="tasks_recovered").last_finished
    replace_step(monkeypatch, "tasks_recovered", broken)
    call_command("tick")
    run = PeriodicRun.objects.get(name="tasks_recovered")
    assert run.last_error.startswith("ValueError: could not mail")
    assert "example.be" not in run.last_error
    assert "470" not in run.last_error
    assert run.last_finished == finished_before
    assert run.last_started > finished_before


def test_a_failing_step_does_not_keep_the_others_from_running(monkeypatch):
    def broken() -> int:
        raise ValueError("boom")

    replace_step(monkeypatch, "tasks_recovered", broken)
    call_command("tick")
    assert PeriodicRun.objects.get(name="absences_purged").last_finished is not None


def test_tick_clears_the_error_once_the_step_works_again():
    PeriodicRun.objects.create(name="tasks_recovered", last_error="ValueError: earlier")
    call_command("tick")
    assert PeriodicRun.objects.get(name="tasks_recovered").last_error == ""


def test_tick_writes_one_row_per_step_however_often_it_runs():
    call_command("tick")
    call_command("tick")
    assert PeriodicRun.objects.count() == len(KNOWN_KEYS)


def test_a_step_without_interval_runs_on_every_pass(monkeypatch):
    runs = counting(monkeypatch, "tasks_recovered")
    call_command("tick")
    call_command("tick")
    assert len(runs) == 2


def test_a_step_with_an_interval_waits_for_it_since_its_last_run(monkeypatch):
    runs = counting(monkeypatch, "dormancy_synced")  # at most every ten minutes
    with freeze_time("2026-05-04 10:00"):
        call_command("tick")
    with freeze_time("2026-05-04 10:09"):
        call_command("tick")
    assert len(runs) == 1
    with freeze_time("2026-05-04 10:10"):
        call_command("tick")
    assert len(runs) == 2


def test_a_step_whose_interval_passed_runs_once_when_two_ticks_claim_it():
    """The claim is one conditional UPDATE: the second tick finds the start just written."""
    from buurtnet.core.management.commands.tick import claim

    step = next(step for step in periodic.steps() if step.key == "dormancy_synced")
    now = timezone.now()
    PeriodicRun.objects.create(name=step.key, last_started=now - timedelta(hours=1))
    assert claim(step, now) is True
    assert claim(step, now) is False


def test_a_failed_step_with_an_interval_waits_for_it_too(monkeypatch):
    def broken() -> int:
        raise ValueError("boom")

    replace_step(monkeypatch, "dormancy_synced", broken)
    with freeze_time("2026-05-04 10:00"):
        call_command("tick")
    runs = counting(monkeypatch, "dormancy_synced")
    with freeze_time("2026-05-04 10:05"):
        call_command("tick")
    assert runs == []


def test_tick_deletes_expired_sessions_and_keeps_live_ones():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    expired, live = SessionStore(), SessionStore()
    expired.create()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    call_command("tick")
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_list_shows_every_step_with_its_interval_and_last_run_and_runs_nothing():
    with freeze_time("2026-05-04 08:00"):  # 10:00 in Brussels
        PeriodicRun.objects.create(
            name="dormancy_synced",
            last_started=timezone.now(),
            last_error="ValueError: boom",
        )
    out = StringIO()
    with freeze_time("2026-05-04 08:03"), override("en"):
        call_command("tick", "--list", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1].split() == ["Step", "What", "it", "counts", "Interval", "Last", "run"]
    dormancy = next(line for line in lines if line.startswith("dormancy_synced"))
    assert "BINs gone dormant" in dormancy
    assert "at most every 10\xa0minutes" in dormancy
    assert "10:00" in dormancy and "3\xa0minutes ago" in dormancy
    assert "failed: ValueError: boom" in dormancy
    recovered = next(line for line in lines if line.startswith("tasks_recovered"))
    assert "every pass" in recovered and recovered.endswith("never")
    assert {line.split()[0] for line in lines[2:]} == KNOWN_KEYS
    assert PeriodicRun.objects.count() == 1


def test_list_has_a_translated_header():
    out = StringIO()
    with override("nl"):
        call_command("tick", "--list", stdout=out)
    assert "Step " not in out.getvalue().splitlines()[1]


@pytest.mark.parametrize("key", ["has spaces", "Upper", "", "ünïcode"])
def test_a_step_key_must_be_a_plain_identifier(key):
    """It names the step in PeriodicRun, in the metrics' labels and in the logs."""
    with pytest.raises(ImproperlyConfigured):
        periodic.register(key, lambda: 0, description="x")


def test_a_step_key_registered_twice_is_refused():
    periodic.steps()
    with pytest.raises(ImproperlyConfigured):
        periodic.register("tasks_recovered", lambda: 0, description="x")
