"""The yearly report of a BIN or of a municipality: a PDF made in the background.

One report is kept per scope (a BIN or a municipality), year and language. Asking again
regenerates that same row in place: its `version` goes up, the task that was asked for an
older version gives up, and the new PDF replaces the old file when it is done.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtnet.common.private_files import private_storage


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being made")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class YearlyReport(models.Model):
    # The scope: exactly one of the two (a DB constraint says so).
    network = models.ForeignKey(
        "networks.Network",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="yearly_reports",
        verbose_name=_("network (BIN)"),
    )
    municipality = models.ForeignKey(
        "networks.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="yearly_reports",
        verbose_name=_("municipality"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Raised each time the report is asked for again; a task works for one version only.
    version = models.PositiveIntegerField(default=1)
    pdf = models.FileField(storage=private_storage, upload_to="insights/%Y/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("yearly report")
        verbose_name_plural = _("yearly reports")
        ordering = ["-year", "language"]
        constraints = [
            models.CheckConstraint(
                condition=Q(network__isnull=False, municipality__isnull=True)
                | Q(network__isnull=True, municipality__isnull=False),
                name="yearly_report_one_scope",
            ),
            models.UniqueConstraint(
                fields=["network", "year", "language"],
                condition=Q(network__isnull=False),
                name="yearly_report_once_per_network",
            ),
            models.UniqueConstraint(
                fields=["municipality", "year", "language"],
                condition=Q(municipality__isnull=False),
                name="yearly_report_once_per_municipality",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="yearly_report_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.scope_name} {self.year} ({self.language})"

    @property
    def scope_name(self) -> str:
        return self.network.name if self.network_id else self.municipality.name

    @property
    def is_busy(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.status == ReportStatus.DONE and bool(self.pdf)


# The dashboard's figures of settled messages (owned by the dashboard, see rollup.py).
from .rollup import DeliveryFigure, SeenFigure, SettledMessage  # noqa: E402, F401
