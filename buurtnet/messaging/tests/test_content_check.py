import pytest

from buurtnet.messaging.content_check import (
    EMAIL,
    IMAGE,
    PHONE,
    PLATE,
    check_attachment,
    check_text,
)


def found(text: str, **kwargs) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in check_text(text, **kwargs)]


@pytest.mark.parametrize(
    "plate",
    [
        "1-ABC-123",
        "1 ABC 123",
        "1.abc.123",
        "1abc123",
        "2-xyz-987",
        "ABC-123",
        "abc.123",
        "ABC 123",
        "ABC123",
        "123-ABC",
        "123 ABC",
        "123abc",
    ],
)
def test_plates_are_found(plate):
    assert found(f"Verdachte wagen met plaat {plate} gezien.") == [(PLATE, plate)]


def test_plate_with_country_prefix_is_found():
    assert found("Nummerplaat B-1ABC123.") == [(PLATE, "1ABC123")]


def test_plate_after_a_rejected_candidate_is_found():
    assert found("Een oud 123-ABC.") == [(PLATE, "123-ABC")]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Bel 0470 12 34 56 als je iets ziet.", "0470 12 34 56"),
        ("Bel 0470/12.34.56 als je iets ziet.", "0470/12.34.56"),
        ("Bel 0470123456 als je iets ziet.", "0470123456"),
        ("Bel 0470 123 456 als je iets ziet.", "0470 123 456"),
        ("Bel +32 470 12 34 56 als je iets ziet.", "+32 470 12 34 56"),
        ("Bel +32 (0)470 12 34 56 als je iets ziet.", "+32 (0)470 12 34 56"),
        ("Bel +32470123456 als je iets ziet.", "+32470123456"),
        ("Bel 0032 470 12 34 56 als je iets ziet.", "0032 470 12 34 56"),
        ("Bel 09 123 45 67 als je iets ziet.", "09 123 45 67"),
        ("Bel 02/512.34.56 als je iets ziet.", "02/512.34.56"),
        ("Bel 050 12 34 56 als je iets ziet.", "050 12 34 56"),
        ("Bel +31 6 12345678 als je iets ziet.", "+31 6 12345678"),
        ("Kerkstraat 12 0470 12 34 56", "0470 12 34 56"),
    ],
)
def test_phone_numbers_are_found(text, number):
    assert found(text) == [(PHONE, number)]


@pytest.mark.parametrize(
    "address", ["jan.peeters@example.be", "wijk+bin@gent.be", "marie_claire@post.test.org"]
)
def test_email_addresses_are_found(address):
    assert found(f"Mail naar {address}.") == [(EMAIL, address)]


@pytest.mark.parametrize(
    "fragment",
    [
        "![verdachte](https://example.be/foto.jpg)",
        "![](uploads/man.png)",
        '<img src="https://example.be/foto.jpg">',
        "<IMG SRC=foto.png>",
        "https://example.be/foto.jpg",
        "https://example.be/foto.JPEG?width=800&h=600",
        "www.example.be/foto.heic",
        "https://example.be/a.webp",
        "http://example.be/a.gif#top",
        "data:image/png;base64,iVBORw0KGgo",
    ],
)
def test_images_in_text_are_found(fragment):
    assert found(f"Kijk: {fragment} (gisteren).") == [(IMAGE, fragment)]


@pytest.mark.parametrize(
    "text",
    [
        "Om 22:30 hoorden we glasgerinkel.",
        "Op 12-11-2026 en 01.02.2026 en 2026-11-12 is er een infoavond.",
        "Op 05-11-2026 09:30 en van 09.00-12.00 en 13.00 - 17.00 is het loket open.",
        "Infoavond in 9000 Gent, zaal 1000 Brussel.",
        "Kerkstraat 12, bus 3.",
        "De schade bedraagt € 150 of 150 EUR of EUR 150.",
        "Sinds 2019 daalt het aantal inbraken, in 2026 verder.",
        "Tot 100 meter van de school, 5 tot 100 meter, van 150 euro, 100 man.",
        "Bij nood: bel 101 of 112. Zie ook 1733 en 116000.",
        "Stort op BE68 5390 0754 7034 of BE71 0961 2345 6769.",
        "Lees https://example.be/nieuws/abc123 of https://example.be/foto.jpg.html.",
        "Het bestand heet verslag.pdf.",
        "",
    ],
)
def test_ordinary_text_is_not_flagged(text):
    assert found(text) == []


def test_emergency_numbers_stay_allowed_next_to_a_phone_number():
    assert found("Bel 101 of 112, niet 0470 12 34 56.") == [(PHONE, "0470 12 34 56")]


def test_allow_plates_still_blocks_everything_else():
    text = "Wagen 1-ABC-123, bel 0470 12 34 56, mail jan@example.be, foto https://example.be/a.jpg"
    assert found(text, allow_plates=True) == [
        (PHONE, "0470 12 34 56"),
        (EMAIL, "jan@example.be"),
        (IMAGE, "https://example.be/a.jpg"),
    ]
    assert (PLATE, "1-ABC-123") in found(text)


def test_findings_are_in_order_and_each_fragment_once():
    text = "mail jan@example.be of 0470 12 34 56, nogmaals jan@example.be"
    assert found(text) == [(EMAIL, "jan@example.be"), (PHONE, "0470 12 34 56")]


def test_plate_like_mail_address_is_one_finding():
    assert found("Mail abc123@example.be") == [(EMAIL, "abc123@example.be")]


def test_explanation_names_the_fragment():
    [finding] = check_text("Wagen 1-ABC-123 reed weg.")
    assert "“1-ABC-123”" in finding.explanation
    assert "police" in finding.explanation


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 16


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        PNG,
        b"GIF89a\x01\x00\x01\x00",
        b"RIFF\x24\x00\x00\x00WEBPVP8 ",
        HEIC,
        b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic",
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1",
    ],
)
def test_image_attachments_are_found_by_content(data):
    [finding] = check_attachment(data, "bijlage.bin")
    assert (finding.kind, finding.text) == (IMAGE, "bijlage.bin")
    assert "“bijlage.bin”" in finding.explanation


def test_png_named_txt_is_found():
    assert [f.kind for f in check_attachment(PNG, "notities.txt")] == [IMAGE]


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
        b"Gewoon tekst",
        b"",
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",  # an MP4 video
    ],
)
def test_other_attachments_pass_whatever_their_name(data):
    assert check_attachment(data, "foto.jpg") == []


def test_attachment_without_name_still_explains():
    [finding] = check_attachment(PNG)
    assert finding.text == ""
    assert finding.explanation
