"""The site's rules follow a token: a second factor and a short life for police and staff,
revocation when a role changes, a few tokens per person sharing one rate limit, and audit
entries their zone's staff can find (issue 19: findings 1, 4 and 17)."""

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from buurtnet.api import services
from buurtnet.api.models import ApiToken, Scope
from buurtnet.audit.models import AuditEvent
from buurtnet.governance import services as governance
from buurtnet.networks import services as networks
from buurtnet.networks.models import Membership, MembershipStatus, Role
from buurtnet.networks.tests.factories import (
    MembershipFactory,
    MunicipalPartnerFactory,
    NetworkFactory,
    ZoneStaffFactory,
)
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.privacy import audit_services as audit

from .conftest import give_second_factor, log_in_with_second_factor, make_token


def call(client, secret: str, path: str = "/networks"):
    return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {secret}")


def membership(world, person) -> Membership:
    return Membership.objects.get(network=world.network, person=person)


def new_token(person, *, days: int = 30, second_factor: bool = False):
    return services.create_token(
        person,
        name="dispatch",
        scopes=[Scope.NETWORKS_READ, Scope.MEMBERS_READ],
        expires_at=timezone.now() + timedelta(days=days),
        second_factor=second_factor,
    )


# --- Finding 1: the second factor and the staff session rules -----------------------------------


def test_a_members_token_stops_when_the_member_is_made_officer(client, world):
    secret = make_token(world.member, days=365)
    promoted = membership(world, world.member)
    promoted.role = Role.OFFICER  # as the admin does
    promoted.save()
    response = call(client, secret, f"/networks/{world.network.pk}/members")
    assert response.status_code == 401
    assert world.officer.email not in response.content.decode()


def test_the_revocation_on_a_role_change_is_audited_in_the_persons_zone(world):
    make_token(world.member)
    token = ApiToken.objects.get()
    promoted = membership(world, world.member)
    promoted.role = Role.STEERING
    promoted.save()
    event = AuditEvent.objects.get(action="revoke_api_token", object_id=str(token.pk))
    assert event.zone_id == world.zone.pk
    assert event.actor is None
    assert event.detail["reason"] == "role_change"


def test_an_officer_cannot_make_a_token_without_a_second_factor(world):
    give_second_factor(world.officer)
    with pytest.raises(ValidationError):
        new_token(world.officer, second_factor=False)
    assert not ApiToken.objects.exists()


def test_an_officer_token_made_without_a_second_factor_is_refused(client, world):
    secret = make_token(world.officer)
    ApiToken.objects.update(second_factor=False)  # as a token made before the rule
    response = call(client, secret)
    assert response.status_code == 401
    assert "second factor" in response.json()["detail"]


def test_an_officer_token_stops_when_the_second_factor_is_removed(client, world):
    secret = make_token(world.officer)
    assert call(client, secret).status_code == 200
    Authenticator.objects.filter(user=world.officer).delete()
    assert call(client, secret).status_code == 401


def test_an_officer_token_works_only_for_the_staff_token_days(client, world, settings):
    settings.API_STAFF_TOKEN_DAYS = 30
    secret = make_token(world.officer)
    ApiToken.objects.update(created_at=timezone.now() - timedelta(days=31))
    response = call(client, secret)
    assert response.status_code == 401
    assert "30 days" in response.json()["detail"]


def test_a_police_or_staff_token_may_not_live_longer_than_the_staff_limit(world, settings):
    settings.API_STAFF_TOKEN_DAYS = 30
    give_second_factor(world.zone_staff)
    with pytest.raises(ValidationError) as refused:
        new_token(world.zone_staff, days=60, second_factor=True)
    assert "30 days" in str(refused.value)
    assert not ApiToken.objects.exists()


def test_a_member_still_makes_a_token_for_a_year_without_a_second_factor(client, world):
    _token, secret = new_token(world.member, days=365)
    assert call(client, secret).status_code == 200


def test_the_token_page_refuses_an_officer_whose_session_skipped_the_second_factor(client, world):
    give_second_factor(world.officer)
    log_in(client, world.officer)  # has a factor, but this session did not use it
    page = client.get(reverse("api_tokens:list")).content.decode()
    assert reverse("mfa_reauthenticate") in page
    expires = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = client.post(
        reverse("api_tokens:list"),
        {"name": "Dispatch", "scopes": ["networks:read"], "expires_on": expires},
    )
    assert response.status_code == 400
    assert "second factor" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_token_page_marks_an_officer_token_made_after_the_second_factor(client, world):
    log_in_with_second_factor(client, world.officer)
    expires = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = client.post(
        reverse("api_tokens:list"),
        {"name": "Dispatch", "scopes": ["networks:read"], "expires_on": expires},
    )
    assert response.status_code == 200
    assert ApiToken.objects.get().second_factor is True
    assert call(client, response.context["secret"]).status_code == 200


def test_the_token_page_refuses_a_long_life_for_an_officer(client, world, settings):
    settings.API_STAFF_TOKEN_DAYS = 30
    log_in_with_second_factor(client, world.officer)
    expires = (timezone.localdate() + timedelta(days=90)).isoformat()
    response = client.post(
        reverse("api_tokens:list"),
        {"name": "Dispatch", "scopes": ["networks:read"], "expires_on": expires},
    )
    assert response.status_code == 400
    assert "at most 30 days" in response.content.decode()
    assert not ApiToken.objects.exists()


# --- Finding 1: every way a role changes revokes ------------------------------------------------


def test_an_emergency_handover_revokes_the_new_coordinators_tokens(client, world):
    secret = make_token(world.member)
    governance.record_screening(
        world.network, world.member, world.officer, timezone.localdate() - timedelta(days=1)
    )
    governance.hand_over(world.network, world.officer, world.member, "The coordinator moved.")
    assert call(client, secret).status_code == 401


def test_pausing_as_officer_revokes_the_tokens(client, world):
    secret = make_token(world.officer)
    networks.pause(membership(world, world.officer), world.officer)
    assert call(client, secret).status_code == 401


def test_leaving_as_coordinator_revokes_the_tokens(client, world):
    secret = make_token(world.coordinator)
    networks.leave(membership(world, world.coordinator), world.coordinator)
    assert call(client, secret).status_code == 401


def test_deleting_an_officers_membership_revokes_the_tokens(client, world):
    secret = make_token(world.officer)
    membership(world, world.officer).delete()
    assert call(client, secret).status_code == 401


def test_becoming_zone_staff_revokes_the_tokens(client, world):
    secret = make_token(world.member)
    ZoneStaffFactory(zone=world.other_zone, person=world.member)
    assert call(client, secret).status_code == 401
    assert AuditEvent.objects.filter(
        action="revoke_api_token", zone=world.other_zone, detail__cause="zone_staff"
    ).exists()


def test_losing_the_zone_staff_place_revokes_the_tokens_and_that_zone_sees_it(client, world):
    secret = make_token(world.zone_staff)
    world.zone_staff.zone_staff.get().delete()
    assert call(client, secret).status_code == 401
    assert AuditEvent.objects.filter(action="revoke_api_token", zone=world.zone).exists()


def test_being_made_chief_of_police_revokes_the_tokens(client, world):
    secret = make_token(world.zone_staff)
    place = world.zone_staff.zone_staff.get()
    place.is_chief = True
    place.save()
    assert call(client, secret).status_code == 401


def test_a_municipal_partnership_granted_or_withdrawn_revokes_the_tokens(client, world):
    secret = make_token(world.member)
    partner = MunicipalPartnerFactory(municipality=world.municipality, person=world.member)
    assert call(client, secret).status_code == 401
    secret = make_token(world.member)
    partner.delete()
    assert call(client, secret).status_code == 401


def test_being_made_administrator_revokes_the_tokens(client, world):
    secret = make_token(world.member)
    world.member.is_superuser = True
    world.member.save()
    assert call(client, secret).status_code == 401


def test_joining_another_bin_as_a_plain_member_keeps_the_tokens(client, world):
    secret = make_token(world.member)
    applied = MembershipFactory(
        network=NetworkFactory(municipality=world.municipality),
        person=world.member,
        status=MembershipStatus.APPLIED,
    )
    applied.status = MembershipStatus.APPROVED
    applied.save()
    assert call(client, secret).status_code == 200


def test_a_login_does_not_revoke_the_tokens(client, world):
    secret = make_token(world.member)
    log_in(client, world.member)
    client.logout()
    assert call(client, secret).status_code == 200


# --- Finding 4: a few tokens per person, one budget ---------------------------------------------


def test_a_person_may_have_only_the_configured_number_of_active_tokens(world, settings):
    settings.API_MAX_TOKENS_PER_PERSON = 2
    new_token(world.member)
    new_token(world.member)
    with pytest.raises(ValidationError) as refused:
        new_token(world.member)
    assert "2 active tokens" in str(refused.value)
    assert ApiToken.objects.count() == 2


def test_revoked_tokens_do_not_count_towards_the_maximum(world, settings):
    settings.API_MAX_TOKENS_PER_PERSON = 1
    token, _secret = new_token(world.member)
    services.revoke_token(world.member, token)
    new_token(world.member)
    assert ApiToken.objects.active().count() == 1


def test_the_token_page_says_when_the_maximum_is_reached(client, world, settings):
    settings.API_MAX_TOKENS_PER_PERSON = 1
    new_token(world.member)
    log_in(client, world.member)
    expires = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = client.post(
        reverse("api_tokens:list"),
        {"name": "Second", "scopes": ["networks:read"], "expires_on": expires},
    )
    assert response.status_code == 400
    assert "1 active token, the most one person may have" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_a_persons_tokens_share_one_rate_limit(client, world, settings):
    settings.API_RATE_LIMIT = "100/minute"
    settings.API_PERSON_RATE_LIMIT = "2/minute"
    first, second = make_token(world.member), make_token(world.member)
    assert call(client, first).status_code == 200
    assert call(client, second).status_code == 200
    response = call(client, second)
    assert response.status_code == 429
    assert "Your tokens together" in response.json()["detail"]
    assert 1 <= int(response["Retry-After"]) <= 60


# --- Finding 17: zone staff see token events ----------------------------------------------------


def test_creating_a_token_is_audited_in_the_persons_zone_for_its_staff(world):
    token, _secret = new_token(world.member)
    seen = audit.visible_events(world.zone_staff).filter(
        action="create_api_token", object_id=str(token.pk)
    )
    assert seen.count() == 1


def test_revoking_a_token_is_audited_in_the_persons_zone_for_its_staff(world):
    token, _secret = new_token(world.member)
    services.revoke_token(world.member, token)
    assert (
        audit.visible_events(world.zone_staff)
        .filter(action="revoke_api_token", object_id=str(token.pk))
        .exists()
    )


def test_a_token_of_someone_in_two_zones_is_audited_in_both(world):
    MembershipFactory(network=world.far_network, person=world.member)
    token, _secret = new_token(world.member)
    zones = set(
        AuditEvent.objects.filter(action="create_api_token", object_id=str(token.pk)).values_list(
            "zone_id", flat=True
        )
    )
    assert zones == {world.zone.pk, world.other_zone.pk}


def test_another_zones_staff_do_not_see_the_token_event(world):
    far_staff = ZoneStaffFactory(zone=world.other_zone).person
    token, _secret = new_token(world.member)
    assert (
        not audit.visible_events(far_staff)
        .filter(action="create_api_token", object_id=str(token.pk))
        .exists()
    )


def test_a_token_of_someone_without_a_zone_is_audited_for_the_administrators(world):
    token, _secret = new_token(PersonFactory())
    event = AuditEvent.objects.get(action="create_api_token", object_id=str(token.pk))
    assert event.zone_id is None
    assert audit.visible_events(world.admin).filter(pk=event.pk).exists()
