from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtnet.common.form_errors import apply_errors
from buurtnet.networks.models import Network, PoliceZone

from . import services
from .forms import QuestionForm, SurveyForm
from .models import Question, QuestionKind, Round, Survey, SurveyStatus

LIKERT_LABELS = [
    # Lazy: read in the reader's language, not in whichever was active at import.
    (1, gettext_lazy("Strongly disagree")),
    (2, gettext_lazy("Disagree")),
    (3, gettext_lazy("Neither agree nor disagree")),
    (4, gettext_lazy("Agree")),
    (5, gettext_lazy("Strongly agree")),
]


def _language() -> str:
    return (translation.get_language() or "nl")[:2]


def _survey_for(request: HttpRequest, pk: int) -> Survey:
    survey = get_object_or_404(Survey.objects.select_related("zone"), pk=pk)
    if not services.can_manage(request.user, survey):
        raise Http404
    return survey


# --- Building (zone staff, municipal partners) --------------------------------------------------


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    zones = services.manageable_zones(request.user)
    if not zones:
        raise PermissionDenied
    candidates = Survey.objects.filter(zone__in=zones).prefetch_related("networks")
    surveys = [s for s in candidates if services.can_manage(request.user, s)]
    return render(
        request,
        "surveys/list.html",
        {"zones": zones, "surveys": surveys, "language": _language()},
    )


@login_required
def new_survey(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = get_object_or_404(PoliceZone, pk=zone_id)
    if zone not in services.manageable_zones(request.user):
        raise Http404
    networks = services.targetable_networks(request.user, zone)
    form = SurveyForm(request.POST or None, networks=networks, initial={"language": _language()})
    question = QuestionForm(request.POST or None, prefix="q")
    status = 200
    if request.method == "POST":
        if form.is_valid() and question.is_valid():
            try:
                survey = services.create_survey(
                    request.user, zone, form.to_input(), [question.to_input()]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                flash.success(request, _("The survey is saved as a draft."))
                return redirect("surveys:survey", survey.pk)
        status = 400
    return render(
        request,
        "surveys/new.html",
        {"zone": zone, "form": form, "question": question},
        status=status,
    )


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey_for(request, pk)
    networks = services.targetable_networks(request.user, survey.zone)
    if survey.status == SurveyStatus.DRAFT:
        form = SurveyForm(
            request.POST or None, networks=networks, initial=SurveyForm.initial_from(survey)
        )
    else:
        form = None
    status = 200
    if request.method == "POST":
        if form is None:
            flash.error(request, _("A survey that was sent cannot be changed."))
            return redirect("surveys:survey", survey.pk)
        if form.is_valid():
            try:
                services.update_survey(survey, request.user, form.to_input())
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                flash.success(request, _("Saved."))
                return redirect("surveys:survey", survey.pk)
        status = 400
    questions = [
        (q, QuestionForm(initial=QuestionForm.initial_from(q), prefix=f"q{q.pk}"))
        for q in survey.questions.prefetch_related("options")
    ]
    return render(
        request,
        "surveys/survey.html",
        {
            "survey": survey,
            "form": form,
            "questions": questions,
            "new_question": QuestionForm(prefix="new"),
            "rounds": survey.rounds.all(),
            "language": _language(),
            "title": survey.title(_language()),
        },
        status=status,
    )


@login_required
@require_POST
def add_question(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey_for(request, pk)
    form = QuestionForm(request.POST, prefix="new")
    if not form.is_valid():
        flash.error(request, _("Check the question: %(errors)s") % {"errors": _errors(form)})
        return redirect("surveys:survey", survey.pk)
    try:
        services.add_question(survey, request.user, form.to_input())
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("Question added."))
    return redirect("surveys:survey", survey.pk)


def _errors(form) -> str:
    return " ".join(str(m) for errors in form.errors.values() for m in errors)


@login_required
@require_POST
def question(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Question.objects.select_related("survey"), pk=pk)
    survey = _survey_for(request, item.survey_id)
    action = request.POST.get("action", "save")
    try:
        if action == "up":
            services.move_question(item, request.user, -1)
        elif action == "down":
            services.move_question(item, request.user, +1)
        elif action == "remove":
            services.remove_question(item, request.user)
            flash.success(request, _("Question removed."))
        else:
            form = QuestionForm(request.POST, prefix=f"q{item.pk}")
            if not form.is_valid():
                flash.error(
                    request, _("Check the question: %(errors)s") % {"errors": _errors(form)}
                )
                return redirect("surveys:survey", survey.pk)
            services.update_question(item, request.user, form.to_input())
            flash.success(request, _("Saved."))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    return redirect("surveys:survey", survey.pk)


@login_required
def send(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey_for(request, pk)
    problems: list[str] = []
    if request.method == "POST":
        try:
            round_ = services.send(survey, request.user)
        except ValidationError as exc:
            problems = exc.messages
        else:
            if round_:
                flash.success(request, _("The survey was sent."))
            else:
                flash.success(request, _("The survey will be sent on its first sending day."))
            return redirect("surveys:survey", survey.pk)
    networks = (
        Network.objects.filter(municipality__zone=survey.zone, status__in=services.LIVING)
        if survey.scope == "zone"
        else survey.networks.all()
    )
    return render(
        request,
        "surveys/send.html",
        {
            "survey": survey,
            "title": survey.title(_language()),
            "networks": networks.order_by("name"),
            "problems": problems or services._sendable_errors(survey),
        },
        status=400 if problems else 200,
    )


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey_for(request, pk)
    services.close_survey(survey, request.user)
    flash.success(request, _("The survey is closed: no more answers, no more rounds."))
    return redirect("surveys:survey", survey.pk)


@login_required
def round_results(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(Round.objects.select_related("survey"), pk=pk)
    _survey_for(request, round_.survey_id)
    language = _language()
    whole = services.results(round_, language=language)
    networks = list(round_.networks.order_by("name"))
    per_network = (
        [(n, services.results(round_, [n.pk], language=language)) for n in networks]
        if len(networks) > 1
        else []
    )
    return render(
        request,
        "surveys/results.html",
        {
            "round": round_,
            "whole": whole,
            "per_network": per_network,
            "likert_labels": LIKERT_LABELS,
        },
    )


# --- Answering (members) -------------------------------------------------------------------------


@login_required
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(Round.objects.select_related("survey"), pk=pk)
    if services.answering_network(request.user, round_) is None:
        raise Http404
    if request.method == "POST":
        token = str(request.POST.get("token", ""))[:100]
        try:
            services.submit_answers(round_, request.user, token, request.POST)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                # The ticket is still unused: the same form, with what was wrong.
                return _answer_page(request, round_, token, exc.message_dict, status=400)
            return _refused(request, round_, exc.messages, status=400)
        request.session.pop(_session_key(round_), None)
        return redirect("surveys:thanks")
    if services.has_taken_part(round_, request.user):
        # A reload, or the link opened twice: the token given before still works until
        # the answers are in. It lives in the member's own session only, and is dropped
        # when they answer, so nothing kept links them to their answers.
        kept = str(request.session.get(_session_key(round_), ""))
        if services.ticket_is_open(round_, kept):
            return _answer_page(request, round_, kept, {})
        return _refused(request, round_, services.already_answered_error().messages, status=409)
    try:
        token = services.open_answer_page(round_, request.user)
    except ValidationError as exc:
        return _refused(request, round_, exc.messages, status=409)
    request.session[_session_key(round_)] = token
    return _answer_page(request, round_, token, {})


def _session_key(round_: Round) -> str:
    return f"survey_token_{round_.pk}"


def _answer_page(request, round_: Round, token: str, errors: dict, status: int = 200):
    language = _language()
    survey = round_.survey
    posted = request.POST if request.method == "POST" else {}
    questions = []
    for q in survey.questions.prefetch_related("options"):
        name = f"q{q.pk}"
        chosen = set(posted.getlist(name)) if posted else set()
        if q.kind == QuestionKind.LIKERT:
            choices = [(str(v), label, str(v) in chosen) for v, label in LIKERT_LABELS]
        else:
            choices = [
                (str(o.pk), o.text_in(language), str(o.pk) in chosen) for o in q.options.all()
            ]
        questions.append(
            {
                "name": name,
                "kind": q.kind,
                "text": q.text_in(language),
                "choices": choices,
                "value": posted.get(name, "") if q.kind == QuestionKind.TEXT else "",
                "errors": errors.get(name, []),
            }
        )
    return render(
        request,
        "surveys/answer.html",
        {
            "round": round_,
            "text": survey.text_in(language),
            "questions": questions,
            "token": token,
            "has_errors": bool(errors),
        },
        status=status,
    )


def _refused(request, round_: Round, problems: list[str], status: int) -> HttpResponse:
    return render(
        request,
        "surveys/refused.html",
        {"round": round_, "text": round_.survey.text_in(_language()), "problems": problems},
        status=status,
    )


@login_required
def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/thanks.html")
