import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtnet.common.form_fields import LocalMinuteField
from buurtnet.messaging.models import MESSAGE_BODY_MAX
from buurtnet.networks import services as networks
from buurtnet.networks.models import Municipality
from buurtnet.people.models import Language
from buurtnet.plans.models import MessageKind

from .models import Outcome, ReportStatus
from .services import ReportInput

PHOTO_TYPES = "image/jpeg,image/png,image/heic,image/heif,.heic,.heif,.jpg,.jpeg,.png"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to three files; whether they are photos is decided by their content later."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": PHOTO_TYPES, "multiple": True})
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        items = [item for item in data if item] if isinstance(data, (list, tuple)) else [data]
        items = [single(item, initial) for item in items if item]
        limit = settings.REPORT_PHOTOS_PER_REPORT
        if len(items) > limit:
            raise forms.ValidationError(_("Send at most %(n)d photos.") % {"n": limit})
        # Refused on the size the upload declares, before a byte of it is read.
        too_large = settings.REPORT_PHOTO_MAX_BYTES
        for n, item in enumerate(items, start=1):
            if item.size > too_large:
                raise forms.ValidationError(
                    _("Photo %(n)d is larger than %(mb)d MB. Send a smaller picture.")
                    % {"n": n, "mb": too_large // (1024 * 1024)}
                )
        return items


class ReportForm(forms.Form):
    network = forms.TypedChoiceField(label=_("Which BIN"), coerce=int)
    # Required fields are checked by the service with the place and the photos, so that
    # every problem shows at once.
    category = forms.TypedChoiceField(
        label=_("What did you see?"), coerce=int, widget=forms.RadioSelect, required=False
    )
    occurred_at = LocalMinuteField(label=_("When did it happen?"), required=False)
    longitude = forms.FloatField(
        widget=forms.HiddenInput, required=False, min_value=-180, max_value=180
    )
    latitude = forms.FloatField(
        widget=forms.HiddenInput, required=False, min_value=-90, max_value=90
    )
    address = forms.CharField(
        label=_("Address (street and number)"),
        max_length=160,
        required=False,
        # Moving the pin empties it (static/js/map/pick.js): the newer choice wins.
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-map-clears": "map"}),
        help_text=_("Instead of the map, if you know it: for example Kerkstraat 12."),
    )
    description = forms.CharField(
        label=_("Describe what you saw"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who or what, what they did, how they looked. Facts, not guesses."),
    )
    vehicle_plate = forms.CharField(
        label=_("Number plate"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
        help_text=_("If you saw it, like 1-ABC-234. Only the police see it."),
    )
    vehicle_plate_foreign = forms.BooleanField(label=_("Foreign plate"), required=False)
    vehicle_make = forms.CharField(label=_("Make and model"), max_length=60, required=False)
    vehicle_colour = forms.CharField(label=_("Colour"), max_length=40, required=False)
    vehicle_direction = forms.CharField(
        label=_("Direction of travel"), max_length=120, required=False
    )
    photos = PhotosField(
        label=_("Photos (at most three)"),
        required=False,
        help_text=_(
            "JPEG, PNG or HEIC. We remove the location and camera data before storing them. "
            "Only the police see them."
        ),
    )
    # Both come from the page, not from the person: a damaged value is dropped, never
    # shown as an error they could not fix.
    client_token = forms.CharField(widget=forms.HiddenInput, required=False)
    message = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_client_token(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.cleaned_data.get("client_token") or "")
        except ValueError:
            return None

    def clean_message(self) -> int | None:
        value = self.cleaned_data.get("message") or ""
        return int(value) if value.isdigit() and int(value) < 2**63 else None

    def __init__(self, *args, person, networks, categories, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.networks = {n.pk: n for n in networks}
        self.fields["network"].choices = [(n.pk, n.name) for n in networks]
        if len(networks) == 1:
            self.fields["network"].widget = forms.HiddenInput()
        self.fields["category"].choices = [(c.pk, c.name) for c in categories]
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean(self) -> dict:
        """An address typed wins over the pin: the member may not know how to use a map."""
        data = super().clean()
        network = self.networks.get(data.get("network"))
        text = data.get("address", "")
        if not (text and network):
            return data
        found = address_point(
            text, own_postcode=self.person.postcode, municipality=network.municipality
        )
        if found is None:
            self.add_error(
                "address",
                _(
                    "We cannot find this address in %(place)s. Check the street and the "
                    "number, or put the pin on the map."
                )
                % {"place": network.municipality.name},
            )
            return data
        data["longitude"], data["latitude"] = found
        # The page that comes back (another field may be wrong) shows the pin there.
        self.data = self.data.copy()
        self.data["longitude"], self.data["latitude"] = (f"{v:.6f}" for v in found)
        return data

    def report_input(self) -> ReportInput:
        data = self.cleaned_data
        photos = [_read_limited(f) for f in data.get("photos") or []]
        return ReportInput(
            network_id=data["network"],
            category_id=data.get("category"),
            occurred_at=data.get("occurred_at"),
            longitude=data.get("longitude"),
            latitude=data.get("latitude"),
            description=data.get("description") or "",
            vehicle_plate=data.get("vehicle_plate", ""),
            vehicle_plate_foreign=data.get("vehicle_plate_foreign", False),
            vehicle_make=data.get("vehicle_make", ""),
            vehicle_colour=data.get("vehicle_colour", ""),
            vehicle_direction=data.get("vehicle_direction", ""),
            photos=photos,
            client_token=data.get("client_token"),
            source_message_id=data.get("message"),
        )


def address_point(
    text: str, *, own_postcode: str, municipality: Municipality
) -> tuple[float, float] | None:
    """(longitude, latitude) of an address typed in one line, or None when the gazetteer does
    not know it. Without a postcode in the text: the member's own postcode first, then every
    postcode of the BIN's municipality, since most reports are close to home."""
    postcodes = [own_postcode] if own_postcode else []
    postcodes += [code for code in networks.postcodes_of(municipality) if code not in postcodes]
    return networks.find_address(text, postcodes)


def _read_limited(upload) -> bytes:
    """Read an upload, but never more than one byte past the limit: that byte is enough
    for the photo check to say the file is too large."""
    upload.seek(0)
    return upload.read(settings.REPORT_PHOTO_MAX_BYTES + 1)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ReportStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("When forwarding: to whom (dispatch, another service)."),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome (when closing)"),
        choices=[("", "—"), *Outcome.choices],
        required=False,
    )


class FeedbackForm(forms.Form):
    body = forms.CharField(
        label=_("Feedback to the reporter"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Tell them what was done, as far as the investigation allows."),
    )
    sms_text = forms.CharField(
        label=_("Short text for SMS"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MessageFromReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of message"),
        choices=[
            (MessageKind.NOTICE.value, MessageKind.NOTICE.label),
            (MessageKind.ALERT.value, MessageKind.ALERT.label),
        ],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    title = forms.CharField(label=_("Title"), max_length=150)
    body = forms.CharField(
        label=_("Message"), max_length=MESSAGE_BODY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
    sms_text = forms.CharField(
        label=_("Short text for SMS"),
        max_length=1530,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def texts(self) -> dict[str, dict]:
        data = self.cleaned_data
        return {
            data["language"]: {
                "title": data["title"],
                "body": data["body"],
                "sms_text": data.get("sms_text", ""),
            }
        }


class RelayForm(MessageFromReportForm):
    """The coordinator's proposal: always a relay, which the plan may hold for approval."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class CategoryForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name_nl = forms.CharField(label=_("Dutch"), max_length=80, required=False)
    name_fr = forms.CharField(label=_("French"), max_length=80, required=False)
    name_en = forms.CharField(label=_("English"), max_length=80, required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, required=False)
    is_active = forms.BooleanField(label=_("Offered"), required=False)

    def row(self) -> dict | None:
        data = self.cleaned_data
        names = {lang: data.get(f"name_{lang}", "") for lang in ("nl", "fr", "en")}
        if not data.get("id") and not any(names.values()):
            return None  # the empty row for a new category, left empty
        return {
            "id": data.get("id"),
            "names": names,
            "position": data.get("position") or 0,
            "is_active": data.get("is_active", False),
        }


CategoryFormSet = forms.formset_factory(CategoryForm, extra=1, max_num=50)
