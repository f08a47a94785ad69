"""Prevention tips and the campaigns that send them.

A tip belongs to a zone and has a version per language. A campaign sends a selection of
tips, one at a time, to chosen BIN types and municipalities (or the whole zone) through the
messaging pipeline as kind "tip": once, or every year during a period such as the dark
months. Each send is recorded once per moment (`CampaignSend`), which makes the periodic
pass safe to run twice.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from buurtnet.common.private_files import private_storage


class Theme(models.TextChoices):
    BURGLARY = "burglary", _("Burglary")
    ABSENCE = "absence", _("Absence and holidays")
    BICYCLE = "bicycle", _("Bicycle theft")
    VEHICLE = "vehicle", _("Vehicle crime")
    FRAUD = "fraud", _("Fraud and phishing")
    SHOPLIFTING = "shoplifting", _("Shoplifting")
    FARM = "farm", _("Farm theft")
    FIRE = "fire", _("Fire safety")
    NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood and social control")


class TipStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Tip(models.Model):
    zone = models.ForeignKey(
        "networks.PoliceZone", on_delete=models.CASCADE, related_name="prevention_tips"
    )
    municipality = models.ForeignKey(
        "networks.Municipality",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by the prevention service of"),
    )
    code = models.SlugField(_("code"), max_length=60, blank=True)
    themes = models.JSONField(_("themes"), default=list)
    network_kinds = models.JSONField(
        _("suits these BIN types"),
        default=list,
        blank=True,
        help_text=_("Leave empty when it suits every BIN."),
    )
    # Kept private: a draft's image is served only to its editors (see views.tip_image).
    image = models.FileField(_("image"), storage=private_storage, upload_to="tips/%Y/", blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TipStatus.choices, default=TipStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("prevention tip")
        verbose_name_plural = _("prevention tips")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["zone", "status", "-published_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "code"], condition=~models.Q(code=""), name="tip_unique_code"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_at__isnull=False),
                name="tip_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        text = self.text_in(get_language() or "nl")
        return text.title if text else f"tip {self.pk}"

    def text_in(self, language: str) -> "TipText | None":
        """The version in this language, else Dutch, else French, else any."""
        texts = {t.language: t for t in self.texts.all()}
        for candidate in (language[:2], "nl", "fr", "en"):
            if candidate in texts:
                return texts[candidate]
        return next(iter(texts.values()), None)

    @property
    def text(self) -> "TipText | None":
        return self.text_in(get_language() or "nl")

    @property
    def theme_labels(self) -> list[str]:
        labels = dict(Theme.choices)
        return [str(labels.get(t, t)) for t in self.themes]


class TipText(models.Model):
    """One language version. The body is Markdown, rendered through a sanitiser."""

    tip = models.ForeignKey(Tip, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=2)
    title = models.CharField(_("title"), max_length=150)
    sms_text = models.CharField(_("short text for SMS"), max_length=320)
    body = models.TextField(_("full text (Markdown)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tip", "language"], name="tip_text_unique_language"),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.title}"


class Recurrence(models.TextChoices):
    ONCE = "once", _("Once")
    YEARLY = "yearly", _("Every year")


class Campaign(models.Model):
    """Tips sent one at a time, every `every_days` days: once from `starts_at`, or every
    year between a start and an end day (which may lie in the next year: October to March)."""

    zone = models.ForeignKey("networks.PoliceZone", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    tips = models.ManyToManyField(Tip, through="CampaignTip", related_name="campaigns")
    network_kinds = models.JSONField(_("BIN types"), default=list, blank=True)
    municipalities = models.ManyToManyField(
        "networks.Municipality", blank=True, related_name="+", verbose_name=_("municipalities")
    )
    whole_zone = models.BooleanField(_("the whole zone"), default=False)
    recurrence = models.CharField(
        _("how often"), max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    starts_at = models.DateTimeField(_("first send"))
    # Yearly campaigns: the last day of the first period. Each later year repeats the same
    # days: 1 October to 31 March runs over the new year every year.
    period_ends_on = models.DateField(_("the period ends on"), null=True, blank=True)
    every_days = models.PositiveSmallIntegerField(_("one tip every (days)"), default=7)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(every_days__gte=1, every_days__lte=366),
                name="campaign_every_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(recurrence="once") | models.Q(period_ends_on__isnull=False),
                name="campaign_yearly_has_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignTip(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    tip = models.ForeignKey(Tip, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "tip"], name="campaign_tip_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.tip_id}"


class CampaignSend(models.Model):
    """One moment of a campaign and the message it became. The unique moment is the claim:
    two periodic passes at once make one message."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sends")
    due_at = models.DateTimeField()
    tip = models.ForeignKey(Tip, on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["campaign", "due_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "due_at"], name="campaign_send_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} @ {self.due_at:%Y-%m-%d}"
