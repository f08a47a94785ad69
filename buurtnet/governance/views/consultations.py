"""The officer–coordinator consultation and the actions agreed in it."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.networks.models import Membership, MembershipStatus, Role

from .. import services
from ..forms import ConsultationForm
from ..models import Consultation, ConsultationAction
from .base import allow, form_action, form_page, get_network, may_know, network_url


@login_required
def consultation(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.is_officer(request.user, found) or services.is_coordinator(request.user, found))
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

    def call() -> Consultation:
        data = form.cleaned_data
        return services.record_consultation(
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

    return form_action(
        request, call, form=form, success=_("The consultation is recorded."), to=network_url(found)
    ) or form_page(
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
    if not may_know(request.user, network):
        raise Http404
    person = request.user
    allow(
        services.is_officer(person, network)
        or services.is_coordinator(person, network)
        or action.owner_id == person.pk
    )
    return form_action(
        request,
        lambda: services.complete_action(action, person),
        success=_("The action is marked done."),
        to=network_url(network),
    )
