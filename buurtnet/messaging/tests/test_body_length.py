"""A message body is at most MESSAGE_BODY_MAX characters in every form, as in the API: the
content check reads every character of it."""

from buurtnet.messaging.forms import ComposeForm, ForwardForm
from buurtnet.messaging.models import MESSAGE_BODY_MAX

TOO_LONG = "Lock your doors. " * (MESSAGE_BODY_MAX // 17 + 1)


def test_the_compose_form_refuses_a_body_over_the_limit():
    form = ComposeForm(
        {
            "kind": "notice",
            "language": "en",
            "target_type": "zone",
            "title_en": "Holidays",
            "body_en": TOO_LONG,
        }
    )
    assert not form.is_valid()
    assert f"at most {MESSAGE_BODY_MAX} characters" in form.errors["body_en"][0]


def test_the_forward_form_refuses_a_body_over_the_limit():
    form = ForwardForm({"title_nl": "Vakantie", "body_nl": TOO_LONG}, languages=["nl"])
    assert not form.is_valid()
    assert f"at most {MESSAGE_BODY_MAX} characters" in form.errors["body_nl"][0]
