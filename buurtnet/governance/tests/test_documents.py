"""The agreement and the registration file as PDF: readable, complete, reproducible."""

import hashlib
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.utils import timezone, translation

from buurtnet.governance.documents import agreement_pdf, registration_pdf
from buurtnet.governance.models import Agreement, AgreementSignature, Party
from buurtnet.plans.defaults import DEFAULT_PLAN
from buurtnet.plans.models import MessageKind

CHARTER = "We share what we see with the police. Emergencies: call 101 or 112."


def make_agreement(network, **fields) -> Agreement:
    values = {
        "network": network,
        "version": 1,
        "text": "The coordinator, the municipality and the police zone agree to run this BIN.",
        "charter": CHARTER,
        "charter_version": 3,
        "plan_version": None,
        "plan_content": DEFAULT_PLAN,
        "created_at": timezone.now().replace(year=2026, month=3, day=14),
    }
    return Agreement.objects.create(**(values | fields))


def pages(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def flat(texts: list[str]) -> str:
    """All pages' text with line breaks made spaces, so wrapped phrases can be found."""
    return " ".join(" ".join(texts).split())


@pytest.fixture
def english(world):
    world.network.language = "en"
    world.network.save()
    return world.network


def test_the_agreement_opens_and_has_its_parts(english):
    texts = pages(agreement_pdf(make_agreement(english)))
    # A title page, the agreement, the charter, the plan and the signatures at least.
    assert len(texts) >= 5
    text = flat(texts)
    assert "BIN Ours" in text
    assert CHARTER in text
    assert "Annex 1" in text and "Annex 2" in text


def test_the_agreement_shows_the_plan_rules_with_their_labels(english):
    text = flat(pages(agreement_pdf(make_agreement(english))))
    assert str(MessageKind.ALERT.label) in text
    assert "Relay (coordinator to members)" in text
    assert "Straight to the members" in text
    assert "From 08:00 to 21:00" in text


def test_the_agreement_says_when_the_plan_is_the_zones_template(english):
    text = flat(pages(agreement_pdf(make_agreement(english, plan_version=None))))
    assert "template" in text
    assert "Version 4" not in text
    text = flat(
        pages(
            agreement_pdf(make_agreement(english, version=2, plan_version=4, status="superseded"))
        )
    )
    assert "Version 4" in text


def test_the_agreement_ends_with_a_signature_page_for_the_three_parties(english):
    last = flat(pages(agreement_pdf(make_agreement(english)))[-1:])
    assert "Signatures" in last
    for label in ("The coordinator", "The municipality", "The police zone"):
        assert label in last
    assert "Ourtown" in last and "PZ Ours" in last


def test_the_agreement_is_in_the_networks_language(world):
    world.network.language = "nl"
    world.network.save()
    text = flat(pages(agreement_pdf(make_agreement(world.network))))
    with translation.override("nl"):
        label = str(MessageKind.TIP.label)
    assert label in text


def test_a_long_charter_flows_over_several_pages(english):
    short = pages(agreement_pdf(make_agreement(english)))
    paragraphs = [
        f"Article {n}. " + "Members report what they see to the police. " * 12 for n in range(60)
    ]
    long = pages(
        agreement_pdf(
            make_agreement(english, version=2, status="superseded", charter="\n\n".join(paragraphs))
        )
    )
    assert len(long) >= len(short) + 3
    first = next(i for i, page in enumerate(long) if "Article 0." in page)
    last = next(i for i, page in enumerate(long) if "Article 59." in page)
    assert last - first >= 3


def test_accents_euro_and_quotes_survive(english):
    charter = "Café ‘De Kroeg’ in Zoë’s straat: de bijdrage is €5, à payer à l’avance."
    text = flat(pages(agreement_pdf(make_agreement(english, charter=charter))))
    assert charter in text


def test_markup_in_the_text_is_shown_as_written(english):
    agreement = make_agreement(english, text="Rule <b>one</b> & rule <two>")
    assert "Rule <b>one</b> & rule <two>" in flat(pages(agreement_pdf(agreement)))


def test_two_renders_of_the_same_agreement_are_identical(english):
    agreement = make_agreement(english)
    first = agreement_pdf(agreement)
    second = agreement_pdf(Agreement.objects.get(pk=agreement.pk))
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_a_changed_charter_changes_the_hash(english):
    first = agreement_pdf(make_agreement(english))
    second = agreement_pdf(
        make_agreement(english, version=2, status="superseded", charter=CHARTER + " Amended.")
    )
    assert first != second


def signed(world, agreement: Agreement) -> Agreement:
    sha = hashlib.sha256(agreement_pdf(agreement)).hexdigest()
    agreement.document_sha256 = sha
    agreement.signed_at = timezone.now()
    agreement.status = "signed"
    agreement.save()
    when = timezone.now() - timedelta(days=2)
    for party, person in (
        (Party.COORDINATOR, world.coordinator),
        (Party.MUNICIPALITY, world.municipal),
        (Party.ZONE, world.zone_staff),
    ):
        AgreementSignature.objects.create(
            agreement=agreement, party=party, person=person, signed_at=when, document_sha256=sha
        )
    return agreement


def test_the_registration_file_identifies_the_bin_and_its_signatures(world, english):
    agreement = signed(world, make_agreement(english))
    texts = pages(registration_pdf(agreement))
    assert len(texts) >= 2
    text = flat(texts)
    assert "BIN Ours" in text
    assert "34022" in text and "5401" in text
    assert agreement.document_sha256 in text
    for person in (world.coordinator, world.municipal, world.zone_staff, world.officer):
        assert person.full_name in text
    assert CHARTER in text


def test_the_registration_file_describes_the_area_without_member_data(world, english):
    agreement = signed(world, make_agreement(english))
    text = flat(pages(registration_pdf(agreement)))
    assert "4 corners" in text
    assert "3.26000" in text and "50.84000" in text
    for person in (world.member, world.coordinator, world.officer):
        assert person.email not in text
        assert person.phone not in text
        assert person.street not in text


def test_two_renders_of_the_registration_file_are_identical(world, english):
    agreement = signed(world, make_agreement(english))
    assert registration_pdf(agreement) == registration_pdf(Agreement.objects.get(pk=agreement.pk))
