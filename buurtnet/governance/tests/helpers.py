"""Small builders shared by the governance tests."""

from datetime import timedelta

from django.utils import timezone

from buurtnet.governance import services as gov
from buurtnet.governance.models import Meeting
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.people.tests.factories import PersonFactory


def meeting_input(**fields) -> gov.MeetingInput:
    # Calendars keep whole seconds.
    starts = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
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
        takes_effect_on=takes_effect_on or timezone.localdate() + timedelta(days=2),
    )


def start(meeting: Meeting) -> Meeting:
    """Time passes: the meeting is under way."""
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=1)
    )
    meeting.refresh_from_db()
    return meeting


def more_members(network, count: int) -> list:
    people = []
    for index in range(count):
        person = PersonFactory(full_name=f"Extra Member {index}", at=(3.265, 50.825))
        MembershipFactory(network=network, person=person, role=Role.MEMBER)
        people.append(person)
    return people
