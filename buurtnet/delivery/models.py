from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """The ways a person can be reached, as they choose them (`Person.channels`)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message (SMS)")
    PUSH = "push", _("Push notification")
    VOICE = "voice", _("Voice call")
    INAPP = "inapp", _("In-app inbox")


class OutboxChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")


class OutboxMessage(models.Model):
    """A message the embedded default "sent": kept locally instead of leaving the machine.

    The demo and the tests read verification links and codes from here.
    """

    channel = models.CharField(max_length=8, choices=OutboxChannel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient}: {self.subject or self.body[:40]}"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    INFLIGHT = "inflight", _("Being sent")
    AWAITING_RETRY = "retry", _("Waiting to retry")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SKIPPED = "skipped", _("Not sent")
    CANCELLED = "cancelled", _("Cancelled")


PENDING_STATES = (DeliveryState.QUEUED, DeliveryState.INFLIGHT, DeliveryState.AWAITING_RETRY)
DONE_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED)


class Reason(models.TextChoices):
    """Why a delivery did not (yet) reach the member: the reach report's vocabulary."""

    EMAIL_UNVERIFIED = "email_unverified", _("E-mail address not confirmed")
    PHONE_MISSING = "phone_missing", _("No mobile number")
    PHONE_UNVERIFIED = "phone_unverified", _("Mobile number not confirmed")
    PHONE_INVALID = "phone_invalid", _("Mobile number rejected by the provider")
    PHONE_COUNTRY = "phone_country", _("Phone number of a country we do not send to")
    PHONE_NOT_MOBILE = "phone_not_mobile", _("Not a mobile number: no text messages")
    PHONE_SPECIAL = "phone_special", _("Special phone number (premium rate…): never used")
    NO_PUSH = "no_push", _("No device subscribed to push")
    CHANNEL_WITHDRAWN = "channel_withdrawn", _("The member withdrew this channel")
    QUIET_HOURS = "quiet_hours", _("Held back during quiet hours")
    SENDING_HOURS = "sending_hours", _("Held back outside the plan's sending hours")
    PROVIDER = "provider", _("Provider failure")
    BOUNCED = "bounced", _("Bounced")
    SENDING_ERROR = "sending_error", _("Error in Buurtnet while sending")


class Notice(models.Model):
    """What one person is told outside a message: a decision on their application, a
    message waiting for their approval, an overdue warning, a verification code.

    Rendered once, when it is made, in the person's language; its deliveries (one per
    channel) go through the same workers, retries, provider pauses and fallback as a
    message's. `kind` names its row in `notices.KINDS` (queue, quiet hours, fallback,
    how long it is kept). A notice made twice with the same person and `key` is one notice.
    """

    # Null for a mail to an address that has no account (yet): allauth's confirmations.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=20)
    key = models.CharField(max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=2)
    # Where it goes when that is not the person's own confirmed address or number: an
    # e-mail address being confirmed, a phone number being verified.
    email = models.CharField(_("e-mail address"), max_length=254, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(blank=True)
    # What a text message says, or a call reads out.
    short_text = models.TextField(_("short text"), blank=True)
    created_at = models.DateTimeField(_("made at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "key"], condition=~models.Q(key=""), name="notice_once_per_key"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="notice_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Delivery(models.Model):
    """One recipient × channel of a message, or one channel of a notice: the unit the
    workers claim, send, retry and report on.

    The idempotency key is derived from the row (see `idempotency_key`), so a re-send
    after a crash carries the same key and providers that honour one drop the duplicate.
    """

    # No database constraint or own index on message and recipient: deliveries are only
    # written by the INSERT … SELECT that reads the same message's recipients in the same
    # transaction, and a database-level check on 300,000 rows doubles the COMMIT of a big
    # alert. Deletion still cascades (Django's collector). The indexes below cover lookups.
    # Null for the delivery of a notice (the CHECK constraint below: one or the other).
    message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    recipient = models.ForeignKey(
        "messaging.Recipient",
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    # The same reasoning: a foreign key check would be queued for every row of an alert,
    # all of them NULL here. The unique constraint below indexes it.
    notice = models.ForeignKey(
        Notice,
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    channel = models.CharField(max_length=8)
    state = models.CharField(max_length=10, choices=DeliveryState.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The token of the claim that holds (or last held) the row: every write of an outcome
    # checks it, so a worker whose lease ran out never overwrites its successor's work.
    # A database default: the deliveries are written by INSERT … SELECT.
    claimed_by = models.CharField(max_length=32, blank=True, default="", db_default="")
    provider_ref = models.CharField(max_length=100, blank=True)
    fallback_from = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "channel"], name="delivery_once_per_channel"
            ),
            models.UniqueConstraint(
                fields=["notice", "channel"],
                condition=models.Q(notice__isnull=False),
                name="delivery_notice_once_per_channel",
            ),
            # A row per row: no lookup, nothing queued until the commit.
            models.CheckConstraint(
                condition=models.Q(
                    message__isnull=False, recipient__isnull=False, notice__isnull=True
                )
                | models.Q(message__isnull=True, recipient__isnull=True, notice__isnull=False),
                name="delivery_of_message_or_notice",
            ),
        ]
        indexes = [
            models.Index(fields=["message", "channel", "state"]),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["queued", "inflight", "retry"]),
                name="delivery_pending_idx",
            ),
            # The tick's recovery and the metrics look for notices' pending deliveries apart
            # from a message's: during a big alert hundreds of thousands of message rows are
            # pending, a few notice rows.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(notice__isnull=False, state__in=["queued", "inflight", "retry"]),
                name="delivery_notice_pending_idx",
            ),
            models.Index(
                fields=["fallback_from"],
                condition=models.Q(fallback_from__isnull=False),
                name="delivery_fallback_idx",
            ),
            models.Index(
                fields=["provider_ref"],
                condition=~models.Q(provider_ref=""),
                name="delivery_provider_ref_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} ({self.state})"

    @property
    def channel_label(self) -> str:
        return dict(Channel.choices).get(self.channel, self.channel)

    @property
    def idempotency_key(self) -> str:
        if self.notice_id is not None:
            return f"bn-n{self.notice_id}-{self.channel}"
        return f"bn-{self.message_id}-{self.recipient_id}-{self.channel}"


class PushSubscription(models.Model):
    """A browser or phone that agreed to receive web push for a person."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return self.endpoint[:60]


class ProviderState(models.TextChoices):
    CLOSED = "closed", _("Working")
    OPEN = "open", _("Paused")
    PROBING = "probing", _("Trying again")


class ProviderHealth(models.Model):
    """How one delivery provider (the SMS gateway, the mail server…) is doing, as every
    delivery worker sees it: the state of its circuit breaker (`delivery/breaker.py`), and
    what the sender's progress page tells about it."""

    provider = models.CharField(max_length=40, unique=True)
    channel = models.CharField(max_length=8)
    state = models.CharField(
        max_length=8, choices=ProviderState.choices, default=ProviderState.CLOSED
    )
    # Consecutive transient failures, and consecutive pauses (each one longer).
    failures = models.PositiveIntegerField(default=0)
    pauses = models.PositiveSmallIntegerField(default=0)
    # When the failures began, and when the pause ends (or the probe's lease, while probing).
    down_since = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("provider health")
        verbose_name_plural = _("provider health")

    def __str__(self) -> str:
        return f"{self.provider} ({self.state})"
