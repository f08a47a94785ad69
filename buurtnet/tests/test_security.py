"""Hardening that holds for every page: headers, no inline code, a clean deploy check."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "buurtnet"
# E-mail bodies are not web pages: mail clients need inline styles.
NOT_WEB = ("/email/",)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def web_templates() -> list[Path]:
    return [
        path
        for path in TEMPLATES.rglob("templates/**/*.html")
        if not any(part in str(path) for part in NOT_WEB)
    ]


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(client):
    answer = client.get(reverse("home"))
    policy = answer["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Referrer-Policy"] == "same-origin"
    assert answer["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in answer["Permissions-Policy"]


@pytest.mark.django_db
def test_https_deployments_send_hsts(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    answer = client.get(reverse("home"), secure=True)
    assert answer["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("path", web_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_style_or_event_handlers(path):
    """The Content-Security-Policy would block them: they must live in static files."""
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>"
    assert not EVENT_ATTRIBUTE.search(text), "an on…= event attribute"
    assert not STYLE_ATTRIBUTE.search(text), "a style attribute"


def test_the_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "DATABASE_URL", "OUTBOX_PAGE_ENABLED", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(60),
        SITE_URL="https://buurtnet.example",
        ALLOWED_HOSTS="buurtnet.example",
        CSRF_TRUSTED_ORIGINS="https://buurtnet.example",
        BUURTNET_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_an_unknown_page_shows_no_technical_detail(client):
    answer = client.get("/this/does/not/exist/")
    assert answer.status_code == 404
    assert b"Traceback" not in answer.content and b"urlpatterns" not in answer.content


@pytest.mark.django_db
def test_repeated_failed_log_ins_lock_the_account_for_a_while(client, world):
    url = reverse("account_login")
    for _ in range(5):
        client.post(url, {"login": world.member.email, "password": "wrong-password"})
    answer = client.post(url, {"login": world.member.email, "password": "a-long-test-password"})
    assert answer.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert b"Too many" in answer.content or answer.status_code == 429


@pytest.mark.django_db
def test_a_police_session_ends_after_a_shift_and_a_members_lasts(client, world, settings):
    client.force_login(world.officer)
    client.get(reverse("home"))
    # A fixed moment, not a duration that every saved request would start again.
    assert 0 <= settings.STAFF_SESSION_SECONDS - client.session.get_expiry_age() <= 5
    assert client.session.get("_session_expiry") != settings.STAFF_SESSION_SECONDS
    client.logout()
    client.force_login(world.member)
    client.get(reverse("home"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_passwords_need_length_and_must_not_be_known_breached():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short1!", "password123", "iloveyou12"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("kerkstraat lantaarn fiets")  # long, no composition rules needed
