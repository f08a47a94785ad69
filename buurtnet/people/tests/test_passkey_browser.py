"""A passkey as second factor, end to end in headless Chromium with its virtual
authenticator: an officer (logged in with password and authenticator code) adds a passkey
on the two-factor page, logs out, and logs in again with password and passkey.

WebAuthn needs a secure context; http://localhost is one (for the browser and for fido2's
origin check), http://127.0.0.1 is not, so the browser talks to the live server as
localhost."""

import re
from urllib.parse import urlsplit

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from buurtnet.conftest import watch_content_security_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"  # PersonFactory's
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest.fixture
def passkey_page(browser, live_server):
    """A page on http://localhost:<port> with a virtual platform authenticator attached."""
    context = browser.new_context(
        base_url=live_server.url.replace("127.0.0.1", "localhost"), locale="en-GB"
    )
    blocked = watch_content_security_policy(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
    page.credentials = lambda: cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
    )["credentials"]
    yield page
    context.close()
    assert not blocked, f"The Content-Security-Policy blocked: {blocked}"


def enter_password(page, person) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))


def test_officer_adds_a_passkey_and_logs_in_with_it(passkey_page, world):
    page, officer = passkey_page, world.officer
    secret = pyotp.random_base32()
    TOTP.activate(officer, secret)

    # Logged in with password and authenticator code, the officer adds a passkey on the
    # two-factor page.
    enter_password(page, officer)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("button", name="Log out").wait_for()
    page.goto("/accounts/2fa/")
    page.get_by_role("link", name="Add").click()
    # allauth asks for the password again before a new key is added.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    page.get_by_label("Name").fill("Service laptop")
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    assert len(page.credentials()) == 1
    key = Authenticator.objects.get(user=officer, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Service laptop"

    # Logged out, the officer logs in again with password and the passkey.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$|/accounts/login/"))
    enter_password(page, officer)
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert urlsplit(page.url).path == "/"  # the home page
    assert Authenticator.objects.get(pk=key.pk).last_used_at is not None
