"""CAP 1.2 alerts a zone takes in from other systems, and the feeds it reads them from.

Every accepted CAP document is recorded once per zone (CAP identifies a message by its
sender and identifier), with the Buurtnet message it produced or changed. A document that
does not validate is never recorded: it changes nothing.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CapSettings(models.Model):
    """How a zone treats the CAP alerts it imports."""

    zone = models.OneToOneField(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="cap_settings"
    )
    send_at_once = models.BooleanField(
        _("send imported alerts at once"),
        default=False,
        help_text=_(
            "Without this, an imported alert waits until an officer of its BINs approves it."
        ),
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("CAP settings")
        verbose_name_plural = _("CAP settings")

    def __str__(self) -> str:
        return f"CAP settings of {self.zone}"


class CapFeed(models.Model):
    """A URL the zone reads CAP alerts from: one CAP document, or an Atom/RSS feed whose
    entries hold or link to CAP documents."""

    zone = models.ForeignKey(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="cap_feeds"
    )
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    # Imported alerts are drafted in this person's name; they must stay staff of the zone.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("drafted in the name of"),
    )
    is_active = models.BooleanField(_("read this feed"), default=True)
    poll_every_minutes = models.PositiveIntegerField(_("read every (minutes)"), default=5)
    created_at = models.DateTimeField(default=timezone.now)
    last_polled_at = models.DateTimeField(_("last read"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("CAP feed")
        verbose_name_plural = _("CAP feeds")
        ordering = ["zone", "name"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "url"], name="cap_feed_unique_url"),
            models.CheckConstraint(
                condition=models.Q(poll_every_minutes__gte=1, poll_every_minutes__lte=1440),
                name="cap_feed_poll_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ImportOrigin(models.TextChoices):
    API = "api", _("Posted to the API")
    FEED = "feed", _("Read from a feed")


class ImportOutcome(models.TextChoices):
    DRAFTED = "drafted", _("Drafted for an officer's approval")
    SENT = "sent", _("Sent")
    UPDATED = "updated", _("Texts of the waiting message replaced")
    FOLLOWED_UP = "followed_up", _("Follow-up sent")
    CANCELLED = "cancelled", _("Waiting message cancelled")
    WITHDRAWN = "withdrawn", _("Withdrawal notice sent")
    OUTSIDE = "outside", _("No BIN of the zone in its area")
    IGNORED = "ignored", _("Ignored (test, system or draft message)")
    NOTHING_TO_CHANGE = "unchanged", _("Nothing to update or cancel")


class CapImport(models.Model):
    """One CAP document a zone accepted, and what became of it."""

    zone = models.ForeignKey(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="cap_imports"
    )
    origin = models.CharField(_("from"), max_length=4, choices=ImportOrigin.choices)
    feed = models.ForeignKey(
        CapFeed, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    identifier = models.CharField(_("identifier"), max_length=255)
    sender = models.CharField(_("sender"), max_length=255)
    sent = models.DateTimeField(_("sent"))
    msg_type = models.CharField(_("message type"), max_length=8)
    references = models.TextField(_("references"), blank=True)
    # The Buurtnet message this document produced (or, for an update or cancel, changed).
    message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cap_imports",
    )
    # The earlier import this update or cancel refers to.
    original = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    outcome = models.CharField(_("status"), max_length=12, choices=ImportOutcome.choices)
    networks = models.PositiveIntegerField(_("BINs"), default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("CAP import")
        verbose_name_plural = _("CAP imports")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "sender", "identifier"], name="cap_import_once_per_zone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} {self.identifier}"
