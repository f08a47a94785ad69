import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext

from buurtnet.cap import services
from buurtnet.cap.models import CapImport, CapSettings, ImportOutcome
from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import Message, MessageStatus

from .conftest import AREA, cap_alert


def import_(world, document: bytes, by=None):
    return services.import_alert(world.zone, document, by=by or world.zone_staff)


def bins(message: Message) -> set[str]:
    return set(message.networks.values_list("network__name", flat=True))


def in_dutch(prefix: str) -> str:
    """A title prefix as the Dutch members read it (translated, or not yet)."""
    with translation.override("nl"):
        return gettext(prefix) % {"title": ""}


def send_at_once(world) -> None:
    CapSettings.objects.create(zone=world.zone, send_at_once=True)


def test_alert_is_drafted_for_exactly_the_bins_in_its_area(world, places):
    record = import_(world, cap_alert())

    assert record.outcome == ImportOutcome.DRAFTED
    assert record.message.status == MessageStatus.AWAITING_APPROVAL
    assert bins(record.message) == {"BIN Inside", "BIN Partly"}
    assert record.message.kind == "alert"


def test_drafted_alert_waits_in_the_officers_approval_queue(world, places, now_sends):
    record = import_(world, cap_alert())

    assert record.message in messaging.approval_queue(places.officer)
    now_sends(messaging.decide, record.message, places.officer, True)
    record.message.refresh_from_db()
    assert record.message.status == MessageStatus.SENT


def test_zone_that_sends_imported_alerts_at_once_sends_it(world, places):
    send_at_once(world)

    record = import_(world, cap_alert())

    assert record.outcome == ImportOutcome.SENT
    assert record.message.status == MessageStatus.SENT
    assert record.message.recipients.filter(person=places.member).exists()


def test_info_languages_become_nl_fr_en_texts(world, places):
    infos = (
        ("nl-BE", "Titel", "Tekst", ""),
        ("fr-BE", "Titre", "Texte", ""),
        ("en-US", "Title", "Text", "Stay inside."),
        ("de-DE", "Titel DE", "Text DE", ""),
    )
    record = import_(world, cap_alert(infos=infos))

    texts = {t.language: t for t in record.message.texts.all()}
    assert set(texts) == {"nl", "fr", "en"}
    assert texts["en"].body == "Text\n\nStay inside."
    assert record.message.language == "nl"  # the BINs' own language


def test_less_urgent_alert_becomes_a_notice(world, places):
    record = import_(world, cap_alert(urgency="Future", severity="Minor"))

    assert record.message.kind == "notice"


def test_circle_selects_the_bins_it_covers(world, places):
    record = import_(world, cap_alert(polygons=(), circles=("50.505,4.005 0.3",)))

    assert bins(record.message) == {"BIN Inside"}


def test_exercise_alert_is_drafted_as_an_exercise(world, places):
    record = import_(world, cap_alert(status="Exercise"))

    assert record.message.is_exercise


def test_test_message_is_recorded_and_ignored(world, places):
    record = import_(world, cap_alert(status="Test"))

    assert record.outcome == ImportOutcome.IGNORED
    assert record.message is None


def test_alert_outside_every_bin_is_recorded_without_a_message(world, places):
    far = "51.30,5.70 51.30,5.80 51.35,5.80 51.35,5.70 51.30,5.70"
    count = Message.objects.count()

    record = import_(world, cap_alert(polygons=(far,)))

    assert record.outcome == ImportOutcome.OUTSIDE
    assert Message.objects.count() == count


def refers_to(identifier: str = "BE-CRISIS-2026-0001") -> str:
    return f"alerts@crisis.example.be,{identifier},2026-11-29T10:00:00+01:00"


def test_update_of_a_waiting_alert_replaces_its_texts(world, places):
    first = import_(world, cap_alert())
    infos = (("nl-BE", "Inbraken: dader gevat", "De dader is opgepakt.", ""),)

    record = import_(world, cap_alert("U1", msg_type="Update", references=refers_to(), infos=infos))

    assert record.outcome == ImportOutcome.UPDATED
    assert record.message == first.message
    assert record.original == first
    assert [t.title for t in first.message.texts.all()] == ["Inbraken: dader gevat"]
    assert Message.objects.filter(status=MessageStatus.AWAITING_APPROVAL).count() == 1


def test_update_of_a_waiting_notice_is_refused_when_its_text_fails_the_content_checks(
    world, places
):
    first = import_(world, cap_alert(urgency="Future", severity="Minor"))
    infos = (("nl-BE", "Inbraken: wagen 1-ABC-123 gezien", "Zie boven.", ""),)

    with pytest.raises(ValidationError):
        import_(
            world,
            cap_alert(
                "U1",
                msg_type="Update",
                references=refers_to(),
                urgency="Future",
                severity="Minor",
                infos=infos,
            ),
        )

    assert [t.title for t in first.message.texts.order_by("language")] == [
        "Vague de cambriolages",
        "Inbraakgolf in de wijk",
    ]
    assert CapImport.objects.count() == 1


def test_update_of_a_sent_alert_sends_a_follow_up_to_the_same_bins(world, places):
    send_at_once(world)
    first = import_(world, cap_alert())

    record = import_(world, cap_alert("U1", msg_type="Update", references=refers_to()))

    assert record.outcome == ImportOutcome.FOLLOWED_UP
    assert record.message != first.message
    assert record.message.status == MessageStatus.SENT
    assert bins(record.message) == {"BIN Inside", "BIN Partly"}
    assert record.message.texts.get(language="nl").title.startswith(in_dutch("Update: %(title)s"))


def test_cancel_of_a_waiting_alert_cancels_it(world, places):
    first = import_(world, cap_alert())

    record = import_(world, cap_alert("C1", msg_type="Cancel", references=refers_to()))

    first.message.refresh_from_db()
    assert record.outcome == ImportOutcome.CANCELLED
    assert first.message.status == MessageStatus.CANCELLED


def test_cancel_of_a_sent_alert_sends_a_withdrawal_to_the_same_bins(world, places):
    send_at_once(world)
    first = import_(world, cap_alert())

    record = import_(world, cap_alert("C1", msg_type="Cancel", references=refers_to()))

    assert record.outcome == ImportOutcome.WITHDRAWN
    assert record.message.status == MessageStatus.SENT
    assert bins(record.message) == bins(first.message)
    assert record.message.texts.get(language="nl").title.startswith(
        in_dutch("Withdrawn: %(title)s")
    )


def test_cancel_after_an_update_withdraws_the_whole_chain(world, places):
    first = import_(world, cap_alert())
    import_(world, cap_alert("U1", msg_type="Update", references=refers_to()))

    record = import_(
        world,
        cap_alert("C1", msg_type="Cancel", references=f"{refers_to()} {refers_to('U1')}"),
    )

    first.message.refresh_from_db()
    assert record.outcome == ImportOutcome.CANCELLED
    assert first.message.status == MessageStatus.CANCELLED


def assert_refused(world, document: bytes, code: str, *words: str) -> None:
    counts = (Message.objects.count(), CapImport.objects.count())
    with pytest.raises(ValidationError) as refused:
        import_(world, document)
    assert refused.value.code == code
    for word in words:
        assert word in " ".join(refused.value.messages)
    assert (Message.objects.count(), CapImport.objects.count()) == counts


def test_document_that_is_not_xml_is_refused(world, places):
    assert_refused(world, b"<alert>not closed", "not_xml", "not well-formed")


def test_schema_error_is_refused_with_the_schemas_message(world, places):
    document = cap_alert().replace(b"<status>Actual</status>", b"<status>Real</status>")

    assert_refused(world, document, "schema", "status", "Real")


def test_document_with_entities_is_refused(world, places):
    document = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + cap_alert().split(b"?>", 1)[1].replace(b"Inbraken</event>", b"&x;</event>")
    )

    with pytest.raises(ValidationError):
        import_(world, document)
    assert not CapImport.objects.exists()


@pytest.mark.parametrize(
    ("polygon", "words"),
    [
        ("50.49,3.99 50.49,4.05 50.49,3.99", "at least four points"),
        ("50.49,3.99 50.49,4.05 50.53,4.05 50.53,3.99", "not closed"),
        ("50.49,3.99 50.53,4.05 50.49,4.05 50.53,3.99 50.49,3.99", "crosses itself"),
        ("95.0,3.99 50.49,4.05 50.53,4.05 50.53,3.99 95.0,3.99", "out of range"),
        ("50.49;3.99 50.49,4.05 50.53,4.05 50.53,3.99 50.49;3.99", "latitude,longitude"),
    ],
    ids=["too-few-points", "not-closed", "self-intersecting", "out-of-range", "not-a-pair"],
)
def test_polygon_that_is_not_one_is_refused(world, places, polygon, words):
    assert_refused(world, cap_alert(polygons=(AREA, polygon)), "not_polygon", words)


def test_circle_with_a_bad_radius_is_refused(world, places):
    assert_refused(world, cap_alert(polygons=(), circles=("50.5,4.0 -2",)), "not_circle")


def test_alert_without_polygon_or_circle_is_refused(world, places):
    assert_refused(world, cap_alert(polygons=()), "no_area")


def test_duplicate_identifier_is_refused(world, places):
    import_(world, cap_alert())

    assert_refused(world, cap_alert(), "duplicate", "BE-CRISIS-2026-0001")


def test_staff_of_another_zone_cannot_import_into_this_zone(world, places):
    from buurtnet.networks.tests.factories import ZoneStaffFactory

    stranger = ZoneStaffFactory(zone=world.other_zone).person

    with pytest.raises(PermissionDenied):
        import_(world, cap_alert(), by=stranger)
    assert not CapImport.objects.exists()


def test_officer_who_is_not_zone_staff_cannot_import(world, places):
    with pytest.raises(PermissionDenied):
        import_(world, cap_alert(), by=places.officer)


def test_a_platform_administrator_cannot_import_an_alert_drafted_in_their_name(world, places):
    """Importing asks for the post (staff of the zone), not for the permission a superuser
    has everywhere (Standing's rule)."""
    with pytest.raises(PermissionDenied):
        import_(world, cap_alert(), by=world.admin)
    assert not CapImport.objects.exists()
