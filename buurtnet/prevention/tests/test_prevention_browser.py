"""A prevention campaign end to end in headless Chromium: a prevention officer of the zone
writes and publishes a tip and schedules a campaign for residents' BINs; when its moment
comes, a member of a residents' BIN reads the tip in the inbox on a phone, and a member of
a farmers' BIN gets nothing."""

import re
from datetime import timedelta

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone
from playwright.sync_api import expect

from buurtnet.messaging.models import Message, Recipient
from buurtnet.networks.models import NetworkKind
from buurtnet.prevention.models import Campaign, Recurrence, Tip, TipStatus
from buurtnet.prevention.services import send_due
from buurtnet.tests.browser import fits_the_screen, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
TITLE = "Sluit altijd af, ook overdag"
SMS = "Politie: sluit deuren en ramen, ook als u thuis bent."
BODY = (
    "Een open raam is een uitnodiging voor inbrekers.\n\n"
    "- Sluit de **achterdeur** af\n"
    "- Leg sleutels nooit in het zicht"
)


def test_officer_publishes_a_tip_and_campaign_reaches_a_residents_member(
    browser, page, live_server, world
):
    staff, member = world.zone_staff, world.member
    # World's BINs are residents' BINs by the factory default; make "theirs" a farmers' BIN
    # so that the campaign for residents must leave it out.
    assert world.network.kind == NetworkKind.RESIDENTS
    world.other_network.kind = NetworkKind.FARMERS
    world.other_network.save()
    secret = pyotp.random_base32()
    TOTP.activate(staff, secret)

    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=DESKTOP)
    officer = context.new_page()
    officer.set_default_timeout(15_000)
    try:
        # The prevention officer logs in with password and authenticator code.
        log_in(officer, staff, totp_secret=secret)
        officer.goto("/prevention/manage/")
        expect(officer.get_by_role("heading", name="Prevention tips and campaigns")).to_be_visible()

        # Writes the Dutch version of a tip and publishes it.
        officer.get_by_role("link", name="Write a tip").click()
        officer.wait_for_url(re.compile(r"/prevention/manage/tips/new/$"))
        dutch = officer.locator("details.language", has=officer.locator("#id_title_nl"))
        expect(dutch).to_have_attribute("open", "")
        dutch.get_by_label("Title").fill(TITLE)
        dutch.get_by_label("Short text for SMS").fill(SMS)
        dutch.get_by_label("Full text").fill(BODY)
        officer.get_by_label("Burglary", exact=True).check()
        officer.get_by_role("button", name="Save and publish").click()
        officer.wait_for_url(re.compile(r"/prevention/manage/$"))
        expect(officer.get_by_text("The tip is saved.")).to_be_visible()
        row = officer.get_by_role("row", name=re.compile(re.escape(TITLE)))
        expect(row.locator(".status")).to_have_text("Published")
        expect(row).to_contain_text("Burglary")
        tip = Tip.objects.get()
        assert tip.status == TipStatus.PUBLISHED and tip.themes == ["burglary"]
        assert {t.language for t in tip.texts.all()} == {"nl"}

        # Schedules a campaign with that tip for residents' BINs, once, in a few minutes.
        officer.get_by_role("link", name="Schedule a campaign").click()
        officer.wait_for_url(re.compile(r"/prevention/campaigns/new/$"))
        officer.get_by_label("Name").fill("Inbraakpreventie voorjaar")
        officer.get_by_label(TITLE).check()
        officer.get_by_label("Residents", exact=True).check()
        expect(officer.get_by_label("Once", exact=True)).to_be_checked()
        start = timezone.localtime(timezone.now() + timedelta(minutes=5))
        officer.get_by_label("First tip goes out on").fill(start.strftime("%Y-%m-%dT%H:%M"))
        officer.get_by_role("button", name="Schedule the campaign").click()
        officer.wait_for_url(re.compile(r"/prevention/campaigns/\d+/$"))
        expect(officer.get_by_role("heading", name="Inbraakpreventie voorjaar")).to_be_visible()
        expect(officer.get_by_role("heading", name="Next moments")).to_be_visible()
        expect(officer.get_by_text("Nothing has gone out yet.")).to_be_visible()
        campaign = Campaign.objects.get()
        assert campaign.recurrence == Recurrence.ONCE
        assert campaign.network_kinds == [NetworkKind.RESIDENTS]
        assert not campaign.whole_zone and not campaign.municipalities.exists()
        assert [i.tip_id for i in campaign.items.all()] == [tip.pk]
        assert timezone.localtime(campaign.starts_at).replace(tzinfo=None) == start.replace(
            second=0, microsecond=0, tzinfo=None
        )

        # The periodic pass (the `tick` command) runs at the campaign's moment.
        assert send_due(campaign.starts_at + timedelta(seconds=1)) == 1
        message = Message.objects.get(kind="tip")
        assert message.title == TITLE
        reached = set(Recipient.objects.filter(message=message).values_list("person", flat=True))
        assert member.pk in reached
        assert world.their_member.pk not in reached  # a farmers' BIN was not targeted
        assert not Recipient.objects.filter(person=world.their_member).exists()

        # The campaign page now counts the BIN it reached.
        officer.reload()
        expect(officer.locator("#campaign-reach")).to_contain_text("BIN Ours")
        expect(officer.locator("#campaign-reach")).not_to_contain_text("BIN Theirs")
    finally:
        context.close()

    # The member, on a phone, finds the tip in the inbox and reads it.
    log_in(page, member)
    page.goto("/messages/inbox/")
    item = page.locator(".inbox li", has_text=TITLE)
    expect(item).to_have_class(re.compile(r"\bunread\b"))
    expect(item).to_contain_text("BIN Ours")
    item.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/messages/inbox/\d+/$"))
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    article = page.locator("article.message")
    expect(article).to_contain_text("Een open raam is een uitnodiging voor inbrekers.")
    expect(article).to_contain_text("Sluit de achterdeur af")  # Markdown emphasis dropped
    expect(article).not_to_contain_text("**")
    assert fits_the_screen(page)
    assert Recipient.objects.get(message=message, person=member).seen_at is not None
