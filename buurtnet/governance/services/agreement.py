"""The agreement between the coordinator, the municipality and the police zone, its
signatures, and the registration of its charter with the federal ministry."""

import hashlib
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.common.markdown import without_controls
from buurtnet.networks.models import MunicipalPartner, Network, NetworkStatus, ZoneStaff
from buurtnet.people.models import Person
from buurtnet.plans.services import effective_plan, plan_content

from .. import documents
from ..models import (
    Agreement,
    AgreementSignature,
    AgreementStatus,
    CharterRegistration,
    Party,
    RegistrationOutcome,
)
from .access import _require, can_oversee, is_coordinator
from .common import LIVING, _notify, _store, _url, _zone_staff, coordinators_of
from .lifecycle import _move, sync_dormancy


def draft_agreement(
    network: Network, by: Person, text: str, charter: str | None = None
) -> Agreement:
    """Freeze the agreement with its annexes (the charter and the plan as they are now) as a
    PDF; an unsigned earlier version is replaced. The parties are asked to sign. A changed
    charter becomes the BIN's charter, in a new version, with the agreement."""
    _require(can_oversee(by, network))
    if network.status not in LIVING:
        raise ValidationError(
            _("An agreement is drafted once the information session was held."), code="too_early"
        )
    charter = without_controls((network.charter if charter is None else charter).strip())
    errors = {}
    if not text.strip():
        errors["text"] = [_("Write the agreement's text.")]
    if not charter:
        errors["charter"] = [_("Write the charter; the agreement annexes it.")]
    if errors:
        raise ValidationError(errors)
    plan = effective_plan(network)
    with transaction.atomic():
        Network.objects.select_for_update().filter(pk=network.pk).first()
        if charter != network.charter.strip():
            network.charter = charter
            network.charter_version += 1 if network.charter else 0
            network.save(update_fields=["charter", "charter_version"])
        network.agreements.filter(status=AgreementStatus.AWAITING).update(
            status=AgreementStatus.SUPERSEDED
        )
        last = network.agreements.aggregate(v=Max("version"))["v"] or 0
        agreement = Agreement.objects.create(
            network=network,
            version=last + 1,
            text=without_controls(text.strip()),
            charter=network.charter,
            charter_version=network.charter_version,
            plan_version=plan.version,
            plan_content=plan_content(plan),
            created_by=by,
        )
        pdf = documents.agreement_pdf(agreement)
        agreement.document_sha256 = hashlib.sha256(pdf).hexdigest()
        _store(agreement.document, f"agreement-{network.pk}-v{agreement.version}.pdf", pdf)
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            agreement,
            network=network,
            detail={"do": "draft_agreement", "version": agreement.version},
        )
        signers = (
            coordinators_of(network)
            + _zone_staff(network)
            + [p.person for p in MunicipalPartner.objects.filter(municipality=network.municipality)]
        )
        _notify(
            signers,
            "agreement_to_sign",
            {"network": network, "url": _url("governance:agreement", agreement.pk)},
        )
    return agreement


def may_sign_as(person: Person, network: Network) -> list[str]:
    """The parties a person may sign an agreement for."""
    parties = []
    if is_coordinator(person, network):
        parties.append(Party.COORDINATOR)
    if MunicipalPartner.objects.filter(person=person, municipality=network.municipality).exists():
        parties.append(Party.MUNICIPALITY)
    if ZoneStaff.objects.filter(person=person, zone_id=network.municipality.zone_id).exists():
        parties.append(Party.ZONE)
    return parties


def sign_agreement(agreement: Agreement, by: Person, party: str) -> AgreementSignature:
    """Record one party's signature; with all three the BIN becomes active."""
    network = agreement.network
    if party not in Party.values:
        raise ValidationError({"party": [_("Choose whom you sign for.")]})
    if party not in may_sign_as(by, network):
        raise ValidationError(
            {"party": [_("You cannot sign for %(party)s.") % {"party": Party(party).label}]},
            code="not_a_signatory",
        )
    now = timezone.now()
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status != AgreementStatus.AWAITING:
            raise ValidationError(
                _("This version of the agreement can no longer be signed."), code="not_awaiting"
            )
        if locked.signatures.filter(party=party).exists():
            raise ValidationError(
                {"party": [_("%(party)s has already signed.") % {"party": Party(party).label}]},
                code="signed",
            )
        signature = AgreementSignature.objects.create(
            agreement=locked,
            party=party,
            person=by,
            signed_at=now,
            document_sha256=locked.document_sha256,
        )
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            locked,
            network=network,
            detail={"do": "sign", "party": party, "version": locked.version},
        )
        if locked.signatures.count() == len(Party.values):
            locked.status = AgreementStatus.SIGNED
            locked.signed_at = now
            locked.save(update_fields=["status", "signed_at"])
            network.refresh_from_db()
            network.agreement_signed_on = timezone.localdate(now)
            network.save(update_fields=["agreement_signed_on"])
            if network.status == NetworkStatus.FOUNDING:
                _move(network, NetworkStatus.ACTIVE, by, "agreement signed")
            sync_dormancy(network, by)
    return signature


def produce_registration(agreement: Agreement, by: Person) -> CharterRegistration:
    """The file to register the signed charter with the federal ministry."""
    _require(can_oversee(by, agreement.network))
    if agreement.status != AgreementStatus.SIGNED:
        raise ValidationError(
            _("Only a signed agreement's charter can be registered."), code="unsigned"
        )
    pdf = documents.registration_pdf(agreement)
    with transaction.atomic():
        registration, _created = CharterRegistration.objects.get_or_create(
            agreement=agreement, defaults={"created_by": by}
        )
        if registration.sent_on:
            raise ValidationError(
                _("The registration was already sent; its file stays as it was."), code="sent"
            )
        _store(
            registration.document,
            f"registration-{agreement.network_id}-v{agreement.version}.pdf",
            pdf,
        )
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            registration,
            network=agreement.network,
            detail={"do": "registration_file"},
        )
    return registration


def record_registration_sent(
    registration: CharterRegistration, by: Person, sent_on: date
) -> CharterRegistration:
    _require(can_oversee(by, registration.agreement.network))
    if sent_on > timezone.localdate():
        raise ValidationError({"sent_on": [_("This date lies in the future.")]})
    registration.sent_on = sent_on
    registration.save(update_fields=["sent_on"])
    audit.record(
        by,
        audit.Action.GOVERNANCE,
        registration,
        network=registration.agreement.network,
        detail={"do": "registration_sent"},
    )
    return registration


def record_registration_reply(
    registration: CharterRegistration,
    by: Person,
    *,
    reply_on: date,
    outcome: str,
    reference: str = "",
    note: str = "",
) -> CharterRegistration:
    _require(can_oversee(by, registration.agreement.network))
    errors = {}
    if registration.sent_on is None:
        errors["reply_on"] = [_("Record first when the registration was sent.")]
    elif reply_on < registration.sent_on:
        errors["reply_on"] = [_("The reply cannot come before the registration was sent.")]
    if reply_on > timezone.localdate():
        errors["reply_on"] = [_("This date lies in the future.")]
    if outcome not in RegistrationOutcome.values:
        errors["outcome"] = [_("Choose the ministry's answer.")]
    if errors:
        raise ValidationError(errors)
    registration.reply_on = reply_on
    registration.reply_outcome = outcome
    registration.reply_reference = reference.strip()[:100]
    registration.reply_note = note.strip()[:500]
    registration.reply_recorded_by = by
    registration.save()
    audit.record(
        by,
        audit.Action.GOVERNANCE,
        registration,
        network=registration.agreement.network,
        detail={"do": "registration_reply", "outcome": outcome},
    )
    return registration
