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


def click_lon_lat(page, svg, points: list[tuple[float, float]]) -> None:
    """Click the map at these (lon, lat) points, projected with the map's own data
    attributes onto the SVG's box on screen (the drawing keeps its aspect ratio, centred)."""
    data = svg.evaluate(
        """svg => ({
            minLon: parseFloat(svg.dataset.minLon), maxLat: parseFloat(svg.dataset.maxLat),
            sx: parseFloat(svg.dataset.scaleX), sy: parseFloat(svg.dataset.scaleY),
            vw: svg.viewBox.baseVal.width, vh: svg.viewBox.baseVal.height})"""
    )
    box = svg.bounding_box()
    scale = min(box["width"] / data["vw"], box["height"] / data["vh"])
    left = (box["width"] - data["vw"] * scale) / 2
    top = (box["height"] - data["vh"] * scale) / 2
    for lon, lat in points:
        x = (lon - data["minLon"]) * data["sx"] * scale + left
        y = (data["maxLat"] - lat) * data["sy"] * scale + top
        svg.click(position={"x": x, "y": y})
