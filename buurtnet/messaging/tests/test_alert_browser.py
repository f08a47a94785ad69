"""A police alert end to end in headless Chromium: an officer draws the area on the map,
checks the reach and sends; the progress updates on its own; a member acknowledges it on
a phone; the officer sees the acknowledgement."""

import json
import re

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from buurtnet.messaging.models import Message, MessageStatus
from buurtnet.networks.models import Membership, MembershipStatus
from buurtnet.tests.browser import (
    draw_circle,
    draw_polygon,
    fits_the_screen,
    log_in,
    map_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_officer_alert_by_drawn_area_is_acknowledged_by_a_member(browser, page, world, tile_server):
    officer, member = world.officer, world.member
    secret = pyotp.random_base32()
    TOTP.activate(officer, secret)
    members = Membership.objects.filter(
        network=world.network, status=MembershipStatus.APPROVED
    ).count()
    assert members == 4

    # The officer logs in with password and authenticator code and composes an alert.
    log_in(page, officer, totp_secret=secret)
    page.goto("/messages/")
    page.get_by_role("link", name="New message").click()
    page.wait_for_url(re.compile(r"/messages/new/$"))
    page.get_by_label("Alert (urgent)").check()
    page.get_by_label("An area drawn on the map").check()

    # A polygon around BIN Ours (the square 3.26–3.28 × 50.82–50.84), clear of BIN Theirs.
    map_ready(page)
    draw_polygon(page, [(3.257, 50.817), (3.284, 50.817), (3.284, 50.843), (3.257, 50.843)])
    expect(page.locator("#map-touching")).to_have_text("Touches 1 BIN: BIN Ours")
    assert '"Polygon"' in page.locator("#id_area").input_value()

    # The officer's language is the main one, so its texts are open; the others are not.
    english = page.locator("details.language", has=page.locator("#id_title_en"))
    expect(english).to_have_attribute("open", "")
    expect(
        page.locator("details.language", has=page.locator("#id_title_nl"))
    ).not_to_have_attribute("open", "")
    english.get_by_label("Title").fill("Burglars in Kerkstraat")
    english.get_by_label("Message:", exact=True).fill(
        "Two men are trying doors in Kerkstraat. Lock up and call 101 if you see them."
    )
    english.get_by_label("Short text for SMS").fill(
        "Police: burglars trying doors in Kerkstraat. Lock up, call 101."
    )
    expect(page.locator("#sms-count-en")).to_contain_text("1 SMS segment(s)")
    expect(page.locator("#sms-count-en")).to_contain_text("GSM-7")

    # The reach: the members of BIN Ours, per channel.
    page.get_by_role("button", name="Preview the reach").click()
    preview = page.locator("#preview")
    expect(preview.locator("#preview-people")).to_have_text(str(members))
    expect(preview.locator("td[data-channel=email]")).to_have_text(str(members))
    expect(preview.get_by_role("row", name=re.compile(r"^E-mail"))).to_be_visible()
    expect(preview).to_contain_text("BIN Ours")
    expect(preview).not_to_contain_text("BIN Theirs")
    # The drawing survived the round trip.
    map_ready(page)
    expect(page.locator("#map-touching")).to_have_text("Touches 1 BIN: BIN Ours")

    assert fits_the_screen(page)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    message = Message.objects.get()
    assert message.status == MessageStatus.SENT
    assert message.target["type"] == "area"
    expect(page.get_by_role("heading", name="Burglars in Kerkstraat")).to_be_visible()
    expect(page.locator("#progress tr[data-channel=email] td[data-state=sent]")).to_have_text(
        str(members)
    )
    expect(page.locator("#progress [data-count=seen]")).to_have_text("0")
    expect(page.locator("#progress [data-count=acknowledged]")).to_have_text("0")
    assert fits_the_screen(page)
    page.evaluate("window.notReloaded = true")

    # A member, on a phone, finds the alert unread in the inbox and acknowledges it.
    context = browser.new_context(
        base_url=page.url.split("/messages")[0], locale="en-GB", viewport=PHONE
    )
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    try:
        log_in(phone, member)
        phone.goto("/messages/inbox/")
        item = phone.locator(".inbox li", has_text="Burglars in Kerkstraat")
        expect(item).to_have_class(re.compile(r"\bunread\b"))
        expect(item.locator(".badge", has_text="New")).to_be_visible()
        item.get_by_role("link").click()
        expect(phone.get_by_role("heading", name="Burglars in Kerkstraat")).to_be_visible()
        phone.evaluate("window.notReloaded = true")
        phone.get_by_role("button", name="I have seen this").click()
        expect(phone.get_by_role("status").filter(has_text="Acknowledged")).to_be_visible()
        assert phone.evaluate("window.notReloaded")  # htmx swapped the button for the thanks
        assert fits_the_screen(phone)
    finally:
        context.close()

    # The officer's page counts the member as having seen it (without a reload), and the
    # acknowledgement after one.
    expect(page.locator("#progress [data-count=seen]")).to_have_text("1")
    assert page.evaluate("window.notReloaded")
    page.reload()
    expect(page.locator("#progress [data-count=acknowledged]")).to_have_text("1")


def test_a_drawn_circle_reaches_the_bins_it_touches_that_the_sender_may_alert(
    page, world, tile_server
):
    secret = pyotp.random_base32()
    TOTP.activate(world.officer, secret)
    log_in(page, world.officer, totp_secret=secret)
    page.goto("/messages/new/")
    page.get_by_label("Alert (urgent)").check()
    english = page.locator("details.language", has=page.locator("#id_title_en"))
    english.get_by_label("Title").fill("Missing child")
    english.get_by_label("Message:", exact=True).fill("A boy of six, red coat, last seen here.")

    # A circle of 500 m in the middle of BIN Ours.
    page.get_by_label("An area drawn on the map").check()
    map_ready(page)
    draw_circle(page, (3.27, 50.83), 500)
    expect(page.locator("#map-touching")).to_have_text("Touches 1 BIN: BIN Ours")
    circle = json.loads(page.locator("#id_area").input_value())
    assert circle["type"] == "Circle" and abs(circle["radius_m"] - 500) < 50
    assert abs(circle["lon"] - 3.27) < 0.001 and abs(circle["lat"] - 50.83) < 0.001
    page.get_by_role("button", name="Preview the reach").click()
    expect(page.locator("#preview-people")).to_have_text("4")
    expect(page.locator("#preview")).not_to_contain_text("BIN Theirs")
    expect(page.locator("#preview-deliveries")).to_have_text("8")  # e-mail and inbox

    # Wider (BIN Theirs starts some 2 km east): it is touched, but this officer works for
    # BIN Ours only, so the preview leaves it out and says why.
    map_ready(page)
    draw_circle(page, (3.27, 50.83), 3000)
    expect(page.locator("#map-touching")).to_have_text("Touches 2 BINs: BIN Ours, BIN Theirs")
    page.get_by_role("button", name="Preview the reach").click()
    expect(page.locator("#preview .warning")).to_contain_text("Left out: BIN Theirs")
    expect(page.locator("#preview-people")).to_have_text("4")
    assert Message.objects.count() == 0  # previews store nothing
