"""Holiday absence watch: announcing, who sees the empty homes, passes, telling the
resident, deletion, and the pages."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation

from buurtnet.absences import services
from buurtnet.absences.models import Absence, AbsencePass, AbsenceSettings, AbsenceStatus
from buurtnet.absences.services import AbsenceInput
from buurtnet.delivery.models import OutboxMessage
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory, StreetFactory, ZoneStaffFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory

INSIDE = (3.265, 50.825)  # in "BIN Ours"
THEIRS = (3.305, 50.825)  # in "BIN Theirs", same zone
NOWHERE = (3.50, 50.90)  # in Belgium, in no BIN


@pytest.fixture
def today() -> date:
    return timezone.localdate()


def data(today: date, **overrides) -> AbsenceInput:
    values = {
        "starts_on": today + timedelta(days=1),
        "ends_on": today + timedelta(days=14),
        "contact_name": "Mieke Buur",
        "contact_phone": "0470 12 34 56",
        "remarks": "The neighbour empties the letterbox.",
    }
    values.update(overrides)
    return AbsenceInput(**values)


def move(person, at, **address):
    """Give the person's profile another home (the address the police will watch)."""
    person.longitude, person.latitude = at if at else (None, None)
    for name, value in address.items():
        setattr(person, name, value)
    person.save()
    return person


def open_zone(world, is_open: bool = True) -> None:
    settings = services.settings_for(world.zone)
    settings.open_to_residents = is_open
    settings.save()


def away(world, person=None, start=0, end=3, network="ours", **fields) -> Absence:
    """An absence stored as it is, days counted from today (past ones too)."""
    today = timezone.localdate()
    network = {"ours": world.network, "theirs": world.other_network, None: None}[network]
    values = {
        "zone": world.zone,
        "network": network,
        "person": person or world.member,
        "street": "Kerkstraat",
        "house_number": "7",
        "postcode": "8500",
        "city": "Kortrijk",
        "longitude": INSIDE[0],
        "latitude": INSIDE[1],
        "starts_on": today + timedelta(days=start),
        "ends_on": today + timedelta(days=end),
        "contact_name": "Mieke Buur",
        "contact_phone": "+32470123456",
        "delete_after": today + timedelta(days=end + 30),
    }
    values.update(fields)
    return Absence.objects.create(**values)


def other_officer(world):
    person = PersonFactory(full_name="Their Officer")
    MembershipFactory(network=world.other_network, person=person, role=Role.OFFICER)
    return person


def refused_field(world, person, today, field, **overrides) -> str:
    with pytest.raises(ValidationError) as caught:
        services.announce(person, data(today, **overrides), today=today)
    assert not Absence.objects.exists()
    return " ".join(caught.value.message_dict[field])


# --- Announcing ----------------------------------------------------------------------------------


def test_a_member_announces_an_absence_of_their_home(world, today):
    absence = services.announce(world.member, data(today), today=today)
    assert absence.zone == world.zone
    assert absence.network == world.network
    assert absence.status == AbsenceStatus.ANNOUNCED
    assert absence.contact_phone == "+32470123456"
    assert absence.delete_after == absence.ends_on + timedelta(days=30)


def test_announcing_creates_the_zones_settings_with_the_defaults(world, today):
    services.announce(world.member, data(today), today=today)
    settings = world.zone.absence_settings
    assert (settings.open_to_residents, settings.max_days, settings.retention_days) == (
        False,
        60,
        30,
    )
    assert settings.lookahead_days == 3


def test_a_period_that_starts_in_the_past_is_refused(world, today):
    message = refused_field(
        world, world.member, today, "starts_on", starts_on=today - timedelta(days=1)
    )
    assert "already passed" in message


def test_a_period_may_start_today(world, today):
    assert services.announce(world.member, data(today, starts_on=today), today=today)


def test_a_period_that_ends_before_it_starts_is_refused(world, today):
    message = refused_field(
        world, world.member, today, "ends_on", ends_on=today, starts_on=today + timedelta(days=2)
    )
    assert "before the day you leave" in message


def test_a_period_longer_than_the_zone_allows_is_refused(world, today):
    settings = services.settings_for(world.zone)
    settings.max_days = 14
    settings.save()
    message = refused_field(
        world, world.member, today, "ends_on", starts_on=today, ends_on=today + timedelta(days=14)
    )
    assert "at most 14 days" in message
    assert "15" in message


def test_a_period_of_exactly_the_zones_maximum_is_accepted(world, today):
    AbsenceSettings.objects.create(zone=world.zone, max_days=14)
    absence = services.announce(
        world.member, data(today, starts_on=today, ends_on=today + timedelta(days=13)), today=today
    )
    assert absence.days == 14


def test_every_missing_field_is_named_at_once(world, today):
    with pytest.raises(ValidationError) as caught:
        services.announce(
            world.member,
            data(
                today,
                starts_on=None,
                ends_on=None,
                contact_name="",
                contact_phone="",
            ),
            today=today,
        )
    errors = caught.value.message_dict
    assert set(errors) >= {"starts_on", "ends_on", "contact_name", "contact_phone"}
    assert not Absence.objects.exists()


def test_a_contact_phone_that_is_no_phone_number_is_refused(world, today):
    message = refused_field(world, world.member, today, "contact_phone", contact_phone="12")
    assert "is not a phone number" in message


def test_the_same_home_cannot_be_announced_twice_for_overlapping_days(world, today):
    services.announce(world.member, data(today), today=today)
    with pytest.raises(ValidationError) as caught:
        services.announce(
            world.member, data(today, starts_on=today + timedelta(days=5)), today=today
        )
    assert "already announced" in caught.value.message_dict["starts_on"][0]
    assert Absence.objects.count() == 1


def test_without_a_pin_the_address_is_found_in_the_street_list(world, today):
    StreetFactory(municipality=world.municipality, name="Kerkstraat", postcode="8500")
    absence = services.announce(move(world.member, None), data(today), today=today)
    assert absence.network == world.network
    assert world.network.contains(absence.longitude, absence.latitude)


def test_a_home_in_another_bin_of_the_zone_is_watched_by_that_bins_officer(world, today):
    absence = services.announce(move(world.member, THEIRS), data(today), today=today)
    assert absence.network == world.other_network


@pytest.mark.parametrize("who", ["outsider", "officer", "zone_staff", "municipal"])
def test_people_who_are_no_resident_member_may_not_announce(world, today, who):
    with pytest.raises(PermissionDenied):
        services.announce(getattr(world, who), data(today), today=today)
    assert not Absence.objects.exists()


def test_a_paused_member_on_holiday_may_announce(world, today):
    world.member.memberships.update(status="paused")
    assert services.announce(world.member, data(today), today=today).network == world.network


def test_a_members_home_outside_every_bin_is_refused_in_a_zone_closed_to_residents(world, today):
    message = refused_field(world, move(world.member, NOWHERE), today, "location")
    assert "outside" in message
    assert "BIN Ours" in message


def test_a_members_home_outside_every_bin_is_watched_by_a_zone_open_to_residents(world, today):
    open_zone(world)
    absence = services.announce(move(world.member, NOWHERE), data(today), today=today)
    assert absence.zone == world.zone
    assert absence.network is None


def test_a_resident_who_is_no_member_may_announce_in_a_zone_open_to_residents(world, today):
    open_zone(world)
    absence = services.announce(move(world.outsider, INSIDE), data(today), today=today)
    assert (absence.zone, absence.network) == (world.zone, world.network)


def test_a_resident_who_is_no_member_is_refused_in_a_zone_closed_to_residents(world, today):
    open_zone(world, False)
    with pytest.raises(PermissionDenied):
        services.announce(world.outsider, data(today), today=today)
    assert not Absence.objects.exists()


def test_an_open_zone_does_not_take_homes_in_a_closed_zone(world, today):
    open_zone(world)
    far = world.far_network.area["coordinates"][0][0]
    with pytest.raises(PermissionDenied):
        services.announce(
            move(world.outsider, (far[0] + 0.005, far[1] + 0.005)), data(today), today=today
        )
    assert not Absence.objects.exists()


# --- Cancelling ----------------------------------------------------------------------------------


def test_the_resident_cancels_and_the_data_goes_the_day_after(world, today):
    absence = services.announce(world.member, data(today), today=today)
    services.cancel(absence, world.member, today=today)
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.CANCELLED
    assert absence.delete_after == today + timedelta(days=1)
    assert services.purge(today + timedelta(days=1)) == 0
    assert services.purge(today + timedelta(days=2)) == 1


@pytest.mark.parametrize("who", ["officer", "coordinator", "zone_staff"])
def test_nobody_but_the_resident_can_cancel(world, who):
    absence = away(world)
    with pytest.raises(PermissionDenied):
        services.cancel(absence, getattr(world, who))
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.ANNOUNCED


def test_an_ended_absence_cannot_be_cancelled(world):
    absence = away(world, start=-5, end=-1)
    with pytest.raises(ValidationError):
        services.cancel(absence, world.member)
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.ANNOUNCED


# --- The police's list ---------------------------------------------------------------------------


def test_the_officer_of_the_bin_sees_the_absence(world):
    absence = away(world)
    assert list(services.watch_list(world.officer)) == [absence]


def test_the_officer_of_another_bin_does_not_see_it(world):
    away(world)
    assert list(services.watch_list(other_officer(world))) == []


def test_the_zones_staff_see_every_absence_of_the_zone(world):
    ours, theirs, outside = away(world), away(world, network="theirs"), away(world, network=None)
    assert set(services.watch_list(world.zone_staff)) == {ours, theirs, outside}


def test_the_staff_of_another_zone_see_nothing(world):
    away(world)
    elsewhere = ZoneStaffFactory(zone=world.other_zone).person
    assert list(services.watch_list(elsewhere)) == []


@pytest.mark.parametrize(
    "who", ["member", "steering", "coordinator", "municipal", "admin", "outsider"]
)
def test_members_coordinators_and_partners_see_no_absence(world, who):
    away(world)
    assert list(services.watch_list(getattr(world, who))) == []


def test_a_paused_officer_sees_no_absence(world):
    away(world)
    world.officer.memberships.update(status="paused")
    world.officer.__dict__.pop("_standing", None)
    assert list(services.watch_list(world.officer)) == []


def test_the_list_reaches_the_zones_days_ahead_and_not_further(world, today):
    now, in_three, in_four = away(world), away(world, start=3, end=9), away(world, start=4, end=9)
    ended, cancelled = away(world, start=-9, end=-1), away(world, status=AbsenceStatus.CANCELLED)
    shown = set(services.watch_list(world.officer, today))
    assert shown == {now, in_three}
    assert not shown & {in_four, ended, cancelled}


def test_the_list_is_ordered_by_start(world):
    later, sooner = away(world, start=2, end=5), away(world, start=0, end=9)
    assert list(services.watch_list(world.officer)) == [sooner, later]


# --- Passes --------------------------------------------------------------------------------------


def test_the_officer_records_a_pass_while_the_resident_is_away(world):
    absence = away(world)
    item = services.record_pass(absence, world.officer, "All closed.")
    assert (item.absence, item.officer, item.note) == (absence, world.officer, "All closed.")


def test_the_zones_staff_may_record_a_pass(world):
    assert services.record_pass(away(world, network=None), world.zone_staff)


@pytest.mark.parametrize("who", ["member", "coordinator", "outsider", "admin"])
def test_nobody_else_records_a_pass(world, who):
    absence = away(world)
    with pytest.raises(PermissionDenied):
        services.record_pass(absence, getattr(world, who))
    assert not AbsencePass.objects.exists()


def test_the_officer_of_another_bin_records_no_pass(world):
    absence = away(world)
    with pytest.raises(PermissionDenied):
        services.record_pass(absence, other_officer(world))
    assert not AbsencePass.objects.exists()


@pytest.mark.parametrize(("start", "end"), [(1, 5), (-5, -1)])
def test_no_pass_before_the_absence_starts_or_after_it_ends(world, start, end):
    absence = away(world, start=start, end=end)
    with pytest.raises(ValidationError):
        services.record_pass(absence, world.officer)
    assert not AbsencePass.objects.exists()


def test_no_pass_for_a_cancelled_absence(world):
    absence = away(world, status=AbsenceStatus.CANCELLED)
    with pytest.raises(ValidationError):
        services.record_pass(absence, world.officer)


def test_a_double_tap_records_one_pass(world):
    absence = away(world)
    first = services.record_pass(absence, world.officer, "All closed.")
    assert services.record_pass(absence, world.officer, "All closed.") == first
    assert absence.passes.count() == 1


# --- Telling the resident ------------------------------------------------------------------------


def test_the_resident_is_told_once_how_often_the_police_passed_never_by_whom(
    world, today, django_capture_on_commit_callbacks
):
    absence = away(world, start=0, end=2)
    services.record_pass(absence, world.officer, "Window open at the back, called Mieke.")
    AbsencePass.objects.create(
        absence=absence,
        officer=world.zone_staff,
        passed_at=timezone.make_aware(datetime.combine(today, time(21, 5))),
    )
    after = today + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.tell_residents(after) == 1
        assert services.tell_residents(after) == 0
    mails = OutboxMessage.objects.filter(recipient=world.member.email)
    assert mails.count() == 1
    mail = mails.get()
    assert "2 times" in mail.body
    assert "21:05" in mail.body
    # The address stays out of the mail: the mail outlives the absence in the task queue.
    assert "Kerkstraat 7" not in mail.body
    for name in ("Our officer", world.officer.email, world.zone_staff.full_name, "Window open"):
        assert name not in mail.body + mail.subject
    absence.refresh_from_db()
    assert absence.told_at is not None


def test_the_resident_is_told_in_their_language(world, django_capture_on_commit_callbacks):
    world.member.language = "nl"
    world.member.save()
    absence = away(world, start=-5, end=-1)
    with django_capture_on_commit_callbacks(execute=True):
        services.tell_residents()
    mail = OutboxMessage.objects.get(recipient=world.member.email)
    with translation.override("nl"):
        assert formats.date_format(absence.ends_on, "j F Y") in mail.body


def test_nobody_is_told_before_the_period_ends_or_about_a_cancelled_absence(
    world, django_capture_on_commit_callbacks
):
    away(world, start=-3, end=0)
    away(world, start=-9, end=-2, status=AbsenceStatus.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.tell_residents() == 0
    assert not OutboxMessage.objects.exists()


def test_a_resident_without_passes_is_told_the_police_knew(
    world, django_capture_on_commit_callbacks
):
    away(world, start=-5, end=-1)
    with django_capture_on_commit_callbacks(execute=True):
        services.tell_residents()
    assert "could not record a pass" in OutboxMessage.objects.get().body


# --- Deletion ------------------------------------------------------------------------------------


def test_purge_deletes_exactly_the_absences_past_their_date_with_their_passes(world, today):
    gone = away(world, start=-40, end=-35, delete_after=today - timedelta(days=1))
    cancelled = away(
        world, start=1, end=5, status=AbsenceStatus.CANCELLED, delete_after=today - timedelta(1)
    )
    last_day = away(world, start=-40, end=-30, delete_after=today)
    current = away(world)
    AbsencePass.objects.create(absence=gone, officer=world.officer)
    kept_pass = AbsencePass.objects.create(absence=current, officer=world.officer)
    assert services.purge(today) == 2
    assert set(Absence.objects.all()) == {last_day, current}
    assert list(AbsencePass.objects.all()) == [kept_pass]
    assert not Absence.objects.filter(pk__in=[gone.pk, cancelled.pk]).exists()


def test_an_absence_is_deleted_the_retention_period_after_the_return(world, today):
    absence = services.announce(world.member, data(today), today=today)
    keep_until = absence.ends_on + timedelta(days=30)
    assert services.purge(keep_until) == 0
    assert services.purge(keep_until + timedelta(days=1)) == 1


def test_a_shorter_retention_applies_to_absences_already_announced(world, today):
    absence = services.announce(world.member, data(today), today=today)
    services.save_settings(world.zone, world.zone_staff, {"retention_days": 7})
    absence.refresh_from_db()
    assert absence.delete_after == absence.ends_on + timedelta(days=7)


def test_only_the_zones_staff_change_its_settings(world):
    with pytest.raises(PermissionDenied):
        services.save_settings(world.zone, world.officer, {"open_to_residents": True})
    assert not services.settings_for(world.zone).open_to_residents


def test_settings_out_of_range_are_refused(world):
    with pytest.raises(ValidationError) as caught:
        services.save_settings(world.zone, world.zone_staff, {"max_days": 0})
    assert "max_days" in caught.value.message_dict
    assert services.settings_for(world.zone).max_days == 60


# --- Pages ---------------------------------------------------------------------------------------


def form_data(today: date, **overrides) -> dict:
    values = {
        k: ("" if v is None else str(v))
        for k, v in data(today).__dict__.items()
        if not isinstance(v, date)
    }
    values["starts_on"] = (today + timedelta(days=1)).isoformat()
    values["ends_on"] = (today + timedelta(days=10)).isoformat()
    values.update(overrides)
    return values


def test_anonymous_visitors_are_sent_to_log_in(client):
    answer = client.get(reverse("absences:new"))
    assert answer.status_code == 302
    assert "login" in answer["Location"]


def test_the_form_shows_the_members_home_address_and_takes_none_typed(world, client):
    answer = log_in(client, world.member).get(reverse("absences:new"))
    assert answer.status_code == 200
    assert world.member.address_line in answer.text
    assert 'name="street"' not in answer.text
    assert 'name="longitude"' not in answer.text
    assert 'type="date"' in answer.text
    assert "30 days after your return" in answer.text


def test_a_person_who_may_not_announce_gets_403_on_the_form(world, client):
    log_in(client, world.outsider)
    assert client.get(reverse("absences:new")).status_code == 403
    assert client.post(reverse("absences:new"), form_data(timezone.localdate())).status_code == 403
    assert not Absence.objects.exists()


def test_announcing_through_the_form(world, client, today):
    answer = log_in(client, world.member).post(reverse("absences:new"), form_data(today))
    assert answer.status_code == 302
    absence = Absence.objects.get()
    assert absence.person == world.member
    assert absence.network == world.network
    mine = client.get(reverse("absences:mine"))
    assert f"Kerkstraat {world.member.house_number}," in mine.text
    assert "Cancel this absence" in mine.text


def test_a_refused_form_shows_the_error_at_its_field_and_keeps_what_was_typed(world, client, today):
    past = (today - timedelta(days=2)).isoformat()
    answer = log_in(client, world.member).post(
        reverse("absences:new"), form_data(today, starts_on=past, remarks="Alarm is on")
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors["starts_on"]
    assert "already passed" in answer.text
    assert "Alarm is on" in answer.text
    assert past in answer.text
    assert not Absence.objects.exists()


def test_a_home_outside_the_bins_shows_the_error_at_the_map(world, client, today):
    move(world.member, NOWHERE)
    answer = log_in(client, world.member).post(reverse("absences:new"), form_data(today))
    assert answer.status_code == 400
    assert answer.context["location_errors"]
    assert not Absence.objects.exists()


def test_the_resident_cancels_through_the_page(world, client):
    absence = away(world)
    answer = log_in(client, world.member).post(reverse("absences:cancel", args=[absence.pk]))
    assert answer.status_code == 302
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.CANCELLED


def test_someone_elses_absence_cannot_be_cancelled_and_is_not_found(world, client):
    absence = away(world)
    answer = log_in(client, world.coordinator).post(reverse("absences:cancel", args=[absence.pk]))
    assert answer.status_code == 404
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.ANNOUNCED


@pytest.mark.parametrize("who", ["member", "coordinator", "municipal", "outsider"])
def test_the_watch_list_is_403_for_people_who_are_not_police(world, client, who):
    away(world)
    answer = log_in(client, getattr(world, who)).get(reverse("absences:watch"))
    assert answer.status_code == 403
    assert "Kerkstraat" not in answer.text


def test_the_officer_sees_the_homes_to_pass_with_contact_and_map(world, client):
    away(world, remarks="Car in the drive")
    answer = log_in(client, world.officer).get(reverse("absences:watch"))
    assert answer.status_code == 200
    assert "Kerkstraat 7" in answer.text
    assert "Mieke Buur" in answer.text
    assert "Car in the drive" in answer.text
    assert "Record a pass" in answer.text
    assert 'class="map"' in answer.text
    points = answer.context["route_map"]["points"]
    assert [(p["number"], p["lon"], p["lat"]) for p in points] == [(1, *INSIDE)]


def test_the_officer_of_another_bin_sees_an_empty_list(world, client):
    away(world)
    answer = log_in(client, other_officer(world)).get(reverse("absences:watch"))
    assert answer.status_code == 200
    assert "Kerkstraat 7" not in answer.text


def test_the_officer_records_a_pass_through_the_page(world, client):
    absence = away(world)
    answer = log_in(client, world.officer).post(
        reverse("absences:record_pass", args=[absence.pk]), {"note": "All closed"}
    )
    assert answer.status_code == 302
    assert absence.passes.get().note == "All closed"


def test_a_pass_on_another_bins_absence_is_not_found(world, client):
    absence = away(world)
    answer = log_in(client, other_officer(world)).post(
        reverse("absences:record_pass", args=[absence.pk]), {"note": "x"}
    )
    assert answer.status_code == 404
    assert not AbsencePass.objects.exists()


def test_a_pass_before_the_absence_starts_comes_back_with_the_reason(world, client):
    absence = away(world, start=2, end=5)
    answer = log_in(client, world.officer).post(
        reverse("absences:record_pass", args=[absence.pk]), {"note": "Early"}
    )
    assert answer.status_code == 400
    assert "while the resident is away" in answer.text
    assert not AbsencePass.objects.exists()


def test_zone_staff_edit_their_zones_settings(world, client):
    log_in(client, world.zone_staff)
    url = reverse("absences:zone_settings", args=[world.zone.pk])
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "open_to_residents": "on",
            "max_days": "45",
            "retention_days": "14",
            "lookahead_days": "2",
        },
    )
    assert answer.status_code == 302
    settings = services.settings_for(world.zone)
    assert (settings.open_to_residents, settings.max_days, settings.retention_days) == (
        True,
        45,
        14,
    )


def test_bad_settings_come_back_with_the_error_and_change_nothing(world, client):
    log_in(client, world.zone_staff)
    url = reverse("absences:zone_settings", args=[world.zone.pk])
    answer = client.post(url, {"max_days": "0", "retention_days": "14", "lookahead_days": "2"})
    assert answer.status_code == 400
    assert answer.context["form"].errors["max_days"]
    assert services.settings_for(world.zone).retention_days == 30


@pytest.mark.parametrize("who", ["elsewhere", "officer", "member"])
def test_the_settings_of_a_zone_are_not_found_for_anyone_but_its_staff(world, client, who):
    person = (
        ZoneStaffFactory(zone=world.other_zone).person
        if who == "elsewhere"
        else getattr(world, who)
    )
    url = reverse("absences:zone_settings", args=[world.zone.pk])
    assert log_in(client, person).get(url).status_code == 404
    assert log_in(client, person).post(url, {"max_days": "5"}).status_code == 404


def test_a_pass_after_the_absence_ended_comes_back_with_the_reason(world, client):
    absence = away(world, start=-5, end=-1)
    answer = log_in(client, world.officer).post(
        reverse("absences:record_pass", args=[absence.pk]), {"note": "Late"}
    )
    assert answer.status_code == 400
    assert "while the resident is away" in answer.text
    assert not AbsencePass.objects.exists()


def test_the_database_refuses_a_period_that_ends_before_it_starts(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        away(world, start=3, end=1)


def test_zone_staff_see_homes_outside_the_bins_in_the_list(world, client):
    away(world, network=None, house_number="99", longitude=NOWHERE[0], latitude=NOWHERE[1])
    answer = log_in(client, world.zone_staff).get(reverse("absences:watch"))
    assert answer.status_code == 200
    assert "Kerkstraat 99" in answer.text
    assert "outside the BIN areas" in answer.text


def test_every_home_to_pass_is_numbered_on_the_map_as_in_the_list(world, client):
    first = away(world, start=0, house_number="1")
    second = away(world, start=1, house_number="2", network="theirs", longitude=THEIRS[0])
    outside = away(world, start=2, house_number="3", network=None, longitude=NOWHERE[0])
    answer = log_in(client, world.zone_staff).get(reverse("absences:watch"))
    points = answer.context["route_map"]["points"]
    assert [(p["number"], p["lon"]) for p in points] == [
        (1, INSIDE[0]),
        (2, THEIRS[0]),
        (3, NOWHERE[0]),
    ]
    for number, absence in enumerate([first, second, outside], start=1):
        assert f'<li value="{number}"><a href="#absence-{absence.pk}">' in answer.text


def test_the_form_shows_the_members_home_on_the_map_of_their_bin(world, client):
    answer = log_in(client, world.member).get(reverse("absences:new"))
    home_map = answer.context["home_map"]
    assert [f["properties"]["name"] for f in home_map["areas"]["features"]] == ["BIN Ours"]
    assert [(p["lon"], p["lat"]) for p in home_map["points"]] == [INSIDE]


# --- Only one's own home, only a few at a time (issue 19, finding 4) -----------------------------


def test_the_home_is_the_address_of_the_profile_never_one_typed(world, today):
    typed = {
        **data(today).__dict__,
        "street": "Invented Street",
        "house_number": "1",
        "postcode": "1000",
        "longitude": THEIRS[0],
        "latitude": THEIRS[1],
    }
    absence = services.announce(world.member, typed, today=today)
    member = world.member
    assert (absence.street, absence.house_number, absence.postcode) == (
        member.street,
        member.house_number,
        member.postcode,
    )
    assert (absence.longitude, absence.latitude) == INSIDE
    assert absence.network == world.network


def test_a_person_without_a_home_address_is_asked_for_it_first(world, today):
    move(world.member, INSIDE, street="", house_number="")
    message = refused_field(world, world.member, today, "location")
    assert "Give your address first" in message


def announce_weeks(person, today, weeks) -> None:
    for week in weeks:
        start = today + timedelta(days=7 * week)
        services.announce(
            person, data(today, starts_on=start, ends_on=start + timedelta(days=2)), today=today
        )


def test_a_fourth_absence_not_yet_over_is_refused_with_the_day_it_fits(world, today, settings):
    assert settings.ABSENCES_OPEN_PER_PERSON == 3
    announce_weeks(world.member, today, [1, 2, 3])
    with pytest.raises(ValidationError) as caught:
        announce_weeks(world.member, today, [4])
    [message] = caught.value.message_dict["__all__"]
    first_end = today + timedelta(days=7 + 2)
    assert "already announced 3 absences" in message
    free_on = formats.date_format(first_end + timedelta(days=1), "j F Y")
    assert f"you can announce a new one on {free_on}." in message
    assert Absence.objects.count() == 3
    assert not OutboxMessage.objects.exists()


def test_absences_that_are_over_or_cancelled_leave_room_for_a_new_one(world, today):
    away(world, start=-10, end=-3)
    away(world, start=-2, end=-1)
    announce_weeks(world.member, today, [1, 2])
    services.cancel(Absence.objects.filter(starts_on__gt=today).first(), world.member, today)
    announce_weeks(world.member, today, [3, 4])
    assert Absence.objects.filter(status=AbsenceStatus.ANNOUNCED, ends_on__gte=today).count() == 3


def test_a_refused_fourth_absence_keeps_what_was_typed_on_the_form(world, client, today):
    announce_weeks(world.member, today, [1, 2, 3])
    answer = log_in(client, world.member).post(
        reverse("absences:new"), form_data(today, remarks="Alarm is on")
    )
    assert answer.status_code == 400
    assert "already announced 3 absences" in answer.text
    assert "Alarm is on" in answer.text
    assert Absence.objects.count() == 3
