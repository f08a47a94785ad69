"""The OpenAPI schema against the running API: schemathesis generates requests for every
operation from the schema and checks each answer against it (status codes, content types,
response shapes, no server error)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import positive_data_acceptance

from buurtnet.prevention.tests.test_prevention import published_tip
from buurtnet.reports import services as reports
from buurtnet.reports.services import ReportInput

from .conftest import make_token

EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def schema(world, settings, django_capture_on_commit_callbacks):
    settings.API_RATE_LIMIT = "100000/minute"
    published_tip(world)
    from datetime import timedelta

    from django.utils import timezone

    reports.file_report(
        world.member,
        ReportInput(
            network_id=world.network.pk,
            category_id=reports.categories_for(world.zone).first().pk,
            occurred_at=timezone.now() - timedelta(minutes=5),
            longitude=3.265,
            latitude=50.825,
            description="A van.",
        ),
    )
    # As Django's test client does: a request must not close the test's database
    # connection (its transaction holds the fixtures).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_schema_describes_bearer_auth_and_problems(client):
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    networks = schema["paths"]["/api/v1/networks"]["get"]
    assert {"200", "401", "403", "429"} <= set(networks["responses"])
    assert "application/problem+json" in networks["responses"]["401"]["content"]


def test_the_docs_page_uses_only_local_scripts(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in page.lower()
    assert "/static/ninja/swagger-ui-bundle.js" in page


@pytest.mark.parametrize("role", ["officer", "member"])
def test_the_api_conforms_to_its_schema(schema, world, role):
    token = make_token(getattr(world, role))
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            # Schema-valid data may still break a rule the schema cannot say (a plan, an
            # area, a cursor's signature): those answers are 400/422 problems, which the
            # other checks still validate.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()
