"""Tokens: how they are made and revoked on the settings page, and what a bad one gets."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtnet.api import services
from buurtnet.api.models import ApiToken, hash_token
from buurtnet.audit.models import AuditEvent
from buurtnet.networks.tests.test_views import log_in

from .conftest import log_in_with_second_factor, make_token

PROBLEM = "application/problem+json"


def test_the_settings_page_links_to_the_tokens(client, world):
    log_in(client, world.member)
    page = client.get(reverse("people:preferences")).content.decode()
    assert reverse("api_tokens:list") in page


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(client, world):
    log_in_with_second_factor(client, world.officer)
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        reverse("api_tokens:list"),
        {"name": "Dispatch", "scopes": ["networks:read", "messages:write"], "expires_on": expires},
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    token = ApiToken.objects.get(person=world.officer)
    assert token.secret_hash == hash_token(secret)
    assert secret not in str(token.__dict__)
    assert secret not in client.get(reverse("api_tokens:list")).content.decode()
    assert AuditEvent.objects.filter(action="create_api_token", object_id=str(token.pk)).exists()


@pytest.mark.parametrize("days", [0, 366, -3])
def test_a_token_must_expire_within_a_year(client, world, days):
    log_in(client, world.officer)
    response = client.post(
        reverse("api_tokens:list"),
        {
            "name": "Dispatch",
            "scopes": ["networks:read"],
            "expires_on": (timezone.localdate() + timedelta(days=days)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_scope(client, world):
    log_in(client, world.officer)
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(reverse("api_tokens:list"), {"name": "x", "expires_on": expires})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_and_is_logged(client, api, world):
    secret = make_token(world.officer)
    token = ApiToken.objects.get()
    log_in(client, world.officer)
    response = client.post(reverse("api_tokens:revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="revoke_api_token", object_id=str(token.pk)).exists()
    answer = client.get("/api/v1/networks", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert answer.status_code == 401


def test_revoking_asks_first_and_changes_nothing_until_confirmed(client, world):
    make_token(world.officer)
    token = ApiToken.objects.get()
    log_in(client, world.officer)
    response = client.get(reverse("api_tokens:revoke", args=[token.pk]))
    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_list_shows_scopes_in_words(client, world):
    make_token(world.officer)
    log_in(client, world.officer)
    page = client.get(reverse("api_tokens:list")).content.decode()
    assert "See your BINs and their areas" in page
    assert "networks:read" not in page.split('id="tokens"')[1].split("</table>")[0]


def test_nobody_revokes_another_persons_token(client, world):
    make_token(world.officer)
    token = ApiToken.objects.get()
    log_in(client, world.member)
    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Basic abc", "Bearer bn_deadbeef_wrong"],
)
def test_a_missing_or_invalid_token_is_a_401_problem(client, world, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/networks", **extra)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"]


def test_a_token_with_a_wrong_secret_but_a_real_prefix_is_refused(client, world):
    secret = make_token(world.officer)
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    response = client.get("/api/v1/networks", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401


def test_an_expired_token_is_a_401_problem(client, world):
    secret = make_token(world.officer)
    ApiToken.objects.update(
        created_at=timezone.now() - timedelta(days=10),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    response = client.get("/api/v1/networks", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401


def test_a_deactivated_persons_token_stops_working(client, world):
    secret = make_token(world.officer)
    world.officer.is_active = False
    world.officer.save()
    response = client.get("/api/v1/networks", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401


def test_a_missing_scope_is_a_403_problem_naming_it(api, world):
    response = api.get(world.officer, "/networks", scopes=["tips:read"])
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["scope"] == "networks:read"


def test_use_is_noted_on_the_token(api, world):
    api.get(world.officer, "/networks")
    assert ApiToken.objects.get().last_used_at is not None


def test_too_many_calls_get_a_429_with_retry_after(api, world, settings):
    settings.API_RATE_LIMIT = "3/minute"
    for _ in range(3):
        assert api.get(world.officer, "/networks").status_code == 200
    response = api.get(world.officer, "/networks")
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_rate_limit_counts_per_token(api, world, settings):
    settings.API_RATE_LIMIT = "1/minute"
    assert api.get(world.officer, "/networks").status_code == 200
    assert api.get(world.officer, "/networks").status_code == 429
    assert api.get(world.coordinator, "/networks").status_code == 200


def test_create_token_refuses_unknown_scopes(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.create_token(
            world.officer,
            name="x",
            scopes=["everything"],
            expires_at=timezone.now() + timedelta(days=1),
        )
    assert not ApiToken.objects.exists()
