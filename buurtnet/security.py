"""Response headers Django's SecurityMiddleware does not set: Content-Security-Policy and
Permissions-Policy; and 413 for a request body over Django's limits.

The policy allows scripts and styles only from our own static files: no inline script, no
inline style, no eval. Templates therefore carry no <script> body, no on* attribute and no
style attribute; htmx is told not to inject its indicator style (see base.html). The
Django admin, which is not ours, keeps its inline style attributes.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

ADMIN_STYLE_ATTRIBUTES = "; style-src-attr 'unsafe-inline'"
security_logger = logging.getLogger("django.security.RequestTooLarge")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        origins = getattr(request, "map_tile_origins", None)
        if origins:
            policy = with_image_sources(policy, sorted(origins))
        if request.path.startswith("/admin/"):
            policy += ADMIN_STYLE_ATTRIBUTES
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def with_image_sources(policy: str, sources: list[str]) -> str:
    """The policy with sources added to its img-src directive (a page's map tile server,
    noted on the request by the {% map %} tag). Without img-src, the directive is made from
    default-src's sources, which it would otherwise fall back to."""
    directives = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), tokens[1:])
    existing = directives.get("img-src", directives.get("default-src", []))
    kept = [source for source in existing if source.lower() != "'none'"]
    directives["img-src"] = kept + [source for source in sources if source not in kept]
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


class RequestTooLargeMiddleware:
    """A request body over Django's limits (DATA_UPLOAD_MAX_MEMORY_SIZE,
    DATA_UPLOAD_MAX_NUMBER_FIELDS, DATA_UPLOAD_MAX_NUMBER_FILES) is answered 413 Content Too
    Large, with a translated page or, under /api/, a problem+json object.

    Django raises these errors lazily, wherever the body is first read (the CSRF check, a
    view, django-ninja), and answers them 400, or 500 where the reader does not expect them
    (django-ninja in DEBUG). This middleware reads the body first, in `process_view`, when the
    session, language and user are known: form bodies through `request.POST` (streamed, as the
    CSRF check would), others through `request.body`. A CSRF-exempt view receiving a
    multipart body is left alone (it may want the raw body, which cannot be read after the
    parts); for it the project's 400 handler gives the same answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return None
        multipart = request.content_type == "multipart/form-data"
        if multipart and getattr(view_func, "csrf_exempt", False):
            return None
        try:
            if multipart or request.content_type == "application/x-www-form-urlencoded":
                request.POST  # noqa: B018 - reading it is the point
            else:
                request.body  # noqa: B018
        except TOO_LARGE as exc:
            return too_large_response(request, exc)
        return None


TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def too_large_response(request: HttpRequest, exc: Exception) -> HttpResponse:
    """413 for a body over the limits: problem+json under /api/, a page elsewhere."""
    security_logger.warning("%s: %s", type(exc).__name__, exc, extra={"request": request})
    if request.path.startswith("/api/"):
        from buurtnet.api.problems import Problem, problem_response

        problem = Problem(
            413,
            _("Content too large"),
            _(
                "The request is larger than the API accepts (too much text, too many fields "
                "or files). Send less at once."
            ),
            type="too-large",
        )
        return problem_response(problem, request)
    return render(request, "413.html", status=413)
