"""Communication plans: how a BIN's police, coordinator and members exchange information.

A plan is versioned. Every edit writes a new draft version; a version becomes the active
plan only when both the BIN's coordinator and its officer have approved that exact version.
Earlier versions stay readable.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The plan's vocabulary lives with the Rule in the lowest layer (delivery reads rules and
# may not import plans); it is named from here too, as the apps above have always done.
from buurtnet.common.rule import CHANNELS, Approver, MessageKind, Rule, SenderRole
from buurtnet.common.rule import POLICE_ROLES as POLICE_ROLES


class PoliceRoute(models.TextChoices):
    DIRECT = "direct", _("Straight to the members")
    VIA_COORDINATOR = "via_coordinator", _("First to the coordinator, who forwards them")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Replaced before approval")


class CommunicationPlan(models.Model):
    network = models.ForeignKey("networks.Network", on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    police_route = models.CharField(
        _("route of police messages"),
        max_length=16,
        choices=PoliceRoute.choices,
        default=PoliceRoute.DIRECT,
    )
    forward_within_minutes = models.PositiveIntegerField(
        _("coordinator forwards within (minutes)"), default=30
    )
    sms_segment_limit = models.PositiveSmallIntegerField(_("longest SMS (segments)"), default=3)
    consult_every_days = models.PositiveSmallIntegerField(
        _("the officer and the coordinator consult every (days)"), default=90
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("communication plan")
        verbose_name_plural = _("communication plans")
        ordering = ["network", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["network", "version"], name="plan_unique_version"),
            models.UniqueConstraint(
                fields=["network"],
                condition=models.Q(status="active"),
                name="plan_one_active_per_network",
            ),
            models.CheckConstraint(
                condition=models.Q(sms_segment_limit__gte=1, sms_segment_limit__lte=10),
                name="plan_sms_segment_limit_range",
            ),
            models.CheckConstraint(
                condition=models.Q(consult_every_days__gte=7, consult_every_days__lte=366),
                name="plan_consult_every_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} v{self.version} ({self.status})"

    def rule_for(self, kind: str) -> "PlanRule | None":
        for rule in self.rules.all():
            if rule.kind == kind:
                return rule
        return None


class PlanRule(models.Model):
    """For one message kind: who may send, who approves, channels, hours, response time."""

    plan = models.ForeignKey(CommunicationPlan, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("message kind"), max_length=10, choices=MessageKind.choices)
    senders = models.JSONField(_("who may send"), default=list)
    approval_needed_for = models.JSONField(
        _("needs approval when sent by"), default=list, blank=True
    )
    approver = models.CharField(
        _("approved by"), max_length=12, choices=Approver.choices, default=Approver.OFFICER
    )
    channels = models.JSONField(_("channels"), default=list)
    quiet_hours_apply = models.BooleanField(_("members' quiet hours apply"), default=True)
    send_from = models.TimeField(_("send from"), null=True, blank=True)
    send_until = models.TimeField(_("send until"), null=True, blank=True)
    response_minutes = models.PositiveIntegerField(
        _("expected response time (minutes)"), null=True, blank=True
    )
    fallback = models.BooleanField(
        _("fall back to the member's next channel when one fails"), default=True
    )
    plates_allowed = models.BooleanField(
        _("police may include number plates"),
        default=False,
        help_text=_("Only ever for police senders; coordinators can never share them."),
    )
    # Only for the "report" kind: who receives members' reports, and whether the
    # coordinator may see who reported (the officer always can).
    report_to = models.JSONField(_("reports go to"), default=list, blank=True)
    reporter_contact_shared = models.BooleanField(
        _("the coordinator sees the reporter's contact details"), default=False
    )

    class Meta:
        verbose_name = _("plan rule")
        verbose_name_plural = _("plan rules")
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind"], name="plan_rule_unique_kind"),
            models.CheckConstraint(
                condition=models.Q(send_from__isnull=True, send_until__isnull=True)
                | models.Q(send_from__isnull=False, send_until__isnull=False),
                name="plan_rule_window_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.kind}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if not self.senders or set(self.senders) - set(SenderRole.values):
            errors["senders"] = _("Choose at least one sender.")
        if set(self.approval_needed_for or []) - set(self.senders or []):
            errors["approval_needed_for"] = _("Only senders can need approval.")
        if not self.channels or set(self.channels) - set(CHANNELS):
            errors["channels"] = _("Choose at least one channel.")
        if self.kind == MessageKind.REPORT and (
            not self.report_to or set(self.report_to) - set(Approver.values)
        ):
            errors["report_to"] = _("Choose who receives the members' reports.")
        if (self.send_from is None) != (self.send_until is None):
            errors["send_until"] = _("Give both ends of the sending hours, or neither.")
        if errors:
            raise ValidationError(errors)

    def as_rule(self) -> Rule:
        """The rule as the value stored with each message (a snapshot), so later plan edits
        do not change how an already sent message behaves."""
        return Rule(
            kind=self.kind,
            senders=self.senders,
            approval_needed_for=self.approval_needed_for or (),
            approver=self.approver,
            channels=self.channels,
            quiet_hours_apply=self.quiet_hours_apply,
            send_from=self.send_from,
            send_until=self.send_until,
            response_minutes=self.response_minutes,
            fallback=self.fallback,
            plates_allowed=self.plates_allowed,
            report_to=self.report_to or (),
            reporter_contact_shared=self.reporter_contact_shared,
        )

    @classmethod
    def of(cls, rule: Rule) -> "PlanRule":
        """An unsaved row holding a rule, to be validated (clean) and stored with a plan."""
        return cls(
            kind=rule.kind.value,
            senders=[role.value for role in rule.senders],
            approval_needed_for=[role.value for role in rule.approval_needed_for],
            approver=rule.approver.value,
            channels=list(rule.channels),
            quiet_hours_apply=rule.quiet_hours_apply,
            send_from=rule.send_from,
            send_until=rule.send_until,
            response_minutes=rule.response_minutes,
            fallback=rule.fallback,
            plates_allowed=rule.plates_allowed,
            report_to=[approver.value for approver in rule.report_to],
            reporter_contact_shared=rule.reporter_contact_shared,
        )


class PlanApproval(models.Model):
    plan = models.ForeignKey(CommunicationPlan, on_delete=models.CASCADE, related_name="approvals")
    role = models.CharField(_("as"), max_length=12, choices=Approver.choices)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("plan approval")
        verbose_name_plural = _("plan approvals")
        constraints = [
            models.UniqueConstraint(fields=["plan", "role"], name="plan_approval_once_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} approved by {self.role}"


class PlanTemplate(models.Model):
    """The zone's starting point for a new BIN's plan. Without one, DEFAULT_PLAN applies."""

    zone = models.OneToOneField(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="plan_template"
    )
    content = models.JSONField(_("template"))
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("plan template")
        verbose_name_plural = _("plan templates")

    def __str__(self) -> str:
        return f"{self.zone} template"
