"""How a BIN is founded, led and held to account.

Founding request → information session → agreement signed by the coordinator, the
municipality and the police zone → active; later yearly evaluations, dormancy without a
coordinator, dissolution. Members confirm the coordinator and the steering group in a
meeting; the officer consults the coordinator on a rhythm the plan sets; a coordinator who
misbehaves goes down a ladder of steps that cannot be skipped.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtnet.common.private_files import private_storage
from buurtnet.networks.models import Network, Role

PERSON = settings.AUTH_USER_MODEL
# The Belgian framework gives a removed coordinator three weeks to appeal.
APPEAL_DAYS = 21
# Floors no BIN's rules go below: a vote needs at least this many members present and
# this share of the members, and a meeting that takes decisions is announced at least
# this many days ahead. Checked by the model (clean) and by the database.
QUORUM_MINIMUM_FLOOR = 3
QUORUM_PERCENT_FLOOR = 5
NOTICE_DAYS_FLOOR = 3
NOTICE_DAYS_DEFAULT = 7
NOTICE_DAYS_MAX = 60
# The officer may object to a function a meeting gave during this period; without an
# objection (or with the officer's approval) it takes effect.
OBJECTION_DAYS = 7


class RequesterKind(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    MUNICIPALITY = "municipality", _("The municipality")
    ZONE = "zone", _("The police zone")


class FoundingRequest(models.Model):
    """Who asked for a new BIN, and why. The proposed area is the network's own area."""

    network = models.OneToOneField(Network, on_delete=models.CASCADE, related_name="founding")
    requester_kind = models.CharField(
        _("requested by"), max_length=12, choices=RequesterKind.choices
    )
    requested_by = models.ForeignKey(
        PERSON, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("person")
    )
    requested_at = models.DateTimeField(default=timezone.now)
    motivation = models.TextField(_("why this BIN"), max_length=2000)

    class Meta:
        verbose_name = _("founding request")
        verbose_name_plural = _("founding requests")

    def __str__(self) -> str:
        return f"{self.network} ({self.get_requester_kind_display()})"


class AgreementStatus(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting signatures")
    SIGNED = "signed", _("Signed")
    SUPERSEDED = "superseded", _("Replaced by a later version")


class Agreement(models.Model):
    """The BIN's agreement with its annexes (charter, communication plan), frozen as a PDF
    when drafted, so that every party signs exactly the same document."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="agreements")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AgreementStatus.choices,
        default=AgreementStatus.AWAITING,
    )
    text = models.TextField(_("agreement"))
    charter = models.TextField(_("charter"))
    charter_version = models.PositiveIntegerField(_("charter version"))
    # The plan annexed: its version (None: the zone's template, no version agreed yet) and
    # its content as it was.
    plan_version = models.PositiveIntegerField(_("plan version"), null=True, blank=True)
    plan_content = models.JSONField(_("communication plan"), default=dict)
    document = models.FileField(storage=private_storage, upload_to="agreements/%Y/", blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(_("fully signed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["network", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["network", "version"], name="agreement_unique_version"),
            models.UniqueConstraint(
                fields=["network"],
                condition=models.Q(status="awaiting"),
                name="agreement_one_awaiting_per_network",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} v{self.version}"


class Party(models.TextChoices):
    COORDINATOR = "coordinator", _("The coordinator")
    MUNICIPALITY = "municipality", _("The municipality")
    ZONE = "zone", _("The police zone")


class AgreementSignature(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatures")
    party = models.CharField(_("signs for"), max_length=12, choices=Party.choices)
    person = models.ForeignKey(PERSON, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    # The document this signature is for: a later change to the file would not match.
    document_sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["agreement", "signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], name="signature_one_per_party"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement}: {self.party}"


class RegistrationOutcome(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    REFUSED = "refused", _("Refused")


class CharterRegistration(models.Model):
    """The signed charter's registration with the federal ministry (FPS Home Affairs)."""

    agreement = models.OneToOneField(
        Agreement, on_delete=models.CASCADE, related_name="registration"
    )
    document = models.FileField(storage=private_storage, upload_to="registrations/%Y/")
    created_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    reply_on = models.DateField(_("reply received on"), null=True, blank=True)
    reply_outcome = models.CharField(
        _("reply"), max_length=12, choices=RegistrationOutcome.choices, blank=True
    )
    reply_reference = models.CharField(_("ministry's reference"), max_length=100, blank=True)
    reply_note = models.CharField(_("note"), max_length=500, blank=True)
    reply_recorded_by = models.ForeignKey(
        PERSON, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("charter registration")
        verbose_name_plural = _("charter registrations")

    def __str__(self) -> str:
        return f"{self.agreement} → {self.reply_outcome or '…'}"


class Evaluation(models.Model):
    """The yearly evaluation the coordinator and the officer report to the authorities."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("year"))
    held_on = models.DateField(_("held on"))
    summary = models.TextField(_("summary"), max_length=5000)
    recorded_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("yearly evaluation")
        verbose_name_plural = _("yearly evaluations")
        ordering = ["network", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["network", "year"], name="evaluation_one_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.year}"


class Screening(models.Model):
    """That the police screened a coordinator, and when. Never what the screening found."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="screenings")
    person = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    screened_on = models.DateField(_("screened on"))
    recorded_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["network", "-screened_on"]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.network_id}: {self.screened_on}"


class Step(models.TextChoices):
    """The ladder for a coordinator who misbehaves, in order; no step can be skipped."""

    TALK = "talk", _("Talk with the mandated officer")
    REPRIMAND = "reprimand", _("Written reprimand by the chief of police")
    OFFICIAL_REPORT = "official_report", _("Official report")
    REMOVAL = "removal", _("Removal by the administrative authority")


LADDER = [Step.TALK, Step.REPRIMAND, Step.OFFICIAL_REPORT, Step.REMOVAL]


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("Removal upheld")
    OVERTURNED = "overturned", _("Removal overturned")


class CoordinatorCase(models.Model):
    """One coordinator's way down the ladder, from the first talk to the appeal."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="cases")
    coordinator = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    opened_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        PERSON, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    close_note = models.CharField(_("why closed"), max_length=500, blank=True)
    ministry_notified_on = models.DateField(_("ministry notified on"), null=True, blank=True)
    appeal_lodged_on = models.DateField(_("appeal lodged on"), null=True, blank=True)
    appeal_outcome = models.CharField(
        _("appeal outcome"), max_length=12, choices=AppealOutcome.choices, blank=True
    )
    appeal_decided_on = models.DateField(_("appeal decided on"), null=True, blank=True)

    class Meta:
        verbose_name = _("coordinator case")
        verbose_name_plural = _("coordinator cases")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "coordinator"],
                condition=models.Q(closed_at__isnull=True),
                name="case_one_open_per_coordinator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.coordinator_id}"

    @property
    def removal(self) -> "CaseStep | None":
        return next((s for s in self.steps.all() if s.step == Step.REMOVAL), None)

    @property
    def appeal_deadline(self):
        """The last day an appeal against the removal can be lodged."""
        removal = self.removal
        return removal.occurred_on + timedelta(days=APPEAL_DAYS) if removal else None

    def next_step(self) -> str | None:
        done = {s.step for s in self.steps.all()}
        return next((step for step in LADDER if step not in done), None)


class CaseStep(models.Model):
    case = models.ForeignKey(CoordinatorCase, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    occurred_on = models.DateField(_("date"))
    reason = models.TextField(_("why"), max_length=3000)
    authority = models.CharField(
        _("decided by"),
        max_length=200,
        blank=True,
        help_text=_("For a removal: the administrative authority, e.g. the mayor of the town."),
    )
    recorded_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["case", "recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "step"], name="case_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.step}"


# --- Meetings and decisions ---------------------------------------------------------------


class MeetingKind(models.TextChoices):
    MEMBERS = "members", _("Members' meeting")
    INFORMATION = "information", _("Information session")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(
        _("kind"), max_length=12, choices=MeetingKind.choices, default=MeetingKind.MEMBERS
    )
    title = models.CharField(_("title"), max_length=150)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    video_url = models.URLField(_("video link"), max_length=500, blank=True)
    agenda = models.TextField(_("agenda"), max_length=5000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    created_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # iCalendar: a stable UID, and a SEQUENCE raised with every change calendars must see.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    invitation = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    minutes = models.TextField(_("minutes"), max_length=20000, blank=True)
    minutes_written_by = models.ForeignKey(
        PERSON, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    minutes_approved_at = models.DateTimeField(_("minutes approved at"), null=True, blank=True)
    minutes_approved_by = models.ForeignKey(
        PERSON, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["network", "-starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.title} ({self.starts_at:%Y-%m-%d})"

    @property
    def minutes_approved(self) -> bool:
        return self.minutes_approved_at is not None


class Answer(models.TextChoices):
    YES = "yes", _("I will come")
    NO = "no", _("I cannot come")
    MAYBE = "maybe", _("Maybe")


class Rsvp(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rsvps")
    person = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(_("answer"), max_length=5, choices=Answer.choices)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("answer to an invitation")
        verbose_name_plural = _("answers to invitations")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="rsvp_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.person_id} {self.answer}"


class Attendance(models.Model):
    """A person present at a meeting, as the chair recorded it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    recorded_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.person_id}"


class Proxy(models.Model):
    """An absent member's written proxy to a member who is present, where the BIN's rules
    allow proxies. One proxy per giver and per holder."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="proxies")
    giver = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    holder = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    recorded_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "giver"], name="proxy_one_per_giver"),
            models.UniqueConstraint(fields=["meeting", "holder"], name="proxy_one_per_holder"),
            models.CheckConstraint(
                condition=~models.Q(giver=models.F("holder")), name="proxy_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.giver_id} → {self.holder_id}"


class MeetingRules(models.Model):
    """The BIN's own rules for votes; without a row the defaults apply."""

    network = models.OneToOneField(Network, on_delete=models.CASCADE, related_name="meeting_rules")
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum (% of the members)"),
        default=10,
        validators=[
            MinValueValidator(
                QUORUM_PERCENT_FLOOR,
                message=_("The quorum is at least %(limit_value)s %% of the members."),
            ),
            MaxValueValidator(100, message=_("The quorum is at most 100 %% of the members.")),
        ],
        help_text=_("Share of the members who must be present (or represented) for a vote."),
    )
    quorum_minimum = models.PositiveSmallIntegerField(
        _("quorum (at least this many members)"),
        default=QUORUM_MINIMUM_FLOOR,
        validators=[
            MinValueValidator(
                QUORUM_MINIMUM_FLOOR,
                message=_("A vote needs at least %(limit_value)s members present."),
            )
        ],
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notice for a meeting that takes decisions (days)"),
        default=NOTICE_DAYS_DEFAULT,
        validators=[
            MinValueValidator(
                NOTICE_DAYS_FLOOR,
                message=_("Members are invited at least %(limit_value)s days ahead."),
            ),
            MaxValueValidator(
                NOTICE_DAYS_MAX,
                message=_("A notice of at most %(limit_value)s days can be required."),
            ),
        ],
        help_text=_(
            "How many days before a meeting that votes on a function the members must be "
            "invited. A vote in a meeting announced later is refused."
        ),
    )
    proxies_allowed = models.BooleanField(_("absent members may give a proxy"), default=False)

    class Meta:
        verbose_name = _("meeting rules")
        verbose_name_plural = _("meeting rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quorum_percent__lte=100), name="rules_quorum_percent_max"
            ),
            models.CheckConstraint(
                condition=models.Q(quorum_percent__gte=QUORUM_PERCENT_FLOOR),
                name="rules_quorum_percent_floor",
            ),
            models.CheckConstraint(
                condition=models.Q(quorum_minimum__gte=QUORUM_MINIMUM_FLOOR),
                name="rules_quorum_minimum_floor",
            ),
            models.CheckConstraint(
                condition=models.Q(notice_days__gte=NOTICE_DAYS_FLOOR)
                & models.Q(notice_days__lte=NOTICE_DAYS_MAX),
                name="rules_notice_days_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.network)


class Function(models.TextChoices):
    """The functions members confirm in a meeting."""

    COORDINATOR = Role.COORDINATOR.value, _("Coordinator")
    STEERING = Role.STEERING.value, _("Steering group")


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", _("On the agenda")
    OPEN = "open", _("Vote open")
    CLOSED = "closed", _("Vote closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    NO_QUORUM = "no_quorum", _("No quorum")


class Decision(models.Model):
    """An agenda item proposing a member for a function, and the vote's recorded result."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    function = models.CharField(_("function"), max_length=12, choices=Function.choices)
    candidate = models.ForeignKey(
        PERSON, on_delete=models.CASCADE, related_name="+", verbose_name=_("candidate")
    )
    takes_effect_on = models.DateField(_("takes effect on"))
    status = models.CharField(
        _("status"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PROPOSED
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        PERSON, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The result as computed when the vote closed.
    yes = models.PositiveIntegerField(null=True, blank=True)
    no = models.PositiveIntegerField(null=True, blank=True)
    abstain = models.PositiveIntegerField(null=True, blank=True)
    present = models.PositiveIntegerField(_("present or represented"), null=True, blank=True)
    eligible = models.PositiveIntegerField(_("members"), null=True, blank=True)
    quorum_required = models.PositiveIntegerField(_("quorum"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.function} {self.candidate_id}"


class Choice(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    ABSTAIN = "abstain", _("Abstain")


class Vote(models.Model):
    """One member's vote on one decision. Cast by the member, or by the holder of their
    proxy; either way one vote per member (a database constraint)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    cast_by = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(_("vote"), max_length=7, choices=Choice.choices)
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["decision", "voter"], name="vote_one_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.voter_id}"


class EmergencyHandover(models.Model):
    """The officer gives the coordinator's role outside a meeting, when the BIN cannot
    wait for one; the reason is required and kept."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="handovers")
    to_person = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.TextField(_("why it cannot wait for a meeting"), max_length=2000)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("emergency handover")
        verbose_name_plural = _("emergency handovers")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.network}: → {self.to_person_id}"


class RoleChange(models.Model):
    """A function given or taken, and from when: each with its ground (a decision, an
    emergency handover or a removal step)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="role_changes")
    person = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    to_role = models.CharField(_("new role"), max_length=12, choices=Role.choices)
    from_role = models.CharField(_("old role"), max_length=12, choices=Role.choices, blank=True)
    effective_at = models.DateTimeField(_("takes effect at"))
    applied_at = models.DateTimeField(null=True, blank=True)
    # Set instead of applied_at when the change could not happen (the person left).
    dropped_at = models.DateTimeField(null=True, blank=True)
    drop_reason = models.CharField(max_length=300, blank=True)
    decision = models.ForeignKey(
        Decision, on_delete=models.SET_NULL, null=True, blank=True, related_name="role_changes"
    )
    handover = models.ForeignKey(
        EmergencyHandover, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    case_step = models.ForeignKey(
        CaseStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("why"), max_length=500, blank=True)
    by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # A function a meeting gave waits for the officer: it applies once `review_until` has
    # passed without an objection, or at once when the officer approves it.
    review_until = models.DateTimeField(_("the officer may object until"), null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        PERSON, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    objection = models.TextField(_("the officer's objection"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        ordering = ["-effective_at", "-pk"]
        indexes = [
            models.Index(
                fields=["effective_at"],
                condition=models.Q(applied_at__isnull=True, dropped_at__isnull=True),
                name="role_change_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.person_id} → {self.to_role} @ {self.effective_at}"

    @property
    def awaiting_review(self) -> bool:
        """Waiting for the officer's approval or the end of the objection period."""
        return (
            self.review_until is not None
            and self.reviewed_at is None
            and self.applied_at is None
            and self.dropped_at is None
        )


# --- Consultation between the officer and the coordinator -------------------------------


class Consultation(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="consultations")
    held_on = models.DateField(_("held on"))
    topics = models.TextField(_("topics"), max_length=5000)
    agreements = models.TextField(_("agreements made"), max_length=5000, blank=True)
    next_on = models.DateField(_("next consultation"))
    recorded_by = models.ForeignKey(PERSON, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["network", "-held_on", "-pk"]
        indexes = [models.Index(fields=["network", "-held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(next_on__gt=models.F("held_on")),
                name="consultation_next_after_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.held_on}"


class ConsultationAction(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="actions")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    description = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(
        PERSON, on_delete=models.CASCADE, related_name="+", verbose_name=_("who")
    )
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        PERSON, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(
                fields=["due_on"], condition=models.Q(done_at__isnull=True), name="action_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class ConsultationReminder(models.Model):
    """One reminder per network and missed due date: a second tick never reminds twice."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "due_on"], name="reminder_once_per_due"),
        ]

    def __str__(self) -> str:
        return f"{self.network_id}: {self.due_on}"


class CalendarKey(models.Model):
    """A member's secret for their meetings calendar feed; resetting makes a new one."""

    person = models.OneToOneField(PERSON, on_delete=models.CASCADE, related_name="calendar_key")
    secret = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar link")
        verbose_name_plural = _("calendar links")

    def __str__(self) -> str:
        return str(self.person_id)
