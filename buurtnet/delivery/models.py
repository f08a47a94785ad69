from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class Delivery(models.Model):
    """One recipient × channel: the unit the workers claim, send, retry and report on.

    The idempotency key is derived from the row (see `idempotency_key`), so a re-send
    after a crash carries the same key and providers that honour one drop the duplicate.
    """

    # No database constraint or own index on message and recipient: deliveries are only
    # written by the INSERT … SELECT that reads the same message's recipients in the same
    # transaction, and a database-level check on 300,000 rows doubles the COMMIT of a big
    # alert. Deletion still cascades (Django's collector). The indexes below cover lookups.
    message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_constraint=False,
        db_index=False,
    )
    recipient = models.ForeignKey(
        "messaging.Recipient",
        on_delete=models.CASCADE,
        related_name="deliveries",
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
        ]
        indexes = [
            models.Index(fields=["message", "channel", "state"]),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["queued", "inflight", "retry"]),
                name="delivery_pending_idx",
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
        from buurtnet.people.models import Channel

        return dict(Channel.choices).get(self.channel, self.channel)

    @property
    def idempotency_key(self) -> str:
        return f"bn-{self.message_id}-{self.recipient_id}-{self.channel}"


class PushSubscription(models.Model):
    """A browser or phone that agreed to receive web push for a person."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="push_subscriptions"
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
