"""The admin shows an agreement's and a registration's private PDF only as a link to the
site's view, which checks who asks and logs it: never the storage's own URL of the file
(with S3 a signed link valid an hour; on local storage there is none)."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from buurtnet.governance.models import CharterRegistration
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.tests.test_storage_s3 import bucket, s3_endpoint  # noqa: F401 - fixtures

from .test_documents import make_agreement


@pytest.fixture
def staff_client(db, client):
    return log_in(client, PersonFactory(is_staff=True, is_superuser=True))


@pytest.fixture
def agreement(world):
    agreement = make_agreement(world.network)
    agreement.document.save("agreement.pdf", ContentFile(b"%PDF-1.4 test"))
    return agreement


def agreement_page(staff_client, agreement):
    return staff_client.get(reverse("admin:governance_agreement_change", args=[agreement.pk]))


def test_the_agreement_page_links_to_the_checked_view_of_its_pdf(staff_client, agreement):
    answer = agreement_page(staff_client, agreement)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert reverse("governance:agreement_pdf", args=[agreement.pk]) in page
    assert agreement.document.name not in page


def test_the_agreement_page_shows_no_signed_url_of_a_pdf_in_the_bucket(
    staff_client,
    bucket,  # noqa: F811 - the fixture imported above; first, so the PDF goes to it
    agreement,
):
    assert bucket.keys() == [agreement.document.name]
    answer = agreement_page(staff_client, agreement)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert reverse("governance:agreement_pdf", args=[agreement.pk]) in page
    for leak in (bucket.endpoint, bucket.name, agreement.document.name, "X-Amz-Signature"):
        assert leak not in page


def test_the_registration_page_links_to_the_checked_view_of_its_pdf(staff_client, agreement):
    registration = CharterRegistration.objects.create(agreement=agreement)
    registration.document.save("registration.pdf", ContentFile(b"%PDF-1.4 test"))
    answer = staff_client.get(
        reverse("admin:governance_charterregistration_change", args=[registration.pk])
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert reverse("governance:registration_pdf", args=[registration.pk]) in page
    assert registration.document.name not in page
