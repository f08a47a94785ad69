"""The coordinator's standing: the police screening, the emergency hand-over, and a case
about a coordinator with its steps and appeal."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit

from .. import services
from ..forms import (
    AppealDecisionForm,
    CloseCaseForm,
    DateForm,
    HandoverForm,
    OpenCaseForm,
    ScreeningForm,
    StepForm,
)
from ..models import CoordinatorCase, EmergencyHandover, Screening, Step
from .base import (
    allow,
    form_action,
    form_page,
    get_case,
    get_network,
    member_chosen,
    members_of,
    network_url,
)


@login_required
def screening(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.can_oversee(request.user, found))
    form = ScreeningForm(request.POST or None, people=members_of(found, voting=True))

    def call() -> Screening:
        person = member_chosen(found, form.cleaned_data["person"], "person")
        return services.record_screening(
            found, person, request.user, form.cleaned_data["screened_on"]
        )

    return form_action(
        request, call, form=form, success=_("The screening is recorded."), to=network_url(found)
    ) or form_page(
        request,
        form,
        title=_("Record a screening"),
        network=found,
        submit=_("Save"),
        intro=_("Record only that the police screened this member, and when; never its content."),
    )


@login_required
def handover(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.is_officer(request.user, found))
    form = HandoverForm(request.POST or None, people=members_of(found, voting=True))

    def call() -> EmergencyHandover:
        person = member_chosen(found, form.cleaned_data["person"], "person")
        return services.hand_over(found, request.user, person, form.cleaned_data["reason"])

    return form_action(
        request,
        call,
        form=form,
        success=lambda done: _("%(name)s is now coordinator.") % {"name": done.to_person.full_name},
        to=network_url(found),
    ) or form_page(
        request,
        form,
        title=_("Emergency handover of the coordinator's role"),
        network=found,
        submit=_("Hand over"),
        intro=_(
            "Only when the BIN cannot wait for a members' meeting. The reason is kept with "
            "the change."
        ),
        danger=True,
    )


def _case_url(case: CoordinatorCase) -> str:
    return reverse("governance:case", args=[case.pk])


@login_required
def open_case(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.can_oversee(request.user, found))
    form = OpenCaseForm(request.POST or None, people=services.coordinators_of(found))

    def call() -> CoordinatorCase:
        person = member_chosen(found, form.cleaned_data["coordinator"], "coordinator")
        return services.open_case(found, person, request.user)

    return form_action(
        request, call, form=form, success=_("The case is opened."), to=_case_url
    ) or form_page(
        request, form, title=_("Open a case about a coordinator"), network=found, submit=_("Open")
    )


@login_required
def case(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_case(request, pk)
    audit.record(
        request.user,
        audit.Action.VIEW_GOVERNANCE,
        found,
        request=request,
        network=found.network,
    )
    person = request.user
    network = found.network
    next_step = found.next_step()
    return render(
        request,
        "governance/case.html",
        {
            "case": found,
            "network": network,
            "steps": found.steps.all(),
            "next_step": Step(next_step).label if next_step else None,
            "may_step": bool(next_step)
            and not found.closed_at
            and services.may_record_step(person, network, next_step),
            "may_removal": services.may_record_step(person, network, Step.REMOVAL),
            "oversee": services.can_oversee(person, network),
        },
    )


def _case_form(request, found: CoordinatorCase, form, call, *, title: str, success: str):
    """A form about a case: `call(form)` records it; back to the case either way."""
    back = _case_url(found)
    return form_action(
        request, lambda: call(form), form=form, success=success, to=back
    ) or form_page(
        request,
        form,
        title=title,
        network=found.network,
        submit=_("Save"),
        back=back,
        case=found,
    )


@login_required
def case_step(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_case(request, pk)
    initial = {"step": found.next_step(), "occurred_on": timezone.localdate()}
    return _case_form(
        request,
        found,
        StepForm(request.POST or None, initial=initial),
        lambda form: services.record_step(
            found, request.user, services.StepInput(**form.cleaned_data)
        ),
        title=_("Record the next step"),
        success=_("The step is recorded."),
    )


@login_required
def case_ministry(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_case(request, pk)
    allow(services.may_record_step(request.user, found.network, Step.REMOVAL))
    return _case_form(
        request,
        found,
        DateForm(request.POST or None, field_name="notified_on", label=_("Notified on")),
        lambda form: services.record_ministry_notice(found, request.user, form.value),
        title=_("The ministry was notified"),
        success=_("The notice to the ministry is recorded."),
    )


@login_required
def case_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_case(request, pk)
    return _case_form(
        request,
        found,
        DateForm(request.POST or None, field_name="lodged_on", label=_("Lodged on")),
        lambda form: services.lodge_appeal(found, request.user, form.value),
        title=_("An appeal was lodged"),
        success=_("The appeal is recorded."),
    )


@login_required
def case_appeal_decision(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_case(request, pk)
    allow(services.may_record_step(request.user, found.network, Step.REMOVAL))
    return _case_form(
        request,
        found,
        AppealDecisionForm(request.POST or None),
        lambda form: services.decide_appeal(
            found, request.user, form.cleaned_data["outcome"], form.cleaned_data["decided_on"]
        ),
        title=_("The appeal's outcome"),
        success=_("The appeal's outcome is recorded; the case is closed."),
    )


@login_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_case(request, pk)
    allow(services.can_oversee(request.user, found.network))
    return _case_form(
        request,
        found,
        CloseCaseForm(request.POST or None),
        lambda form: services.close_case(found, request.user, form.cleaned_data["note"]),
        title=_("Close the case"),
        success=_("The case is closed."),
    )
