"""What the running installation says about itself: live workers and periodic steps.

Both tables stay small (one row per live worker process, one per tick step) so that the
readiness probe and the metrics scrape read them with one cheap query each.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerBeat(models.Model):
    """One live worker process, renewed every few seconds by `beats.worker_beating`."""

    # Unique per process start: host and pid alone repeat across container restarts.
    name = models.CharField(_("name"), max_length=200, unique=True)
    queues = models.CharField(_("queues"), max_length=200, blank=True)
    host = models.CharField(_("host"), max_length=100)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    seen_at = models.DateTimeField(_("seen at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("worker beat")
        verbose_name_plural = _("worker beats")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PeriodicRun(models.Model):
    """When one step of the tick last started and finished, and how it last failed."""

    name = models.CharField(_("step"), max_length=100, unique=True)
    last_started = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished = models.DateTimeField(_("last finished"), null=True, blank=True)
    # Exception class and a short message: never a person's data (see core's tick command).
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
