"""Settled messages' delivery and reading figures, kept per message and BIN.

A year of a 100,000-member zone is millions of deliveries; counting them on every dashboard
request cannot stay under a second. Once a message has settled (sent SETTLE_AFTER ago and
nothing left to send), what became of its deliveries no longer changes much, so one grouped
INSERT … SELECT copies its figures here: a few rows per message (BIN × channel × outcome ×
whole seconds to delivery) instead of one per member. The dashboard reads these rows for
settled messages and counts the deliveries of the recent ones directly, with the same query.
"""

from django.db import models


class SettledMessage(models.Model):
    """A message whose figures are in DeliveryFigure and SeenFigure."""

    message = models.OneToOneField(
        "messaging.Message", on_delete=models.CASCADE, primary_key=True, related_name="settled"
    )
    settled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"message {self.message_id} settled"


class DeliveryFigure(models.Model):
    """How many deliveries of one message in one BIN ended in one state on one channel,
    and (sent or delivered) how many whole seconds after the message was sent."""

    message = models.ForeignKey(
        "messaging.Message", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    network = models.ForeignKey(
        "networks.Network", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    sent_at = models.DateTimeField()
    kind = models.CharField(max_length=10)
    channel = models.CharField(max_length=8)
    state = models.CharField(max_length=10)
    seconds = models.IntegerField(null=True)
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            # Covers the dashboard's reading: no table lookups for its rows.
            models.Index(
                fields=["network", "sent_at", "channel", "state", "seconds", "count"],
                name="insights_delivery_fig_idx",
            ),
            models.Index(fields=["message"], name="insights_delivery_fig_msg"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}/{self.network_id} {self.channel} {self.state}: {self.count}"


class SeenFigure(models.Model):
    """How many members of one BIN a message went to, and how many of them saw it."""

    message = models.ForeignKey(
        "messaging.Message", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    network = models.ForeignKey(
        "networks.Network", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    sent_at = models.DateTimeField()
    kind = models.CharField(max_length=10)
    recipients = models.PositiveIntegerField()
    seen = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["network", "sent_at"], name="insights_seen_fig_idx"),
            models.Index(fields=["message"], name="insights_seen_fig_msg"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}/{self.network_id}: {self.seen}/{self.recipients}"
