"""A members' meeting end to end in headless Chromium: the coordinator schedules it with a
vote proposing a member for the steering group, three members answer the invitation on
their phones, the coordinator records who came and opens the vote, the members vote, the
coordinator closes it, the officer lets the function through, and the new steering member
has their role."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from buurtnet.governance.models import Decision, Meeting, Outcome, RoleChange
from buurtnet.governance.services import approve_role_change
from buurtnet.networks.models import Membership, Role
from buurtnet.tests.browser import fits_the_screen, log_in

from .helpers import more_members, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 412, "height": 915}


def new_page(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_members_confirm_a_steering_member_in_a_meeting(browser, page, live_server, world):
    network, candidate = world.network, world.member
    voters = [candidate, *more_members(network, 2)]
    contexts = []
    try:
        chair_context, chair = new_page(browser, live_server, DESKTOP)
        contexts.append(chair_context)
        log_in(chair, world.coordinator)

        # The coordinator schedules a meeting with a vote on the steering group, announced
        # more than the BIN's notice (7 days) ahead.
        chair.goto(f"/governance/networks/{network.pk}/")
        chair.get_by_role("link", name="Schedule a meeting").click()
        chair.wait_for_url(re.compile(r"/meetings/new/$"))
        starts = timezone.localtime(timezone.now() + timedelta(days=8))
        chair.get_by_label("Title").fill("Members' meeting spring")
        chair.get_by_label("Starts at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        chair.get_by_label("Ends at").fill((starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        chair.get_by_label("Place").fill("Parish hall, Kerkstraat 1")
        chair.get_by_label("Agenda").fill("- Welcome\n- **Steering group**")
        row = chair.locator("#decision-row-1")
        row.get_by_label("Function").select_option("steering")
        row.get_by_label("Candidate").select_option(label=candidate.full_name)
        row.get_by_label("Takes effect on").fill(starts.date().isoformat())
        chair.get_by_role("button", name="Schedule and invite").click()
        chair.wait_for_url(re.compile(r"/governance/meetings/\d+/$"))
        expect(chair.get_by_text("The meeting is scheduled.")).to_be_visible()
        meeting = Meeting.objects.get()
        decision = Decision.objects.get(meeting=meeting)
        meeting_url = f"/governance/meetings/{meeting.pk}/"

        # Three members answer the invitation, each on their own phone.
        phones = []
        for voter in voters:
            context, phone = (
                (page.context, page)
                if voter == candidate
                else new_page(browser, live_server, PHONE)
            )
            if voter != candidate:
                contexts.append(context)
            log_in(phone, voter)
            phone.goto(meeting_url)
            expect(phone.get_by_role("heading", name="Members' meeting spring")).to_be_visible()
            phone.get_by_role("button", name="I will come").click()
            expect(phone.get_by_text("Thank you, your answer is saved.")).to_be_visible()
            expect(phone.locator("#rsvp")).to_contain_text("Your answer: I will come")
            assert fits_the_screen(phone)
            phones.append(phone)
        # Before the vote the candidate is a plain member: the member list is not theirs.
        assert page.goto(f"/networks/{network.pk}/members/").status == 403

        # Time passes: the meeting has begun.
        start(meeting)

        # The chair records who came (those who said yes are ticked) and opens the vote.
        chair.goto(meeting_url)
        chair.get_by_role("link", name="Record who is present").click()
        for voter in voters:
            expect(chair.get_by_label(voter.full_name)).to_be_checked()
        chair.get_by_role("button", name="Save attendance").click()
        expect(chair.get_by_text("Attendance is saved: 3 present.")).to_be_visible()
        chair.get_by_role("button", name="Open the vote").click()
        expect(chair.get_by_text("The vote is open.")).to_be_visible()

        # The members vote: two yes, one abstains.
        for phone, button in zip(phones, ["Vote yes", "Vote yes", "Abstain"], strict=True):
            phone.goto(meeting_url)
            phone.get_by_role("button", name=button).click()
            expect(phone.get_by_text("Your vote is recorded.")).to_be_visible()
            expect(phone.locator(f"#decision-{decision.pk} .voted")).to_contain_text("You voted")

        # The chair closes the vote: accepted, with the counts.
        chair.goto(meeting_url)
        chair.get_by_role("button", name="Close the vote").click()
        result = chair.locator(f"#decision-{decision.pk}")
        expect(result.locator(".outcome")).to_have_text("Accepted")
        expect(result.locator('[data-count="yes"]')).to_have_text("2")
        expect(result.locator('[data-count="no"]')).to_have_text("0")
        expect(result.locator('[data-count="abstain"]')).to_have_text("1")
        expect(result.locator('[data-count="present"]')).to_have_text("3")
        decision.refresh_from_db()
        assert decision.outcome == Outcome.ACCEPTED

        # The function waits for the officer, who may object; here the officer approves.
        assert Membership.objects.get(network=network, person=candidate).role == Role.MEMBER
        phones[0].goto(f"/governance/networks/{network.pk}/")
        expect(phones[0].locator("#roles")).to_contain_text("waits for the officer")
        approve_role_change(RoleChange.objects.get(decision=decision), world.officer)

        # The function took effect today: the new steering member opens the member list.
        assert Membership.objects.get(network=network, person=candidate).role == Role.STEERING
        phones[0].goto(f"/networks/{network.pk}/members/")
        expect(phones[0].get_by_role("heading", name=re.compile("Members"))).to_be_visible()
        assert fits_the_screen(phones[0])
        # And the BIN's governance page says who holds the function, since when, and why.
        phones[0].goto(f"/governance/networks/{network.pk}/")
        expect(phones[0].locator("#roles")).to_contain_text(candidate.full_name)
        expect(phones[0].locator("#roles")).to_contain_text("Members' meeting spring")
    finally:
        for context in contexts:
            context.close()
