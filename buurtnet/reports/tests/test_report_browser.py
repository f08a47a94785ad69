"""A member's report end to end in headless Chromium: a member on a phone reports a
suspicious vehicle with a photo; the officer triages it and answers; the member reads the
answer. The pin of a report, placed by a tap, a drag, the phone's position or an address,
on a phone and on a desktop; the officer reads where it was. And the draft a member typed
survives a lost page."""

import re

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from PIL import Image
from playwright.sync_api import expect

from buurtnet.conftest import PHONE
from buurtnet.networks.tests.factories import StreetFactory
from buurtnet.reports.models import Report, ReportPhoto, ReportStatus
from buurtnet.reports.tests.test_reports import file as file_report
from buurtnet.tests.browser import (
    axe_violations,
    click_map,
    drag_marker,
    fits_the_screen,
    log_in,
    map_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACE = (3.272, 50.831)  # in "BIN Ours" (the square 3.26–3.28 × 50.82–50.84), not home
GPS_IFD = 0x8825
FEEDBACK = "A patrol stopped the van in Kerkstraat and checked the driver. Thank you!"


def new_phone(browser, live_server, viewport=PHONE):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.fixture(params=["phone", "desktop"])
def screen(request):
    """The same test on the phone (412×915) and on a desktop (1280×800)."""
    return request.getfixturevalue("page" if request.param == "phone" else "desktop")


@pytest.fixture
def street(world):
    """Kerkstraat runs through BIN Ours, from its south-west corner to its north-east."""
    return StreetFactory(municipality=world.municipality)


def pin(page) -> tuple[float, float]:
    return (
        float(page.locator("#id_longitude").input_value()),
        float(page.locator("#id_latitude").input_value()),
    )


def marker_at(page) -> tuple[float, float]:
    """Where the picker's marker stands on the map."""
    return tuple(
        page.evaluate(
            "() => { const m = document.getElementById('map').buurtnetMap.marker;"
            " return m ? [m.getLatLng().lng, m.getLatLng().lat] : [null, null]; }"
        )
    )


def fill_the_rest(page) -> None:
    page.get_by_label("Suspicious person").check()
    page.locator("#id_description").fill("Two people tried the doors of the parked cars.")


def photo_with_gps(path) -> None:
    """A small phone-like JPEG that says where it was taken and by which phone."""
    exif = Image.Exif()
    exif[0x010F] = "Buurtphone"  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[GPS_IFD] = {
        1: "N",
        2: (50.0, 49.0, 51.6),
        3: "E",
        4: (3.0, 16.0, 19.2),
    }
    Image.new("RGB", (320, 240), (90, 120, 160)).save(path, "JPEG", exif=exif)
    with Image.open(path) as check:
        assert check.getexif().get_ifd(GPS_IFD)  # the test photo really carries GPS


def test_member_reports_a_vehicle_officer_answers_member_reads_it(
    browser, page, live_server, world, street, tile_server, tmp_path
):
    member, officer = world.member, world.officer
    assert member.has_point

    # The member, on a phone, opens the report form: the emergency numbers come first.
    log_in(page, member)
    page.goto("/reports/new/")
    emergency = page.locator(".emergency")
    expect(emergency).to_contain_text("112")
    expect(emergency).to_contain_text("101")
    form = page.locator("#report-form")
    notice_box, form_box = emergency.bounding_box(), form.bounding_box()
    assert notice_box["y"] + notice_box["height"] <= form_box["y"]
    assert notice_box["y"] < PHONE["height"]  # on the first screen, without scrolling
    # The pin starts on the member's home, on a real street map, said in words.
    expect(page.locator("#id_longitude")).to_have_value(re.compile(r"^3\.265"))
    map_ready(page)
    assert marker_at(page) == pytest.approx((3.265, 50.825), abs=1e-6)
    expect(page.locator("#picked-text")).to_have_text("The pin is on your home.")
    expect(page.locator("#map-place")).to_contain_text("Kerkstraat")
    assert tile_server.requests > 0

    page.get_by_label("Suspicious vehicle").check()
    page.locator("#id_description").fill(
        "A grey van drove slowly past every house twice, the driver looking at the doors."
    )
    vehicle = page.locator("details", has_text="A vehicle was involved")
    expect(vehicle).not_to_have_attribute("open", "")
    vehicle.locator("summary").click()
    vehicle.get_by_label("Number plate").fill("1-abc-234")
    vehicle.get_by_label("Colour").fill("grey")

    photo = tmp_path / "van.jpg"
    photo_with_gps(photo)
    page.get_by_label("Photos (at most three)").set_input_files(photo)

    # It happened down the street, not at home: a tap on the map moves the pin.
    click_map(page, *PLACE)
    page.wait_for_function("() => document.getElementById('id_longitude').value !== '3.265'")
    lon, lat = pin(page)
    assert abs(lon - PLACE[0]) < 0.0005 and abs(lat - PLACE[1]) < 0.0005
    expect(page.locator("#picked-text")).to_have_text("The pin is where you tapped.")
    assert fits_the_screen(page)

    page.get_by_role("button", name="Send my report").click()
    page.wait_for_url(re.compile(r"/reports/\d+/\?filed=1$"))
    expect(page.locator("#filed")).to_contain_text("Your report has been sent.")
    expect(page.get_by_role("status")).to_contain_text("Your report went to the police")
    expect(page.locator("#report-status")).to_have_text("New")

    report = Report.objects.get()
    assert report.reporter == member and report.network == world.network
    assert report.category.code == "suspicious_vehicle"
    assert report.vehicle_plate == "1-ABC-234" and report.vehicle_colour == "grey"
    assert abs(report.longitude - lon) < 1e-6 and abs(report.latitude - lat) < 1e-6
    stored = ReportPhoto.objects.get()
    assert stored.report == report
    with stored.image.open("rb") as f, Image.open(f) as image:
        assert image.format == "JPEG"
        assert not image.getexif()  # neither GPS nor the phone's make and model
        assert "exif" not in image.info
    # The member sees their own photo on the confirmation page.
    expect(page.locator(".photos img")).to_have_count(1)
    # The image may still be loading on a busy machine: wait for it rather than look once.
    page.wait_for_function(
        "() => { const img = document.querySelector('.photos img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )

    # The officer, with a password and an authenticator code, finds it in the queue.
    secret = pyotp.random_base32()
    TOTP.activate(officer, secret)
    context, police = new_phone(browser, live_server)
    try:
        log_in(police, officer, totp_secret=secret)
        police.goto("/reports/")
        row = police.locator("#report-queue tbody tr", has_text="Suspicious vehicle")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("BIN Ours")
        expect(row).to_contain_text("New")
        expect(row).to_contain_text("Near Kerkstraat")
        expect(row.locator(".list-number")).to_have_text("1")
        map_ready(police)
        expect(police.locator("#map .map-number")).to_have_text(["1"])
        row.get_by_role("link", name="Suspicious vehicle").click()
        police.wait_for_url(re.compile(rf"/reports/{report.pk}/$"))
        expect(police.locator("#report-description")).to_contain_text("A grey van")
        expect(police.get_by_text("1-ABC-234")).to_be_visible()
        expect(police.locator("#reporter")).to_contain_text(member.full_name)
        # Where it happened: on the map, in words, and one tap from the phone's map app.
        map_ready(police)
        expect(police.locator("#place-address")).to_contain_text("Near Kerkstraat")
        geo = police.locator("#place-geo")
        expect(geo).to_have_text("Open in my map app")
        expect(geo).to_have_attribute("href", re.compile(r"^geo:50\.83\d*,3\.27\d*\?q="))

        triage = police.locator("#triage")
        triage.get_by_role("button", name="Acknowledged", exact=True).click()
        expect(police.locator("#report-status")).to_have_text("Acknowledged")
        expect(triage.get_by_role("button", name="Acknowledged", exact=True)).to_have_count(0)
        triage.get_by_role("button", name="In progress", exact=True).click()
        expect(police.locator("#report-status")).to_have_text("In progress")

        feedback = police.locator("#feedback-form")
        feedback.get_by_label("Feedback to the reporter").fill(FEEDBACK)
        feedback.get_by_role("button", name="Send feedback to the reporter").click()
        expect(police.get_by_role("status")).to_contain_text("Your feedback is on its way")
        expect(police.locator("#feedback")).to_contain_text(FEEDBACK)
        assert fits_the_screen(police)
    finally:
        context.close()
    report.refresh_from_db()
    assert report.status == ReportStatus.IN_PROGRESS and report.responded_at

    # The member, back on their phone, reads the answer under "My reports".
    page.goto("/reports/mine/")
    mine = page.locator("li.card", has_text="Suspicious vehicle")
    expect(mine).to_have_count(1)
    expect(mine.locator(".status")).to_have_text("In progress")
    mine.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/reports/{report.pk}/$"))
    expect(page.locator("#report-status")).to_have_text("In progress")
    expect(page.locator("#feedback .feedback")).to_contain_text(FEEDBACK)
    expect(page.locator("#triage")).to_have_count(0)  # the member cannot handle it
    assert fits_the_screen(page)


def test_a_lost_page_brings_the_draft_back_until_it_is_sent(page, world, tile_server):
    member = world.member
    key = f"buurtnet-report-{member.pk}"
    description = "Two people with a ladder at the back of number 12, around midnight."
    log_in(page, member)
    page.goto("/reports/new/")
    expect(page.locator("#draft-restored")).to_be_hidden()
    page.locator("#id_description").fill(description)
    click_map(page, *PLACE)
    moved = pin(page)
    assert page.evaluate("key => localStorage.getItem(key)", key)

    # The page is lost (a reload here): what was typed comes back, with a word about it,
    # and the pin stands where it was put, on the map too.
    page.reload()
    expect(page.locator("#id_description")).to_have_value(description)
    map_ready(page)
    assert pin(page) == moved
    page.wait_for_function(
        "lon => document.getElementById('map').buurtnetMap.marker.getLatLng().lng.toFixed(6)"
        " === lon",
        arg=f"{moved[0]:.6f}",
    )
    expect(page.locator("#picked-text")).to_have_text("The pin is where you tapped.")
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(page.locator("#draft-restored")).to_contain_text("We brought back what you typed")

    page.get_by_label("Suspicious person").check()
    page.get_by_role("button", name="Send my report").click()
    page.wait_for_url(re.compile(r"/reports/\d+/\?filed=1$"))
    expect(page.locator("#filed")).to_be_visible()
    assert Report.objects.get().description == description
    # The server has it: the draft is gone from the device, and a new form starts empty.
    page.wait_for_function("key => localStorage.getItem(key) === null", arg=key)
    page.goto("/reports/new/")
    expect(page.locator("#id_description")).to_have_value("")
    expect(page.locator("#draft-restored")).to_be_hidden()


def test_a_member_drags_the_pin_to_where_it_happened(screen, world, street, tile_server):
    log_in(screen, world.member)
    screen.goto("/reports/new/")
    fill_the_rest(screen)
    drag_marker(screen, *PLACE)
    lon, lat = pin(screen)
    assert abs(lon - PLACE[0]) < 0.0005 and abs(lat - PLACE[1]) < 0.0005
    assert marker_at(screen) == pytest.approx((lon, lat), abs=1e-6)
    expect(screen.locator("#map-place")).to_contain_text("Kerkstraat")
    assert fits_the_screen(screen)
    screen.get_by_role("button", name="Send my report").click()
    screen.wait_for_url(re.compile(r"/reports/\d+/\?filed=1$"))
    report = Report.objects.get()
    assert (report.longitude, report.latitude) == pytest.approx((lon, lat), abs=1e-6)


def test_a_member_gives_the_place_as_an_address(screen, world, street, tile_server):
    log_in(screen, world.member)
    screen.goto("/reports/new/")
    fill_the_rest(screen)
    screen.get_by_label("Address (street and number)").fill("Kerkstraat 75")
    screen.get_by_role("button", name="Send my report").click()
    screen.wait_for_url(re.compile(r"/reports/\d+/\?filed=1$"))
    report = Report.objects.get()
    assert (report.longitude, report.latitude) == pytest.approx(street.locate(75), abs=1e-6)


def test_an_unknown_address_is_explained_and_what_was_typed_stays(page, world, street, tile_server):
    log_in(page, world.member)
    page.goto("/reports/new/")
    fill_the_rest(page)
    page.get_by_label("Address (street and number)").fill("Nergensstraat 3")
    page.get_by_role("button", name="Send my report").click()
    field = page.locator(".field", has=page.get_by_label("Address (street and number)"))
    expect(field.locator(".error")).to_contain_text("We cannot find this address in Ourtown")
    expect(page.locator("#id_description")).to_have_value(
        "Two people tried the doors of the parked cars."
    )
    expect(page.get_by_label("Address (street and number)")).to_have_value("Nergensstraat 3")
    assert not Report.objects.exists()


def test_use_my_location_puts_the_pin_where_the_phone_is(
    browser, live_server, world, street, tile_server
):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport=PHONE,
        geolocation={"longitude": PLACE[0], "latitude": PLACE[1]},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, world.member)
        page.goto("/reports/new/")
        map_ready(page)
        page.get_by_role("button", name="Use my location").click()
        page.wait_for_function("() => document.getElementById('id_longitude').value !== '3.265'")
        assert pin(page) == pytest.approx(PLACE, abs=1e-6)
        expect(page.locator("#map-place")).to_contain_text("Kerkstraat")
    finally:
        context.close()


def test_a_refused_location_is_said_in_words(page, world, tile_server):
    log_in(page, world.member)
    page.goto("/reports/new/")
    map_ready(page)
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#map-place")).to_contain_text("Your phone did not give your location")
    assert pin(page) == (3.265, 50.825)


@pytest.mark.parametrize("who", ["member", "officer"])
def test_the_report_pages_have_no_accessibility_violations(
    page, world, street, tile_server, now_sends, who
):
    report = file_report(world, now_sends, longitude=PLACE[0], latitude=PLACE[1])
    person, secret = getattr(world, who), None
    if who == "officer":  # the police log in with a second factor
        secret = pyotp.random_base32()
        TOTP.activate(person, secret)
    log_in(page, person, totp_secret=secret)
    paths = ["/reports/new/"] if who == "member" else ["/reports/", report.get_absolute_url()]
    for path in paths:
        page.goto(path)
        map_ready(page)
        assert axe_violations(page) == [], path
