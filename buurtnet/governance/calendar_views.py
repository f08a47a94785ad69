"""The personal meetings feed (a secret link, no log-in: calendar applications cannot log
in) and the page where a member finds or resets that link."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from . import calendar


@require_safe
def feed(request: HttpRequest, secret: str) -> HttpResponse:
    person = calendar.person_for_secret(secret)
    if person is None:
        raise Http404
    response = HttpResponse(calendar.feed_ics(person), content_type="text/calendar; charset=utf-8")
    # The feed is personal: no shared cache may keep it, and a reset must take effect at once.
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="buurtnet-meetings.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        calendar.reset_calendar_key(request.user)
        flash.success(request, _("You have a new calendar link. The old one no longer works."))
        return redirect("governance:calendar_link")
    key = calendar.calendar_key(request.user)
    response = render(
        request, "governance/calendar_link.html", {"feed_url": calendar.feed_url(key)}
    )
    response["Cache-Control"] = "private, no-store"
    return response
