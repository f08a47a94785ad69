"""Another system's alert with line breaks or control characters in one-line elements is
mended, not refused: a message title must be one line (it becomes an e-mail subject)."""

from buurtnet.cap import services
from buurtnet.common.form_fields import has_control_characters

from .conftest import cap_alert


def import_(world, document: bytes):
    return services.import_alert(world.zone, document, by=world.zone_staff)


def test_line_break_in_a_headline_is_folded_into_one_space(world, places):
    infos = (("nl-BE", "Inbraakgolf\r\nin de   wijk&#x2028;Leielaan", "Tekst", ""),)

    record = import_(world, cap_alert(infos=infos))

    assert record.message.texts.get(language="nl").title == "Inbraakgolf in de wijk Leielaan"


def test_control_and_format_characters_are_removed_from_a_headline(world, places):
    infos = (("nl-BE", "Inbraak&#x85;golf&#x202E;&#x9B;", "Tekst", ""),)

    record = import_(world, cap_alert(infos=infos))

    assert record.message.texts.get(language="nl").title == "Inbraak golf"


def test_description_keeps_its_line_breaks_but_loses_other_control_characters(world, places):
    infos = (("nl-BE", "Titel", "Eerste regel&#x9B;\nTweede&#x85; regel", ""),)

    record = import_(world, cap_alert(infos=infos))

    assert record.message.texts.get(language="nl").body == "Eerste regel\nTweede regel"


def test_sender_with_a_control_character_is_recorded_on_one_line(world, places):
    record = import_(world, cap_alert(sender="alerts@crisis.example.be&#x85;"))

    assert not has_control_characters(record.sender)
