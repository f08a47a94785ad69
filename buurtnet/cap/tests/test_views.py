import pytest
from django.urls import reverse

from buurtnet.cap.models import CapFeed, CapSettings
from buurtnet.networks.tests.factories import ZoneStaffFactory
from buurtnet.networks.tests.test_views import log_in


def page(world) -> str:
    return reverse("cap:zone", args=[world.zone.code])


def test_zone_staff_sets_imported_alerts_to_be_sent_at_once(client, world):
    log_in(client, world.zone_staff)

    response = client.post(page(world), {"form": "settings", "send_at_once": "on"})

    assert response.status_code == 302
    assert CapSettings.objects.get(zone=world.zone).send_at_once


def test_zone_staff_adds_a_feed_in_their_own_name(client, world):
    log_in(client, world.zone_staff)

    response = client.post(
        page(world),
        {
            "form": "feed",
            "name": "Crisis centre",
            "url": "https://alerts.example.be/cap.atom",
            "poll_every_minutes": "5",
        },
    )

    assert response.status_code == 302
    assert CapFeed.objects.get().owner == world.zone_staff


def test_feed_that_is_not_http_is_refused(client, world):
    log_in(client, world.zone_staff)

    response = client.post(
        page(world),
        {"form": "feed", "name": "x", "url": "ftp://example.be/cap", "poll_every_minutes": "5"},
    )

    assert response.status_code == 400
    assert not CapFeed.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/cap.atom",
        "https://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8000/cap.atom",
        "http://localhost/cap.atom",
        "https://[2002:a00:1::1]/cap.atom",
        "http://printer.local/cap.atom",
    ],
)
def test_feed_on_a_private_or_local_address_is_refused(client, world, settings, url):
    settings.CAP_ALLOW_LOOPBACK = False
    log_in(client, world.zone_staff)

    response = client.post(
        page(world), {"form": "feed", "name": "x", "url": url, "poll_every_minutes": "5"}
    )

    assert response.status_code == 400
    assert response.context["feed_form"].errors["url"]
    assert not CapFeed.objects.exists()


def test_feed_over_plain_http_on_a_public_address_is_accepted(client, world):
    log_in(client, world.zone_staff)

    response = client.post(
        page(world),
        {"form": "feed", "name": "x", "url": "http://8.8.8.8/cap.atom", "poll_every_minutes": "5"},
    )

    assert response.status_code == 302
    assert CapFeed.objects.exists()


def test_zone_staff_removes_a_feed(client, world):
    feed = CapFeed.objects.create(
        zone=world.zone, name="x", url="https://example.be/a", owner=world.zone_staff
    )
    log_in(client, world.zone_staff)

    response = client.post(page(world), {"form": "remove", "remove": str(feed.pk)})

    assert response.status_code == 302
    assert not CapFeed.objects.exists()


def test_staff_of_another_zone_cannot_remove_this_zones_feed(client, world):
    feed = CapFeed.objects.create(
        zone=world.zone, name="x", url="https://example.be/a", owner=world.zone_staff
    )
    stranger = ZoneStaffFactory(zone=world.other_zone).person
    log_in(client, stranger)

    theirs = client.post(
        reverse("cap:zone", args=[world.other_zone.code]), {"form": "remove", "remove": feed.pk}
    )
    ours = client.get(page(world))

    assert theirs.status_code == 400
    assert ours.status_code == 404
    assert CapFeed.objects.filter(pk=feed.pk).exists()


def test_page_shows_the_import_log(client, world):
    log_in(client, world.zone_staff)

    response = client.get(page(world))

    assert response.status_code == 200
    assert "Import log" in response.content.decode()
