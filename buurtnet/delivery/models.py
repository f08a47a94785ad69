from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


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
