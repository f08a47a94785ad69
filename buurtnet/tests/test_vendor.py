"""The vendored front-end libraries (scripts/vendor-js, docs/frontend.md): every one is
there with its licence, nothing loads from a CDN, and no source map is referenced; the
axe-core helper of the browser tests reports what is wrong."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from buurtnet.tests.axe import axe_violations

ROOT = Path(settings.BASE_DIR)
STATIC = ROOT / "buurtnet" / "static"
VENDOR = STATIC / "vendor"
SERVED = [  # what the pages load (docs/frontend.md)
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
    "leaflet/images/marker-icon.png",
    "leaflet-geoman/leaflet-geoman.js",
    "leaflet-geoman/leaflet-geoman.css",
    "htmx/htmx.min.js",
]
CDN = re.compile(r"//unpkg\.|\bcdn\.|cdnjs\.|jsdelivr\.|googleapis\.com|//esm\.sh", re.IGNORECASE)
REMOTE_TAG = re.compile(
    r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE
)
# Our scripts may name XML namespaces; any other address would be something loaded.
REMOTE_URL = re.compile(r"https?://(?!www\.w3\.org/)[^\s\"'`)]+")
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*))\s*\)""")
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def vendored() -> list[tuple[str, str, str, Path]]:
    """(npm package, version, licence, folder) for each line of VERSIONS."""
    lines = (VENDOR / "VERSIONS").read_text(encoding="utf-8").splitlines()
    rows = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    return [(name, version, licence, ROOT / folder) for name, version, licence, folder in rows]


def our_templates() -> list[Path]:
    return sorted(ROOT.joinpath("buurtnet").rglob("templates/**/*.html"))


def our_static(*suffixes: str) -> list[Path]:
    return sorted(
        path for path in STATIC.rglob("*") if path.suffix in suffixes and VENDOR not in path.parents
    )


def served_vendor_files(suffix: str) -> list[Path]:
    return sorted(VENDOR.rglob(f"*{suffix}"))


def test_versions_lists_leaflet_geoman_htmx_and_axe():
    names = {name for name, *_ in vendored()}
    assert names == {"leaflet", "@geoman-io/leaflet-geoman-free", "htmx.org", "axe-core"}


def test_every_vendored_library_comes_with_its_licence():
    for name, _, _, folder in vendored():
        assert (folder / "LICENSE").is_file(), name
        assert any(path.name != "LICENSE" for path in folder.iterdir()), name


def test_the_files_the_pages_load_are_vendored():
    missing = [name for name in SERVED if not (VENDOR / name).is_file()]
    assert missing == []


def test_every_served_vendor_file_belongs_to_a_library_in_versions():
    folders = {folder for *_, folder in vendored()}
    strays = [
        path
        for path in VENDOR.rglob("*")
        if path.is_file() and path.name != "VERSIONS" and not folders & set(path.parents)
    ]
    assert strays == []


def test_the_axe_source_is_vendored_for_the_tests_only():
    folder = next(folder for name, *_, folder in vendored() if name == "axe-core")
    assert (folder / "axe.min.js").is_file()
    assert VENDOR not in folder.parents


def test_no_served_vendor_file_references_a_source_map():
    """The manifest storage of collectstatic fails on a missing .map it finds referenced."""
    referencing = [
        path
        for path in VENDOR.rglob("*")
        if path.suffix in (".js", ".css") and "sourceMappingURL" in path.read_text("utf-8")
    ]
    assert referencing == []


def test_vendored_stylesheets_use_only_vendored_files_or_data_uris():
    outside = []
    for css in served_vendor_files(".css"):
        for match in CSS_URL.finditer(css.read_text(encoding="utf-8")):
            url = next(group for group in match.groups() if group is not None).strip()
            if url.startswith(("data:", "#")):
                continue
            if not (css.parent / url.split("?")[0].split("#")[0]).is_file():
                outside.append(f"{css.name}: {url}")
    assert outside == []


def test_vendored_scripts_name_no_cdn_outside_comments():
    naming = [
        path.name
        for path in served_vendor_files(".js")
        if CDN.search(BLOCK_COMMENT.sub("", path.read_text(encoding="utf-8")))
    ]
    assert naming == []


def test_our_templates_load_no_script_or_stylesheet_from_elsewhere():
    remote = [
        f"{template.relative_to(ROOT)}: {match.group(0)}"
        for template in our_templates()
        for match in REMOTE_TAG.finditer(template.read_text(encoding="utf-8"))
    ]
    assert remote == []


def test_our_templates_name_no_cdn():
    naming = [
        str(template.relative_to(ROOT))
        for template in our_templates()
        if CDN.search(template.read_text(encoding="utf-8"))
    ]
    assert naming == []


def remote_addresses(text: str) -> list[str]:
    return [*REMOTE_URL.findall(text), *CDN.findall(text)]


def test_our_scripts_and_stylesheets_load_nothing_from_elsewhere():
    remote = [
        f"{path.relative_to(ROOT)}: {found}"
        for path in our_static(".js", ".css")
        for found in remote_addresses(path.read_text(encoding="utf-8"))
    ]
    assert remote == []


# --- axe-core in the browser -----------------------------------------------------------------

MISSING_ALT = """<!doctype html><html lang="en"><head><title>Pictures</title></head>
<body><main><h1>Pictures</h1><img id="cat" src="cat.png"></main></body></html>"""
CLEAN = """<!doctype html><html lang="en"><head><title>Pictures</title></head>
<body><main><h1>Pictures</h1><img src="cat.png" alt="A cat on a wall"></main></body></html>"""


@pytest.fixture
def plain_page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 412, "height": 915})
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_axe_reports_an_image_without_alternative_text(plain_page):
    plain_page.set_content(MISSING_ALT)
    found = {violation["id"]: violation for violation in axe_violations(plain_page)}
    assert found["image-alt"]["targets"] == ["#cat"]
    assert found["image-alt"]["impact"] == "critical"


@pytest.mark.browser
def test_axe_reports_nothing_on_an_accessible_page(plain_page):
    plain_page.set_content(CLEAN)
    assert axe_violations(plain_page) == []


@pytest.mark.browser
def test_axe_leaves_out_the_excluded_parts(plain_page):
    plain_page.set_content(MISSING_ALT)
    assert axe_violations(plain_page, exclude=["#cat"]) == []


@pytest.mark.browser
@pytest.mark.django_db
def test_axe_runs_under_the_sites_content_security_policy(plain_page, client):
    # The log-in page as the site serves it, with its Content-Security-Policy header; the
    # browser gets it from a route, so no live server (and no second database connection)
    # is needed for a check of the helper itself.
    answer = client.get("/accounts/login/")
    policy = answer.headers["Content-Security-Policy"]
    plain_page.route(
        "http://buurtnet.test/**",
        lambda route: route.fulfill(
            status=200 if route.request.url.endswith("/accounts/login/") else 404,
            headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
            body=answer.content if route.request.url.endswith("/accounts/login/") else b"",
        ),
    )
    plain_page.goto("http://buurtnet.test/accounts/login/")
    assert "script-src 'self'" in policy
    assert isinstance(axe_violations(plain_page), list)
