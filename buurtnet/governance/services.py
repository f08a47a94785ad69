"""Business rules of a BIN's governance: founding, the agreement, the coordinator's standing,
meetings and votes, role changes and the officer–coordinator consultation.

Every function checks who may do it against the network (never a global role), raises
PermissionDenied or a translated ValidationError, and changes nothing when it refuses.
"""

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.common.private_files import storing
from buurtnet.delivery.services import notify_person
from buurtnet.networks import geo
from buurtnet.networks.models import (
    Membership,
    MembershipChange,
    MembershipStatus,
    Municipality,
    MunicipalPartner,
    Network,
    NetworkStatus,
    NetworkStatusChange,
    Role,
    ZoneStaff,
)
from buurtnet.networks.permissions import Action, Standing
from buurtnet.people.models import Person
from buurtnet.plans.services import effective_plan, effective_plans

from .models import (
    APPEAL_DAYS,
    OBJECTION_DAYS,
    QUORUM_MINIMUM_FLOOR,
    QUORUM_PERCENT_FLOOR,
    Agreement,
    AgreementSignature,
    AgreementStatus,
    Answer,
    AppealOutcome,
    Attendance,
    CaseStep,
    CharterRegistration,
    Choice,
    Consultation,
    ConsultationAction,
    ConsultationReminder,
    CoordinatorCase,
    Decision,
    DecisionStatus,
    EmergencyHandover,
    Evaluation,
    FoundingRequest,
    Function,
    Meeting,
    MeetingKind,
    MeetingRules,
    MeetingStatus,
    Outcome,
    Party,
    Proxy,
    RegistrationOutcome,
    RequesterKind,
    RoleChange,
    Rsvp,
    Screening,
    Step,
    Vote,
)

LANGUAGES = ("nl", "fr", "en")
# Statuses in which a BIN lives: founded or being founded, not proposed or ended.
LIVING = (NetworkStatus.FOUNDING, NetworkStatus.ACTIVE, NetworkStatus.DORMANT)
TREND_DAYS = 90


# --- Who may do what ---------------------------------------------------------------------


def is_officer(person: Person, network: Network) -> bool:
    return Standing.of(person).role_in(network) == Role.OFFICER


def is_coordinator(person: Person, network: Network) -> bool:
    return Standing.of(person).role_in(network) == Role.COORDINATOR


def is_zone_staff(person: Person, network: Network) -> bool:
    standing = Standing.of(person)
    return standing.is_superuser or network.municipality_id in standing.zone_municipality_ids


def is_municipal_partner(person: Person, network: Network) -> bool:
    return network.municipality_id in Standing.of(person).partner_municipality_ids


def can_oversee(person: Person, network: Network) -> bool:
    """The BIN's officer and its zone's staff: overview, founding steps, screening."""
    return is_officer(person, network) or is_zone_staff(person, network)


def can_run_meetings(person: Person, network: Network) -> bool:
    return is_coordinator(person, network) or is_officer(person, network)


def can_see_meetings(person: Person, network: Network) -> bool:
    return Standing.of(person).can(Action.VIEW_NETWORK, network)


def can_see_consultations(person: Person, network: Network) -> bool:
    return can_oversee(person, network) or is_coordinator(person, network)


def can_see_cases(person: Person, network: Network) -> bool:
    """A coordinator's case is for the police and the administrative authority only."""
    return can_oversee(person, network) or is_municipal_partner(person, network)


def can_see_agreement(person: Person, network: Network) -> bool:
    return (
        can_oversee(person, network)
        or is_coordinator(person, network)
        or is_municipal_partner(person, network)
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _people(network: Network, *roles: str) -> list[Person]:
    return list(
        Person.objects.filter(
            memberships__network=network,
            memberships__status=MembershipStatus.APPROVED,
            memberships__role__in=roles,
            is_active=True,
        ).distinct()
    )


def officers_of(network: Network) -> list[Person]:
    return _people(network, Role.OFFICER)


def coordinators_of(network: Network) -> list[Person]:
    return _people(network, Role.COORDINATOR)


def _zone_staff(network: Network) -> list[Person]:
    return list(
        Person.objects.filter(
            zone_staff__zone_id=network.municipality.zone_id, is_active=True
        ).distinct()
    )


def _notify(people, template: str, context: dict) -> None:
    for person in {p.pk: p for p in people}.values():
        notify_person(person, f"governance/email/{template}", context)


def _url(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- The life of a BIN --------------------------------------------------------------------


ALLOWED_MOVES = {
    NetworkStatus.PROPOSED: {NetworkStatus.FOUNDING, NetworkStatus.DISSOLVED},
    NetworkStatus.FOUNDING: {NetworkStatus.ACTIVE, NetworkStatus.DISSOLVED},
    NetworkStatus.ACTIVE: {NetworkStatus.DORMANT, NetworkStatus.DISSOLVED},
    NetworkStatus.DORMANT: {NetworkStatus.ACTIVE, NetworkStatus.DISSOLVED},
    NetworkStatus.DISSOLVED: set(),
}


def _move(network: Network, status: str, by: Person | None, note: str) -> Network:
    """Change the network's status along the founding workflow. Must run in a transaction."""
    if status not in ALLOWED_MOVES[network.status]:
        raise ValidationError(
            _("A BIN cannot go from “%(old)s” to “%(new)s”.")
            % {"old": network.get_status_display(), "new": NetworkStatus(status).label},
            code="illegal_move",
        )
    now = timezone.now()
    audit.record(
        by,
        audit.Action.CHANGE_NETWORK,
        network,
        network=network,
        detail={"from": network.status, "to": status},
    )
    network.status = status
    network.status_changed_at = now
    network.save(update_fields=["status", "status_changed_at"])
    NetworkStatusChange.objects.create(
        network=network, status=status, changed_at=now, changed_by=by, note=note[:300]
    )
    return network


@dataclass
class FoundingInput:
    name: str
    municipality_id: int
    kind: str
    area: dict
    motivation: str


def request_founding(by: Person, data: FoundingInput) -> Network:
    """Residents, a municipality or the zone ask for a new BIN with a proposed area. The
    zone's staff are told; the BIN is "proposed" until its information session is held."""
    municipality = Municipality.objects.select_related("zone").filter(pk=data.municipality_id)
    municipality = municipality.first()
    errors: dict[str, list[str]] = {}
    if municipality is None:
        errors["municipality_id"] = [_("Choose a municipality.")]
    if not data.name.strip():
        errors["name"] = [_("Give the BIN a name.")]
    if not data.motivation.strip():
        errors["motivation"] = [_("Say why the neighbourhood wants a BIN.")]
    try:
        geo.validate_area(data.area)
    except ValidationError as exc:
        errors["area"] = exc.messages
    if errors:
        raise ValidationError(errors)
    standing = Standing.of(by)
    if municipality.zone_id in standing.zone_ids:
        kind = RequesterKind.ZONE
    elif municipality.pk in standing.partner_municipality_ids:
        kind = RequesterKind.MUNICIPALITY
    else:
        kind = RequesterKind.RESIDENTS
        if not by.has_point or not geo.contains(data.area, by.longitude, by.latitude):
            raise ValidationError(
                {"area": [_("The proposed area must include your own address.")]},
                code="outside_area",
            )
    if Network.objects.filter(municipality=municipality, name=data.name.strip()).exists():
        raise ValidationError(
            {"name": [_("This municipality already has a BIN with that name.")]}, code="duplicate"
        )
    with transaction.atomic():
        network = Network(
            name=data.name.strip(),
            municipality=municipality,
            kind=data.kind,
            area=data.area,
            status=NetworkStatus.PROPOSED,
        )
        network.full_clean()
        network.save()
        NetworkStatusChange.objects.create(
            network=network, status=NetworkStatus.PROPOSED, changed_by=by, note="request"
        )
        FoundingRequest.objects.create(
            network=network,
            requester_kind=kind,
            requested_by=by,
            motivation=data.motivation.strip(),
        )
        audit.record(by, audit.Action.GOVERNANCE, network, network=network, detail={"do": "ask"})
        _notify(
            _zone_staff(network),
            "founding_requested",
            {"network": network, "url": _url("governance:network", network.pk)},
        )
    return network


def decline_request(network: Network, by: Person, reason: str) -> Network:
    """The zone says no to a proposed BIN; the requester reads the reason."""
    _require(is_zone_staff(by, network))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason; the requester will read it.")]})
    if network.status != NetworkStatus.PROPOSED:
        raise ValidationError(_("Only a proposed BIN can be declined."), code="not_proposed")
    with transaction.atomic():
        _move(network, NetworkStatus.DISSOLVED, by, reason.strip())
        founding = FoundingRequest.objects.filter(network=network).first()
        if founding and founding.requested_by:
            _notify(
                [founding.requested_by],
                "founding_declined",
                {"network": network, "reason": reason.strip()},
            )
    return network


def draft_agreement(
    network: Network, by: Person, text: str, charter: str | None = None
) -> Agreement:
    """Freeze the agreement with its annexes (the charter and the plan as they are now) as a
    PDF; an unsigned earlier version is replaced. The parties are asked to sign. A changed
    charter becomes the BIN's charter, in a new version, with the agreement."""
    from buurtnet.common.markdown import without_controls

    from . import documents

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
            plan_content=_plan_annex(plan),
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


def _plan_annex(plan) -> dict:
    return {
        "police_route": plan.police_route,
        "forward_within_minutes": plan.forward_within_minutes,
        "sms_segment_limit": plan.sms_segment_limit,
        "consult_every_days": plan.consult_every_days,
        "rules": list(plan.rules.values()),
    }


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
    from . import documents

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


def record_evaluation(
    network: Network, by: Person, *, year: int, held_on: date, summary: str
) -> Evaluation:
    _require(is_officer(by, network) or is_zone_staff(by, network))
    errors = {}
    today = timezone.localdate()
    if held_on > today:
        errors["held_on"] = [_("This date lies in the future.")]
    if not (2000 <= year <= today.year):
        errors["year"] = [_("Choose a year up to this one.")]
    if not summary.strip():
        errors["summary"] = [_("Summarise the evaluation.")]
    if network.status not in (NetworkStatus.ACTIVE, NetworkStatus.DORMANT):
        errors["year"] = [_("Only a founded BIN is evaluated.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Evaluation.objects.create(
                network=network, year=year, held_on=held_on, summary=summary.strip(), recorded_by=by
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"year": [_("This year's evaluation is already recorded.")]}, code="duplicate"
        ) from exc


def evaluation_due(network: Network, today: date | None = None) -> bool:
    """A founded BIN is evaluated every year: due when the last evaluation (or, before the
    first, the agreement) is more than a year old."""
    today = today or timezone.localdate()
    if network.status not in (NetworkStatus.ACTIVE, NetworkStatus.DORMANT):
        return False
    last = network.evaluations.aggregate(d=Max("held_on"))["d"] or network.agreement_signed_on
    return last is not None and (today - last).days > 365


def sync_dormancy(network: Network, by: Person | None = None) -> Network:
    """An active BIN without a coordinator is dormant; a dormant one (which was active
    before: only an active BIN falls dormant) is active again with a coordinator."""
    has_coordinator = Membership.objects.filter(
        network=network, role=Role.COORDINATOR, status=MembershipStatus.APPROVED
    ).exists()
    if network.status == NetworkStatus.ACTIVE and not has_coordinator:
        _move(network, NetworkStatus.DORMANT, by, "no coordinator")
    elif network.status == NetworkStatus.DORMANT and has_coordinator:
        _move(network, NetworkStatus.ACTIVE, by, "coordinator in office")
    return network


def sync_all_dormancy() -> int:
    """For `tick`: a coordinator who left through their own settings leaves the BIN
    without one, and nothing else would notice."""
    coordinator = Membership.objects.filter(
        network=OuterRef("pk"), role=Role.COORDINATOR, status=MembershipStatus.APPROVED
    )
    without = Network.objects.filter(status=NetworkStatus.ACTIVE).filter(~Exists(coordinator))
    changed = 0
    for network in without:
        with transaction.atomic():
            sync_dormancy(network)
        changed += 1
    return changed


def dissolve(network: Network, by: Person, reason: str) -> Network:
    """End a BIN: members are told, memberships end, what is planned is cancelled and the
    homes on the absence watch are deleted at once; the rest follows the retention rules."""
    from buurtnet.absences.models import Absence
    from buurtnet.messaging.models import Message, MessageNetwork, MessageStatus

    _require(can_oversee(by, network))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason; the members will read it.")]})
    if network.status == NetworkStatus.DISSOLVED:
        raise ValidationError(_("This BIN is already dissolved."), code="dissolved")
    with transaction.atomic():
        members = list(
            Person.objects.filter(
                memberships__network=network,
                memberships__status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
                is_active=True,
            ).distinct()
        )
        _move(network, NetworkStatus.DISSOLVED, by, reason.strip())
        now = timezone.now()
        open_memberships = list(
            Membership.objects.filter(
                network=network,
                status__in=[
                    MembershipStatus.APPLIED,
                    MembershipStatus.APPROVED,
                    MembershipStatus.PAUSED,
                ],
            )
        )
        MembershipChange.objects.bulk_create(
            MembershipChange(
                membership=m,
                from_status=m.status,
                to_status=MembershipStatus.LEFT,
                changed_at=now,
                changed_by=by,
                reason="dissolved",
            )
            for m in open_memberships
        )
        _end_memberships(open_memberships, now)
        # Only what was meant for this BIN alone: a message to several BINs still goes to
        # the others (this BIN's members have left, so it reaches none of them).
        elsewhere = MessageNetwork.objects.filter(message=OuterRef("pk")).exclude(network=network)
        Message.objects.filter(
            networks__network=network,
            status__in=[MessageStatus.SCHEDULED, MessageStatus.AWAITING_APPROVAL],
            sent_at__isnull=True,
        ).exclude(Exists(elsewhere)).update(status=MessageStatus.CANCELLED)
        network.meetings.filter(status=MeetingStatus.SCHEDULED).update(
            status=MeetingStatus.CANCELLED
        )
        RoleChange.objects.filter(
            network=network, applied_at__isnull=True, dropped_at__isnull=True
        ).update(dropped_at=now, drop_reason="dissolved")
        Absence.objects.filter(network=network).delete()
        _notify(members, "dissolved", {"network": network, "reason": reason.strip()})
    return network


def _end_memberships(memberships: list[Membership], now: datetime) -> None:
    """Mark the memberships left. Those with a function (coordinator, steering group,
    officer) are saved one by one: the model signals that end what the function gave, such
    as its API tokens, fire on save() and not on a bulk update."""
    plain = [m.pk for m in memberships if m.role == Role.MEMBER]
    Membership.objects.filter(pk__in=plain).update(
        status=MembershipStatus.LEFT, status_changed_at=now
    )
    for membership in memberships:
        if membership.role != Role.MEMBER:
            membership.status, membership.status_changed_at = MembershipStatus.LEFT, now
            membership.save(update_fields=["status", "status_changed_at"])


# --- The coordinator's standing -------------------------------------------------------------


def record_screening(network: Network, person: Person, by: Person, screened_on: date) -> Screening:
    """That the police screened a (future) coordinator, and when: never its content."""
    _require(can_oversee(by, network))
    if screened_on > timezone.localdate():
        raise ValidationError({"screened_on": [_("This date lies in the future.")]})
    if not Membership.objects.filter(
        network=network, person=person, status__in=[MembershipStatus.APPROVED]
    ).exists():
        raise ValidationError(
            {"person": [_("Only a member of this BIN can be screened for it.")]}, code="not_member"
        )
    screening = Screening.objects.create(
        network=network, person=person, screened_on=screened_on, recorded_by=by
    )
    audit.record(
        by, audit.Action.GOVERNANCE, screening, network=network, detail={"do": "screening"}
    )
    return screening


def is_screened(network: Network, person: Person) -> bool:
    return Screening.objects.filter(network=network, person=person).exists()


def open_case(network: Network, coordinator: Person, by: Person) -> CoordinatorCase:
    _require(can_oversee(by, network))
    if not Membership.objects.filter(
        network=network,
        person=coordinator,
        role=Role.COORDINATOR,
        status=MembershipStatus.APPROVED,
    ).exists():
        raise ValidationError(
            {"coordinator": [_("This person is not a coordinator of this BIN.")]},
            code="not_coordinator",
        )
    try:
        with transaction.atomic():
            case = CoordinatorCase.objects.create(
                network=network, coordinator=coordinator, opened_by=by
            )
            audit.record(by, audit.Action.GOVERNANCE, case, network=network, detail={"do": "open"})
    except IntegrityError as exc:
        raise ValidationError(
            _("A case about this coordinator is already open."), code="open"
        ) from exc
    return case


def may_record_step(person: Person, network: Network, step: str) -> bool:
    """Who records each step: the talk is the BIN's officer's; the reprimand is the chief
    of police's; the official report is the police's; the removal is the administrative
    authority's, recorded by the municipality or the zone on its written decision."""
    if step == Step.TALK:
        return is_officer(person, network)
    if step == Step.REPRIMAND:
        return (
            ZoneStaff.objects.filter(
                person=person, zone_id=network.municipality.zone_id, is_chief=True
            ).exists()
            or Standing.of(person).is_superuser
        )
    if step == Step.OFFICIAL_REPORT:
        return can_oversee(person, network)
    if step == Step.REMOVAL:
        return is_zone_staff(person, network) or is_municipal_partner(person, network)
    return False


@dataclass
class StepInput:
    step: str
    occurred_on: date
    reason: str
    authority: str = ""


def record_step(case: CoordinatorCase, by: Person, data: StepInput) -> CaseStep:
    """The next step on the ladder, never one further: a removal comes only after a talk, a
    reprimand and an official report. A removal takes the coordinator's role at once."""
    network = case.network
    if not (can_see_cases(by, network)):
        raise PermissionDenied
    errors = {}
    if data.step not in Step.values:
        errors["step"] = [_("Choose a step.")]
    if not data.reason.strip():
        errors["reason"] = [_("Say why; the step is kept with its reason.")]
    if data.occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("This date lies in the future.")]
    if data.step == Step.REMOVAL and not data.authority.strip():
        errors["authority"] = [_("Name the administrative authority that decided the removal.")]
    if errors:
        raise ValidationError(errors)
    if not may_record_step(by, network, data.step):
        raise ValidationError(
            {
                "step": [
                    _("You cannot record this step: %(step)s.") % {"step": Step(data.step).label}
                ]
            },
            code="not_yours",
        )
    with transaction.atomic():
        locked = CoordinatorCase.objects.select_for_update().get(pk=case.pk)
        if locked.closed_at is not None:
            raise ValidationError(_("This case is closed."), code="closed")
        expected = locked.next_step()
        if data.step != expected:
            raise ValidationError(
                {
                    "step": [
                        _("The next step is “%(step)s”; no step can be skipped or repeated.")
                        % {"step": Step(expected).label if expected else "–"}
                    ]
                },
                code="out_of_order",
            )
        last = locked.steps.order_by("-occurred_on").first()
        if last and data.occurred_on < last.occurred_on:
            raise ValidationError(
                {"occurred_on": [_("A step cannot come before the one it follows.")]},
                code="before_previous",
            )
        step = CaseStep.objects.create(
            case=locked,
            step=data.step,
            occurred_on=data.occurred_on,
            reason=data.reason.strip(),
            authority=data.authority.strip(),
            recorded_by=by,
        )
        audit.record(by, audit.Action.GOVERNANCE, locked, network=network, detail={"do": data.step})
        if data.step == Step.REMOVAL:
            _remove_coordinator(locked, step, by)
    return step


def _remove_coordinator(case: CoordinatorCase, step: CaseStep, by: Person) -> None:
    membership = (
        Membership.objects.select_for_update()
        .filter(
            network=case.network,
            person=case.coordinator,
            role=Role.COORDINATOR,
            status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
        )
        .first()
    )
    if membership is not None:
        _change_role(
            membership,
            Role.MEMBER,
            by,
            RoleChange(case_step=step, reason="removal"),
            timezone.now(),
        )
    deadline = step.occurred_on + timedelta(days=APPEAL_DAYS)
    _notify(
        [case.coordinator],
        "removed",
        {"network": case.network, "authority": step.authority, "deadline": deadline},
    )


def record_ministry_notice(case: CoordinatorCase, by: Person, notified_on: date) -> CoordinatorCase:
    _require(can_see_cases(by, case.network) and may_record_step(by, case.network, Step.REMOVAL))
    removal = case.removal
    if removal is None:
        raise ValidationError(_("The ministry is notified of a removal."), code="no_removal")
    if notified_on < removal.occurred_on or notified_on > timezone.localdate():
        raise ValidationError(
            {"notified_on": [_("Give a date between the removal and today.")]}, code="bad_date"
        )
    case.ministry_notified_on = notified_on
    case.save(update_fields=["ministry_notified_on"])
    audit.record(
        by, audit.Action.GOVERNANCE, case, network=case.network, detail={"do": "ministry_notice"}
    )
    return case


def lodge_appeal(case: CoordinatorCase, by: Person, lodged_on: date) -> CoordinatorCase:
    """The removed coordinator appealed: only within three weeks of the removal."""
    _require(can_see_cases(by, case.network))
    deadline = case.appeal_deadline
    if deadline is None:
        raise ValidationError(_("There is no removal to appeal."), code="no_removal")
    if case.appeal_lodged_on:
        raise ValidationError(_("The appeal is already recorded."), code="lodged")
    if lodged_on > deadline:
        raise ValidationError(
            {
                "lodged_on": [
                    _("The appeal period ended on %(date)s.")
                    % {"date": deadline.strftime("%d/%m/%Y")}
                ]
            },
            code="too_late",
        )
    if lodged_on < case.removal.occurred_on or lodged_on > timezone.localdate():
        raise ValidationError({"lodged_on": [_("Give a date between the removal and today.")]})
    case.appeal_lodged_on = lodged_on
    case.save(update_fields=["appeal_lodged_on"])
    audit.record(by, audit.Action.GOVERNANCE, case, network=case.network, detail={"do": "appeal"})
    return case


def decide_appeal(
    case: CoordinatorCase, by: Person, outcome: str, decided_on: date
) -> CoordinatorCase:
    """The appeal's outcome closes the case; an overturned removal gives the role back."""
    _require(can_see_cases(by, case.network) and may_record_step(by, case.network, Step.REMOVAL))
    if not case.appeal_lodged_on:
        raise ValidationError(_("No appeal was lodged."), code="no_appeal")
    if case.appeal_outcome:
        raise ValidationError(_("The appeal is already decided."), code="decided")
    if outcome not in AppealOutcome.values:
        raise ValidationError({"outcome": [_("Choose the outcome.")]})
    if decided_on < case.appeal_lodged_on or decided_on > timezone.localdate():
        raise ValidationError({"decided_on": [_("Give a date between the appeal and today.")]})
    now = timezone.now()
    with transaction.atomic():
        case = CoordinatorCase.objects.select_for_update().get(pk=case.pk)
        if case.appeal_outcome:
            raise ValidationError(_("The appeal is already decided."), code="decided")
        case.appeal_outcome = outcome
        case.appeal_decided_on = decided_on
        case.closed_at = now
        case.closed_by = by
        case.close_note = "appeal"
        case.save()
        if outcome == AppealOutcome.OVERTURNED:
            membership = (
                Membership.objects.select_for_update()
                .filter(
                    network=case.network,
                    person=case.coordinator,
                    status=MembershipStatus.APPROVED,
                )
                .first()
            )
            if membership is not None:
                _change_role(
                    membership,
                    Role.COORDINATOR,
                    by,
                    RoleChange(case_step=case.removal, reason="appeal overturned the removal"),
                    now,
                )
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            case,
            network=case.network,
            detail={"do": "appeal_decided", "outcome": outcome},
        )
    return case


def close_case(case: CoordinatorCase, by: Person, note: str) -> CoordinatorCase:
    """The coordinator mended their ways (or the appeal period passed): the case ends."""
    _require(can_oversee(by, case.network))
    if case.closed_at:
        raise ValidationError(_("This case is closed."), code="closed")
    if case.appeal_lodged_on and not case.appeal_outcome:
        raise ValidationError(
            _("Record the appeal's outcome; that closes the case."), code="appeal_pending"
        )
    if not note.strip():
        raise ValidationError({"note": [_("Say why the case is closed.")]})
    case.closed_at = timezone.now()
    case.closed_by = by
    case.close_note = note.strip()[:500]
    case.save(update_fields=["closed_at", "closed_by", "close_note"])
    return case


def hand_over(network: Network, by: Person, to_person: Person, reason: str) -> EmergencyHandover:
    """The officer gives the coordinator's role in an emergency, outside a meeting. The
    reason is required; the person must be a screened member."""
    _require(is_officer(by, network))
    errors = {}
    if not reason.strip():
        errors["reason"] = [_("Say why this cannot wait for a members' meeting.")]
    membership = Membership.objects.filter(
        network=network, person=to_person, status=MembershipStatus.APPROVED
    ).first()
    if membership is None or membership.role == Role.OFFICER:
        errors["person"] = [_("Only a member of this BIN can become its coordinator.")]
    elif membership.role == Role.COORDINATOR:
        errors["person"] = [_("This person is already a coordinator.")]
    elif not is_screened(network, to_person):
        errors["person"] = [_("Record the police screening of this person first.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        handover = EmergencyHandover.objects.create(
            network=network, to_person=to_person, by=by, reason=reason.strip(), at=now
        )
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        _change_role(locked, Role.COORDINATOR, by, RoleChange(handover=handover), now)
    return handover


# --- Role changes -------------------------------------------------------------------------


def _change_role(
    membership: Membership, to_role: str, by: Person | None, change: RoleChange, now: datetime
) -> RoleChange:
    """Apply a role change now, with its ground. Must run in a transaction."""
    change.network_id = membership.network_id
    change.person_id = membership.person_id
    change.from_role = membership.role
    change.to_role = to_role
    change.effective_at = change.effective_at or now
    change.applied_at = now
    change.by = change.by or by
    change.save()
    audit.record(
        by,
        audit.Action.CHANGE_ROLE,
        membership,
        network=membership.network,
        detail={"from": membership.role, "to": to_role, "role_change": change.pk},
    )
    membership.role = to_role
    membership.save(update_fields=["role"])
    network = Network.objects.get(pk=membership.network_id)
    sync_dormancy(network, by)
    _tell_officers(network, change, by)
    return change


def _reviewers(network: Network) -> list[Person]:
    """Who is told of a function change and may object: the BIN's officer, or, in a BIN
    without one, the zone's staff."""
    return officers_of(network) or _zone_staff(network)


def _tell_officers(network: Network, change: RoleChange, by: Person | None) -> None:
    """The officer hears of every function change someone else made."""
    people = [p for p in _reviewers(network) if by is None or p.pk != by.pk]
    _notify(
        people,
        "role_changed",
        {"network": network, "change": change, "url": _url("governance:network", network.pk)},
    )


def apply_due_role_changes(now: datetime | None = None) -> int:
    """Apply every accepted role change whose moment has come. Run by `tick`; each change is
    claimed under a row lock, so two ticks never apply one twice."""
    now = now or timezone.now()
    due = (
        RoleChange.objects.filter(
            effective_at__lte=now, applied_at__isnull=True, dropped_at__isnull=True
        )
        .filter(_reviewed(now))
        .values_list("pk", flat=True)
    )
    return sum(_apply_role_change(pk, now) for pk in list(due))


def _apply_role_change(pk: int, now: datetime) -> bool:
    """Apply one role change if its moment has come and nothing holds it back; False if it
    is not due, already applied or dropped, or dropped now because it no longer fits."""
    with transaction.atomic():
        change = (
            RoleChange.objects.select_for_update()
            .filter(pk=pk, effective_at__lte=now, applied_at__isnull=True, dropped_at__isnull=True)
            .filter(_reviewed(now))
            .first()
        )
        if change is None:
            return False
        membership = (
            Membership.objects.select_for_update()
            .filter(
                network_id=change.network_id,
                person_id=change.person_id,
                status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
            )
            .first()
        )
        problem = _why_not(change, membership)
        if problem:
            change.dropped_at = now
            change.drop_reason = problem
            change.save(update_fields=["dropped_at", "drop_reason"])
            return False
        change.from_role = membership.role
        change.applied_at = now
        change.save(update_fields=["from_role", "applied_at"])
        audit.record(
            change.by,
            audit.Action.CHANGE_ROLE,
            membership,
            network=membership.network,
            detail={"from": membership.role, "to": change.to_role, "role_change": change.pk},
        )
        membership.role = change.to_role
        membership.save(update_fields=["role"])
        sync_dormancy(Network.objects.get(pk=change.network_id), change.by)
        return True


def _reviewed(now: datetime) -> Q:
    """Changes the officer no longer holds back: none to review, approved, or the
    objection period over."""
    return Q(review_until__isnull=True) | Q(reviewed_at__isnull=False) | Q(review_until__lte=now)


def _pending_review(change: RoleChange, by: Person) -> RoleChange:
    """The change, locked, if `by` may still review it; refuses otherwise."""
    _require(can_oversee(by, change.network))
    locked = RoleChange.objects.select_for_update().select_related("network").get(pk=change.pk)
    if not locked.awaiting_review or locked.review_until <= timezone.now():
        raise ValidationError(
            _("This function change is no longer waiting for the officer."), code="reviewed"
        )
    return locked


def approve_role_change(change: RoleChange, by: Person) -> RoleChange:
    """The officer agrees with a function a meeting gave: it takes effect on its date (at
    once if that has come) without waiting for the end of the objection period."""
    with transaction.atomic():
        locked = _pending_review(change, by)
        locked.reviewed_at, locked.reviewed_by = timezone.now(), by
        locked.save(update_fields=["reviewed_at", "reviewed_by"])
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            locked,
            network=locked.network,
            detail={"do": "role_change_approved"},
        )
    _apply_role_change(locked.pk, timezone.now())
    locked.refresh_from_db()
    return locked


def object_to_role_change(change: RoleChange, by: Person, reason: str) -> RoleChange:
    """The officer objects, with a reason, within the period: the function is not given,
    and the coordinators and the person are told why."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you object.")]})
    now = timezone.now()
    with transaction.atomic():
        locked = _pending_review(change, by)
        locked.reviewed_at, locked.reviewed_by = now, by
        locked.objection = reason
        locked.dropped_at, locked.drop_reason = now, "objection by the officer"
        locked.save(
            update_fields=["reviewed_at", "reviewed_by", "objection", "dropped_at", "drop_reason"]
        )
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            locked,
            network=locked.network,
            detail={"do": "role_change_objected"},
        )
        _notify(
            [*coordinators_of(locked.network), locked.person],
            "role_change_objected",
            {
                "network": locked.network,
                "change": locked,
                "reason": reason,
                "url": _url("governance:network", locked.network_id),
            },
        )
    return locked


def _why_not(change: RoleChange, membership: Membership | None) -> str:
    if membership is None:
        return "no longer a member"
    if membership.role == Role.OFFICER:
        return "is the officer"
    if (
        change.to_role == Role.COORDINATOR
        and not Screening.objects.filter(
            network_id=change.network_id, person_id=change.person_id
        ).exists()
    ):
        return "not screened"
    return ""


def role_history(network: Network) -> QuerySet[RoleChange]:
    return network.role_changes.select_related(
        "person", "decision__meeting", "handover", "case_step"
    ).order_by("-effective_at", "-pk")


# --- Meetings -----------------------------------------------------------------------------


@dataclass
class DecisionInput:
    function: str
    candidate_id: int | None
    takes_effect_on: date | None


@dataclass
class MeetingInput:
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    place: str = ""
    video_url: str = ""
    agenda: str = ""
    kind: str = MeetingKind.MEMBERS
    decisions: list[DecisionInput] = field(default_factory=list)


def may_schedule(person: Person, network: Network, kind: str) -> bool:
    if kind == MeetingKind.INFORMATION:
        return can_oversee(person, network)
    return can_run_meetings(person, network)


def schedule_meeting(network: Network, by: Person, data: MeetingInput) -> Meeting:
    """Schedule a meeting and invite the members through the messaging pipeline, with an
    iCalendar file; decision items go on its agenda."""
    if data.kind not in MeetingKind.values:
        raise ValidationError({"kind": [_("Choose the kind of meeting.")]})
    _require(may_schedule(by, network, data.kind))
    errors = _meeting_errors(network, data)
    decisions = []
    for index, item in enumerate(data.decisions):
        try:
            decisions.append(_decision_checked(network, item, data.starts_at))
        except ValidationError as exc:
            errors[f"decision_{index}"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            network=network,
            kind=data.kind,
            title=data.title.strip(),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=data.place.strip(),
            video_url=data.video_url.strip(),
            agenda=data.agenda.strip(),
            created_by=by,
        )
        for item in decisions:
            Decision.objects.create(
                meeting=meeting,
                function=item.function,
                candidate_id=item.candidate_id,
                takes_effect_on=item.takes_effect_on,
            )
        audit.record(
            by, audit.Action.GOVERNANCE, meeting, network=network, detail={"do": "schedule"}
        )
        meeting.invitation = _invite(meeting, by)
        meeting.save(update_fields=["invitation"])
    return meeting


def _meeting_errors(network: Network, data: MeetingInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if network.status == NetworkStatus.DISSOLVED:
        errors["title"] = [_("This BIN is dissolved.")]
    if not data.title.strip():
        errors["title"] = [_("Give the meeting a title.")]
    if data.starts_at is None:
        errors["starts_at"] = [_("Give the date and time it starts.")]
    elif data.starts_at <= timezone.now():
        errors["starts_at"] = [_("A meeting cannot be scheduled in the past.")]
    if data.ends_at is None:
        errors["ends_at"] = [_("Give the time it ends.")]
    elif data.starts_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = [_("The meeting must end after it starts.")]
    elif data.starts_at and data.ends_at - data.starts_at > timedelta(hours=12):
        errors["ends_at"] = [_("A meeting lasts at most 12 hours.")]
    if not data.place.strip() and not data.video_url.strip():
        errors["place"] = [_("Give a place or a video link.")]
    if data.video_url.strip() and not data.video_url.strip().lower().startswith("https://"):
        errors["video_url"] = [_("A video link starts with https://.")]
    if data.kind == MeetingKind.INFORMATION and data.decisions:
        errors["kind"] = [_("An information session takes no decisions; members do.")]
    if data.kind == MeetingKind.MEMBERS and network.status == NetworkStatus.PROPOSED:
        errors["kind"] = [_("A proposed BIN first holds an information session.")]
    days = rules_for(network).notice_days
    if data.decisions and data.starts_at and data.starts_at < timezone.now() + timedelta(days=days):
        errors.setdefault("starts_at", []).append(
            _(
                "A meeting that votes on a function is announced at least %(days)s days ahead "
                "(the BIN's rules): choose a later date."
            )
            % {"days": days}
        )
    return errors


def _notice_given(meeting: Meeting) -> bool:
    """The members were invited at least the BIN's notice before the meeting started."""
    days = rules_for(meeting.network).notice_days
    return meeting.starts_at - meeting.created_at >= timedelta(days=days)


def _require_notice(meeting: Meeting) -> None:
    if not _notice_given(meeting):
        raise ValidationError(
            _(
                "This meeting was announced less than %(days)s days ahead; it cannot vote on a "
                "function. Schedule a new meeting with enough notice."
            )
            % {"days": rules_for(meeting.network).notice_days},
            code="short_notice",
        )


def _decision_checked(network: Network, item: DecisionInput, starts_at) -> DecisionInput:
    if item.function not in Function.values:
        raise ValidationError(_("Choose the function the vote is about."), code="function")
    if item.takes_effect_on is None:
        raise ValidationError(_("Give the date the function takes effect."), code="date")
    if starts_at and item.takes_effect_on < timezone.localdate(starts_at):
        raise ValidationError(
            _("A function cannot take effect before the meeting that confirms it."), code="date"
        )
    membership = Membership.objects.filter(
        network=network, person_id=item.candidate_id, status=MembershipStatus.APPROVED
    ).first()
    if membership is None or membership.role == Role.OFFICER:
        raise ValidationError(
            _("Only a member of this BIN can be proposed for a function."), code="not_member"
        )
    if membership.role == item.function:
        raise ValidationError(_("This member already holds that function."), code="holds")
    if item.function == Function.COORDINATOR and not is_screened(network, membership.person):
        raise ValidationError(
            _(
                "The police must record this member's screening before they can be proposed as "
                "coordinator."
            ),
            code="not_screened",
        )
    return item


def _store(field: FieldFile, name: str, content: bytes) -> None:
    """Write a file of the private storage and save its model (a page error when the storage
    does not answer: nothing is saved)."""
    message = _(
        "The file could not be stored just now, so nothing was saved. Try again in a few minutes."
    )
    with storing(name, message):
        field.save(name, ContentFile(content), save=True)


def _invitees(network: Network) -> list[Person]:
    return list(
        Person.objects.filter(
            memberships__network=network,
            memberships__status=MembershipStatus.APPROVED,
            is_active=True,
        ).distinct()
    )


def _invite(meeting: Meeting, by: Person, cancelled: bool = False):
    """Send the invitation (or the cancellation) to the BIN's members as a notice with the
    iCalendar file attached. The founding requester is invited to an information session."""
    from buurtnet.messaging.services import send_direct

    from . import calendar

    network = meeting.network
    people = _invitees(network)
    if meeting.kind == MeetingKind.INFORMATION:
        founding = FoundingRequest.objects.filter(network=network).first()
        if founding and founding.requested_by:
            people.append(founding.requested_by)
    if not people:
        return None
    plan = effective_plan(network)
    rule = dict(plan.rule("notice") or {})
    rule["channels"] = [c for c in rule.get("channels", []) if c in ("email", "inapp", "push")] or [
        "email",
        "inapp",
    ]
    rule.setdefault("quiet_hours_apply", True)
    rule.setdefault("fallback", True)
    url = _url("governance:meeting", meeting.pk)
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            when = timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y %H:%M")
            title = (_("Cancelled: %(title)s") if cancelled else _("Invitation: %(title)s")) % {
                "title": meeting.title
            }
            lines = [
                _("%(network)s, %(when)s.") % {"network": network.name, "when": when},
                meeting.place or meeting.video_url,
            ]
            if cancelled:
                lines.append(_("This meeting does not take place."))
            else:
                lines.append(_("Let us know whether you come: %(url)s") % {"url": url})
            texts[language] = {"title": title, "body": "\n\n".join(lines), "sms_text": title}
    sender_role = Role.OFFICER if is_officer(by, network) else Role.COORDINATOR
    message = send_direct(
        sender=by,
        sender_role=sender_role,
        network=network,
        people=people,
        kind="notice",
        texts=texts,
        language=network.language,
        rule=rule,
        plan_version=plan.version,
    )
    ics = calendar.invitation_ics(meeting, method="CANCEL" if cancelled else "REQUEST")
    _store(message.attachment, "meeting.ics", ics)
    return message


def cancel_meeting(meeting: Meeting, by: Person) -> Meeting:
    _require(can_run_meetings(by, meeting.network) or can_oversee(by, meeting.network))
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError(_("Only a scheduled meeting can be cancelled."), code="not_scheduled")
    with transaction.atomic():
        # Claimed by a conditional update: a double click sends one cancellation.
        claimed = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.SCHEDULED).update(
            status=MeetingStatus.CANCELLED, sequence=F("sequence") + 1
        )
        if not claimed:
            raise ValidationError(
                _("Only a scheduled meeting can be cancelled."), code="not_scheduled"
            )
        meeting.refresh_from_db()
        meeting.decisions.exclude(status=DecisionStatus.CLOSED).update(
            status=DecisionStatus.WITHDRAWN
        )
        _invite(meeting, by, cancelled=True)
    return meeting


def may_rsvp(meeting: Meeting, person: Person) -> bool:
    """The BIN's members (a paused one too: they may still come), and for an information
    session also the person who asked for the BIN."""
    if Membership.objects.filter(
        network=meeting.network,
        person=person,
        status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
    ).exists():
        return True
    return (
        meeting.kind == MeetingKind.INFORMATION
        and FoundingRequest.objects.filter(network=meeting.network, requested_by=person).exists()
    )


def rsvp(meeting: Meeting, person: Person, answer: str) -> Rsvp:
    if not may_rsvp(meeting, person):
        raise PermissionDenied
    if answer not in Answer.values:
        raise ValidationError({"answer": [_("Choose an answer.")]})
    if meeting.status != MeetingStatus.SCHEDULED or meeting.ends_at <= timezone.now():
        raise ValidationError(_("This meeting is over or cancelled."), code="closed")
    found, _created = Rsvp.objects.update_or_create(
        meeting=meeting, person=person, defaults={"answer": answer, "answered_at": timezone.now()}
    )
    return found


def _voting_members(network: Network) -> QuerySet[Membership]:
    """Who may vote: the BIN's approved members, whatever their function, but not its
    officer, who supervises the BIN rather than belonging to it."""
    return Membership.objects.filter(network=network, status=MembershipStatus.APPROVED).exclude(
        role=Role.OFFICER
    )


def _started(meeting: Meeting, now: datetime | None = None) -> bool:
    return meeting.starts_at <= (now or timezone.now())


# A meeting may overrun; a vote days later, on that day's attendance, would not be the
# members' decision.
VOTE_GRACE = timedelta(hours=2)


def _voting_time(meeting: Meeting, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return meeting.starts_at <= now <= meeting.ends_at + VOTE_GRACE


def record_attendance(meeting: Meeting, by: Person, person_ids: list[int]) -> int:
    """The chair ticks who is present. Only the BIN's members count; the list can be
    corrected until a vote opens, then it is fixed."""
    _require(can_run_meetings(by, meeting.network))
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled."), code="cancelled")
    if not _started(meeting):
        raise ValidationError(
            _("Attendance is recorded once the meeting has started."), code="not_started"
        )
    if meeting.decisions.filter(status__in=[DecisionStatus.OPEN, DecisionStatus.CLOSED]).exists():
        raise ValidationError(_("A vote has opened; the attendance list is fixed."), code="fixed")
    ids = set(person_ids)
    members = set(
        _voting_members(meeting.network)
        .filter(person_id__in=ids)
        .values_list("person_id", flat=True)
    )
    if ids - members:
        raise ValidationError(
            {"present": [_("Only members of this BIN can be recorded as present.")]},
            code="not_member",
        )
    with transaction.atomic():
        meeting.attendances.exclude(person_id__in=members).delete()
        known = set(meeting.attendances.values_list("person_id", flat=True))
        Attendance.objects.bulk_create(
            (Attendance(meeting=meeting, person_id=pk, recorded_by=by) for pk in members - known),
            ignore_conflicts=True,  # the same list sent twice at once
        )
        if meeting.status == MeetingStatus.SCHEDULED:
            meeting.status = MeetingStatus.HELD
            meeting.save(update_fields=["status"])
    return len(members)


def rules_for(network: Network) -> MeetingRules:
    return MeetingRules.objects.filter(network=network).first() or MeetingRules(network=network)


def save_rules(
    network: Network,
    by: Person,
    *,
    quorum_percent: int,
    quorum_minimum: int,
    proxies_allowed: bool,
    notice_days: int | None = None,
) -> MeetingRules:
    _require(can_run_meetings(by, network))
    if Decision.objects.filter(meeting__network=network, status=DecisionStatus.OPEN).exists():
        raise ValidationError(
            _("A vote is open; the rules change after it closes."), code="vote_open"
        )
    rules = rules_for(network)
    rules.quorum_percent = quorum_percent
    rules.quorum_minimum = quorum_minimum
    rules.proxies_allowed = proxies_allowed
    if notice_days is not None:
        rules.notice_days = notice_days
    rules.full_clean(exclude=["network"])
    rules.save()
    audit.record(by, audit.Action.GOVERNANCE, rules, network=network, detail={"do": "rules"})
    return rules


def record_proxy(meeting: Meeting, by: Person, giver: Person, holder: Person) -> Proxy:
    _require(can_run_meetings(by, meeting.network))
    if not rules_for(meeting.network).proxies_allowed:
        raise ValidationError(_("This BIN's rules do not allow proxies."), code="no_proxies")
    members = set(
        _voting_members(meeting.network)
        .filter(person__in=[giver, holder])
        .values_list("person_id", flat=True)
    )
    if members != {giver.pk, holder.pk} or giver.pk == holder.pk:
        raise ValidationError(
            _("A proxy is given by one member to another member."), code="not_member"
        )
    if meeting.attendances.filter(person=giver).exists():
        raise ValidationError(_("A member who is present votes in person."), code="present")
    if meeting.decisions.filter(status__in=[DecisionStatus.OPEN, DecisionStatus.CLOSED]).exists():
        raise ValidationError(_("A vote has opened; proxies are fixed."), code="fixed")
    try:
        with transaction.atomic():
            return Proxy.objects.create(meeting=meeting, giver=giver, holder=holder, recorded_by=by)
    except IntegrityError as exc:
        raise ValidationError(
            _("Each member gives and holds at most one proxy."), code="duplicate"
        ) from exc


def open_vote(decision: Decision, by: Person) -> Decision:
    meeting = decision.meeting
    _require(can_run_meetings(by, meeting.network))
    if meeting.status == MeetingStatus.CANCELLED or decision.status != DecisionStatus.PROPOSED:
        raise ValidationError(_("This vote cannot be opened."), code="not_proposed")
    if not _voting_time(meeting):
        raise ValidationError(
            _("A vote is held during the meeting, from its start until shortly after its end."),
            code="not_during",
        )
    if not meeting.attendances.exists():
        raise ValidationError(_("Record who is present before the vote."), code="no_attendance")
    _require_notice(meeting)
    decision.status = DecisionStatus.OPEN
    decision.opened_at = timezone.now()
    decision.save(update_fields=["status", "opened_at"])
    return decision


def cast_vote(
    decision: Decision, person: Person, choice: str, on_behalf_of: Person | None = None
) -> Vote:
    """One vote per member: in person when present, or for an absent member whose proxy the
    person holds (where the BIN's rules allow proxies)."""
    meeting = decision.meeting
    if choice not in Choice.values:
        raise ValidationError({"choice": [_("Choose yes, no or abstain.")]})
    is_member = _voting_members(meeting.network).filter(person=person).exists()
    if not is_member:
        raise ValidationError(_("Only members of this BIN vote."), code="not_member")
    if not meeting.attendances.filter(person=person).exists():
        raise ValidationError(_("Only members present at the meeting vote."), code="not_present")
    voter = person
    if on_behalf_of is not None and on_behalf_of.pk != person.pk:
        if not (
            rules_for(meeting.network).proxies_allowed
            and meeting.proxies.filter(giver=on_behalf_of, holder=person).exists()
            and _voting_members(meeting.network).filter(person=on_behalf_of).exists()
        ):
            raise ValidationError(_("You hold no proxy for this member."), code="no_proxy")
        voter = on_behalf_of
    try:
        with transaction.atomic():
            locked = Decision.objects.select_for_update().get(pk=decision.pk)
            if locked.status != DecisionStatus.OPEN:
                raise ValidationError(_("This vote is not open."), code="not_open")
            if not _voting_time(meeting):
                raise ValidationError(_("The meeting is over; the vote is closed."), code="over")
            return Vote.objects.create(decision=locked, voter=voter, cast_by=person, choice=choice)
    except IntegrityError as exc:
        raise ValidationError(_("This member has already voted."), code="voted") from exc


@dataclass
class Tally:
    yes: int
    no: int
    abstain: int
    present: int
    eligible: int
    quorum_required: int

    @property
    def quorum_reached(self) -> bool:
        return self.present >= self.quorum_required

    @property
    def outcome(self) -> str:
        """Accepted with more yes than no among the votes cast, once the quorum is there;
        a tie is not a majority."""
        if not self.quorum_reached:
            return Outcome.NO_QUORUM
        return Outcome.ACCEPTED if self.yes > self.no else Outcome.REJECTED


def tally(decision: Decision) -> Tally:
    meeting = decision.meeting
    rules = rules_for(meeting.network)
    members = set(_voting_members(meeting.network).values_list("person_id", flat=True))
    present = set(meeting.attendances.values_list("person_id", flat=True)) & members
    represented = set()
    if rules.proxies_allowed:
        represented = {
            giver
            for giver, holder in meeting.proxies.values_list("giver_id", "holder_id")
            if holder in present and giver in members and giver not in present
        }
    counts = dict(
        decision.votes.filter(voter_id__in=members)
        .values_list("choice")
        .annotate(n=Count("pk"))
        .order_by()
    )
    eligible = len(members)
    return Tally(
        yes=counts.get(Choice.YES, 0),
        no=counts.get(Choice.NO, 0),
        abstain=counts.get(Choice.ABSTAIN, 0),
        present=len(present | represented),
        eligible=eligible,
        quorum_required=quorum_for(rules, eligible),
    )


def quorum_for(rules: MeetingRules, eligible: int) -> int:
    """How many must be present or represented: the BIN's rules, never below the floors
    (a row written around the model's checks changes nothing)."""
    percent = max(rules.quorum_percent, QUORUM_PERCENT_FLOOR)
    return max(rules.quorum_minimum, QUORUM_MINIMUM_FLOOR, math.ceil(eligible * percent / 100))


def close_vote(decision: Decision, by: Person) -> Decision:
    """Close the vote, compute and record the result and the quorum; an accepted decision
    gives the function from the day it takes effect (at once if that day has come)."""
    _require(can_run_meetings(by, decision.meeting.network))
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Decision.objects.select_for_update()
            .select_related("meeting__network")
            .get(pk=decision.pk)
        )
        if locked.status != DecisionStatus.OPEN:
            raise ValidationError(_("This vote is not open."), code="not_open")
        _require_notice(locked.meeting)
        result = tally(locked)
        locked.status = DecisionStatus.CLOSED
        locked.closed_at = now
        locked.closed_by = by
        locked.yes, locked.no, locked.abstain = result.yes, result.no, result.abstain
        locked.present, locked.eligible = result.present, result.eligible
        locked.quorum_required = result.quorum_required
        locked.outcome = result.outcome
        locked.save()
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            locked,
            network=locked.meeting.network,
            detail={"do": "vote_closed", "outcome": result.outcome},
        )
        change = None
        if result.outcome == Outcome.ACCEPTED:
            change = RoleChange.objects.create(
                network=locked.meeting.network,
                person_id=locked.candidate_id,
                to_role=locked.function,
                effective_at=_local_midnight(locked.takes_effect_on),
                decision=locked,
                by=by,
                reason="decision",
                review_until=now + timedelta(days=OBJECTION_DAYS),
            )
            _ask_officer_to_review(change)
    if change is not None:
        _apply_role_change(change.pk, now)
    return locked


def _ask_officer_to_review(change: RoleChange) -> None:
    network = change.network
    _notify(
        _reviewers(network),
        "role_change_review",
        {
            "network": network,
            "change": change,
            "candidate": change.person,
            "url": _url("governance:role_change", change.pk),
        },
    )


def write_minutes(meeting: Meeting, by: Person, text: str) -> Meeting:
    """Minutes are Markdown, shown sanitised; approved minutes no longer change."""
    network = meeting.network
    _require(can_run_meetings(by, network) or Standing.of(by).role_in(network) == Role.STEERING)
    if meeting.minutes_approved:
        raise ValidationError(_("Approved minutes cannot be changed."), code="approved")
    if not _started(meeting) or meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(
            _("Minutes are written once the meeting has taken place."), code="not_held"
        )
    if not text.strip():
        raise ValidationError({"minutes": [_("Write the minutes.")]})
    from buurtnet.common.markdown import without_controls

    meeting.minutes = without_controls(text.strip())
    meeting.minutes_written_by = by
    meeting.save(update_fields=["minutes", "minutes_written_by"])
    return meeting


def approve_minutes(meeting: Meeting, by: Person) -> Meeting:
    """The coordinator or the officer approves the minutes; members are then told."""
    from buurtnet.messaging.services import send_direct

    network = meeting.network
    _require(can_run_meetings(by, network))
    if meeting.minutes_approved:
        raise ValidationError(_("The minutes are already approved."), code="approved")
    if not meeting.minutes.strip():
        raise ValidationError(_("Write the minutes first."), code="empty")
    now = timezone.now()
    with transaction.atomic():
        claimed = Meeting.objects.filter(pk=meeting.pk, minutes_approved_at__isnull=True).update(
            minutes_approved_at=now, minutes_approved_by=by
        )
        if not claimed:  # approved by a second click a moment ago
            raise ValidationError(_("The minutes are already approved."), code="approved")
        meeting.minutes_approved_at, meeting.minutes_approved_by = now, by
        people = _invitees(network)
        if people:
            plan = effective_plan(network)
            rule = dict(plan.rule("notice") or {"channels": ["email", "inapp"]})
            rule["channels"] = [c for c in rule.get("channels", []) if c in ("email", "inapp")] or [
                "email",
                "inapp",
            ]
            url = _url("governance:meeting", meeting.pk)
            texts = {}
            for language in LANGUAGES:
                with translation.override(language):
                    title = _("Minutes: %(title)s") % {"title": meeting.title}
                    body = _("The minutes of the meeting are approved. Read them here: %(url)s") % {
                        "url": url
                    }
                    texts[language] = {"title": title, "body": body, "sms_text": title}
            send_direct(
                sender=by,
                sender_role=Role.OFFICER if is_officer(by, network) else Role.COORDINATOR,
                network=network,
                people=people,
                kind="notice",
                texts=texts,
                language=network.language,
                rule=rule,
                plan_version=plan.version,
            )
    return meeting


def meetings_of(network: Network) -> QuerySet[Meeting]:
    return network.meetings.order_by("-starts_at", "-pk")


# --- Consultation ---------------------------------------------------------------------------


@dataclass
class ActionInput:
    description: str
    owner_id: int | None
    due_on: date | None


@dataclass
class ConsultationInput:
    held_on: date | None
    topics: str
    agreements: str = ""
    next_on: date | None = None
    actions: list[ActionInput] = field(default_factory=list)


def _action_owners(network: Network) -> set[int]:
    return set(
        Membership.objects.filter(
            network=network,
            status=MembershipStatus.APPROVED,
            role__in=[Role.OFFICER, Role.COORDINATOR, Role.STEERING],
        ).values_list("person_id", flat=True)
    )


def record_consultation(network: Network, by: Person, data: ConsultationInput) -> Consultation:
    """Log a consultation between the officer and the coordinator. Without a next date,
    the plan's rhythm gives one."""
    _require(is_officer(by, network) or is_coordinator(by, network))
    today = timezone.localdate()
    every = effective_plan(network).consult_every_days
    errors: dict[str, list[str]] = {}
    held_on = data.held_on
    if held_on is None:
        errors["held_on"] = [_("Give the date of the consultation.")]
    elif held_on > today:
        errors["held_on"] = [_("This date lies in the future.")]
        held_on = None  # nothing else is computed from a date that is refused
    if not data.topics.strip():
        errors["topics"] = [_("Note the topics discussed.")]
    next_on = data.next_on
    if held_on and next_on is None:
        next_on = held_on + timedelta(days=every)
    if held_on and next_on and next_on <= held_on:
        errors["next_on"] = [_("The next consultation comes after this one.")]
    elif held_on and next_on and (next_on - held_on).days > every:
        errors["next_on"] = [
            _("The plan says to consult at least every %(days)s days.") % {"days": every}
        ]
    owners = _action_owners(network)
    for index, action in enumerate(data.actions):
        problems = []
        if not action.description.strip():
            problems.append(_("Describe the action."))
        if action.owner_id not in owners:
            problems.append(
                _("An action belongs to the officer, a coordinator or the steering group.")
            )
        if action.due_on is None or (held_on and action.due_on < held_on):
            problems.append(_("Give a due date on or after the consultation."))
        if problems:
            errors[f"action_{index}"] = problems
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        consultation = Consultation.objects.create(
            network=network,
            held_on=data.held_on,
            topics=data.topics.strip(),
            agreements=data.agreements.strip(),
            next_on=next_on,
            recorded_by=by,
        )
        ConsultationAction.objects.bulk_create(
            ConsultationAction(
                consultation=consultation,
                network=network,
                description=action.description.strip()[:500],
                owner_id=action.owner_id,
                due_on=action.due_on,
            )
            for action in data.actions
        )
        audit.record(
            by, audit.Action.GOVERNANCE, consultation, network=network, detail={"do": "consult"}
        )
    return consultation


def complete_action(action: ConsultationAction, by: Person) -> ConsultationAction:
    _require(
        is_officer(by, action.network)
        or is_coordinator(by, action.network)
        or (action.owner_id == by.pk)
    )
    if action.done_at:
        raise ValidationError(_("This action is already done."), code="done")
    action.done_at = timezone.now()
    action.done_by = by
    action.save(update_fields=["done_at", "done_by"])
    audit.record(
        by, audit.Action.GOVERNANCE, action, network=action.network, detail={"do": "action_done"}
    )
    return action


def consultation_due_on(
    network: Network, every: int, last: Consultation | None, today: date | None = None
) -> date | None:
    """When the next consultation is due: the date agreed last time, or sooner if the plan's
    rhythm says so; before the first one, that rhythm counted from the agreement."""
    if network.status != NetworkStatus.ACTIVE:
        return None
    if last is not None:
        return min(last.next_on, last.held_on + timedelta(days=every))
    start = network.agreement_signed_on or timezone.localdate(network.status_changed_at)
    return start + timedelta(days=every)


def remind_overdue(now: datetime | None = None) -> int:
    """Remind the officer and the coordinator of a missed consultation (once per due date)
    and an action's owner of an overdue action (once). Returns the reminders sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    networks = list(
        Network.objects.filter(status=NetworkStatus.ACTIVE).select_related("municipality")
    )
    plans = effective_plans(networks)
    latest = _latest_consultations([n.pk for n in networks])
    for network in networks:
        due = consultation_due_on(
            network, plans[network.pk].consult_every_days, latest.get(network.pk)
        )
        if due is None or due >= today:
            continue
        with transaction.atomic():
            _reminder, created = ConsultationReminder.objects.get_or_create(
                network=network, due_on=due, defaults={"sent_at": now}
            )
            if created:
                _notify(
                    officers_of(network) + coordinators_of(network),
                    "consultation_overdue",
                    {"network": network, "due": due, "url": _url("governance:network", network.pk)},
                )
                sent += 1
    overdue = ConsultationAction.objects.filter(
        done_at__isnull=True, reminded_at__isnull=True, due_on__lt=today
    ).select_related("network", "owner")
    for action in overdue:
        claimed = ConsultationAction.objects.filter(pk=action.pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if not claimed:
            continue
        people = [action.owner, *officers_of(action.network), *coordinators_of(action.network)]
        _notify(
            people,
            "action_overdue",
            {
                "network": action.network,
                "action": action,
                "url": _url("governance:network", action.network_id),
            },
        )
        sent += 1
    return sent


def _latest_consultations(network_ids: list[int]) -> dict[int, Consultation]:
    """Each network's latest consultation, in two queries however long the history."""
    latest_ids = (
        Network.objects.filter(pk__in=network_ids)
        .annotate(
            latest=Subquery(
                Consultation.objects.filter(network=OuterRef("pk"))
                .order_by("-held_on", "-pk")
                .values("pk")[:1]
            )
        )
        .exclude(latest=None)
        .values_list("latest", flat=True)
    )
    return {c.network_id: c for c in Consultation.objects.filter(pk__in=list(latest_ids))}


# --- Overview -------------------------------------------------------------------------------


@dataclass
class NetworkOverview:
    network: Network
    agreement_age_days: int | None
    last_meeting: datetime | None
    next_meeting: datetime | None
    last_consultation: date | None
    consultation_due: date | None
    consultation_overdue: bool
    open_actions: int
    overdue_actions: int
    plan_version: int | None
    members: int
    joined: int
    left: int
    evaluation_due: bool

    @property
    def trend(self) -> int:
        """Members gained (or lost) over the last TREND_DAYS days."""
        return self.joined - self.left


def overseen_networks(person: Person) -> QuerySet[Network]:
    """The BINs a person oversees: as their officer, or as staff of their zone."""
    standing = Standing.of(person)
    if standing.is_superuser:
        return Network.objects.all()
    officer_of = [pk for pk, role in standing.network_roles.items() if role == Role.OFFICER]
    return Network.objects.filter(
        Q(pk__in=officer_of) | Q(municipality_id__in=standing.zone_municipality_ids)
    )


def overview(networks, today: date | None = None) -> list[NetworkOverview]:
    """One row per BIN, in a fixed number of grouped queries whatever the number of BINs."""
    today = today or timezone.localdate()
    networks = list(
        networks.select_related("municipality") if hasattr(networks, "select_related") else networks
    )
    ids = [n.pk for n in networks]
    now = timezone.now()
    plans = effective_plans(networks)
    latest = _latest_consultations(ids)
    meetings = {
        row["network_id"]: row
        for row in Meeting.objects.filter(network_id__in=ids)
        .exclude(status=MeetingStatus.CANCELLED)
        .values("network_id")
        .annotate(
            last=Max("starts_at", filter=Q(starts_at__lte=now)),
            next=Min("starts_at", filter=Q(starts_at__gt=now)),
        )
        .order_by()
    }
    actions = {
        row["network_id"]: row
        for row in ConsultationAction.objects.filter(network_id__in=ids, done_at__isnull=True)
        .values("network_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .order_by()
    }
    members = dict(
        Membership.objects.filter(
            network_id__in=ids,
            status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
        )
        .values_list("network_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    since = now - timedelta(days=TREND_DAYS)
    changes = {
        row["membership__network_id"]: row
        for row in MembershipChange.objects.filter(
            membership__network_id__in=ids, changed_at__gte=since
        )
        .values("membership__network_id")
        .annotate(
            joined=Count(
                "pk",
                filter=Q(to_status=MembershipStatus.APPROVED, from_status=MembershipStatus.APPLIED),
            ),
            left=Count(
                "pk",
                filter=Q(
                    to_status=MembershipStatus.LEFT,
                    from_status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
                ),
            ),
        )
        .order_by()
    }
    evaluations = dict(
        Evaluation.objects.filter(network_id__in=ids)
        .values_list("network_id")
        .annotate(d=Max("held_on"))
        .order_by()
    )
    rows = []
    for network in networks:
        plan = plans[network.pk]
        last = latest.get(network.pk)
        due = consultation_due_on(network, plan.consult_every_days, last, today)
        last_evaluation = evaluations.get(network.pk) or network.agreement_signed_on
        rows.append(
            NetworkOverview(
                network=network,
                agreement_age_days=(today - network.agreement_signed_on).days
                if network.agreement_signed_on
                else None,
                last_meeting=meetings.get(network.pk, {}).get("last"),
                next_meeting=meetings.get(network.pk, {}).get("next"),
                last_consultation=last.held_on if last else None,
                consultation_due=due,
                consultation_overdue=due is not None and due < today,
                open_actions=actions.get(network.pk, {}).get("open", 0),
                overdue_actions=actions.get(network.pk, {}).get("overdue", 0),
                plan_version=plan.version,
                members=members.get(network.pk, 0),
                joined=changes.get(network.pk, {}).get("joined", 0),
                left=changes.get(network.pk, {}).get("left", 0),
                evaluation_due=network.status in (NetworkStatus.ACTIVE, NetworkStatus.DORMANT)
                and last_evaluation is not None
                and (today - last_evaluation).days > 365,
            )
        )
    return rows


def mark_information_session_held(meeting: Meeting, by: Person) -> Meeting:
    """The information session took place: the proposed BIN starts its founding, and
    residents can join it."""
    network = meeting.network
    _require(can_oversee(by, network))
    if meeting.kind != MeetingKind.INFORMATION or meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This is not an information session."), code="not_information")
    if not _started(meeting):
        raise ValidationError(_("The session has not taken place yet."), code="not_started")
    with transaction.atomic():
        meeting.status = MeetingStatus.HELD
        meeting.save(update_fields=["status"])
        if network.status == NetworkStatus.PROPOSED:
            _move(network, NetworkStatus.FOUNDING, by, "information session held")
    return meeting
