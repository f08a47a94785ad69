"""Messages from the police and coordinators to members, and what became of them.

Sending writes the message, a snapshot of its recipients and one Delivery per recipient ×
channel in one transaction (see buurtnet.delivery). Which rule of which plan applied is
copied onto the message's networks, so editing a plan later never changes a sent message.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from buurtnet.common.private_files import clean_filename, private_storage
from buurtnet.common.rule import Rule
from buurtnet.plans.models import MessageKind

# What a stored attachment may be called on disk; anything else is stored without extension.
STORED_SUFFIXES = frozenset(
    {".pdf", ".txt", ".csv", ".tsv", ".md", ".ics"}
    | {".jpg", ".png", ".gif", ".webp", ".heic", ".tif"}
)
# The longest message body a sender may write, in every form and in the API. The model's
# TextField has no limit; a long alert is a few pages, and every body goes through the
# content check, which costs time in proportion to its length.
MESSAGE_BODY_MAX = 10_000


class MessageStatus(models.TextChoices):
    AWAITING_APPROVAL = "approval", _("Awaiting approval")
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Not approved")


class TargetKind(models.TextChoices):
    NETWORKS = "networks", _("One or more BINs")
    NETWORK_KIND = "network_kind", _("All BINs of a type")
    MUNICIPALITY = "municipality", _("A municipality")
    ZONE = "zone", _("The whole zone")
    AREA = "area", _("An area drawn on the map")


def attachment_path(message: "Message", filename: str) -> str:
    """A generated name on disk (the sender's name never reaches the file system); the
    sender's name, cleaned, is kept on the message for display and for the download."""
    message.attachment_name = clean_filename(filename, default="attachment")
    suffix = PurePosixPath(message.attachment_name).suffix.lower()
    if suffix not in STORED_SUFFIXES:
        suffix = ""
    return timezone.now().strftime(f"messages/%Y/%m/{uuid.uuid4().hex}{suffix}")


class Message(models.Model):
    zone = models.ForeignKey("networks.PoliceZone", on_delete=models.PROTECT, related_name="+")
    # Empty for a message Buurtnet itself sends when something happened (a member's report
    # reaching the police): nobody sent it, nobody manages it, and replies have no author
    # to go to. The person who caused it is named on the page the message links to.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages_sent",
    )
    sender_role = models.CharField(_("sent as"), max_length=12)
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices)
    is_exercise = models.BooleanField(
        _("exercise (drill)"),
        default=False,
        help_text=_("Members see it marked as an exercise."),
    )
    language = models.CharField(_("main language"), max_length=2, default="nl")
    # A police notice that may be read by anyone (the BIN's public Atom feed); messages are
    # for the members only otherwise.
    public = models.BooleanField(
        _("public notice"),
        default=False,
        help_text=_("Also published in the BIN's public feed, for anyone to read."),
    )
    target = models.JSONField(_("target"), default=dict)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forwards",
        help_text=_("The police message a coordinator forwarded."),
    )
    # Stored privately, served only by messaging.attachment_views to whoever may read the
    # message.
    attachment = models.FileField(
        _("attachment"),
        storage=private_storage,
        upload_to=attachment_path,
        max_length=200,
        blank=True,
        help_text=_("A PDF leaflet, for example. Photos of suspects may not be shared."),
    )
    attachment_name = models.CharField(_("attachment name"), max_length=120, blank=True)
    scheduled_for = models.DateTimeField(_("send at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)
    # The compose form's one-time token or the API's Idempotency-Key: a second submit with
    # the same key returns this message (services.submit_once). One message per sender and
    # key, enforced by the database; services.IDEMPOTENCY_KEY_TTL after it was made, a new
    # submit may take the key over.
    idempotency_key = models.CharField(max_length=255, blank=True, default="", editable=False)
    # A hash of what was submitted with the key: the same key with other content is refused.
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="message_idempotency_once",
            ),
        ]
        indexes = [
            models.Index(fields=["zone", "-created_at"]),
            models.Index(
                fields=["scheduled_for"],
                condition=models.Q(status="scheduled"),
                name="message_due_idx",
            ),
            models.Index(
                fields=["-sent_at"],
                condition=models.Q(public=True, status="sent", is_exercise=False),
                name="message_public_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}: {self.title}"

    @property
    def main_text(self) -> "MessageText | None":
        texts = list(self.texts.all())
        for text in texts:
            if text.language == self.language:
                return text
        return texts[0] if texts else None

    @property
    def title(self) -> str:
        text = self.main_text
        return text.title if text else ""


class MessageText(models.Model):
    """One language version of a message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=2)
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("message"))
    sms_text = models.CharField(_("short text for SMS"), max_length=1530, blank=True)

    class Meta:
        verbose_name = _("message text")
        verbose_name_plural = _("message texts")
        constraints = [
            models.UniqueConstraint(fields=["message", "language"], name="message_text_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.title}"


class ForwardStage(models.TextChoices):
    MEMBERS = "members", _("Sent to the members")
    COORDINATOR = "coordinator", _("Waiting for the coordinator to forward")
    FORWARDED = "forwarded", _("Forwarded by the coordinator")


class MessageNetwork(models.Model):
    """A network a message went to, with the plan rule that applied there (a snapshot)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="networks")
    network = models.ForeignKey(
        "networks.Network", on_delete=models.CASCADE, related_name="message_links"
    )
    plan_version = models.PositiveIntegerField(null=True, blank=True)
    rule = models.JSONField(default=dict)
    stage = models.CharField(max_length=12, choices=ForwardStage.choices)
    forward_due_at = models.DateTimeField(null=True, blank=True)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "network"], name="message_network_unique"),
        ]
        indexes = [
            models.Index(
                fields=["forward_due_at"],
                condition=models.Q(stage="coordinator", overdue_flagged_at__isnull=True),
                name="message_forward_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.network_id}"

    @cached_property
    def applied_rule(self) -> Rule:
        """The plan's rule as it applied when the message was sent (`rule` holds its JSON).
        Snapshots name their kind; only one that does not costs a query for the message's."""
        kind = None if self.rule.get("kind") else self.message.kind
        return Rule.from_json(self.rule, kind=kind)


class Recipient(models.Model):
    """A person a message was meant for: the audience snapshot taken when it was sent."""

    # Written only by the set-based INSERT … SELECT of `send()` from rows of the same
    # transaction; see Delivery for why message and link carry no database constraint.
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="recipients",
        db_constraint=False,
        db_index=False,
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox", db_index=False
    )
    link = models.ForeignKey(
        MessageNetwork,
        on_delete=models.CASCADE,
        related_name="recipients",
        db_constraint=False,
        db_index=False,
    )
    language = models.CharField(max_length=2)
    seen_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "person"], name="recipient_once"),
        ]
        indexes = [models.Index(fields=["person", "-message"])]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.person_id}"


class Reply(models.Model):
    """What a member answered to a message, threaded to it (in-app, SMS or e-mail reply)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="replies")
    recipient = models.ForeignKey(
        Recipient, on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    body = models.TextField(_("reply"))
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"reply to {self.message_id}"
