"""Meetings as iCalendar: the invitation file and each member's secret feed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from buurtnet.governance import calendar
from buurtnet.governance.models import Meeting, MeetingStatus
from buurtnet.networks.models import Membership, MembershipStatus
from buurtnet.networks.tests.test_views import log_in

# In the future whenever the tests run (the feed holds a year back and all ahead).
STARTS = (timezone.now() + timedelta(days=60)).replace(
    hour=19, minute=30, second=0, microsecond=0, tzinfo=UTC
)


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://buurtnet.example.be"


def make_meeting(network, **fields) -> Meeting:
    values = {
        "network": network,
        "title": "Members' meeting",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=2),
        "place": "Zaal De Linde, Kerkstraat 1",
        "agenda": "1. **Welcome**\n2. Confirming the [steering group](https://example.org/sg)",
    }
    return Meeting.objects.create(**(values | fields))


def events(data: bytes) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


def test_the_invitation_parses_and_identifies_the_meeting(world):
    meeting = make_meeting(world.network, sequence=2)
    parsed = Calendar.from_ical(calendar.invitation_ics(meeting))
    assert str(parsed["METHOD"]) == "REQUEST"
    [event] = parsed.walk("VEVENT")
    assert str(event["UID"]) == f"{meeting.uid}@buurtnet.example.be"
    assert int(event["SEQUENCE"]) == 2
    assert event.decoded("DTSTART") == STARTS
    assert event.decoded("DTEND") == STARTS + timedelta(hours=2)
    assert str(event["LOCATION"]) == "Zaal De Linde, Kerkstraat 1"
    assert str(event["SUMMARY"]) == "BIN Ours: Members' meeting"
    assert "DTSTAMP" in event and "PRODID" in parsed


def test_the_invitation_times_are_in_utc(world):
    brussels = timezone.get_fixed_timezone(60)
    starts = datetime(2027, 2, 3, 20, 30, tzinfo=brussels)
    meeting = make_meeting(world.network, starts_at=starts, ends_at=starts + timedelta(hours=2))
    [event] = events(calendar.invitation_ics(meeting))
    assert event["DTSTART"].to_ical() == b"20270203T193000Z"


def test_the_invitation_links_the_meeting_page_and_has_the_agenda_as_text(world):
    meeting = make_meeting(world.network)
    [event] = events(calendar.invitation_ics(meeting))
    assert str(event["URL"]).startswith("https://buurtnet.example.be/")
    assert str(event["URL"]).rstrip("/").endswith(str(meeting.pk))
    description = str(event["DESCRIPTION"])
    assert "Welcome" in description and "**" not in description
    assert "steering group (https://example.org/sg)" in description


def test_an_online_meeting_has_the_video_link_as_location(world):
    meeting = make_meeting(world.network, place="", video_url="https://meet.example.org/bin-ours")
    [event] = events(calendar.invitation_ics(meeting))
    assert str(event["LOCATION"]) == "https://meet.example.org/bin-ours"


def test_a_cancellation_is_marked_cancelled(world):
    meeting = make_meeting(world.network, sequence=3, status=MeetingStatus.CANCELLED)
    parsed = Calendar.from_ical(calendar.invitation_ics(meeting, "CANCEL"))
    assert str(parsed["METHOD"]) == "CANCEL"
    [event] = parsed.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 3


def test_a_published_meeting_has_method_publish(world):
    parsed = Calendar.from_ical(calendar.invitation_ics(make_meeting(world.network), "PUBLISH"))
    assert str(parsed["METHOD"]) == "PUBLISH"
    [event] = parsed.walk("VEVENT")
    assert str(event["STATUS"]) == "CONFIRMED"


def test_an_unknown_method_is_refused(world):
    with pytest.raises(ValueError):
        calendar.invitation_ics(make_meeting(world.network), "REPLY")


def uids(data: bytes) -> set[str]:
    return {str(event["UID"]).split("@")[0] for event in events(data)}


def test_the_feed_holds_the_meetings_of_the_persons_bins_only(world):
    ours = make_meeting(world.network)
    held = make_meeting(
        world.network,
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30, hours=-2),
        status=MeetingStatus.HELD,
    )
    cancelled = make_meeting(world.network, status=MeetingStatus.CANCELLED)
    theirs = make_meeting(world.other_network)
    far = make_meeting(world.far_network)
    data = calendar.feed_ics(world.member)
    assert uids(data) == {str(ours.uid), str(held.uid), str(cancelled.uid)}
    assert str(theirs.uid) not in data.decode() and str(far.uid) not in data.decode()


def test_the_feed_marks_a_cancelled_meeting(world):
    make_meeting(world.network, status=MeetingStatus.CANCELLED)
    [event] = events(calendar.feed_ics(world.member))
    assert str(event["STATUS"]) == "CANCELLED"


def test_the_feed_leaves_out_meetings_older_than_a_year(world):
    long_ago = timezone.now() - timedelta(days=400)
    make_meeting(world.network, starts_at=long_ago, ends_at=long_ago + timedelta(hours=2))
    assert events(calendar.feed_ics(world.member)) == []


def test_a_paused_member_still_sees_the_meetings(world):
    meeting = make_meeting(world.network)
    Membership.objects.filter(person=world.member).update(status=MembershipStatus.PAUSED)
    assert uids(calendar.feed_ics(world.member)) == {str(meeting.uid)}


def test_a_member_who_left_no_longer_sees_the_meetings(world):
    make_meeting(world.network)
    Membership.objects.filter(person=world.member).update(status=MembershipStatus.LEFT)
    assert events(calendar.feed_ics(world.member)) == []


def test_an_applicant_does_not_see_the_meetings(world):
    make_meeting(world.network)
    Membership.objects.filter(person=world.member).update(status=MembershipStatus.APPLIED)
    assert events(calendar.feed_ics(world.member)) == []


def feed_path(person) -> str:
    return reverse("governance:calendar_feed", args=[calendar.calendar_key(person).secret])


def test_the_secret_url_works_without_log_in(client, world):
    meeting = make_meeting(world.network)
    response = client.get(feed_path(world.member))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert uids(response.content) == {str(meeting.uid)}


def test_the_key_is_made_once_and_kept(world):
    first = calendar.calendar_key(world.member)
    assert calendar.calendar_key(world.member).secret == first.secret
    assert len(first.secret) >= 40


def test_an_unknown_secret_is_not_found(client, world):
    calendar.calendar_key(world.member)
    response = client.get(reverse("governance:calendar_feed", args=["not-a-real-secret"]))
    assert response.status_code == 404


def test_a_reset_secret_stops_the_old_url(client, world):
    old = feed_path(world.member)
    calendar.reset_calendar_key(world.member)
    assert client.get(old).status_code == 404
    assert client.get(feed_path(world.member)).status_code == 200


def test_the_link_page_shows_the_personal_feed_url(client, world):
    log_in(client, world.member)
    response = client.get(reverse("governance:calendar_link"))
    assert response.status_code == 200
    key = calendar.calendar_key(world.member)
    assert f"https://buurtnet.example.be{feed_path(world.member)}" in response.content.decode()
    assert key.secret in response.content.decode()


def test_the_link_page_needs_a_log_in(client, world):
    response = client.get(reverse("governance:calendar_link"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_reset_button_makes_a_new_link_and_the_old_one_stops(client, world):
    old = feed_path(world.member)
    log_in(client, world.member)
    response = client.post(reverse("governance:calendar_link"))
    assert response.status_code == 302
    assert client.get(old).status_code == 404
    assert feed_path(world.member) != old


def test_the_reset_needs_a_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    log_in(client, world.member)
    old = feed_path(world.member)
    assert client.post(reverse("governance:calendar_link")).status_code == 403
    assert feed_path(world.member) == old


def test_an_invitation_is_organised_by_the_bin_at_the_platforms_address(world, settings):
    settings.DEFAULT_FROM_EMAIL = "Buurtnet <noreply@buurtnet.local>"
    meeting = make_meeting(world.network, created_by=world.coordinator)
    event = next(iter(Calendar.from_ical(calendar.invitation_ics(meeting)).walk("VEVENT")))
    assert str(event["ORGANIZER"]) == "mailto:noreply@buurtnet.local"
    assert event["ORGANIZER"].params["CN"] == world.network.name


def test_no_ics_output_names_a_member(client, world):
    make_meeting(world.network, created_by=world.coordinator)
    make_meeting(world.network, video_url="https://meet.example.org/x", status="cancelled")
    outputs = [
        calendar.feed_ics(world.member),
        client.get(feed_path(world.coordinator)).content,
        *(
            calendar.invitation_ics(meeting, method)
            for meeting in Meeting.objects.all()
            for method in calendar.METHODS
        ),
    ]
    people = [world.member, world.coordinator, world.officer, world.steering]
    for data in outputs:
        text = data.decode()
        assert "ATTENDEE" not in text
        organizers = [line for line in text.splitlines() if line.startswith("ORGANIZER")]
        assert all("mailto:noreply@" in line for line in organizers)
        for person in people:
            assert person.email not in text
            assert person.phone not in text
            assert person.full_name not in text
