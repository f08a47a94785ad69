"""Attachments are checked like the message's text, stored privately under a generated
name, and served as a download only to whoever may read the message (issue 19, finding 10)."""

import importlib
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from buurtnet.messaging import attachments, services
from buurtnet.messaging.models import Message, MessageStatus
from buurtnet.messaging.pdf_reader import read_pdf
from buurtnet.messaging.services import Draft
from buurtnet.networks.middleware import SESSION_KEY

PHISHING_INVITATION = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:1@evil.example\r\nDTSTAMP:20270101T100000Z\r\n"
    b"DTSTART:20270203T183000Z\r\nSUMMARY:Buurtvergadering\r\n"
    b"ORGANIZER:mailto:bin@evil.example\r\nURL:https://evil.example/login\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def pdf(*lines: str, picture: bool = False) -> bytes:
    """A small real PDF: the lines as text, and a photo-like picture when asked."""
    out = io.BytesIO()
    page = canvas.Canvas(out)
    for number, line in enumerate(lines):
        page.drawString(72, 760 - 20 * number, line)
    if picture:
        photo = Image.new("RGB", (40, 20), "white")
        page.drawImage(ImageReader(photo), 72, 500, 200, 100)
    page.showPage()
    page.save()
    return out.getvalue()


LEAFLET = pdf("Lock your doors and windows when you leave.", "Call 101 or 112.")


def draft(world, attachment: SimpleUploadedFile | None, **overrides) -> Draft:
    values = {
        "kind": "notice",
        "language": "en",
        "texts": {"en": {"title": "Holidays", "body": "Read the leaflet.", "sms_text": ""}},
        "target": {"type": "networks", "networks": [world.network.pk]},
        "attachment": attachment,
    }
    return Draft(**(values | overrides))


def refused(sender, a_draft) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        services.submit(sender, a_draft)
    assert not Message.objects.exists()
    return caught.value.message_dict["attachment"]


def log_in(client, person) -> None:
    client.force_login(person)
    session = client.session
    session[SESSION_KEY] = True  # staff count as having passed their second factor
    session.save()


def files_under(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


# --- The three attacks --------------------------------------------------------------------


def test_a_coordinators_pdf_with_a_picture_is_refused(world):
    upload = SimpleUploadedFile("flyer.pdf", pdf("Seen tonight:", picture=True))
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "contains pictures" in reason


def test_a_coordinators_text_file_with_a_plate_and_a_phone_number_is_refused(world):
    upload = SimpleUploadedFile("notes.txt", b"Van 1-ABC-123, call Jan on 0470 12 34 56.")
    reasons = refused(world.coordinator, draft(world, upload))
    assert any("1-ABC-123" in r and "number plate" in r for r in reasons)
    assert any("0470 12 34 56" in r and "phone number" in r for r in reasons)


def test_a_coordinators_calendar_invitation_is_refused(world):
    upload = SimpleUploadedFile("meeting.ics", PHISHING_INVITATION, "text/calendar")
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "calendar file cannot be attached" in reason


def test_a_calendar_file_under_another_name_is_still_refused(world):
    upload = SimpleUploadedFile("agenda.txt", PHISHING_INVITATION)
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "calendar file" in reason


# --- More of the same pattern ---------------------------------------------------------------


def test_an_honest_pdf_with_text_is_accepted_and_keeps_its_name(world, now_sends):
    upload = SimpleUploadedFile("Folder vakantie.pdf", LEAFLET, "application/pdf")
    message = now_sends(services.submit, world.coordinator, draft(world, upload))
    assert message.status == MessageStatus.SENT
    assert message.attachment_name == "Folder vakantie.pdf"


def test_a_phone_number_in_a_pdfs_text_is_refused(world):
    upload = SimpleUploadedFile("flyer.pdf", pdf("Questions? Call 0470 12 34 56."))
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "0470 12 34 56" in reason and "flyer.pdf" in reason


def test_a_phone_number_in_a_pdfs_title_is_refused(world):
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setTitle("Bel 0470 12 34 56")
    page.drawString(72, 760, "Lock your doors.")
    page.showPage()
    page.save()
    upload = SimpleUploadedFile("flyer.pdf", out.getvalue())
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "0470 12 34 56" in reason


def test_a_coordinators_photo_renamed_as_a_pdf_is_refused(world):
    photo = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(photo, "JPEG")
    upload = SimpleUploadedFile("leaflet.pdf", photo.getvalue())
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "picture" in reason


def test_a_damaged_pdf_is_refused(world):
    upload = SimpleUploadedFile("flyer.pdf", b"%PDF-1.4\nnothing here\n%%EOF\n")
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "cannot be read" in reason


@pytest.mark.parametrize(
    "name, data",
    [
        ("flyer.docx", b"PK\x03\x04rest of a zip"),
        ("page.html", b"<html><body>Log in here</body></html>"),
        ("setup.exe", b"MZ\x90\x00"),
    ],
)
def test_a_file_the_platform_cannot_read_is_refused(world, name, data):
    [reason] = refused(world.officer, draft(world, SimpleUploadedFile(name, data)))
    assert "cannot be attached" in reason


def test_a_phone_number_hidden_by_invisible_characters_is_still_found(world):
    text = "Bel ０４７０\u200b 12 34 56".encode()
    reasons = refused(world.coordinator, draft(world, SimpleUploadedFile("a.txt", text)))
    assert any("phone number" in r for r in reasons)


def test_a_text_file_spaced_out_with_nul_bytes_is_refused(world):
    upload = SimpleUploadedFile("notes.txt", "0470 12 34 56".encode("utf-16-le"))
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "not a plain text file" in reason


def test_the_officer_may_attach_a_pdf_with_a_picture(world, now_sends):
    upload = SimpleUploadedFile("wanted.pdf", pdf("Have you seen this bike?", picture=True))
    message = now_sends(services.submit, world.officer, draft(world, upload))
    assert message.status == MessageStatus.SENT


def test_the_officer_may_not_attach_plates_where_the_plan_forbids_them(world):
    upload = SimpleUploadedFile("notes.txt", b"Van 1-ABC-123 seen.")
    [reason] = refused(world.officer, draft(world, upload))
    assert "1-ABC-123" in reason


def test_the_form_keeps_what_was_typed_when_the_attachment_is_refused(world, client):
    log_in(client, world.coordinator)
    answer = client.post(
        reverse("messaging:compose"),
        {
            "kind": "notice",
            "language": "en",
            "target_type": "networks",
            "networks": [world.network.pk],
            "title_en": "Holidays",
            "body_en": "Read the leaflet before you leave.",
            "attachment": SimpleUploadedFile("notes.txt", b"Call 0470 12 34 56"),
            "action": "send",
            "zone": world.zone.pk,
        },
    )
    assert answer.status_code == 200
    assert "phone number" in " ".join(answer.context["form"].errors["attachment"])
    assert b"Read the leaflet before you leave." in answer.content
    assert not Message.objects.exists()


# --- Storage and serving --------------------------------------------------------------------


@pytest.fixture
def sent(world, now_sends):
    upload = SimpleUploadedFile("../../Folder été\u202egpj.pdf", LEAFLET, "application/pdf")
    return now_sends(services.submit, world.officer, draft(world, upload))


def test_nothing_is_written_under_the_public_media_folder(sent, settings):
    assert files_under(settings.MEDIA_ROOT) == []
    [stored] = files_under(settings.PRIVATE_MEDIA_ROOT)
    assert stored.read_bytes() == LEAFLET


def test_the_stored_file_has_a_generated_name_and_the_shown_name_is_cleaned(sent):
    stored = Path(sent.attachment.name)
    assert stored.suffix == ".pdf" and len(stored.stem) == 32
    assert "Folder" not in sent.attachment.name
    assert sent.attachment_name == "Folder étégpj.pdf"


def test_a_recipient_downloads_the_attachment_as_a_file(sent, world, client):
    log_in(client, world.member)
    answer = client.get(reverse("messaging:attachment", args=[sent.pk]))
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == LEAFLET
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"] == (
        "attachment; filename=\"Folder etegpj.pdf\"; filename*=UTF-8''Folder%20%C3%A9t%C3%A9gpj.pdf"
    )
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Cache-Control"] == "private, no-store"


def test_the_inbox_links_to_the_download_not_to_a_file_url(sent, world, client):
    log_in(client, world.member)
    recipient = sent.recipients.get(person=world.member)
    page = client.get(reverse("messaging:inbox_item", args=[recipient.pk]))
    assert reverse("messaging:attachment", args=[sent.pk]).encode() in page.content
    assert b"/media/" not in page.content


def test_a_stranger_gets_the_same_answer_as_for_a_missing_attachment(sent, world, client):
    log_in(client, world.their_member)
    forbidden = client.get(reverse("messaging:attachment", args=[sent.pk]))
    missing = client.get(reverse("messaging:attachment", args=[sent.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(sent, client):
    answer = client.get(reverse("messaging:attachment", args=[sent.pk]))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_the_approving_officer_can_read_a_relays_attachment(world, client):
    upload = SimpleUploadedFile("leaflet.pdf", LEAFLET)
    relay = services.submit(world.coordinator, draft(world, upload, kind="relay"))
    assert relay.status == MessageStatus.AWAITING_APPROVAL
    log_in(client, world.officer)
    assert client.get(reverse("messaging:attachment", args=[relay.pk])).status_code == 200
    log_in(client, world.member)  # not sent yet: members do not have it
    assert client.get(reverse("messaging:attachment", args=[relay.pk])).status_code == 404


def test_the_e_mail_carries_the_shown_name(sent):
    from buurtnet.messaging.rendering import _read_attachment

    [(filename, content, mimetype)] = _read_attachment(sent)
    assert (filename, mimetype) == ("Folder étégpj.pdf", "application/pdf")


# --- Files from before: moved out of the public folder ----------------------------------------


def test_the_migration_moves_public_attachments_to_private_storage(
    world, sent, settings, django_capture_on_commit_callbacks
):
    public = Path(settings.MEDIA_ROOT) / "messages/2026/01/wanted poster.pdf"
    public.parent.mkdir(parents=True)
    public.write_bytes(LEAFLET)
    Message.objects.filter(pk=sent.pk).update(
        attachment="messages/2026/01/wanted poster.pdf", attachment_name=""
    )
    migration = importlib.import_module(
        "buurtnet.messaging.migrations.0004_move_attachments_to_private_storage"
    )
    with django_capture_on_commit_callbacks(execute=True):
        migration.move_to_private_storage(apps, None)
    sent.refresh_from_db()
    assert files_under(settings.MEDIA_ROOT) == []
    assert sent.attachment_name == "wanted poster.pdf"
    assert sent.attachment.read() == LEAFLET


# --- Text too long to check -------------------------------------------------------------------


def test_a_text_file_too_long_to_check_is_refused(world):
    text = ("1/" * (attachments.MAX_TEXT_LENGTH // 2 + 1)).encode()
    [reason] = refused(world.coordinator, draft(world, SimpleUploadedFile("list.txt", text)))
    assert "“list.txt” is too long to check" in reason
    assert "Send a shorter document" in reason


def test_a_pdf_with_more_text_than_can_be_checked_is_refused(world):
    line = "Lock your doors and windows when you leave, and tell a neighbour. " * 2
    pages = attachments.MAX_TEXT_LENGTH // (len(line) * 50) + 1
    out = io.BytesIO()
    document = canvas.Canvas(out)
    for _page in range(pages):
        for number in range(50):
            document.setFont("Helvetica", 4)
            document.drawString(20, 800 - 15 * number, line)
        document.showPage()
    document.save()
    upload = SimpleUploadedFile("handbook.pdf", out.getvalue())
    [reason] = refused(world.coordinator, draft(world, upload))
    assert "“handbook.pdf” is too long to check" in reason


def test_the_pdf_reader_returns_the_text_only_up_to_one_past_the_limit():
    whole = read_pdf(LEAFLET, max_text=1000).text
    assert len(whole) > 11
    assert read_pdf(LEAFLET, max_text=10).text == whole[:11]
