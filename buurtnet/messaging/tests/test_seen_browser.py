"""The "seen" link as a member's phone opens it from a mail client: not logged in, with
the browser's own Origin and Referer rules (the test client sends neither)."""

import pytest
from playwright.sync_api import expect

from buurtnet.messaging import services
from buurtnet.messaging.models import Recipient
from buurtnet.messaging.rendering import seen_url
from buurtnet.messaging.services import Draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_confirms_a_message_from_the_link_without_logging_in(
    page, live_server, world, now_sends
):
    draft = Draft(
        kind="notice",
        language="en",
        texts={"en": {"title": "Street party", "body": "Road closed on Sunday.", "sms_text": ""}},
        target={"type": "networks", "networks": [world.network.pk]},
    )
    message = now_sends(services.submit, world.officer, draft)
    recipient = Recipient.objects.get(message=message, person=world.member)
    link = seen_url(recipient.pk, recipient.person_id).split("/", 3)[3]

    page.goto(f"/{link}")
    expect(page.get_by_role("heading", name="Street party")).to_be_visible()
    page.get_by_role("button", name="Confirm that I have seen this").click()

    expect(page.get_by_role("button", name="Confirm that I have seen this")).to_have_count(0)
    recipient.refresh_from_db()
    assert recipient.acknowledged_at is not None
