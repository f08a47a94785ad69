"""A file written while the private storage (S3-compatible object storage here) does not
answer: the page says so and asks to try again, nothing is saved, and there is no 500.

The storage is pointed at an address where nothing listens, as buurtnet/settings.py makes
it from the S3_* variables (see test_storage_s3.py)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from buurtnet.governance import services as gov
from buurtnet.governance.models import Agreement, CharterRegistration, Meeting, MeetingStatus
from buurtnet.governance.tests.test_views import as_, signed
from buurtnet.governance.tests.test_views import form_data as meeting_form
from buurtnet.messaging.models import Message
from buurtnet.messaging.tests.test_attachments import LEAFLET
from buurtnet.networks.tests.test_views import log_in
from buurtnet.prevention.models import Tip
from buurtnet.prevention.tests.test_prevention import NL
from buurtnet.reports.tests.test_reports import jpeg_with_gps
from buurtnet.tests.test_storage_s3 import dead_endpoint, s3_env, storages_for

pytestmark = pytest.mark.django_db

TRY_AGAIN = "could not be stored just now"


@pytest.fixture
def storage_down(settings) -> None:
    settings.STORAGES = storages_for(s3_env(dead_endpoint(), "zone-files"))


def says_try_again(answer) -> bool:
    return TRY_AGAIN in answer.content.decode()


def test_a_message_with_an_attachment_sent_while_the_storage_is_down_is_not_sent(
    world, client, storage_down
):
    log_in(client, world.coordinator)
    answer = client.post(
        reverse("messaging:compose"),
        {
            "kind": "notice",
            "language": "en",
            "target_type": "networks",
            "networks": [world.network.pk],
            "title_en": "Holidays",
            "body_en": "Read the leaflet before you leave.",
            "attachment": SimpleUploadedFile("leaflet.pdf", LEAFLET, "application/pdf"),
            "action": "send",
            "zone": world.zone.pk,
        },
    )
    assert answer.status_code == 200
    assert TRY_AGAIN in " ".join(answer.context["form"].errors["attachment"])
    assert not Message.objects.exists()


def test_a_tip_with_an_image_saved_while_the_storage_is_down_is_not_saved(
    world, client, storage_down
):
    log_in(client, world.zone_staff)
    image = io.BytesIO(jpeg_with_gps())
    image.name = "door.jpg"
    answer = client.post(
        reverse("prevention:new_tip"),
        {
            "zone": world.zone.pk,
            "title_nl": NL["title"],
            "sms_text_nl": NL["sms_text"],
            "body_nl": NL["body"],
            "themes": ["burglary"],
            "image": image,
        },
    )
    assert answer.status_code == 400
    assert TRY_AGAIN in " ".join(answer.context["form"].errors["image"])
    assert not Tip.objects.exists()


def test_an_agreement_drafted_while_the_storage_is_down_is_not_saved(world, client, storage_down):
    as_(client, world.officer)
    answer = client.post(
        reverse("governance:draft_agreement", args=[world.network.pk]), {"text": "We agree."}
    )
    assert answer.status_code == 400
    assert says_try_again(answer)
    assert not Agreement.objects.exists()


def test_a_registration_produced_while_the_storage_is_down_is_not_saved(world, client, settings):
    agreement = signed(world, gov.draft_agreement(world.network, world.officer, "We agree."))
    settings.STORAGES = storages_for(s3_env(dead_endpoint(), "zone-files"))
    as_(client, world.zone_staff)
    answer = client.post(reverse("governance:registration", args=[agreement.pk]), follow=True)
    assert answer.status_code == 200
    assert says_try_again(answer)
    assert not CharterRegistration.objects.exists()


def test_a_meeting_scheduled_while_the_storage_is_down_is_not_scheduled(
    world, client, storage_down
):
    as_(client, world.coordinator)
    answer = client.post(reverse("governance:meeting_new", args=[world.network.pk]), meeting_form())
    assert answer.status_code == 400
    assert says_try_again(answer)
    assert not Meeting.objects.exists()
    assert not Message.objects.exists()


def test_a_meeting_cancelled_while_the_storage_is_down_stays_scheduled(world, client, settings):
    as_(client, world.coordinator)
    client.post(reverse("governance:meeting_new", args=[world.network.pk]), meeting_form())
    meeting = Meeting.objects.get()
    settings.STORAGES = storages_for(s3_env(dead_endpoint(), "zone-files"))
    answer = client.post(reverse("governance:cancel_meeting", args=[meeting.pk]), follow=True)
    assert answer.status_code == 200
    assert says_try_again(answer)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED
    assert Message.objects.count() == 1  # the invitation only
