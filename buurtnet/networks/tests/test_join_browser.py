"""The joining flow end to end, as a citizen and a coordinator do it, in headless Chromium."""

import re

import pytest

from buurtnet.delivery.models import OutboxMessage
from buurtnet.networks.models import Membership, MembershipStatus
from buurtnet.networks.tests.factories import StreetFactory
from buurtnet.tests.browser import click_map, drag_marker, map_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "ann.peeters@example.be"
PASSWORD = "Zonnebloem-2026!"


def latest(recipient: str, channel: str) -> OutboxMessage:
    return OutboxMessage.objects.filter(recipient=recipient, channel=channel).first()


def test_citizen_joins_and_coordinator_approves(page, world, tile_server):
    StreetFactory(municipality=world.municipality, name="Kerkstraat", postcode="8500")

    # Sign up and verify the e-mail address through the link in the mail.
    page.goto("/accounts/signup/?next=/join/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", latest(EMAIL, "email").body)[0]
    page.goto(link.replace("http://testserver", page.url.split("/accounts")[0]))
    page.get_by_role("button", name="Confirm").click()

    # Step 1: name and language.
    page.goto("/join/")
    page.get_by_label("Your name").fill("Ann Peeters")
    page.get_by_role("button", name="Next").click()

    # Step 2: the phone number, confirmed with the texted code.
    page.get_by_label("Phone number").fill("0470 12 34 56")
    page.get_by_role("button", name="Send me a code").click()
    code = re.search(r"\b(\d{6})\b", latest("+32470123456", "sms").body)[1]
    page.get_by_label("The six-digit code we sent you").fill(code)
    page.get_by_role("button", name="Confirm").click()

    # Step 3: an address outside every BIN is refused, then the right one is found.
    page.get_by_label("Street").fill("Nergensstraat")
    page.get_by_label("House number").fill("3")
    page.get_by_label("Postcode").fill("8500")
    page.get_by_role("button", name="Find my BIN").click()
    assert page.get_by_text("We could not find this address").is_visible()
    page.get_by_label("Street").fill("Kerkstraat")
    page.get_by_role("button", name="Find my BIN").click()

    # Step 4: the covering BIN, its charter and the privacy notice; consent and apply.
    page.get_by_role("heading", name="BIN Ours").wait_for()
    assert page.get_by_role("heading", name="BIN Theirs").count() == 0
    page.get_by_role("link", name="Read the charter and apply").click()
    page.get_by_role("button", name="Send my application").click()  # no consent yet
    assert Membership.objects.filter(person__email=EMAIL).count() == 0
    page.get_by_label("I have read the charter").check()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Send my application").click()
    page.get_by_text("has been sent to its coordinator").wait_for()
    assert page.locator(".status-applied").first.is_visible()

    # The coordinator approves; the applicant is told by e-mail.
    coordinator = world.coordinator  # the factory confirmed their e-mail address
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(coordinator.email)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="BIN Ours").first.wait_for()
    page.goto(f"/networks/{world.network.pk}/applications/")
    card = page.locator(".application", has_text="Ann Peeters")
    card.get_by_role("button", name="Approve").click()
    page.get_by_text("is now a member").wait_for()

    membership = Membership.objects.get(person__email=EMAIL)
    assert membership.status == MembershipStatus.APPROVED
    assert "Welcome to BIN Ours" in latest(EMAIL, "email").subject


def enter_as(page, client, live_server, person) -> None:
    client.force_login(person)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_tapping_home_on_the_map_finds_the_bin(page, world, client, live_server, tile_server):
    enter_as(page, client, live_server, world.outsider)
    page.goto("/join/location/")
    map_ready(page)
    use_point = page.get_by_role("button", name="Use this point")
    assert not use_point.is_visible()  # nothing chosen yet
    click_map(page, 3.27, 50.83)  # the middle of BIN Ours
    use_point.click()
    page.get_by_role("heading", name="BIN Ours").wait_for()
    world.outsider.refresh_from_db()
    assert world.network.contains(world.outsider.longitude, world.outsider.latitude)
    # Where the tap landed, to within a few pixels of this wide map.
    assert abs(world.outsider.longitude - 3.27) < 0.003
    assert abs(world.outsider.latitude - 50.83) < 0.003


def test_found_address_is_a_marker_that_can_be_dragged_to_correct_it(
    page, world, client, live_server, tile_server
):
    StreetFactory(municipality=world.municipality, name="Kerkstraat", postcode="8500")
    enter_as(page, client, live_server, world.outsider)
    page.goto("/join/location/")
    page.get_by_label("Street").fill("Kerkstraat")
    page.get_by_label("House number").fill("10")
    page.get_by_label("Postcode").fill("8500")
    page.get_by_role("button", name="Find my BIN").click()
    page.get_by_role("heading", name="BIN Ours").wait_for()
    map_ready(page)
    assert page.locator("#map .leaflet-marker-icon").count() == 1  # the address found

    drag_marker(page, 3.275, 50.835)
    page.get_by_role("button", name="Use this point").click()
    page.get_by_role("heading", name="BIN Ours").wait_for()
    person = world.outsider
    person.refresh_from_db()
    assert abs(person.longitude - 3.275) < 0.001 and abs(person.latitude - 50.835) < 0.001
    assert person.street == "Kerkstraat" and person.house_number == "10"
