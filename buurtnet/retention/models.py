"""How long each kind of personal data lives in one police zone.

The defaults follow data minimisation: as short as the police and the BINs can work with.
Absences have their own period (`absences.AbsenceSettings.retention_days`); the audit log
has one platform-wide period (`AUDIT_RETENTION_DAYS`) that no zone can change, because a
log that its own readers could shorten would prove nothing.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_DAYS = 7
MAX_DAYS = 3650


def _day_range() -> list:
    return [
        MinValueValidator(
            MIN_DAYS, message=_("Keep data at least %(limit_value)s days: enter a larger number.")
        ),
        MaxValueValidator(
            MAX_DAYS,
            message=_(
                "Keep data at most %(limit_value)s days (ten years): enter a smaller number."
            ),
        ),
    ]


class RetentionPolicy(models.Model):
    """One zone's periods, in days. Created with the defaults the first time the zone
    needs it (`services.policy_for`)."""

    zone = models.OneToOneField(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="retention_policy"
    )
    left_members = models.PositiveSmallIntegerField(
        _("members who left (days)"),
        default=90,
        validators=_day_range(),
        help_text=_(
            "Days after a member left a BIN of the zone before their membership and its "
            "history in that BIN are deleted."
        ),
    )
    closed_reports = models.PositiveSmallIntegerField(
        _("closed reports (days)"),
        default=365,
        validators=_day_range(),
        help_text=_(
            "Days after a report was closed before it is anonymised: the reporter's name, "
            "the description, the number plate and the photos go; the category, the time, "
            "the BIN and the outcome stay for the figures."
        ),
    )
    delivery_records = models.PositiveSmallIntegerField(
        _("delivery records (days)"),
        default=180,
        validators=_day_range(),
        help_text=_(
            "Days after a message was sent before the record of who received it, on which "
            "channel and when, is deleted. The message and its number of recipients stay."
        ),
    )
    outbox_records = models.PositiveSmallIntegerField(
        _("local outbox (days)"),
        default=30,
        validators=_day_range(),
        help_text=_(
            "Days e-mails, text messages and calls kept in the local outbox (instead of "
            "leaving through a provider) are kept. The outbox is shared by every zone: it "
            "is emptied after the shortest period any zone sets."
        ),
    )
    last_run_at = models.DateTimeField(_("last purge"), null=True, blank=True, editable=False)
    last_counts = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return f"retention policy of zone {self.zone_id}"
