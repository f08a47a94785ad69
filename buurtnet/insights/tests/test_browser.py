"""The dashboard in headless Chromium: an officer logs in with their authenticator code on
a phone, sees the charts of their BIN, and downloads the CSV of one chart."""

import csv
import io
import re

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from buurtnet.tests.browser import fits_the_screen, log_in

from . import fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_downloads_the_csv_of_a_chart_on_a_phone(page, world):
    fixtures.build(world)
    secret = pyotp.random_base32()
    TOTP.activate(world.officer, secret)
    log_in(page, world.officer, totp_secret=secret)

    period = fixtures.period()
    page.goto(f"/insights/networks/{world.network.pk}/")
    expect(page.get_by_role("heading", name=re.compile("Communication quality"))).to_be_visible()
    page.get_by_label("From", exact=True).fill(period.start.isoformat())
    page.get_by_label("To", exact=True).fill(period.end.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"from=\d{4}-\d\d-\d\d"))

    section = page.locator("#chart-delivery_times")
    chart = section.get_by_role("img", name="Time from sending to delivery")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] <= 412
    assert fits_the_screen(page)

    with page.expect_download() as download_info:
        section.get_by_role("link", name=re.compile("CSV")).click()
    download = download_info.value
    assert download.suggested_filename.startswith("buurtnet-bin-ours-delivery_times-")
    assert download.suggested_filename.endswith(".csv")
    body = open(download.path(), encoding="utf-8").read()  # noqa: SIM115 - read once
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows == [
        ["Channel", "Median (s)", "95th percentile (s)", "Deliveries"],
        ["E-mail", "10", "19", "20"],
        ["Text message (SMS)", "5", "60", "4"],
    ]
