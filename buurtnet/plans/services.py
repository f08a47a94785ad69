"""Writing, approving and reading communication plans."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.common.rule import MessageKind, Rule
from buurtnet.networks.models import Network, PoliceZone, Role
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person

from .defaults import DEFAULT_PLAN
from .models import (
    Approver,
    CommunicationPlan,
    PlanApproval,
    PlanRule,
    PlanStatus,
    PlanTemplate,
    SenderRole,
)

# What an automatic notice reaches when the plan's notices name none of the channels allowed.
AUTOMATIC_NOTICE_CHANNELS = ("email", "inapp")


@dataclass
class EffectivePlan:
    """The plan that governs a network now: its active version, or the zone's template
    while no version has been agreed yet (so an alert never waits for paperwork)."""

    network_id: int
    version: int | None
    police_route: str
    forward_within_minutes: int
    sms_segment_limit: int
    consult_every_days: int = DEFAULT_PLAN["consult_every_days"]
    rule_by_kind: dict[str, Rule] = field(default_factory=dict)

    @property
    def is_agreed(self) -> bool:
        return self.version is not None

    def rule_of(self, kind: str) -> Rule | None:
        """The plan's rule for a message kind; None where the plan does not have that kind."""
        return self.rule_by_kind.get(kind)

    def notice_rule(self, allowed: tuple[str, ...], **without_plan: Any) -> Rule:
        """How an automatic notice (a meeting invitation, approved minutes, a survey) travels:
        as the plan's notices do, but only on the `allowed` channels, so that nobody is
        called or texted for it; by e-mail and in-app when the plan names none of them. A
        plan without a rule for notices gets those two, with the fields in `without_plan`."""
        rule = self.rule_of(MessageKind.NOTICE) or Rule(kind=MessageKind.NOTICE, **without_plan)
        return rule.with_channels_within(allowed, otherwise=AUTOMATIC_NOTICE_CHANNELS)


def zone_template(zone_id: int) -> dict:
    template = PlanTemplate.objects.filter(zone_id=zone_id).only("content").first()
    return template.content if template else DEFAULT_PLAN


def _from_plan(plan: CommunicationPlan) -> EffectivePlan:
    return EffectivePlan(
        network_id=plan.network_id,
        version=plan.version,
        police_route=plan.police_route,
        forward_within_minutes=plan.forward_within_minutes,
        sms_segment_limit=plan.sms_segment_limit,
        consult_every_days=plan.consult_every_days,
        rule_by_kind={rule.kind: rule.as_rule() for rule in plan.rules.all()},
    )


def _from_template(network_id: int, content: dict, rules: dict[str, Rule]) -> EffectivePlan:
    return EffectivePlan(
        network_id=network_id,
        version=None,
        police_route=content["police_route"],
        forward_within_minutes=content["forward_within_minutes"],
        sms_segment_limit=content["sms_segment_limit"],
        # Templates written before consultations had a rhythm do not say it.
        consult_every_days=content.get("consult_every_days", DEFAULT_PLAN["consult_every_days"]),
        rule_by_kind=dict(rules),
    )


def _rules_of(content: dict) -> dict[str, Rule]:
    rules = (Rule.from_json(data) for data in content["rules"])
    return {rule.kind: rule for rule in rules}


# The default plan's rules, read once: every BIN of a zone without a template follows them.
_DEFAULT_RULES = _rules_of(DEFAULT_PLAN)


def effective_plans(networks: list[Network]) -> dict[int, EffectivePlan]:
    """The effective plan of each network, in three queries whatever their number."""
    active = CommunicationPlan.objects.filter(
        network__in=[n.pk for n in networks], status=PlanStatus.ACTIVE
    ).prefetch_related("rules")
    plans = {plan.network_id: _from_plan(plan) for plan in active}
    missing = [n for n in networks if n.pk not in plans]
    if missing:
        zone_ids = {n.municipality.zone_id for n in missing}
        templates = {
            t.zone_id: t.content for t in PlanTemplate.objects.filter(zone_id__in=zone_ids)
        }
        # A zone's rules are read once and shared by its BINs: a Rule cannot be changed.
        rules = {zone_id: _rules_of(content) for zone_id, content in templates.items()}
        for network in missing:
            zone_id = network.municipality.zone_id
            content = templates.get(zone_id, DEFAULT_PLAN)
            plans[network.pk] = _from_template(
                network.pk, content, rules.get(zone_id, _DEFAULT_RULES)
            )
    return plans


def effective_plan(network: Network) -> EffectivePlan:
    return effective_plans([network])[network.pk]


def sender_roles(person: Person, network: Network) -> set[str]:
    """The roles a person can send as in a network (a person may hold more than one)."""
    standing = Standing.of(person)
    roles: set[str] = set()
    role = standing.role_in(network)
    if role:
        roles.add(role)
        if role in (Role.COORDINATOR, Role.STEERING, Role.OFFICER):
            roles.add(SenderRole.MEMBER)
    if network.municipality.zone_id in standing.zone_ids or standing.is_superuser:
        roles.add(SenderRole.ZONE_STAFF)
    return roles


# --- Writing and approving ---------------------------------------------------------------


def can_edit_plan(person: Person, network: Network) -> bool:
    return Standing.of(person).role_in(network) in (Role.COORDINATOR, Role.OFFICER)


def _approver_role(person: Person, network: Network) -> str | None:
    role = Standing.of(person).role_in(network)
    return {Role.COORDINATOR: Approver.COORDINATOR, Role.OFFICER: Approver.OFFICER}.get(role)


def write_draft(network: Network, by: Person, content: dict, note: str = "") -> CommunicationPlan:
    """Write a new draft version. Earlier drafts are withdrawn; the active plan stays active
    until this version is approved by both the coordinator and the officer."""
    if not can_edit_plan(by, network):
        raise PermissionDenied
    rules = [PlanRule.of(Rule.from_json(data)) for data in content["rules"]]
    errors = {}
    for rule in rules:
        try:
            rule.clean()
        except ValidationError as exc:
            errors[rule.kind] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Network.objects.select_for_update().filter(pk=network.pk).first()
        last = network.plans.aggregate(v=Max("version"))["v"] or 0
        network.plans.filter(status=PlanStatus.DRAFT).update(status=PlanStatus.WITHDRAWN)
        plan = CommunicationPlan(
            network=network,
            version=last + 1,
            police_route=content["police_route"],
            forward_within_minutes=content["forward_within_minutes"],
            sms_segment_limit=content["sms_segment_limit"],
            consult_every_days=content.get(
                "consult_every_days", DEFAULT_PLAN["consult_every_days"]
            ),
            note=note,
            created_by=by,
        )
        plan.full_clean(exclude=["network"])
        plan.save()
        for rule in rules:
            rule.plan = plan
        PlanRule.objects.bulk_create(rules)
        audit.record(
            by,
            audit.Action.CHANGE_PLAN,
            plan,
            network=network,
            detail={"step": "draft", "version": plan.version},
        )
    return plan


def plan_content(plan: CommunicationPlan | EffectivePlan) -> dict:
    """A plan as the same dict a template holds, to start a new draft from."""
    if isinstance(plan, EffectivePlan):
        rules = list(plan.rule_by_kind.values())
    else:
        rules = [rule.as_rule() for rule in plan.rules.all()]
    return {
        "police_route": plan.police_route,
        "forward_within_minutes": plan.forward_within_minutes,
        "sms_segment_limit": plan.sms_segment_limit,
        "consult_every_days": plan.consult_every_days,
        "rules": [rule.to_json() for rule in rules],
    }


def approve(plan: CommunicationPlan, by: Person) -> CommunicationPlan:
    """Record the coordinator's or the officer's approval of this exact version; with both,
    it becomes the active plan and the previous one is superseded."""
    role = _approver_role(by, plan.network)
    if role is None:
        raise PermissionDenied
    with transaction.atomic():
        plan = CommunicationPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != PlanStatus.DRAFT:
            raise ValidationError(
                _("Only the newest draft can be approved; this version is %(status)s.")
                % {"status": plan.get_status_display().lower()},
                code="not_draft",
            )
        PlanApproval.objects.get_or_create(plan=plan, role=role, defaults={"person": by})
        roles = set(plan.approvals.values_list("role", flat=True))
        if roles >= {Approver.COORDINATOR, Approver.OFFICER}:
            now = timezone.now()
            plan.network.plans.filter(status=PlanStatus.ACTIVE).update(status=PlanStatus.SUPERSEDED)
            plan.status = PlanStatus.ACTIVE
            plan.activated_at = now
            plan.save(update_fields=["status", "activated_at"])
        audit.record(
            by,
            audit.Action.CHANGE_PLAN,
            plan,
            network=plan.network,
            detail={
                "step": "approve",
                "version": plan.version,
                "activated": plan.status == PlanStatus.ACTIVE,
            },
        )
    return plan


def save_zone_template(zone: PoliceZone, by: Person, content: dict) -> PlanTemplate:
    if not Standing.of(by).can_view_zone(zone.pk):
        raise PermissionDenied
    for data in content["rules"]:
        PlanRule.of(Rule.from_json(data)).clean()
    with transaction.atomic():
        template, _created = PlanTemplate.objects.update_or_create(
            zone=zone,
            defaults={"content": content, "updated_by": by, "updated_at": timezone.now()},
        )
        audit.record(by, audit.Action.CHANGE_PLAN, template, zone=zone, detail={"step": "template"})
    return template
