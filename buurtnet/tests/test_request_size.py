"""A request body over Django's upload limits is answered 413 Content Too Large (a page,
or problem+json under /api/), not 400 or 500, and changes nothing."""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from buurtnet import views
from buurtnet.api.tests.conftest import make_token
from buurtnet.networks.tests.test_views import log_in
from buurtnet.reports.models import Report

TOO_LARGE_PAGE = "Too much sent at once"


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000


def test_form_over_the_size_limit_answers_413_with_a_page(client, world, small_limit):
    log_in(client, world.member)

    answer = client.post(reverse("reports:new"), {"description": "x" * 5000})

    assert answer.status_code == 413
    assert TOO_LARGE_PAGE in answer.content.decode()
    assert not Report.objects.exists()


def test_form_over_the_size_limit_answers_413_before_the_csrf_check(world, small_limit):
    client = Client(enforce_csrf_checks=True)
    log_in(client, world.member)

    answer = client.post(reverse("reports:new"), {"description": "x" * 5000})

    assert answer.status_code == 413


def test_form_with_too_many_fields_answers_413(client, world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    log_in(client, world.member)

    answer = client.post(reverse("reports:new"), {f"field{i}": "x" for i in range(100)})

    assert answer.status_code == 413


def test_form_with_too_many_files_answers_413(client, world, settings):
    log_in(client, world.member)
    files = [
        SimpleUploadedFile(f"{i}.txt", b"x")
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]

    answer = client.post(reverse("reports:new"), {"photos": files})

    assert answer.status_code == 413
    assert not Report.objects.exists()


def test_api_body_over_the_size_limit_answers_413_problem_json(client, world, small_limit):
    token = make_token(world.officer)

    answer = client.post(
        "/api/v1/messages",
        data=json.dumps({"title": "x" * 5000}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert answer.status_code == 413
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 413
    assert problem["type"] == "urn:buurtnet:problem:too-large"


def test_body_within_the_limit_reaches_the_view(client, world, small_limit):
    log_in(client, world.member)

    answer = client.post(reverse("reports:new"), {"description": "x" * 100})

    assert answer.status_code != 413


def test_400_handler_answers_413_for_a_body_read_before_the_middleware(rf):
    answer = views.bad_request(rf.post("/webhooks/"), RequestDataTooBig("too big"))

    assert answer.status_code == 413
