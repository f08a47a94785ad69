"""Votes on a meeting's decisions, and the officer's review of the function a vote gave."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.networks.models import Role
from buurtnet.networks.permissions import Standing

from .. import services
from ..forms import RoleChangeReviewForm, VoteForm
from ..models import Decision, RoleChange, Vote
from .base import allow, form_action, form_page, get_decision, meeting_url, network_url, person_in


def _decision_url(decision: Decision) -> str:
    return meeting_url(decision.meeting) + f"#decision-{decision.pk}"


def _chair_action(request: HttpRequest, pk: int, call, success: str) -> HttpResponse:
    """Open or close a vote: the meeting's chair's buttons."""
    decision = get_decision(request, pk)
    allow(services.can_run_meetings(request.user, decision.meeting.network))
    return form_action(
        request, lambda: call(decision, request.user), success=success, to=_decision_url(decision)
    )


@login_required
@require_POST
def open_vote(request: HttpRequest, pk: int) -> HttpResponse:
    return _chair_action(request, pk, services.open_vote, _("The vote is open."))


@login_required
@require_POST
def close_vote(request: HttpRequest, pk: int) -> HttpResponse:
    return _chair_action(
        request, pk, services.close_vote, _("The vote is closed and its result recorded.")
    )


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_decision(request, pk)
    network = decision.meeting.network
    role = Standing.of(request.user).role_in(network)
    allow(role in (Role.MEMBER, Role.STEERING, Role.COORDINATOR))
    form = VoteForm(request.POST)

    def call() -> Vote:
        if not form.is_valid():
            raise ValidationError(_("Choose yes, no or abstain."))
        on_behalf_of = None
        if form.cleaned_data["on_behalf_of"]:
            on_behalf_of = person_in(network, form.cleaned_data["on_behalf_of"])
            if on_behalf_of is None:
                raise ValidationError(_("You hold no proxy for this member."))
        return services.cast_vote(decision, request.user, form.cleaned_data["choice"], on_behalf_of)

    return form_action(
        request, call, success=_("Your vote is recorded."), to=_decision_url(decision)
    )


@login_required
def role_change(request: HttpRequest, pk: int) -> HttpResponse:
    """The officer approves a function a meeting gave, or objects to it with a reason."""
    change = get_object_or_404(
        RoleChange.objects.select_related("network__municipality", "person", "decision__meeting"),
        pk=pk,
    )
    if not services.can_see_meetings(request.user, change.network):
        raise Http404
    allow(services.can_oversee(request.user, change.network))
    form = RoleChangeReviewForm(request.POST or None)

    def review() -> str:
        """Record the verdict; what the officer is told depends on it."""
        if form.cleaned_data["verdict"] == "approve":
            services.approve_role_change(change, request.user)
            return _("You approved the function.")
        services.object_to_role_change(change, request.user, form.cleaned_data["reason"])
        return _("You objected; the function is not given and the coordinator is told.")

    if change.awaiting_review:
        done = form_action(
            request, review, form=form, success=lambda told: told, to=network_url(change.network)
        )
        if done:
            return done
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
    return form_page(
        request,
        form,
        title=_("A function given by a meeting"),
        network=change.network,
        submit=_("Send"),
        intro=intro,
    )
