from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtnet.common.form_fields import IdChoiceField, LocalMinuteField
from buurtnet.networks.models import Municipality, NetworkKind
from buurtnet.people.models import Language

from .models import Recurrence, Theme, Tip, TipStatus
from .services import LANGUAGES, CampaignInput, TipInput

IMAGE_TYPES = "image/jpeg,image/png,image/heic,image/heif,.heic,.heif,.jpg,.jpeg,.png"


class TipForm(forms.Form):
    # Checked by the service with the texts, so that every problem shows at once.
    themes = forms.MultipleChoiceField(
        label=_("Themes"),
        choices=Theme.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    network_kinds = forms.MultipleChoiceField(
        label=_("Suits these BIN types (none: every BIN)"),
        choices=NetworkKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    municipality = forms.ModelChoiceField(
        label=_("Written by the prevention service of"),
        queryset=Municipality.objects.none(),
        required=False,
    )
    image = forms.FileField(
        label=_("Image (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_TYPES}),
        help_text=_("JPEG, PNG or HEIC. Never a photo of a person or a number plate."),
    )

    def __init__(self, *args, zone, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.filter(zone=zone)
        labels = dict(Language.choices)
        for lang in LANGUAGES:
            self.fields[f"title_{lang}"] = forms.CharField(
                label=_("Title"), max_length=150, required=False
            )
            self.fields[f"sms_text_{lang}"] = forms.CharField(
                label=_("Short text for SMS"),
                max_length=320,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"body_{lang}"] = forms.CharField(
                label=_("Full text"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 8}),
                help_text=_("Markdown: **bold**, lists with “- ”, links as [text](https://…)."),
            )
            self.fields[f"title_{lang}"].language_label = labels[lang]

    def languages(self) -> list[tuple[str, str, list]]:
        labels = dict(Language.choices)
        return [
            (lang, labels[lang], [self[f"{n}_{lang}"] for n in ("title", "sms_text", "body")])
            for lang in LANGUAGES
        ]

    @classmethod
    def initial_for(cls, tip: Tip) -> dict:
        initial = {
            "themes": tip.themes,
            "network_kinds": tip.network_kinds,
            "municipality": tip.municipality_id,
        }
        for text in tip.texts.all():
            initial[f"title_{text.language}"] = text.title
            initial[f"sms_text_{text.language}"] = text.sms_text
            initial[f"body_{text.language}"] = text.body
        return initial

    def tip_input(self) -> TipInput:
        data = self.cleaned_data
        image = data.get("image")
        return TipInput(
            texts={
                lang: {n: data.get(f"{n}_{lang}", "") for n in ("title", "sms_text", "body")}
                for lang in LANGUAGES
            },
            themes=data.get("themes") or [],
            network_kinds=data.get("network_kinds") or [],
            image=image.read() if image else None,
            municipality_id=data["municipality"].pk if data.get("municipality") else None,
        )


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    tips = IdChoiceField(
        label=_("Tips, in the order they go out"),
        queryset=Tip.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    whole_zone = forms.BooleanField(label=_("The whole zone"), required=False)
    network_kinds = forms.MultipleChoiceField(
        label=_("BIN types"),
        choices=NetworkKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    municipalities = IdChoiceField(
        label=_("Municipalities"),
        queryset=Municipality.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    recurrence = forms.ChoiceField(
        label=_("How often"), choices=Recurrence.choices, widget=forms.RadioSelect
    )
    starts_at = LocalMinuteField(label=_("First tip goes out on"), required=False)
    period_ends_on = forms.DateField(
        label=_("Every year until (the end of the period)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only for yearly campaigns. 1 October to 31 March runs over the new year."),
    )
    every_days = forms.IntegerField(
        label=_("One tip every (days)"), min_value=1, max_value=366, initial=7
    )

    def __init__(self, *args, zone, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tips"].queryset = (
            Tip.objects.filter(zone=zone, status=TipStatus.PUBLISHED)
            .prefetch_related("texts")
            .order_by("-published_at")
        )
        self.fields["municipalities"].queryset = Municipality.objects.filter(zone=zone)
        if not self.is_bound:
            self.initial.setdefault("recurrence", Recurrence.ONCE)
            start = timezone.localtime() + timedelta(hours=1)
            self.initial.setdefault("starts_at", start.replace(minute=0, second=0, microsecond=0))

    def campaign_input(self) -> CampaignInput:
        data = self.cleaned_data
        return CampaignInput(
            name=data["name"],
            tip_ids=self._chosen_order([t.pk for t in data.get("tips") or []]),
            network_kinds=data.get("network_kinds") or [],
            municipality_ids=[m.pk for m in data.get("municipalities") or []],
            whole_zone=data.get("whole_zone", False),
            recurrence=data["recurrence"],
            starts_at=data.get("starts_at"),
            period_ends_on=data.get("period_ends_on"),
            every_days=data["every_days"],
        )

    def _chosen_order(self, ids: list[int]) -> list[int]:
        """The tips in the order they were ticked on the page (top to bottom), not in the
        order the database returns them."""
        posted = [int(v) for v in self.data.getlist("tips") if str(v).isdigit()]
        return [i for i in posted if i in ids] + [i for i in ids if i not in posted]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    theme = forms.ChoiceField(
        label=_("Theme"), choices=[("", _("All themes")), *Theme.choices], required=False
    )
