"""Steps the headless-browser tests share: logging in (with the second factor) and
checking that a page fits a phone's screen."""

import re

import pyotp

PASSWORD = "a-long-test-password"  # PersonFactory's


def log_in(page, person, totp_secret: str | None = None) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if totp_secret:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.get_by_label("Code").fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Log out").or_(
        page.get_by_role("button", name="Log out")
    ).wait_for()


def fits_the_screen(page) -> bool:
    """No sideways scrolling: wide tables scroll inside their own box."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
