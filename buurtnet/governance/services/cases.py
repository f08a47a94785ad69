"""The coordinator's standing: the police screening, the case with its ladder of steps,
the appeal against a removal, and the officer's emergency hand-over."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.networks.models import Membership, MembershipStatus, Network, Role, ZoneStaff
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person

from ..models import (
    APPEAL_DAYS,
    AppealOutcome,
    CaseStep,
    CoordinatorCase,
    EmergencyHandover,
    RoleChange,
    Screening,
    Step,
)
from .access import (
    _require,
    can_act_as_zone_staff,
    can_oversee,
    can_see_cases,
    is_municipal_partner,
    is_officer,
)
from .common import _notify
from .roles import _change_role


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
        return can_act_as_zone_staff(person, network) or is_municipal_partner(person, network)
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
