import json
import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtnet.common.form_fields import IdChoiceField
from buurtnet.networks.models import Municipality, Network, NetworkKind
from buurtnet.people.models import Language
from buurtnet.plans.models import MessageKind

from .models import MESSAGE_BODY_MAX, TargetKind
from .services import COMPOSABLE_KINDS, Draft
from .targets import RECEIVING_STATUSES

LANGUAGES = [code for code, _label in Language.choices]


class ComposeForm(forms.Form):
    """One form for every sender; the plan decides afterwards what they may send where."""

    kind = forms.ChoiceField(
        label=_("Kind of message"),
        choices=[(k.value, k.label) for k in MessageKind if k in COMPOSABLE_KINDS],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("Main language"), choices=Language.choices)
    target_type = forms.ChoiceField(
        label=_("Send to"), choices=TargetKind.choices, widget=forms.RadioSelect
    )
    networks = IdChoiceField(label=_("BINs"), queryset=Network.objects.none(), required=False)
    network_kind = forms.ChoiceField(
        label=_("Type of BIN"), choices=NetworkKind.choices, required=False
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), required=False
    )
    area = forms.CharField(
        widget=forms.HiddenInput(attrs={"data-selects": "input[name=target_type][value=area]"}),
        required=False,
        # A drawn area of a few hundred corners; shapely meets every BIN of the zone with it.
        max_length=20_000,
    )
    scheduled_for = forms.DateTimeField(
        label=_("Send later (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to send at once."),
    )
    is_exercise = forms.BooleanField(
        label=_("This is an exercise (drill)"),
        required=False,
        help_text=_(
            "Members see it marked as an exercise. Afterwards, the list of people not reached "
            "shows whose contact details to fix."
        ),
    )
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        help_text=_(
            "A PDF with text or a text file (.txt, .csv, .md), at most 5 MB. It is checked "
            "like the message: no number plates, phone numbers, e-mail addresses or photos."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.txt,.csv,.tsv,.md"}),
    )
    public = forms.BooleanField(
        label=_("Public notice"),
        required=False,
        help_text=_(
            "Notices only: also published in the BIN's public feed, for anyone to read "
            "(a municipal website, a local newspaper). No number plates, names, phone "
            "numbers or e-mail addresses."
        ),
    )
    # A one-time token made when the form is first shown and kept through the preview: a
    # second submit of the same form returns the first message (services.submit_once).
    client_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, zone=None, can_publish: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["client_token"] = str(uuid.uuid4())
        elif not _is_token(self.data.get("client_token")):
            # A page from before tokens, or a damaged value: this submit and the pages that
            # follow it carry a fresh one. Never an error the person could not fix.
            self.renew_token()
        if not can_publish:
            # Only the police publish notices; the service refuses it from anyone else too.
            del self.fields["public"]
        else:
            # The police may also attach pictures and calendar files (messaging.attachments).
            self.fields["attachment"].help_text = _(
                "A PDF, a text file, a picture or a calendar file, at most 5 MB."
            )
            self.fields["attachment"].widget.attrs["accept"] = (
                ".pdf,.txt,.csv,.tsv,.md,.ics,image/jpeg,image/png,image/gif,image/webp,.heic"
            )
        for lang in LANGUAGES:
            self.fields[f"title_{lang}"] = forms.CharField(
                label=_("Title"), max_length=150, required=False
            )
            self.fields[f"body_{lang}"] = forms.CharField(
                label=_("Message"),
                max_length=MESSAGE_BODY_MAX,
                widget=forms.Textarea(attrs={"rows": 6}),
                required=False,
            )
            self.fields[f"sms_text_{lang}"] = forms.CharField(
                label=_("Short text for SMS"),
                required=False,
                max_length=1530,
                widget=forms.Textarea(attrs={"rows": 3, "data-sms-counter": f"sms-count-{lang}"}),
            )
        if zone is not None:
            self.fields["networks"].queryset = Network.objects.filter(
                municipality__zone=zone, status__in=RECEIVING_STATUSES
            ).order_by("name")
            self.fields["municipality"].queryset = zone.municipalities.order_by("name")

    def renew_token(self) -> None:
        """Give the form shown again a new token: what it sends next is a new message."""
        self.data = self.data.copy()
        self.data["client_token"] = str(uuid.uuid4())

    def language_fields(self) -> list[tuple[str, str, list]]:
        return [
            (
                lang,
                label,
                [self[f"title_{lang}"], self[f"body_{lang}"], self[f"sms_text_{lang}"]],
            )
            for lang, label in Language.choices
        ]

    def clean_scheduled_for(self):
        value = self.cleaned_data.get("scheduled_for")
        if value and value <= timezone.now():
            raise forms.ValidationError(_("That moment has passed. Choose a time in the future."))
        return value

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("target_type")
        if kind == TargetKind.NETWORKS and not data.get("networks"):
            self.add_error("networks", _("Choose at least one BIN."))
        if kind == TargetKind.MUNICIPALITY and not data.get("municipality"):
            self.add_error("municipality", _("Choose a municipality."))
        if kind == TargetKind.AREA:
            try:
                area = json.loads(data.get("area") or "null")
            except ValueError:
                area = None
            if not isinstance(area, dict):
                self.add_error("area", _("Draw the area on the map first."))
            data["area_shape"] = area
        return data

    def target(self) -> dict:
        data = self.cleaned_data
        kind = data["target_type"]
        if kind == TargetKind.NETWORKS:
            return {"type": kind, "networks": [n.pk for n in data["networks"]]}
        if kind == TargetKind.NETWORK_KIND:
            return {"type": kind, "kind": data["network_kind"]}
        if kind == TargetKind.MUNICIPALITY:
            return {"type": kind, "municipality": data["municipality"].pk}
        if kind == TargetKind.AREA:
            shape = data.get("area_shape") or {}
            if shape.get("type") == "Circle":
                return {"type": kind, "circle": shape}
            return {"type": kind, "polygon": shape}
        return {"type": kind}

    def draft(self, zone_id: int | None) -> Draft:
        data = self.cleaned_data
        texts = {
            lang: {
                "title": data.get(f"title_{lang}", ""),
                "body": data.get(f"body_{lang}", ""),
                "sms_text": data.get(f"sms_text_{lang}", ""),
            }
            for lang in LANGUAGES
        }
        return Draft(
            kind=data["kind"],
            texts=texts,
            target=self.target(),
            language=data["language"],
            zone_id=zone_id,
            scheduled_for=data.get("scheduled_for"),
            is_exercise=data.get("is_exercise", False),
            attachment=data.get("attachment"),
            public=bool(data.get("public", False)),
            idempotency_key=data.get("client_token", ""),
        )


def _is_token(value: object) -> bool:
    try:
        return str(uuid.UUID(str(value))) == value
    except ValueError:
        return False


class ForwardForm(forms.Form):
    def __init__(self, *args, languages=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for lang in languages:
            self.fields[f"title_{lang}"] = forms.CharField(label=_("Title"), max_length=150)
            self.fields[f"body_{lang}"] = forms.CharField(
                label=_("Message"),
                max_length=MESSAGE_BODY_MAX,
                widget=forms.Textarea(attrs={"rows": 5}),
            )
            self.fields[f"sms_text_{lang}"] = forms.CharField(
                label=_("Short text for SMS"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "data-sms-counter": f"sms-count-{lang}"}),
            )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply or extra information"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
