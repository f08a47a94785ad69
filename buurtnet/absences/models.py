"""Holiday absence watch ("vakantietoezicht", "surveillance des habitations").

A resident tells the police when their home stands empty; the officer of the BIN whose
area covers the home passes by while they are away and records each pass; the resident
is told at the end. The address of an empty home is the most sensitive data the platform
keeps, so only the officer of that BIN and the zone's staff ever see it, and every
absence is deleted a set number of days after it ends (`delete_after`).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtnet.people.phones import display_phone


class AbsenceSettings(models.Model):
    """How one police zone runs the absence watch. Created with the defaults the first
    time the zone needs it (`services.settings_for`)."""

    zone = models.OneToOneField(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="absence_settings"
    )
    open_to_residents = models.BooleanField(
        _("open to every resident"),
        default=False,
        help_text=_(
            "Off: only approved members of a BIN of the zone can announce an absence. "
            "On: anyone with an account whose home lies in the area of a BIN of the zone."
        ),
    )
    max_days = models.PositiveSmallIntegerField(
        _("longest absence (days)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
    )
    retention_days = models.PositiveSmallIntegerField(
        _("days the data is kept after the return"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Changing this also applies to absences already announced."),
    )
    lookahead_days = models.PositiveSmallIntegerField(
        _("days ahead on the officers' list"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(14)],
        help_text=_("The list shows the homes to pass today and in the coming days."),
    )

    class Meta:
        verbose_name = _("absence watch settings")
        verbose_name_plural = _("absence watch settings")

    def __str__(self) -> str:
        return f"absence watch of zone {self.zone_id}"


class AbsenceStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    CANCELLED = "cancelled", _("Cancelled")


class Absence(models.Model):
    zone = models.ForeignKey(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="absences"
    )
    # The BIN whose area covers the home: its officer passes by. None for a home outside
    # every BIN area of a zone open to all residents: the zone's staff see those.
    network = models.ForeignKey(
        "networks.Network",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="absences",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    street = models.CharField(_("street"), max_length=120)
    house_number = models.CharField(_("house number"), max_length=12)
    postcode = models.CharField(_("postcode"), max_length=4)
    city = models.CharField(_("municipality"), max_length=80)
    longitude = models.FloatField(_("longitude"))
    latitude = models.FloatField(_("latitude"))
    starts_on = models.DateField(_("leaving on"))
    ends_on = models.DateField(_("back home on"))
    contact_name = models.CharField(_("contact person"), max_length=120)
    contact_phone = models.CharField(_("contact person's phone"), max_length=20)
    remarks = models.TextField(_("remarks"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AbsenceStatus.choices,
        default=AbsenceStatus.ANNOUNCED,
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)
    delete_after = models.DateField(db_index=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_on", "ends_on", "id"]
        indexes = [
            models.Index(fields=["network", "status", "ends_on"]),
            models.Index(fields=["zone", "status", "ends_on"]),
            models.Index(fields=["person", "-starts_on"]),
            models.Index(
                fields=["ends_on"],
                condition=models.Q(status="announced", told_at__isnull=True),
                name="absence_to_tell_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="absence_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AbsenceStatus.values), name="absence_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"absence {self.pk} ({self.starts_on} – {self.ends_on})"

    @property
    def address_line(self) -> str:
        return f"{self.street} {self.house_number}, {self.postcode} {self.city}"

    @property
    def contact_phone_display(self) -> str:
        return display_phone(self.contact_phone)

    @property
    def days(self) -> int:
        """Days away, the day of leaving and the day of return both counted."""
        return (self.ends_on - self.starts_on).days + 1

    def is_active_on(self, day) -> bool:
        return self.status == AbsenceStatus.ANNOUNCED and self.starts_on <= day <= self.ends_on

    def is_cancellable_on(self, day) -> bool:
        return self.status == AbsenceStatus.ANNOUNCED and day <= self.ends_on


class AbsencePass(models.Model):
    """One time the police passed by the empty home."""

    absence = models.ForeignKey(Absence, on_delete=models.CASCADE, related_name="passes")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    passed_at = models.DateTimeField(_("passed at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("pass by an absent resident's home")
        verbose_name_plural = _("passes by absent residents' homes")
        ordering = ["passed_at", "id"]

    def __str__(self) -> str:
        return f"pass at absence {self.absence_id} ({self.passed_at:%Y-%m-%d %H:%M})"
