"""A refused compose form on a phone: the page comes back at the error, not at the top of
a form several screens long."""

import pytest
from playwright.sync_api import expect

from buurtnet.tests.browser import log_in

from .test_attachments import PHISHING_INVITATION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_attachment_is_shown_without_scrolling(page, world):
    log_in(page, world.coordinator)
    page.goto("/messages/new/")
    page.get_by_label("Relay (coordinator to members)").check()
    page.get_by_label("BINs:").select_option(label=world.network.name)
    own_language = page.locator("details.language[open]")
    own_language.get_by_label("Title").fill("Buurtvergadering")
    own_language.get_by_label("Message:", exact=True).fill("Zie de uitnodiging in bijlage.")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "meeting.ics", "mimeType": "text/calendar", "buffer": PHISHING_INVITATION}],
    )
    page.get_by_role("button", name="Preview the reach").click()

    error = page.get_by_text("calendar file cannot be attached")
    expect(error).to_be_in_viewport()
    expect(page.locator("details.language[open]").get_by_label("Title")).to_have_value(
        "Buurtvergadering"
    )
