"""Operators' endpoints: readiness (`/readyz`) and Prometheus metrics (`/metrics`).

Neither needs a log-in (a probe has none) and both are exempt from the staff second-factor
redirect (buurtnet/networks/middleware.py). Neither answer names a person.
"""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from . import metrics, probes


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the installation can do its work; 503 with the problems otherwise."""
    problems = probes.readiness_problems()
    return JsonResponse({"ok": not problems, "problems": problems}, status=503 if problems else 200)


@require_safe
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for the token or an allowed network; 404 for anyone else (the
    endpoint does not admit it exists)."""
    if not metrics.allowed(request.META, request.headers.get("Authorization", "")):
        raise Http404
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
