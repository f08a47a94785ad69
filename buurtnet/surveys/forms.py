from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LANGUAGE_CHOICES, LANGUAGES, QuestionKind, Recurrence, Scope
from .services import QuestionInput, SurveyInput

LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)


class SurveyForm(forms.Form):
    language = forms.ChoiceField(label=_("Main language"), choices=LANGUAGE_CHOICES)
    title_nl = forms.CharField(label=_("Title (Dutch)"), max_length=200, required=False)
    intro_nl = forms.CharField(
        label=_("Introduction (Dutch)"), max_length=2000, required=False, widget=forms.Textarea
    )
    title_fr = forms.CharField(label=_("Title (French)"), max_length=200, required=False)
    intro_fr = forms.CharField(
        label=_("Introduction (French)"), max_length=2000, required=False, widget=forms.Textarea
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    intro_en = forms.CharField(
        label=_("Introduction (English)"), max_length=2000, required=False, widget=forms.Textarea
    )
    scope = forms.ChoiceField(
        label=_("Sent to"), choices=Scope.choices, widget=forms.RadioSelect, initial=Scope.NETWORKS
    )
    network_ids = forms.TypedMultipleChoiceField(
        label=_("BINs"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    recurrence = forms.ChoiceField(
        label=_("How often"),
        choices=Recurrence.choices,
        widget=forms.RadioSelect,
        initial=Recurrence.ONCE,
    )
    starts_on = forms.DateField(
        label=_("First sending"),
        required=False,
        help_text=_("Empty: when you send it. A yearly survey goes out each year on this day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ends_on = forms.DateField(
        label=_("Yearly until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    open_days = forms.IntegerField(
        label=_("Days open for answers"), min_value=1, max_value=90, initial=21
    )

    def __init__(self, *args, networks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network_ids"].choices = [(n.pk, n.name) for n in networks]

    @classmethod
    def initial_from(cls, survey) -> dict:
        initial = {
            "language": survey.language,
            "scope": survey.scope,
            "network_ids": list(survey.networks.values_list("pk", flat=True)),
            "recurrence": survey.recurrence,
            "starts_on": survey.starts_on,
            "ends_on": survey.ends_on,
            "open_days": survey.open_days,
        }
        for language in LANGUAGES:
            text = survey.texts.get(language) or {}
            initial[f"title_{language}"] = text.get("title", "")
            initial[f"intro_{language}"] = text.get("intro", "")
        return initial

    def to_input(self) -> SurveyInput:
        data = self.cleaned_data
        return SurveyInput(
            texts={
                lang: {"title": data[f"title_{lang}"], "intro": data[f"intro_{lang}"]}
                for lang in LANGUAGES
            },
            language=data["language"],
            scope=data["scope"],
            network_ids=data.get("network_ids") or [],
            recurrence=data["recurrence"],
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            open_days=data["open_days"],
        )


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    text_nl = forms.CharField(label=_("Question (Dutch)"), max_length=500, required=False)
    text_fr = forms.CharField(label=_("Question (French)"), max_length=500, required=False)
    text_en = forms.CharField(label=_("Question (English)"), max_length=500, required=False)
    options_nl = forms.CharField(
        label=_("Options (Dutch), one per line"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    options_fr = forms.CharField(
        label=_("Options (French), one per line"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    options_en = forms.CharField(
        label=_("Options (English), one per line"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice questions: the lines of each language in the same order."),
    )

    @classmethod
    def initial_from(cls, question) -> dict:
        options = list(question.options.all())
        initial = {"kind": question.kind}
        for language in LANGUAGES:
            initial[f"text_{language}"] = question.texts.get(language, "")
            initial[f"options_{language}"] = "\n".join(o.texts.get(language, "") for o in options)
        return initial

    def to_input(self) -> QuestionInput:
        data = self.cleaned_data
        lines = {
            lang: [line.strip() for line in data[f"options_{lang}"].splitlines() if line.strip()]
            for lang in LANGUAGES
        }
        count = max(len(v) for v in lines.values())
        options = [
            {lang: lines[lang][i] for lang in LANGUAGES if i < len(lines[lang])}
            for i in range(count)
        ]
        return QuestionInput(
            kind=data["kind"],
            texts={lang: data[f"text_{lang}"] for lang in LANGUAGES},
            options=options if data["kind"] in ("single", "multiple") else [],
        )
