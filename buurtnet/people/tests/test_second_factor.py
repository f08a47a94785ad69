import pyotp
import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

pytestmark = pytest.mark.django_db


def verified(person):
    EmailAddress.objects.update_or_create(
        user=person, email=person.email, defaults={"verified": True, "primary": True}
    )
    return person


@pytest.mark.parametrize("role", ["officer", "zone_staff", "municipal", "admin"])
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, world, role):
    client.force_login(getattr(world, role))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")


def test_the_set_up_page_offers_an_authenticator_app_and_a_passkey(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 200
    assert reverse("mfa_activate_totp") in response.text
    assert reverse("mfa_add_webauthn") in response.text


@pytest.mark.parametrize("role", ["officer", "zone_staff", "municipal", "admin"])
def test_staff_with_a_passkey_pass(client, world, role):
    person = getattr(world, role)
    Authenticator.objects.create(
        user=person, type=Authenticator.Type.WEBAUTHN, data={"name": "Key", "credential": {}}
    )
    client.force_login(person)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("role", ["officer", "municipal"])
def test_staff_with_totp_pass(client, world, role):
    person = getattr(world, role)
    TOTP.activate(person, pyotp.random_base32())
    client.force_login(person)
    assert client.get(reverse("home")).status_code == 200


def test_recovery_codes_alone_are_no_second_factor(client, world):
    Authenticator.objects.create(
        user=world.officer, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00"}
    )
    client.force_login(world.officer)
    assert client.get(reverse("home"))["Location"] == reverse("mfa_index")


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_citizens_need_no_second_factor(client, world, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse("home")).status_code == 200


def test_officer_with_totp_logs_in_with_password_and_code(client, world):
    officer = verified(world.officer)
    secret = pyotp.random_base32()
    TOTP.activate(officer, secret)
    response = client.post(
        reverse("account_login"), {"login": officer.email, "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_officer_with_totp_but_wrong_code_stays_out(client, world):
    officer = verified(world.officer)
    TOTP.activate(officer, pyotp.random_base32())
    client.post(
        reverse("account_login"), {"login": officer.email, "password": "a-long-test-password"}
    )
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 200  # the public home, not logged in
    assert "_auth_user_id" not in client.session


def test_admin_login_goes_through_the_second_factor(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
