"""Surveys: what the zone or the municipality asks, when it is sent, and the anonymous answers.

Anonymity is a property of the tables, not only of the code (docs/surveys.md):
- `Participation` says who took part in a round, and nothing about what they answered;
- `Ticket` is an answer right: the hash of a random token, with no person and no time;
- `Response` and `Answer` hold what was answered, with random (UUID) keys, no person and
  only the date, so neither a key, an order nor a clock links them to a participation.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("nl", "fr", "en")
LANGUAGE_CHOICES = [("nl", "Nederlands"), ("fr", "Français"), ("en", "English")]


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Scope(models.TextChoices):
    NETWORKS = "networks", _("Chosen BINs")
    ZONE = "zone", _("Every BIN of the zone")


class Recurrence(models.TextChoices):
    ONCE = "once", _("Once")
    YEARLY = "yearly", _("Every year")


class QuestionKind(models.TextChoices):
    LIKERT = "likert", _("Scale from 1 to 5")
    SINGLE = "single", _("One choice")
    MULTIPLE = "multiple", _("Several choices")
    TEXT = "text", _("Free text")


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


class Survey(models.Model):
    zone = models.ForeignKey("networks.PoliceZone", on_delete=models.CASCADE, related_name="+")
    # {"nl": {"title": "...", "intro": "..."}, "fr": {...}}: content lives in the database.
    texts = models.JSONField(_("title and introduction"), default=dict)
    language = models.CharField(_("main language"), max_length=2, choices=LANGUAGE_CHOICES)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="surveys_written"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    scope = models.CharField(
        _("sent to"), max_length=10, choices=Scope.choices, default=Scope.NETWORKS
    )
    networks = models.ManyToManyField("networks.Network", blank=True, related_name="+")
    recurrence = models.CharField(
        _("how often"), max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    # A yearly survey is sent each year on the day and month of `starts_on`, up to `ends_on`.
    starts_on = models.DateField(_("first sending"), null=True, blank=True)
    ends_on = models.DateField(_("last year on"), null=True, blank=True)
    open_days = models.PositiveSmallIntegerField(_("days open for answers"), default=21)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(open_days__gte=1, open_days__lte=90), name="survey_open_days"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="survey_period_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title()

    def text_in(self, language: str) -> dict:
        """Title and intro in this language, the main language where it has none."""
        main = self.texts.get(self.language) or {}
        found = self.texts.get(language) or {}
        return {
            "title": found.get("title") or main.get("title", ""),
            "intro": found.get("intro") or main.get("intro", ""),
        }

    def title(self, language: str | None = None) -> str:
        return self.text_in(language or self.language)["title"]


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=QuestionKind.choices)
    texts = models.JSONField(_("question"), default=dict)  # {"nl": "...", "fr": "..."}

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text_in(self.survey.language)

    def text_in(self, language: str) -> str:
        return self.texts.get(language) or self.texts.get(self.survey.language, "")


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(default=0)
    texts = models.JSONField(_("option"), default=dict)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text_in(self.question.survey.language)

    def text_in(self, language: str) -> str:
        return self.texts.get(language) or self.texts.get(self.question.survey.language, "")


class Round(models.Model):
    """One sending of a survey. A yearly survey gets one per year: the unique (survey, year)
    row is the claim that keeps two ticks from sending the same year twice."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rounds")
    year = models.PositiveSmallIntegerField()
    opened_on = models.DateField()
    closes_on = models.DateField()
    # The BINs this round went to, fixed when it was sent (a zone's BINs change).
    networks = models.ManyToManyField("networks.Network", related_name="+")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "year"], name="one_round_per_survey_year"),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opened_on")), name="round_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} {self.year}"


class Participation(models.Model):
    """This person took part in this round. Says nothing about what they answered."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="participations")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="one_participation")
        ]

    def __str__(self) -> str:
        return f"participation {self.pk}"


class Ticket(models.Model):
    """An unused right to answer one round: only the hash of the token the form carries.
    No person, no time; a random key so its row says nothing about when it was issued."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    hash = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"ticket {self.pk}"


class Response(models.Model):
    """One anonymous set of answers: no person, no time, a random key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    # Only when the round went to several BINs (for per-BIN results); else null.
    network = models.ForeignKey(
        "networks.Network", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_on = models.DateField()

    def __str__(self) -> str:
        return f"response {self.pk}"


class Answer(models.Model):
    """One answer to one question (a multiple-choice question gives one row per option)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.PositiveSmallIntegerField(null=True, blank=True)  # Likert 1–5
    option = models.ForeignKey(
        Option, on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=1, value__lte=5),
                name="answer_likert_range",
            )
        ]

    def __str__(self) -> str:
        return f"answer {self.pk}"
