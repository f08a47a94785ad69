import warnings

import pytest
from django.core.cache import CacheKeyWarning
from django.core.management import call_command

from buurtnet.messaging.management.commands import tick
from buurtnet.operations.models import PeriodicRun

pytestmark = pytest.mark.django_db


def test_tick_records_every_step_it_ran():
    call_command("tick")
    runs = {run.name: run for run in PeriodicRun.objects.all()}
    assert set(runs) == {key for key, _label, _step in tick.STEPS}
    assert all(run.last_finished and run.last_error == "" for run in runs.values())


def test_tick_records_a_failing_step_without_personal_data(monkeypatch):
    def broken() -> int:
        raise ValueError("could not mail jan.peeters@example.be at +32 470 12 34 56")

    call_command("tick")
    finished_before = PeriodicRun.objects.get(name="tasks_recovered").last_finished
    steps = [(k, label, broken if k == "tasks_recovered" else s) for k, label, s in tick.STEPS]
    monkeypatch.setattr(tick, "STEPS", steps)
    call_command("tick")
    run = PeriodicRun.objects.get(name="tasks_recovered")
    assert run.last_error.startswith("ValueError: could not mail")
    assert "example.be" not in run.last_error
    assert "470" not in run.last_error
    assert run.last_finished == finished_before
    assert run.last_started > finished_before


def test_tick_clears_the_error_once_the_step_works_again():
    PeriodicRun.objects.create(name="tasks_recovered", last_error="ValueError: earlier")
    call_command("tick")
    assert PeriodicRun.objects.get(name="tasks_recovered").last_error == ""


def test_tick_writes_one_row_per_step_however_often_it_runs():
    call_command("tick")
    call_command("tick")
    assert PeriodicRun.objects.count() == len(tick.STEPS)


def test_tick_cache_keys_are_valid_for_every_cache_backend():
    """The keys were step labels with spaces: memcached refuses them (a warning per tick)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        call_command("tick")


def test_tick_deletes_expired_sessions_and_keeps_live_ones():
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    expired, live = SessionStore(), SessionStore()
    expired.create()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    call_command("tick")
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
