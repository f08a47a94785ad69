"""What members saw and told the police, and what the police did with it.

A report is routed by the BIN's communication plan when it is filed: the rule that applied
is copied onto the report (receivers, channels, promised response time), so a later plan
edit never changes what was promised. Its status only moves along `TRANSITIONS`; every
move is an event with who and when.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# PrivateStorage is named here by the migrations made before STORAGES["private"] existed.
from buurtnet.common.private_files import PrivateStorage, private_storage  # noqa: F401
from buurtnet.common.rule import MessageKind, Rule


class ReportCategory(models.Model):
    """What kind of thing a member saw. Each zone keeps its own list, in every language."""

    zone = models.ForeignKey(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="report_categories"
    )
    code = models.SlugField(_("code"), max_length=40)
    names = models.JSONField(_("name per language"), default=dict)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered to members"), default=True)

    class Meta:
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        ordering = ["zone", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "code"], name="report_category_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_in(get_language() or "nl")

    def name_in(self, language: str) -> str:
        names = self.names or {}
        return names.get(language[:2]) or names.get("nl") or next(iter(names.values()), self.code)


class ReportStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    FORWARDED = "forwarded", _("Forwarded")
    CLOSED = "closed", _("Closed")


# The only moves a report's status can make. A closed report stays closed: a new fact
# is a new report.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReportStatus.NEW: frozenset(
        {
            ReportStatus.ACKNOWLEDGED,
            ReportStatus.IN_PROGRESS,
            ReportStatus.FORWARDED,
            ReportStatus.CLOSED,
        }
    ),
    ReportStatus.ACKNOWLEDGED: frozenset(
        {ReportStatus.IN_PROGRESS, ReportStatus.FORWARDED, ReportStatus.CLOSED}
    ),
    ReportStatus.IN_PROGRESS: frozenset({ReportStatus.FORWARDED, ReportStatus.CLOSED}),
    ReportStatus.FORWARDED: frozenset({ReportStatus.IN_PROGRESS, ReportStatus.CLOSED}),
    ReportStatus.CLOSED: frozenset(),
}
OPEN_STATUSES = [s for s in ReportStatus.values if s != ReportStatus.CLOSED]


class Outcome(models.TextChoices):
    ACTION_TAKEN = "action_taken", _("The police took action")
    PATROL = "patrol", _("A patrol checked it")
    RECORDED = "recorded", _("Recorded for an investigation")
    PASSED_ON = "passed_on", _("Passed on to another service")
    NO_ACTION = "no_action", _("No police action needed")
    ALREADY_KNOWN = "already_known", _("Already known to the police")


class Source(models.TextChoices):
    FORM = "form", _("Report form")
    REPLY = "reply", _("Reply to a message")


class Report(models.Model):
    network = models.ForeignKey(
        "networks.Network", on_delete=models.PROTECT, related_name="reports"
    )
    # Kept without the person when their account is erased (the privacy rules say the
    # content of a police case may stay).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="reports",
    )
    category = models.ForeignKey(
        ReportCategory, on_delete=models.PROTECT, related_name="reports", verbose_name=_("what")
    )
    language = models.CharField(max_length=2, default="nl")
    occurred_at = models.DateTimeField(_("when it happened"))
    longitude = models.FloatField(_("longitude"))
    latitude = models.FloatField(_("latitude"))
    description = models.TextField(_("what you saw"))
    vehicle_plate = models.CharField(_("number plate"), max_length=16, blank=True)
    vehicle_plate_foreign = models.BooleanField(_("foreign plate"), default=False)
    vehicle_make = models.CharField(_("make and model"), max_length=60, blank=True)
    vehicle_colour = models.CharField(_("colour"), max_length=40, blank=True)
    vehicle_direction = models.CharField(_("direction of travel"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.NEW
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FORM)
    source_message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The message the member was answering."),
    )
    source_reply = models.OneToOneField(
        "messaging.Reply",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="report",
    )
    # A form sent twice over a flaky connection carries the same token: one report.
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    plan_version = models.PositiveIntegerField(null=True, blank=True)
    rule = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["network", "status", "-created_at"]),
            models.Index(fields=["reporter", "-created_at"]),
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="new", overdue_flagged_at__isnull=True),
                name="report_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReportStatus.values), name="report_status_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(outcome=""),
                name="report_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id} in {self.network_id}"

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.pk])

    @property
    def filed_rule(self) -> Rule:
        """The plan's rule for reports as it was when this one was filed (`rule` holds its
        JSON): receivers, channels, promised response time."""
        return Rule.from_json(self.rule, kind=MessageKind.REPORT)

    @property
    def is_open(self) -> bool:
        return self.status != ReportStatus.CLOSED

    def is_overdue(self, now=None) -> bool:
        """Past the plan's response time without any answer from the police."""
        return (
            self.status == ReportStatus.NEW
            and self.due_at is not None
            and self.due_at <= (now or timezone.now())
        )

    def allowed_moves(self) -> list[str]:
        return [s for s in ReportStatus.values if s in TRANSITIONS[self.status]]

    @property
    def has_vehicle(self) -> bool:
        return any(
            (self.vehicle_plate, self.vehicle_make, self.vehicle_colour, self.vehicle_direction)
        )


class ReportPhoto(models.Model):
    """A photo as stored: re-encoded, shrunk, every metadata field (GPS first) removed."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(storage=private_storage, upload_to="reports/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["report", "position", "id"]

    def __str__(self) -> str:
        return f"photo {self.position} of report {self.report_id}"


class ReportEvent(models.Model):
    """One step in a report's life: a status change, feedback, a message made of it."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Filed")
        STATUS = "status", _("Status changed")
        FEEDBACK = "feedback", _("Feedback sent to the reporter")
        MESSAGE = "message", _("Message to the BIN made from it")
        RELAY = "relay", _("Relay to the BIN proposed")
        OVERDUE = "overdue", _("Past the promised response time")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ReportStatus.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} {self.to_status}"
