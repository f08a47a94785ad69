"""Small builders shared by the governance tests."""

from datetime import timedelta

from django.utils import timezone

from buurtnet.governance import services as gov
from buurtnet.governance.models import Decision, Meeting
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.people.tests.factories import PersonFactory

# Far enough ahead for the default notice of a meeting that votes on a function.
DAYS_AHEAD = 8


def meeting_input(**fields) -> gov.MeetingInput:
    # Calendars keep whole seconds.
    starts = (timezone.now() + timedelta(days=DAYS_AHEAD)).replace(second=0, microsecond=0)
    values = {
        "title": "Members' meeting",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "place": "Parish hall, Kerkstraat 1",
        "agenda": "1. Welcome\n2. **Steering group**",
    }
    values.update(fields)
    return gov.MeetingInput(**values)


def steering_for(person, takes_effect_on=None) -> gov.DecisionInput:
    return gov.DecisionInput(
        function="steering",
        candidate_id=person.pk,
        takes_effect_on=takes_effect_on or timezone.localdate() + timedelta(days=DAYS_AHEAD),
    )


def start(meeting: Meeting) -> Meeting:
    """Time passes: the meeting is under way. What was dated when it was scheduled moves
    back with it: the invitation went out as long before as it did, and a function that
    takes effect on the meeting's day takes effect today."""
    now = timezone.now()
    starts = now - timedelta(minutes=30)
    shift = meeting.starts_at - starts
    days = (timezone.localdate(meeting.starts_at) - timezone.localdate(starts)).days
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=starts, ends_at=now + timedelta(hours=1), created_at=meeting.created_at - shift
    )
    for decision in Decision.objects.filter(meeting=meeting):
        decision.takes_effect_on -= timedelta(days=days)
        decision.save(update_fields=["takes_effect_on"])
    meeting.refresh_from_db()
    return meeting


def more_members(network, count: int) -> list:
    people = []
    for index in range(count):
        person = PersonFactory(full_name=f"Extra Member {index}", at=(3.265, 50.825))
        MembershipFactory(network=network, person=person, role=Role.MEMBER)
        people.append(person)
    return people
