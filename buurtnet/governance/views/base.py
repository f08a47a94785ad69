"""What every governance page shares: finding the object a URL names (404 for who may not
know it exists), the one way a page runs a service (`form_action`), and the form page."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from buurtnet.common.form_errors import apply_errors
from buurtnet.networks.models import Membership, MembershipStatus, Network, Role
from buurtnet.people.models import Person

from .. import services
from ..forms import RowErrorsMixin
from ..models import (
    Agreement,
    CharterRegistration,
    CoordinatorCase,
    Decision,
    FoundingRequest,
    Meeting,
    MeetingKind,
)

# --- The one way a page runs a service ------------------------------------------------------


def form_action(
    request: HttpRequest,
    call: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    to: str | Callable[[Any], str],
    form: forms.Form | None = None,
) -> HttpResponse | None:
    """Run a service for a page, the same way on every page.

    With a form: nothing happens until it is posted and valid; then `call()` runs, and a
    refusal (ValidationError) goes onto the form, each message next to the field it names,
    and None is returned so that the page is shown again with them. Without a form (a
    button): a refusal's messages are flashed and the person goes back to `to`.

    When the service agrees, its success message is flashed and the person goes to `to`.
    `success` and `to` may be functions of what the service returned (the new meeting's
    page, say); a button's `to` is a URL, as it is also where a refusal goes. A form page
    thus reads `return form_action(...) or form_page(...)`.
    """
    if form is not None and (request.method != "POST" or not form.is_valid()):
        return None
    try:
        result = call()
    except ValidationError as exc:
        if form is not None:
            _errors_on(form, exc)
            return None
        for message in exc.messages:
            flash.error(request, message)
        return redirect(to)
    flash.success(request, success(result) if callable(success) else success)
    return redirect(to(result) if callable(to) else to)


def _errors_on(form: forms.Form, exc: ValidationError) -> None:
    if isinstance(form, RowErrorsMixin):
        form.apply_service_errors(exc)
    else:
        apply_errors(form, exc)


def form_page(
    request: HttpRequest,
    form,
    *,
    title: str,
    network: Network,
    submit: str,
    intro: str = "",
    back: str | None = None,
    danger: bool = False,
    template: str = "governance/form.html",
    **extra,
) -> HttpResponse:
    """The page of a form; a posted form shown again carries errors (400)."""
    context = {
        "form": form,
        "title": title,
        "network": network,
        "submit": submit,
        "intro": intro,
        "back": back or network_url(network),
        "danger": danger,
        **extra,
    }
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def network_url(network: Network) -> str:
    return reverse("governance:network", args=[network.pk])


def meeting_url(meeting: Meeting) -> str:
    return reverse("governance:meeting", args=[meeting.pk])


def calendar_link() -> str | None:
    try:
        return reverse("governance:calendar_link")
    except NoReverseMatch:
        return None


# --- Finding things, and who may know them --------------------------------------------------


def may_know(person: Person, network: Network) -> bool:
    """Whoever sees the BIN, and whoever asked for it to be founded."""
    if services.can_see_meetings(person, network):
        return True
    return FoundingRequest.objects.filter(network=network, requested_by=person).exists()


def allow(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def get_network(request: HttpRequest, network_id: int) -> Network:
    network = get_object_or_404(Network.objects.select_related("municipality__zone"), pk=network_id)
    if not may_know(request.user, network):
        raise Http404
    return network


def get_meeting(request: HttpRequest, pk: int) -> Meeting:
    """A meeting of a BIN the person sees; the founding requester, who is invited to the
    information session, sees that one too."""
    meeting = get_object_or_404(Meeting.objects.select_related("network__municipality"), pk=pk)
    if services.can_see_meetings(request.user, meeting.network):
        return meeting
    if meeting.kind == MeetingKind.INFORMATION and may_know(request.user, meeting.network):
        return meeting
    raise Http404


def get_decision(request: HttpRequest, pk: int) -> Decision:
    decision = get_object_or_404(
        Decision.objects.select_related("meeting__network__municipality", "candidate"), pk=pk
    )
    if not services.can_see_meetings(request.user, decision.meeting.network):
        raise Http404
    return decision


def get_agreement(request: HttpRequest, pk: int) -> Agreement:
    agreement = get_object_or_404(Agreement.objects.select_related("network__municipality"), pk=pk)
    if not may_know(request.user, agreement.network):
        raise Http404
    allow(services.can_see_agreement(request.user, agreement.network))
    return agreement


def get_registration(request: HttpRequest, pk: int) -> CharterRegistration:
    registration = get_object_or_404(
        CharterRegistration.objects.select_related("agreement__network__municipality"), pk=pk
    )
    network = registration.agreement.network
    if not may_know(request.user, network):
        raise Http404
    allow(services.can_oversee(request.user, network))
    return registration


def get_case(request: HttpRequest, pk: int) -> CoordinatorCase:
    case = get_object_or_404(
        CoordinatorCase.objects.select_related("network__municipality", "coordinator"), pk=pk
    )
    if not may_know(request.user, case.network):
        raise Http404
    allow(services.can_see_cases(request.user, case.network))
    return case


def members_of(network: Network, *, voting: bool = False) -> list[Person]:
    """The BIN's approved members, names only (the officer does not vote)."""
    memberships = Membership.objects.filter(network=network, status=MembershipStatus.APPROVED)
    if voting:
        memberships = memberships.exclude(role=Role.OFFICER)
    return [
        m.person
        for m in memberships.select_related("person").order_by("person__full_name", "pk")
        if m.person.is_active
    ]


def person_in(network: Network, pk: int | None) -> Person | None:
    """The person chosen on a form, if they are (or were) in this BIN: the service decides
    whether they qualify, this only keeps other BINs' people out of reach."""
    if pk is None:
        return None
    return Person.objects.filter(pk=pk, memberships__network=network).distinct().first()


def member_chosen(network: Network, pk: int | None, field: str) -> Person:
    """`person_in`, refusing (on the form's field) anyone who never was in this BIN."""
    person = person_in(network, pk)
    if person is None:
        raise ValidationError({field: [_("Choose a member of this BIN.")]})
    return person
