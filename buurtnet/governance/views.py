"""Governance pages. Views parse input, call services and show their errors; every rule and
permission is in services.py.

Who may not know a BIN exists gets 404 on every page about it; who sees the BIN but may
not take an action gets 403. The permission check comes before the form is read, so that
a refused person learns nothing from a form's errors.
"""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.audit import services as audit
from buurtnet.common.form_errors import apply_errors
from buurtnet.common.markdown import to_html
from buurtnet.common.private_files import pdf_download
from buurtnet.networks.maps import build_map
from buurtnet.networks.models import (
    Membership,
    MembershipStatus,
    Network,
    NetworkStatus,
    PoliceZone,
    Role,
)
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person

from . import calendar, services
from .forms import (
    AgreementForm,
    AppealDecisionForm,
    AttendanceForm,
    CloseCaseForm,
    ConsultationForm,
    DateForm,
    DissolveForm,
    EvaluationForm,
    FoundingForm,
    HandoverForm,
    MeetingForm,
    MinutesForm,
    OpenCaseForm,
    ProxyForm,
    ReasonForm,
    RegistrationReplyForm,
    RoleChangeReviewForm,
    RsvpForm,
    RulesForm,
    ScreeningForm,
    SignForm,
    StepForm,
    VoteForm,
)
from .models import (
    Agreement,
    Answer,
    CharterRegistration,
    ConsultationAction,
    CoordinatorCase,
    Decision,
    FoundingRequest,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Party,
    RoleChange,
    Rsvp,
    Step,
    Vote,
)

# --- Finding things, and who may know them --------------------------------------------------


def _may_know(person: Person, network: Network) -> bool:
    """Whoever sees the BIN, and whoever asked for it to be founded."""
    if services.can_see_meetings(person, network):
        return True
    return FoundingRequest.objects.filter(network=network, requested_by=person).exists()


def _network(request: HttpRequest, network_id: int) -> Network:
    network = get_object_or_404(Network.objects.select_related("municipality__zone"), pk=network_id)
    if not _may_know(request.user, network):
        raise Http404
    return network


def _allow(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    """A meeting of a BIN the person sees; the founding requester, who is invited to the
    information session, sees that one too."""
    meeting = get_object_or_404(Meeting.objects.select_related("network__municipality"), pk=pk)
    if services.can_see_meetings(request.user, meeting.network):
        return meeting
    if meeting.kind == MeetingKind.INFORMATION and _may_know(request.user, meeting.network):
        return meeting
    raise Http404


def _decision(request: HttpRequest, pk: int) -> Decision:
    decision = get_object_or_404(
        Decision.objects.select_related("meeting__network__municipality", "candidate"), pk=pk
    )
    if not services.can_see_meetings(request.user, decision.meeting.network):
        raise Http404
    return decision


def _agreement(request: HttpRequest, pk: int) -> Agreement:
    agreement = get_object_or_404(Agreement.objects.select_related("network__municipality"), pk=pk)
    if not _may_know(request.user, agreement.network):
        raise Http404
    _allow(services.can_see_agreement(request.user, agreement.network))
    return agreement


def _registration(request: HttpRequest, pk: int) -> CharterRegistration:
    registration = get_object_or_404(
        CharterRegistration.objects.select_related("agreement__network__municipality"), pk=pk
    )
    network = registration.agreement.network
    if not _may_know(request.user, network):
        raise Http404
    _allow(services.can_oversee(request.user, network))
    return registration


def _case(request: HttpRequest, pk: int) -> CoordinatorCase:
    case = get_object_or_404(
        CoordinatorCase.objects.select_related("network__municipality", "coordinator"), pk=pk
    )
    if not _may_know(request.user, case.network):
        raise Http404
    _allow(services.can_see_cases(request.user, case.network))
    return case


def _members(network: Network, *, voting: bool = False):
    """The BIN's approved members, names only (the officer does not vote)."""
    memberships = Membership.objects.filter(network=network, status=MembershipStatus.APPROVED)
    if voting:
        memberships = memberships.exclude(role=Role.OFFICER)
    return [
        m.person
        for m in memberships.select_related("person").order_by("person__full_name", "pk")
        if m.person.is_active
    ]


def _calendar_link() -> str | None:
    try:
        return reverse("governance:calendar_link")
    except NoReverseMatch:
        return None


def _form_page(
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
    context = {
        "form": form,
        "title": title,
        "network": network,
        "submit": submit,
        "intro": intro,
        "back": back or reverse("governance:network", args=[network.pk]),
        "danger": danger,
        **extra,
    }
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def _saved(request: HttpRequest, message: str, to: str) -> HttpResponse:
    flash.success(request, message)
    return redirect(to)


def _network_url(network: Network) -> str:
    return reverse("governance:network", args=[network.pk])


def _meeting_url(meeting: Meeting) -> str:
    return reverse("governance:meeting", args=[meeting.pk])


# --- Overview -----------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The overview of the BINs a person oversees; for everyone, their BINs' next meetings."""
    overseen = services.overseen_networks(request.user)
    rows = services.overview(overseen.order_by("name")) if overseen.exists() else []
    own = Membership.objects.filter(
        person=request.user,
        status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
    ).values("network_id")
    upcoming = (
        Meeting.objects.filter(
            network_id__in=own, status=MeetingStatus.SCHEDULED, ends_at__gt=timezone.now()
        )
        .select_related("network")
        .order_by("starts_at")[:20]
    )
    return render(
        request,
        "governance/index.html",
        {"rows": rows, "upcoming": upcoming, "calendar_link": _calendar_link()},
    )


@login_required
def zone(request: HttpRequest, code: str) -> HttpResponse:
    found = get_object_or_404(PoliceZone, code=code)
    if not Standing.of(request.user).can_view_zone(found.pk):
        raise Http404
    networks = Network.objects.filter(municipality__zone=found).order_by("name")
    return render(
        request, "governance/zone.html", {"zone": found, "rows": services.overview(networks)}
    )


# --- A BIN's governance page ----------------------------------------------------------------


@login_required
def network(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    person = request.user
    sees = services.can_see_meetings(person, found)
    oversee = services.can_oversee(person, found)
    may = {
        "oversee": oversee,
        "see_meetings": sees,
        "run_meetings": services.can_run_meetings(person, found),
        "see_agreement": services.can_see_agreement(person, found),
        "see_consultations": services.can_see_consultations(person, found),
        "see_cases": services.can_see_cases(person, found),
        "consult": services.is_officer(person, found) or services.is_coordinator(person, found),
        "hand_over": services.is_officer(person, found),
        "decline": services.is_zone_staff(person, found),
        "sign_as": services.may_sign_as(person, found),
    }
    context: dict = {
        "network": found,
        "may": may,
        "statuses": found.status_changes.select_related("changed_by").order_by("changed_at"),
        "founding": FoundingRequest.objects.filter(network=found)
        .select_related("requested_by")
        .first(),
        "living": found.status != NetworkStatus.DISSOLVED,
    }
    if sees:
        context["meetings"] = services.meetings_of(found)[:30]
        context["roles"] = services.role_history(found)[:50]
        context["rules"] = services.rules_for(found)
        context["calendar_link"] = _calendar_link()
    if may["see_agreement"]:
        context["agreements"] = found.agreements.prefetch_related(
            "signatures__person"
        ).select_related("registration")
        context["evaluations"] = found.evaluations.all()
        context["evaluation_due"] = services.evaluation_due(found)
    if oversee:
        context["screenings"] = found.screenings.select_related("person")
    if may["see_consultations"]:
        context["consultations"] = found.consultations.prefetch_related("actions__owner")[:20]
    if may["see_cases"]:
        context["cases"] = found.cases.select_related("coordinator").prefetch_related("steps")
    return render(request, "governance/network.html", context)


# --- Founding -----------------------------------------------------------------------------------


@login_required
def request_founding(request: HttpRequest) -> HttpResponse:
    form = FoundingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            found = services.request_founding(
                request.user,
                services.FoundingInput(
                    name=data["name"],
                    municipality_id=data["municipality_id"].pk,
                    kind=data["kind"],
                    area=data["area"],
                    motivation=data["motivation"],
                ),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(
                request,
                _("Your request is sent to the police zone. They will contact you."),
                _network_url(found),
            )
    return render(
        request,
        "governance/request.html",
        {"form": form, "area_map": _map_around(request.user)},
        status=400 if request.method == "POST" else 200,
    )


class _Box:
    """A stand-in network for build_map: an empty square to draw on."""

    def __init__(self, lon: float, lat: float, half: float) -> None:
        self.min_lon, self.max_lon = lon - half * 1.6, lon + half * 1.6
        self.min_lat, self.max_lat = lat - half, lat + half
        self.area = {"coordinates": [[[lon, lat], [lon, lat], [lon, lat], [lon, lat]]]}
        self.pk = 0
        self.name = ""
        self.status = "canvas"


def _map_around(person: Person | None):
    """A canvas to draw the proposed area on: around the person's home (with the BINs near
    it whose area is public, to find one's way), or all of Belgium."""
    if person is not None and person.has_point:
        home = (person.longitude, person.latitude)
        box = _Box(*home, 0.006)
        nearby = Network.objects.filter(
            area_public=True,
            min_lon__lte=box.max_lon,
            max_lon__gte=box.min_lon,
            min_lat__lte=box.max_lat,
            max_lat__gte=box.min_lat,
        ).exclude(status=NetworkStatus.DISSOLVED)[:20]
        area_map = build_map([box, *nearby], [home], margin=0)
    else:
        area_map = build_map([_Box(4.45, 50.5, 1.05)], margin=0)
    area_map.shapes[:] = [s for s in area_map.shapes if not isinstance(s.network, _Box)]
    return area_map


@login_required
def decline(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.is_zone_staff(request.user, found))
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decline_request(found, request.user, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, _("The request is declined."), _network_url(found))
    return _form_page(
        request,
        form,
        title=_("Decline the request"),
        network=found,
        submit=_("Decline the request"),
        intro=_("The person who asked for this BIN reads your reason."),
        danger=True,
    )


@login_required
@require_POST
def information_held(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    _allow(services.can_oversee(request.user, meeting.network))
    try:
        services.mark_information_session_held(meeting, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
    else:
        flash.success(request, _("The information session is recorded as held."))
    return redirect(_meeting_url(meeting))


@login_required
def dissolve(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.can_oversee(request.user, found))
    form = DissolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dissolve(found, request.user, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, _("The BIN is dissolved."), _network_url(found))
    return _form_page(
        request,
        form,
        title=_("Dissolve this BIN"),
        network=found,
        submit=_("Dissolve the BIN"),
        intro=_(
            "All members are told and their membership ends. Planned messages and meetings "
            "are cancelled. This cannot be undone."
        ),
        danger=True,
    )


# --- The agreement --------------------------------------------------------------------------------


@login_required
def draft_agreement(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.can_oversee(request.user, found))
    last = found.agreements.order_by("-version").first()
    form = AgreementForm(request.POST or None, initial={"text": last.text if last else ""})
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.draft_agreement(found, request.user, form.cleaned_data["text"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(
                request,
                _("The agreement is ready. The parties are asked to sign it."),
                reverse("governance:agreement", args=[agreement.pk]),
            )
    return _form_page(
        request,
        form,
        title=_("Draft the agreement"),
        network=found,
        submit=_("Freeze and ask for signatures"),
        intro=_(
            "The charter and the communication plan as they are now are annexed. An unsigned "
            "earlier version is replaced."
        ),
    )


@login_required
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    found = _agreement(request, pk)
    network = found.network
    may_sign = services.may_sign_as(request.user, network)
    signed = set(found.signatures.values_list("party", flat=True))
    parties = [(value, label) for value, label in Party.choices if value in may_sign]
    return render(
        request,
        "governance/agreement.html",
        {
            "agreement": found,
            "network": network,
            "signatures": found.signatures.select_related("person"),
            "parties": [(v, label) for v, label in parties if v not in signed],
            "form": SignForm(),
            "oversee": services.can_oversee(request.user, network),
            "registration": CharterRegistration.objects.filter(agreement=found).first(),
        },
    )


@login_required
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    found = _agreement(request, pk)
    network = found.network
    _allow(bool(services.may_sign_as(request.user, network)))
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_agreement(found, request.user, form.cleaned_data["party"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(
                request,
                _("Your signature is recorded."),
                reverse("governance:agreement", args=[found.pk]),
            )
    return _form_page(
        request,
        form,
        title=_("Sign the agreement"),
        network=network,
        submit=_("Sign"),
        back=reverse("governance:agreement", args=[found.pk]),
    )


@login_required
def agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Agreement.objects.select_related("network__municipality"), pk=pk)
    if not services.can_see_agreement(request.user, found.network):
        raise Http404
    return pdf_download(
        request, found.document, f"agreement-{found.network_id}-v{found.version}.pdf"
    )


@login_required
def registration_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(
        CharterRegistration.objects.select_related("agreement__network__municipality"), pk=pk
    )
    if not services.can_oversee(request.user, found.agreement.network):
        raise Http404
    return pdf_download(request, found.document, f"registration-{found.agreement.network_id}.pdf")


@login_required
@require_POST
def produce_registration(request: HttpRequest, pk: int) -> HttpResponse:
    found = _agreement(request, pk)
    _allow(services.can_oversee(request.user, found.network))
    try:
        services.produce_registration(found, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
    else:
        flash.success(request, _("The registration file is ready to send to the ministry."))
    return redirect(reverse("governance:agreement", args=[found.pk]))


@login_required
def registration_sent(request: HttpRequest, pk: int) -> HttpResponse:
    found = _registration(request, pk)
    form = DateForm(request.POST or None, field_name="sent_on", label=_("Sent on"))
    back = reverse("governance:agreement", args=[found.agreement_id])
    if request.method == "POST" and form.is_valid():
        try:
            services.record_registration_sent(found, request.user, form.value)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, _("Recorded when the registration was sent."), back)
    return _form_page(
        request,
        form,
        title=_("The registration was sent"),
        network=found.agreement.network,
        submit=_("Save"),
        back=back,
    )


@login_required
def registration_reply(request: HttpRequest, pk: int) -> HttpResponse:
    found = _registration(request, pk)
    form = RegistrationReplyForm(request.POST or None)
    back = reverse("governance:agreement", args=[found.agreement_id])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_registration_reply(
                found,
                request.user,
                reply_on=data["reply_on"],
                outcome=data["outcome"],
                reference=data["reference"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, _("The ministry's reply is recorded."), back)
    return _form_page(
        request,
        form,
        title=_("The ministry's reply"),
        network=found.agreement.network,
        submit=_("Save"),
        back=back,
    )


# --- Evaluation, screening, handover ------------------------------------------------------------


@login_required
def evaluation(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.can_oversee(request.user, found))
    today = timezone.localdate()
    form = EvaluationForm(request.POST or None, initial={"year": today.year, "held_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_evaluation(found, request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, _("The evaluation is recorded."), _network_url(found))
    return _form_page(request, form, title=_("Yearly evaluation"), network=found, submit=_("Save"))


def _person_in(network: Network, pk: int | None) -> Person | None:
    """The person chosen on a form, if they are (or were) in this BIN: the service decides
    whether they qualify, this only keeps other BINs' people out of reach."""
    if pk is None:
        return None
    return Person.objects.filter(pk=pk, memberships__network=network).distinct().first()


def _not_a_member(form, field: str) -> None:
    form.add_error(field, _("Choose a member of this BIN."))


@login_required
def screening(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.can_oversee(request.user, found))
    form = ScreeningForm(request.POST or None, people=_members(found, voting=True))
    if request.method == "POST" and form.is_valid():
        person = _person_in(found, form.cleaned_data["person"])
        if person is None:
            _not_a_member(form, "person")
        else:
            try:
                services.record_screening(
                    found, person, request.user, form.cleaned_data["screened_on"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return _saved(request, _("The screening is recorded."), _network_url(found))
    return _form_page(
        request,
        form,
        title=_("Record a screening"),
        network=found,
        submit=_("Save"),
        intro=_("Record only that the police screened this member, and when; never its content."),
    )


@login_required
def handover(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.is_officer(request.user, found))
    form = HandoverForm(request.POST or None, people=_members(found, voting=True))
    if request.method == "POST" and form.is_valid():
        person = _person_in(found, form.cleaned_data["person"])
        if person is None:
            _not_a_member(form, "person")
        else:
            try:
                services.hand_over(found, request.user, person, form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return _saved(
                    request,
                    _("%(name)s is now coordinator.") % {"name": person.full_name},
                    _network_url(found),
                )
    return _form_page(
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


# --- A coordinator's case ------------------------------------------------------------------------


@login_required
def open_case(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.can_oversee(request.user, found))
    form = OpenCaseForm(request.POST or None, people=services.coordinators_of(found))
    if request.method == "POST" and form.is_valid():
        person = _person_in(found, form.cleaned_data["coordinator"])
        if person is None:
            _not_a_member(form, "coordinator")
        else:
            try:
                case = services.open_case(found, person, request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return _saved(
                    request, _("The case is opened."), reverse("governance:case", args=[case.pk])
                )
    return _form_page(
        request, form, title=_("Open a case about a coordinator"), network=found, submit=_("Open")
    )


@login_required
def case(request: HttpRequest, pk: int) -> HttpResponse:
    found = _case(request, pk)
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


def _case_form(request, pk, form_class, call, *, title, success, **form_kwargs):
    found = _case(request, pk)
    form = form_class(request.POST or None, **form_kwargs)
    back = reverse("governance:case", args=[found.pk])
    if request.method == "POST" and form.is_valid():
        try:
            call(found, form)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, success, back)
    return _form_page(
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
    def call(found, form):
        services.record_step(found, request.user, services.StepInput(**form.cleaned_data))

    found = _case(request, pk)
    upcoming = found.next_step()
    return _case_form(
        request,
        pk,
        StepForm,
        call,
        title=_("Record the next step"),
        success=_("The step is recorded."),
        initial={"step": upcoming, "occurred_on": timezone.localdate()},
    )


@login_required
def case_ministry(request: HttpRequest, pk: int) -> HttpResponse:
    found = _case(request, pk)
    _allow(services.may_record_step(request.user, found.network, Step.REMOVAL))
    return _case_form(
        request,
        pk,
        DateForm,
        lambda c, form: services.record_ministry_notice(c, request.user, form.value),
        title=_("The ministry was notified"),
        success=_("The notice to the ministry is recorded."),
        field_name="notified_on",
        label=_("Notified on"),
    )


@login_required
def case_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_form(
        request,
        pk,
        DateForm,
        lambda c, form: services.lodge_appeal(c, request.user, form.value),
        title=_("An appeal was lodged"),
        success=_("The appeal is recorded."),
        field_name="lodged_on",
        label=_("Lodged on"),
    )


@login_required
def case_appeal_decision(request: HttpRequest, pk: int) -> HttpResponse:
    found = _case(request, pk)
    _allow(services.may_record_step(request.user, found.network, Step.REMOVAL))
    return _case_form(
        request,
        pk,
        AppealDecisionForm,
        lambda c, form: services.decide_appeal(
            c, request.user, form.cleaned_data["outcome"], form.cleaned_data["decided_on"]
        ),
        title=_("The appeal's outcome"),
        success=_("The appeal's outcome is recorded; the case is closed."),
    )


@login_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    found = _case(request, pk)
    _allow(services.can_oversee(request.user, found.network))
    return _case_form(
        request,
        pk,
        CloseCaseForm,
        lambda c, form: services.close_case(c, request.user, form.cleaned_data["note"]),
        title=_("Close the case"),
        success=_("The case is closed."),
    )


# --- Meeting rules and consultations -------------------------------------------------------------


@login_required
def rules(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.can_run_meetings(request.user, found))
    current = services.rules_for(found)
    form = RulesForm(
        request.POST or None,
        initial={
            "quorum_percent": current.quorum_percent,
            "quorum_minimum": current.quorum_minimum,
            "notice_days": current.notice_days,
            "proxies_allowed": current.proxies_allowed,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rules(found, request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, _("The meeting rules are saved."), _network_url(found))
    return _form_page(request, form, title=_("Rules for votes"), network=found, submit=_("Save"))


@login_required
def role_change(request: HttpRequest, pk: int) -> HttpResponse:
    """The officer approves a function a meeting gave, or objects to it with a reason."""
    change = get_object_or_404(
        RoleChange.objects.select_related("network__municipality", "person", "decision__meeting"),
        pk=pk,
    )
    if not services.can_see_meetings(request.user, change.network):
        raise Http404
    _allow(services.can_oversee(request.user, change.network))
    form = RoleChangeReviewForm(request.POST or None)
    if request.method == "POST" and change.awaiting_review and form.is_valid():
        try:
            if form.cleaned_data["verdict"] == "approve":
                services.approve_role_change(change, request.user)
                done = _("You approved the function.")
            else:
                services.object_to_role_change(change, request.user, form.cleaned_data["reason"])
                done = _("You objected; the function is not given and the coordinator is told.")
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, done, _network_url(change.network))
    values = {
        "name": change.person.full_name,
        "function": change.get_to_role_display(),
        "until": timezone.localtime(change.review_until).strftime("%d/%m/%Y %H:%M")
        if change.review_until
        else "",
    }
    if change.awaiting_review:
        intro = (
            _(
                "A members' meeting voted to make %(name)s %(function)s. Without an objection "
                "the function takes effect after %(until)s."
            )
            % values
        )
    else:
        intro = _("This function change is no longer waiting for the officer.")
        form = None
    return _form_page(
        request,
        form,
        title=_("A function given by a meeting"),
        network=change.network,
        submit=_("Send"),
        intro=intro,
    )


@login_required
def consultation(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    _allow(services.is_officer(request.user, found) or services.is_coordinator(request.user, found))
    owners = [
        m.person
        for m in Membership.objects.filter(
            network=found,
            status=MembershipStatus.APPROVED,
            role__in=[Role.OFFICER, Role.COORDINATOR, Role.STEERING],
        ).select_related("person")
    ]
    form = ConsultationForm(
        request.POST or None, owners=owners, initial={"held_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_consultation(
                found,
                request.user,
                services.ConsultationInput(
                    held_on=data["held_on"],
                    topics=data["topics"],
                    agreements=data["agreements"],
                    next_on=data["next_on"],
                    actions=[
                        services.ActionInput(description=d, owner_id=o, due_on=due)
                        for d, o, due in form.actions()
                    ],
                ),
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return _saved(request, _("The consultation is recorded."), _network_url(found))
    return _form_page(
        request,
        form,
        title=_("Record a consultation"),
        network=found,
        submit=_("Save"),
        template="governance/consultation_form.html",
    )


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(ConsultationAction.objects.select_related("network"), pk=pk)
    network = action.network
    if not _may_know(request.user, network):
        raise Http404
    person = request.user
    _allow(
        services.is_officer(person, network)
        or services.is_coordinator(person, network)
        or action.owner_id == person.pk
    )
    try:
        services.complete_action(action, person)
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
    else:
        flash.success(request, _("The action is marked done."))
    return redirect(_network_url(network))


# --- Meetings -------------------------------------------------------------------------------------


@login_required
def meeting_new(request: HttpRequest, network_id: int) -> HttpResponse:
    found = _network(request, network_id)
    kinds = [
        kind for kind in MeetingKind.values if services.may_schedule(request.user, found, kind)
    ]
    _allow(bool(kinds))
    initial = {"kind": MeetingKind.INFORMATION if found.status == NetworkStatus.PROPOSED else None}
    form = MeetingForm(
        request.POST or None,
        candidates=_members(found, voting=True),
        kinds=kinds,
        initial={k: v for k, v in initial.items() if v and v in kinds},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.schedule_meeting(
                found,
                request.user,
                services.MeetingInput(
                    kind=data["kind"],
                    title=data["title"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    place=data["place"],
                    video_url=data["video_url"],
                    agenda=data["agenda"],
                    decisions=[
                        services.DecisionInput(function=f, candidate_id=c, takes_effect_on=d)
                        for f, c, d in form.decisions()
                    ],
                ),
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return _saved(
                request,
                _("The meeting is scheduled. The members are invited."),
                _meeting_url(meeting),
            )
    return _form_page(
        request,
        form,
        title=_("Schedule a meeting"),
        network=found,
        submit=_("Schedule and invite"),
        template="governance/meeting_form.html",
    )


@login_required
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    found = _meeting(request, pk)
    network = found.network
    person = request.user
    role = Standing.of(person).role_in(network)
    chair = services.can_run_meetings(person, network)
    now = timezone.now()
    answers = dict(found.rsvps.values_list("answer").annotate(n=Count("pk")).order_by())
    mine = Rsvp.objects.filter(meeting=found, person=person).first()
    present_ids = set(found.attendances.values_list("person_id", flat=True))
    proxies = list(found.proxies.select_related("giver", "holder"))
    held_for = [p.giver for p in proxies if p.holder_id == person.pk]
    may_vote = role in (Role.MEMBER, Role.STEERING, Role.COORDINATOR) and person.pk in present_ids
    decisions = []
    for decision in found.decisions.select_related("candidate"):
        votes = {
            v.voter_id: v.choice
            for v in Vote.objects.filter(
                decision=decision, voter_id__in=[person.pk] + [g.pk for g in held_for]
            )
        }
        decisions.append(
            {
                "decision": decision,
                "my_vote": votes.get(person.pk),
                "proxies": [(g, votes.get(g.pk)) for g in held_for],
                "votes_cast": decision.votes.count() if chair else None,
            }
        )
    steering = role == Role.STEERING
    context = {
        "meeting": found,
        "network": network,
        "agenda": mark_safe(to_html(found.agenda)),  # noqa: S308 - sanitised by to_html
        "minutes": mark_safe(to_html(found.minutes)) if found.minutes else "",  # noqa: S308
        "show_minutes": bool(found.minutes) and (found.minutes_approved or chair or steering),
        "chair": chair,
        "may_write_minutes": (chair or steering)
        and not found.minutes_approved
        and found.starts_at <= now
        and found.status != MeetingStatus.CANCELLED,
        "may_cancel": found.status == MeetingStatus.SCHEDULED
        and (chair or services.can_oversee(person, network)),
        "may_mark_held": found.kind == MeetingKind.INFORMATION
        and network.status == NetworkStatus.PROPOSED
        and found.status != MeetingStatus.CANCELLED
        and found.starts_at <= now
        and services.can_oversee(person, network),
        "answers": [(value, label, answers.get(value, 0)) for value, label in Answer.choices],
        "mine": mine,
        "may_rsvp": services.may_rsvp(found, person)
        and found.status == MeetingStatus.SCHEDULED
        and found.ends_at > now,
        "rsvps": found.rsvps.select_related("person").order_by("answer", "person__full_name")
        if chair
        else None,
        "started": found.starts_at <= now,
        "present": [p for p in _members(network, voting=True) if p.pk in present_ids]
        if chair
        else None,
        "present_count": len(present_ids),
        "proxies": proxies if chair else None,
        "proxies_allowed": services.rules_for(network).proxies_allowed,
        "may_vote": may_vote,
        "decisions": decisions,
        "calendar_link": _calendar_link(),
    }
    return render(request, "governance/meeting.html", context)


@login_required
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    found = _meeting(request, pk)
    method = "CANCEL" if found.status == MeetingStatus.CANCELLED else "PUBLISH"
    response = HttpResponse(
        calendar.invitation_ics(found, method=method), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{found.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    found = _meeting(request, pk)
    _allow(services.may_rsvp(found, request.user))
    form = RsvpForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Choose an answer."))
        return redirect(_meeting_url(found))
    try:
        services.rsvp(found, request.user, form.cleaned_data["answer"])
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
    else:
        flash.success(request, _("Thank you, your answer is saved."))
    return redirect(_meeting_url(found))


@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    found = _meeting(request, pk)
    _allow(services.can_run_meetings(request.user, found.network))
    people = _members(found.network, voting=True)
    recorded = list(found.attendances.values_list("person_id", flat=True))
    if not recorded:
        recorded = list(found.rsvps.filter(answer=Answer.YES).values_list("person_id", flat=True))
    form = AttendanceForm(request.POST or None, people=people, initial={"present": recorded})
    if request.method == "POST" and form.is_valid():
        try:
            count = services.record_attendance(found, request.user, form.cleaned_data["present"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(
                request,
                _("Attendance is saved: %(n)s present.") % {"n": count},
                _meeting_url(found),
            )
    return _form_page(
        request,
        form,
        title=_("Who is present"),
        network=found.network,
        submit=_("Save attendance"),
        intro=_("Tick every member who is here. Members who said they would come are ticked."),
        back=_meeting_url(found),
        meeting=found,
    )


@login_required
def proxy(request: HttpRequest, pk: int) -> HttpResponse:
    found = _meeting(request, pk)
    _allow(services.can_run_meetings(request.user, found.network))
    people = _members(found.network, voting=True)
    form = ProxyForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        giver = _person_in(found.network, form.cleaned_data["giver"])
        holder = _person_in(found.network, form.cleaned_data["holder"])
        if giver is None or holder is None:
            form.add_error(None, _("A proxy is given by one member to another member."))
        else:
            try:
                services.record_proxy(found, request.user, giver, holder)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return _saved(request, _("The proxy is recorded."), _meeting_url(found))
    return _form_page(
        request,
        form,
        title=_("Record a proxy"),
        network=found.network,
        submit=_("Save"),
        back=_meeting_url(found),
    )


def _decision_action(request: HttpRequest, pk: int, call, success: str) -> HttpResponse:
    decision = _decision(request, pk)
    _allow(services.can_run_meetings(request.user, decision.meeting.network))
    try:
        call(decision, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
    else:
        flash.success(request, success)
    return redirect(_meeting_url(decision.meeting) + f"#decision-{decision.pk}")


@login_required
@require_POST
def open_vote(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_action(request, pk, services.open_vote, _("The vote is open."))


@login_required
@require_POST
def close_vote(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_action(
        request, pk, services.close_vote, _("The vote is closed and its result recorded.")
    )


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _decision(request, pk)
    network = decision.meeting.network
    role = Standing.of(request.user).role_in(network)
    _allow(role in (Role.MEMBER, Role.STEERING, Role.COORDINATOR))
    back = _meeting_url(decision.meeting) + f"#decision-{decision.pk}"
    form = VoteForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Choose yes, no or abstain."))
        return redirect(back)
    on_behalf_of = None
    if form.cleaned_data["on_behalf_of"]:
        on_behalf_of = _person_in(network, form.cleaned_data["on_behalf_of"])
        if on_behalf_of is None:
            flash.error(request, _("You hold no proxy for this member."))
            return redirect(back)
    try:
        services.cast_vote(decision, request.user, form.cleaned_data["choice"], on_behalf_of)
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
    else:
        flash.success(request, _("Your vote is recorded."))
    return redirect(back)


@login_required
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    found = _meeting(request, pk)
    network = found.network
    _allow(
        services.can_run_meetings(request.user, network)
        or Standing.of(request.user).role_in(network) == Role.STEERING
    )
    form = MinutesForm(request.POST or None, initial={"minutes": found.minutes})
    if request.method == "POST" and form.is_valid():
        try:
            services.write_minutes(found, request.user, form.cleaned_data["minutes"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, _("The minutes are saved."), _meeting_url(found))
    return _form_page(
        request,
        form,
        title=_("Minutes"),
        network=network,
        submit=_("Save the minutes"),
        back=_meeting_url(found),
    )


@login_required
@require_POST
def approve_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    found = _meeting(request, pk)
    _allow(services.can_run_meetings(request.user, found.network))
    try:
        services.approve_minutes(found, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
    else:
        flash.success(request, _("The minutes are approved; the members are told."))
    return redirect(_meeting_url(found))


@login_required
def cancel_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    found = _meeting(request, pk)
    network = found.network
    _allow(
        services.can_run_meetings(request.user, network)
        or services.can_oversee(request.user, network)
    )
    if request.method == "POST":
        try:
            services.cancel_meeting(found, request.user)
        except ValidationError as exc:
            for message in exc.messages:
                flash.error(request, message)
            return redirect(_meeting_url(found))
        return _saved(
            request, _("The meeting is cancelled. The members are told."), _meeting_url(found)
        )
    return render(request, "governance/cancel.html", {"meeting": found, "network": network})
