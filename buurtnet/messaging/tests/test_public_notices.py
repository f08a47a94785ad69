"""Public notices: marked by the police when composed, then readable by anyone on the
BIN's page and in its Atom feed."""

import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from buurtnet.messaging import services
from buurtnet.messaging.models import Message
from buurtnet.networks.models import NetworkStatus
from buurtnet.networks.tests.test_views import log_in
from buurtnet.prevention.tests.test_prevention import assert_valid_atom

NOTICE = {
    "title": "Wegenwerken Kerkstraat",
    "body": "De Kerkstraat is afgesloten.\nVolg de omleiding.",
}


def draft(world, kind="notice", public=True, **text) -> services.Draft:
    return services.Draft(
        kind=kind,
        language="nl",
        texts={"nl": {**NOTICE, "sms_text": "", **text}},
        target={"type": "networks", "networks": [world.network.pk]},
        public=public,
    )


def feed_of(client, network, **params):
    return client.get(reverse("messaging:notices_feed", args=[network.pk]), params)


def test_the_feed_is_valid_atom_and_needs_no_login(world, client):
    services.submit(world.officer, draft(world))
    services.submit(world.officer, draft(world, title="Markt & <b>kermis</b>", body="Zaterdag"))
    answer = feed_of(client, world.network)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/atom+xml")
    assert "public" in answer["Cache-Control"]
    assert_valid_atom(answer.content)
    parsed = feedparser.parse(answer.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert {e.title for e in parsed.entries} == {"Wegenwerken Kerkstraat", "Markt & <b>kermis</b>"}
    assert parsed.feed.author == world.zone.name


def test_only_sent_public_notices_that_are_no_exercise_are_in_the_feed(world, client):
    shown = services.submit(world.officer, draft(world))
    services.submit(world.officer, draft(world, public=False, title="Alleen leden Qmembers"))
    exercise = draft(world, title="Oefening Qexercise")
    exercise.is_exercise = True
    services.submit(world.officer, exercise)
    elsewhere = draft(world, title="Elders Qelsewhere")
    elsewhere.target = {"type": "networks", "networks": [world.other_network.pk]}
    services.submit(world.zone_staff, elsewhere)
    parsed = feedparser.parse(feed_of(client, world.network).content)
    assert [e.id for e in parsed.entries] == [f"tag:buurtnet,2026:notice:{shown.pk}"]
    content = feed_of(client, world.network).content
    for word in (b"Qmembers", b"Qexercise", b"Qelsewhere"):
        assert word not in content


def test_the_feed_names_no_sender(world, client):
    services.submit(world.officer, draft(world))
    content = feed_of(client, world.network).content.decode()
    assert world.officer.full_name not in content
    assert world.officer.email not in content


@pytest.mark.parametrize("status", [NetworkStatus.PROPOSED, NetworkStatus.DISSOLVED])
def test_a_proposed_or_dissolved_bin_has_no_public_notices(world, client, status):
    services.submit(world.officer, draft(world))
    world.network.status = status
    world.network.save()
    assert feed_of(client, world.network).status_code == 404
    page = client.get(reverse("messaging:public_notices", args=[world.network.pk]))
    assert page.status_code == 404


def test_the_public_page_shows_the_notice_in_the_readers_language(world, client):
    message = services.submit(
        world.officer,
        services.Draft(
            kind="notice",
            language="nl",
            texts={
                "nl": {**NOTICE, "sms_text": ""},
                "fr": {
                    "title": "Travaux rue de l'Église",
                    "body": "Suivez la déviation.",
                    "sms_text": "",
                },
            },
            target={"type": "networks", "networks": [world.network.pk]},
            public=True,
        ),
    )
    page = client.get(reverse("messaging:public_notices", args=[world.network.pk]), {"lang": "fr"})
    assert page.status_code == 200
    assert f'id="notice-{message.pk}"'.encode() in page.content
    assert "Travaux rue de l&#x27;Église".encode() in page.content
    parsed = feedparser.parse(feed_of(client, world.network, lang="fr").content)
    assert parsed.entries[0].title == "Travaux rue de l'Église"


def test_only_a_police_notice_can_be_public(world):
    with pytest.raises(ValidationError) as caught:
        services.submit(world.officer, draft(world, kind="alert"))
    assert "public" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.submit(world.coordinator, draft(world, kind="relay"))
    assert "public" in caught.value.message_dict
    assert not Message.objects.filter(public=True).exists()


@pytest.mark.parametrize(
    "body",
    ["Let op voor de wagen 1-ABC-123.", "Bel Jan op 0470 12 34 56.", "Mail jan@example.be"],
)
def test_a_public_notice_may_not_carry_plates_or_contact_details(world, body):
    with pytest.raises(ValidationError) as caught:
        services.submit(world.officer, draft(world, body=body))
    assert "body_nl" in caught.value.message_dict
    assert not Message.objects.exists()


def test_the_police_mark_a_notice_public_on_the_compose_form(world, client):
    log_in(client, world.officer)
    assert b'name="public"' in client.get(reverse("messaging:compose")).content
    answer = client.post(
        reverse("messaging:compose"),
        {
            "kind": "notice",
            "language": "nl",
            "target_type": "networks",
            "networks": [world.network.pk],
            "title_nl": NOTICE["title"],
            "body_nl": NOTICE["body"],
            "public": "on",
            "action": "send",
            "zone": world.zone.pk,
        },
    )
    assert answer.status_code == 302
    assert Message.objects.get().public is True


def test_a_coordinator_is_not_offered_the_public_flag(world, client):
    log_in(client, world.coordinator)
    page = client.get(reverse("messaging:compose"))
    assert page.status_code == 200
    assert b'name="public"' not in page.content


def test_the_public_page_is_not_kept_in_shared_caches_for_a_logged_in_reader(world, client):
    url = reverse("messaging:public_notices", args=[world.network.pk])
    assert "public" in client.get(url)["Cache-Control"]
    log_in(client, world.member)
    assert "private" in client.get(url)["Cache-Control"]
