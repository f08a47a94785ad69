"""The agreement and its signatures, the charter's registration with the ministry, and the
yearly evaluation."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.common.private_files import pdf_download

from .. import services
from ..forms import AgreementForm, DateForm, EvaluationForm, RegistrationReplyForm, SignForm
from ..models import Agreement, CharterRegistration, Party
from .base import (
    allow,
    form_action,
    form_page,
    get_agreement,
    get_network,
    get_registration,
    network_url,
)


def _agreement_url(agreement: Agreement) -> str:
    return reverse("governance:agreement", args=[agreement.pk])


@login_required
def draft_agreement(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.can_oversee(request.user, found))
    last = found.agreements.order_by("-version").first()
    form = AgreementForm(request.POST or None, initial={"text": last.text if last else ""})
    return form_action(
        request,
        lambda: services.draft_agreement(found, request.user, form.cleaned_data["text"]),
        form=form,
        success=_("The agreement is ready. The parties are asked to sign it."),
        to=_agreement_url,
    ) or form_page(
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
    found = get_agreement(request, pk)
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
    found = get_agreement(request, pk)
    network = found.network
    allow(bool(services.may_sign_as(request.user, network)))
    form = SignForm(request.POST or None)
    return form_action(
        request,
        lambda: services.sign_agreement(found, request.user, form.cleaned_data["party"]),
        form=form,
        success=_("Your signature is recorded."),
        to=_agreement_url(found),
    ) or form_page(
        request,
        form,
        title=_("Sign the agreement"),
        network=network,
        submit=_("Sign"),
        back=_agreement_url(found),
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
    found = get_agreement(request, pk)
    allow(services.can_oversee(request.user, found.network))
    return form_action(
        request,
        lambda: services.produce_registration(found, request.user),
        success=_("The registration file is ready to send to the ministry."),
        to=_agreement_url(found),
    )


@login_required
def registration_sent(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_registration(request, pk)
    form = DateForm(request.POST or None, field_name="sent_on", label=_("Sent on"))
    back = _agreement_url(found.agreement)
    return form_action(
        request,
        lambda: services.record_registration_sent(found, request.user, form.value),
        form=form,
        success=_("Recorded when the registration was sent."),
        to=back,
    ) or form_page(
        request,
        form,
        title=_("The registration was sent"),
        network=found.agreement.network,
        submit=_("Save"),
        back=back,
    )


@login_required
def registration_reply(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_registration(request, pk)
    form = RegistrationReplyForm(request.POST or None)
    back = _agreement_url(found.agreement)

    def call() -> CharterRegistration:
        data = form.cleaned_data
        return services.record_registration_reply(
            found,
            request.user,
            reply_on=data["reply_on"],
            outcome=data["outcome"],
            reference=data["reference"],
            note=data["note"],
        )

    return form_action(
        request, call, form=form, success=_("The ministry's reply is recorded."), to=back
    ) or form_page(
        request,
        form,
        title=_("The ministry's reply"),
        network=found.agreement.network,
        submit=_("Save"),
        back=back,
    )


@login_required
def evaluation(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.can_oversee(request.user, found))
    today = timezone.localdate()
    form = EvaluationForm(request.POST or None, initial={"year": today.year, "held_on": today})
    return form_action(
        request,
        lambda: services.record_evaluation(found, request.user, **form.cleaned_data),
        form=form,
        success=_("The evaluation is recorded."),
        to=network_url(found),
    ) or form_page(request, form, title=_("Yearly evaluation"), network=found, submit=_("Save"))
