"""Outgoing webhooks: a zone's own systems hear about messages and reports as they happen.

An event is written once (in the transaction that caused it) with one delivery row per
endpoint that listens for it; the task workers send the deliveries after the commit, sign
them, and retry with back-off. Like the member deliveries (buurtnet.delivery), the state
lives in the rows, so a worker restart loses nothing.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    MESSAGE_SENT = "message.sent", _("A message was sent")
    REPORT_CREATED = "report.created", _("A member filed a report")
    REPORT_STATUS_CHANGED = "report.status_changed", _("A report changed status")


# Sent only by the "send a test event" button, to the one endpoint it was pressed for.
TEST_EVENT = "webhook.test"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL of a zone's own system that receives the events it chose."""

    zone = models.ForeignKey(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(
        _("description"), max_length=120, blank=True, help_text=_("Which system this is.")
    )
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    # Kept in clear: the platform must sign with it. Shown only to the zone's staff.
    secret = models.CharField(max_length=100, default=new_secret)
    # After a rotation the old secret still signs for a while, so the receiver can switch.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["zone", "id"]
        # emit() asks "does this zone have an active endpoint?" on every message and report.
        indexes = [models.Index(fields=["zone", "is_active"])]

    def __str__(self) -> str:
        return self.url

    def listens_to(self, event_type: str) -> bool:
        return event_type in self.events

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        found = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            found.append(self.previous_secret)
        return found


class WebhookEvent(models.Model):
    """Something that happened, as the receivers will see it (no personal data)."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    zone = models.ForeignKey("networks.PoliceZone", on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class WebhookState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Being sent")
    AWAITING_RETRY = "retry", _("Waiting to retry")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event to one endpoint: what the workers claim, send, retry and log."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(
        _("status"), max_length=10, choices=WebhookState.choices, default=WebhookState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"]),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["queued", "sending", "retry"]),
                name="webhook_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.state})"
