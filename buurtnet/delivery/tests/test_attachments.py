"""A message's file travels with its e-mails, end to end through a real SMTP server."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from icalendar import Calendar
from reportlab.pdfgen import canvas

from buurtnet.governance.calendar import invitation_ics
from buurtnet.governance.models import Meeting
from buurtnet.messaging import services
from buurtnet.messaging.services import Draft

from .smtp_sink import SmtpSink

STARTS = datetime(2027, 2, 3, 19, 30, tzinfo=UTC)


def _leaflet() -> bytes:
    """A real one-page PDF: attachments are read and checked before they are accepted."""
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 760, "Lock your doors.")
    page.showPage()
    page.save()
    return out.getvalue()


PDF = _leaflet()


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = False
        settings.SITE_URL = "https://buurtnet.example.be"
        yield sink.handler


@pytest.fixture
def meeting(world):
    return Meeting.objects.create(
        network=world.network,
        title="Members' meeting",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        place="Zaal De Linde",
        sequence=1,
    )


def send(world, now_sends, attachment=None, title="Members' meeting"):
    draft = Draft(
        kind="notice",
        language="en",
        texts={"en": {"title": title, "body": "See you there.", "sms_text": ""}},
        target={"type": "networks", "networks": [world.network.pk]},
        attachment=attachment,
    )
    return now_sends(services.submit, world.officer, draft)


def mails_to(handler, person) -> list:
    return [mail for mail in handler.messages if mail["To"] == person.email]


def attached(mail) -> list:
    return [part for part in mail.walk() if part.get_content_disposition() == "attachment"]


def test_an_invitation_arrives_as_a_calendar_part_that_parses(world, smtp, meeting, now_sends):
    data = invitation_ics(meeting)
    send(world, now_sends, SimpleUploadedFile("invitation.ics", data, "text/calendar"))
    [mail] = mails_to(smtp, world.member)
    [part] = attached(mail)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "invitation.ics"
    [event] = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    assert str(event["UID"]) == f"{meeting.uid}@buurtnet.example.be"
    assert int(event["SEQUENCE"]) == 1


def test_every_recipient_gets_the_file(world, smtp, meeting, now_sends):
    send(world, now_sends, SimpleUploadedFile("invitation.ics", invitation_ics(meeting)))
    assert len(smtp.messages) == 4
    assert all(len(attached(mail)) == 1 for mail in smtp.messages)


def test_a_cancellation_says_its_method(world, smtp, meeting, now_sends):
    data = invitation_ics(meeting, "CANCEL")
    send(world, now_sends, SimpleUploadedFile("cancelled.ics", data))
    [mail] = mails_to(smtp, world.member)
    [part] = attached(mail)
    assert part.get_param("method") == "CANCEL"


def test_another_file_goes_with_the_type_of_its_name(world, smtp, now_sends):
    send(world, now_sends, SimpleUploadedFile("leaflet.pdf", PDF))
    [mail] = mails_to(smtp, world.member)
    [part] = attached(mail)
    assert part.get_content_type() == "application/pdf"
    assert part.get_payload(decode=True) == PDF


def test_a_message_without_attachment_is_unchanged(world, smtp, now_sends):
    send(world, now_sends)
    [mail] = mails_to(smtp, world.member)
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.get_payload()] == ["text/plain", "text/html"]
    assert attached(mail) == []


def test_messages_with_the_same_text_never_share_a_file(world, smtp, meeting, now_sends):
    send(world, now_sends, SimpleUploadedFile("invitation.ics", invitation_ics(meeting)))
    send(world, now_sends)
    send(world, now_sends, SimpleUploadedFile("leaflet.pdf", PDF))
    first, second, third = mails_to(smtp, world.member)
    assert [p.get_filename() for p in attached(first)] == ["invitation.ics"]
    assert attached(second) == []
    [pdf] = attached(third)
    assert pdf.get_payload(decode=True) == PDF


def test_each_recipient_still_gets_their_own_links(world, smtp, meeting, now_sends):
    send(world, now_sends, SimpleUploadedFile("invitation.ics", invitation_ics(meeting)))
    links = set()
    for mail in smtp.messages:
        plain = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
        text = plain.get_payload(decode=True).decode()
        links.add(next(w for w in text.split() if w.startswith("https://buurtnet.example.be/")))
    assert len(links) == len(smtp.messages) == 4
