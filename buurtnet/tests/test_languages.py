import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Sluit aan bij de BIN van uw straat"),
        ("fr", "Rejoignez le PLP de votre rue"),
        ("en", "Join the BIN of your street"),
    ],
)
def test_public_home_speaks_the_chosen_language(client, language, text):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert text in client.get("/").text


def test_member_home_follows_the_language_switch(client, world):
    client.force_login(world.member)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert "Mes PLP" in client.get("/").text


def test_bad_phone_number_error_is_translated(client, world):
    client.force_login(world.outsider)
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    response = client.post(reverse("people:phone"), {"phone": "12"})
    assert "is geen telefoonnummer" in response.text
