"""The yearly report: made in the background, rendered with its charts, and shown only to
whom it is for."""

import io

import numpy
import pypdfium2 as pdfium
import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from buurtnet.insights import report_services as services
from buurtnet.insights.figures import Series
from buurtnet.insights.models import ReportStatus, YearlyReport
from buurtnet.insights.report_charts import PALETTE
from buurtnet.networks.tests.factories import MunicipalPartnerFactory, ZoneStaffFactory
from buurtnet.networks.tests.test_views import log_in

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1
SCALE = 1.5  # pixels per PDF point when pages are turned into images


def sample_series() -> list[Series]:
    months = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    return [
        Series(
            key="members",
            title="Members joined and left",
            columns=["Month", "Joined", "Left"],
            rows=[(month, 3 * i + 2, i) for i, month in enumerate(months)],
            kind="bar",
        ),
        Series(
            key="deliveries",
            title="Deliveries by channel",
            columns=["Channel", "Delivered", "Failed"],
            rows=[("E-mail", 120, 4), ("SMS", 60, 2), ("App", 30, 0)],
            kind="stacked",
            note="Failed includes bounced e-mail.",
        ),
        Series(
            key="latency",
            title="Time to delivery",
            columns=["Month", "Median (s)", "95th percentile (s)"],
            rows=[(month, 2.5 + i, 9.0 + 2 * i) for i, month in enumerate(months)],
            kind="line",
        ),
        Series(
            key="overdue",
            title="Overdue consultations",
            columns=["Network", "Overdue"],
            rows=[("BIN Ours", 1)],
            kind="table",
        ),
    ]


@pytest.fixture
def figures(monkeypatch):
    """The dashboard's figures, known in advance; records how it was asked and what the
    report's row said at that moment."""
    calls = []

    def dashboard(network_ids, period):
        report = YearlyReport.objects.order_by("-pk").first()
        calls.append(
            {
                "network_ids": sorted(network_ids),
                "period": period,
                "language": get_language(),
                "status": report.status,
                "progress": report.progress,
            }
        )
        return sample_series()

    monkeypatch.setattr("buurtnet.insights.figures.dashboard", dashboard)
    return calls


@pytest.fixture
def broken_figures(monkeypatch):
    def dashboard(network_ids, period):
        raise RuntimeError("the figures broke")

    monkeypatch.setattr("buurtnet.insights.figures.dashboard", dashboard)


def make(now_sends, by, **scope) -> YearlyReport:
    scope.setdefault("language", "en")
    report = now_sends(services.request_report, by, year=YEAR, **scope)
    report.refresh_from_db()
    return report


def pdf_of(report: YearlyReport) -> bytes:
    with report.pdf.open("rb") as handle:
        return handle.read()


def page_images(pdf: bytes):
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            yield page, page.render(scale=SCALE).to_pil().convert("RGB")
    finally:
        document.close()


def non_white(image) -> int:
    return int((numpy.asarray(image).min(axis=2) < 235).sum())


def palette_pixels(image, box=None) -> int:
    """Pixels of the charts' first two colours (within a little anti-aliasing)."""
    pixels = numpy.asarray(image.crop(box) if box else image).astype(int)
    found = numpy.zeros(pixels.shape[:2], dtype=bool)
    for colour in PALETTE[:2]:
        wanted = numpy.array([round(c * 255) for c in colour.rgb()])
        found |= (numpy.abs(pixels - wanted) <= 12).all(axis=2)
    return int(found.sum())


def text_of(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


# --- The PDF ----------------------------------------------------------------------------


def test_every_page_of_the_pdf_has_something_on_it(world, figures, now_sends):
    report = make(now_sends, world.officer, network=world.network)
    pages = list(page_images(pdf_of(report)))
    assert len(pages) >= 3  # title page, summary, figures
    for number, (_page, image) in enumerate(pages, start=1):
        assert non_white(image) > 2000, f"page {number} is blank"


def test_a_chart_is_drawn_under_its_title(world, figures, now_sends):
    report = make(now_sends, world.officer, network=world.network)
    hits = []  # (page number, the title's bottom edge in points) of every mention
    images = []
    for number, (page, image) in enumerate(page_images(pdf_of(report))):
        images.append((page.get_height(), image))
        textpage = page.get_textpage()
        searcher = textpage.search("Members joined and left")
        while (hit := searcher.get_next()) is not None:
            hits.append((number, textpage.get_charbox(hit[0])[1]))
    assert hits, "the series' title is not in the PDF"
    # The summary names the figure first; the last mention is the chart's own heading.
    number, bottom = hits[-1]
    height, image = images[number]
    # The chart is the 190 points under its heading, across the text width.
    top_px = int((height - bottom) * SCALE)
    box = (0, top_px, image.width, min(image.height, top_px + int(200 * SCALE)))
    assert palette_pixels(image, box) > 3000, "no bars drawn in the chart's area"
    above = (0, 0, image.width, max(top_px - 30, 1))
    assert palette_pixels(image, above) < palette_pixels(image, box) / 10


def test_every_drawn_kind_has_its_chart_and_a_table_kind_has_none(world, figures, now_sends):
    report = make(now_sends, world.officer, network=world.network)
    coloured_pages = [
        number
        for number, (_page, image) in enumerate(page_images(pdf_of(report)), start=1)
        if palette_pixels(image) > 500
    ]
    assert coloured_pages, "no chart in the whole report"
    text = text_of(pdf_of(report))
    for title in ("Deliveries by channel", "Time to delivery", "Overdue consultations"):
        assert title in text


def test_the_text_names_the_bin_the_figures_and_the_note(world, figures, now_sends):
    report = make(now_sends, world.officer, network=world.network)
    text = text_of(pdf_of(report))
    assert "BIN Ours" in text
    assert "Members joined and left" in text
    assert "Failed includes bounced e-mail." in text
    assert f"Yearly report {YEAR}" in text


def test_the_bin_report_shows_its_governance_facts(world, figures, now_sends):
    from datetime import date

    world.network.agreement_signed_on = date(YEAR, 3, 14)
    world.network.save()
    report = make(now_sends, world.officer, network=world.network)
    text = text_of(pdf_of(report))
    assert "Governance" in text
    assert "Members' meetings held in" in text
    assert "Agreement signed on" in text


def test_the_figures_are_of_the_year_in_the_reports_language(world, figures, now_sends):
    make(now_sends, world.officer, network=world.network, language="fr")
    (call,) = figures
    assert call["network_ids"] == [world.network.pk]
    assert (call["period"].start.year, call["period"].end.year) == (YEAR, YEAR)
    assert (call["period"].start.month, call["period"].end.month) == (1, 12)
    assert call["language"] == "fr"


def test_a_municipality_report_covers_its_bins_together_and_one_by_one(world, figures, now_sends):
    from buurtnet.networks.tests.factories import NetworkFactory, square

    second = NetworkFactory(
        name="BIN Second", municipality=world.municipality, area=square(3.28, 50.84)
    )
    report = make(now_sends, world.municipal, municipality=world.municipality)
    assert report.status == ReportStatus.DONE
    (call,) = figures
    assert call["network_ids"] == sorted([world.network.pk, second.pk])
    text = text_of(pdf_of(report))
    assert "Ourtown" in text
    assert "The networks one by one" in text
    assert "BIN Ours" in text and "BIN Second" in text
    assert "BIN Theirs" not in text


# --- In the background ------------------------------------------------------------------


def test_asking_queues_the_report(world, figures, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.request_report(
            world.officer, network=world.network, year=YEAR, language="en"
        )
    assert report.status == ReportStatus.QUEUED
    assert report.progress == 0
    assert len(callbacks) == 1  # the task is enqueued after the commit


def test_the_task_runs_the_report_through_to_done(world, figures, now_sends):
    report = make(now_sends, world.officer, network=world.network)
    (call,) = figures
    assert call["status"] == ReportStatus.RUNNING
    assert 0 < call["progress"] < 100
    assert report.status == ReportStatus.DONE
    assert report.progress == 100
    assert report.finished_at is not None
    assert pdf_of(report).startswith(b"%PDF")


def test_figures_that_raise_fail_the_report_with_the_error(world, broken_figures, now_sends):
    report = make(now_sends, world.officer, network=world.network)
    assert report.status == ReportStatus.FAILED
    assert report.error  # the kind of error; its text stays in the log
    assert "the figures broke" not in report.error
    assert not report.pdf


def test_the_failure_is_shown_on_the_report_page(world, broken_figures, now_sends, client):
    report = make(now_sends, world.officer, network=world.network)
    log_in(client, world.officer)
    page = client.get(reverse("insights:report", args=[report.pk]))
    assert "The report could not be made." in page.content.decode()
    assert "the figures broke" not in page.content.decode()


def test_asking_again_replaces_the_kept_report(world, figures, now_sends):
    first = make(now_sends, world.officer, network=world.network)
    old_name = first.pdf.name
    again = make(now_sends, world.zone_staff, network=world.network)
    assert again.pk == first.pk
    assert again.version == 2
    assert again.status == ReportStatus.DONE
    assert again.pdf.name != old_name
    assert not again.pdf.storage.exists(old_name)
    assert YearlyReport.objects.filter(network=world.network).count() == 1


def test_a_report_being_made_cannot_be_asked_for_again(world, figures, now_sends):
    services.request_report(world.officer, network=world.network, year=YEAR, language="en")
    with pytest.raises(services.ValidationError):
        services.request_report(world.officer, network=world.network, year=YEAR, language="en")


def test_a_task_for_an_older_version_gives_up(world, figures, now_sends):
    report = make(now_sends, world.officer, network=world.network)
    assert services.generate(report.pk, report.version - 1) is False
    assert services.generate(report.pk, report.version) is False  # done: not queued


# --- The pages --------------------------------------------------------------------------


def test_asking_through_the_form_shows_the_report_page(world, figures, client, now_sends):
    log_in(client, world.officer)
    url = reverse("insights:request_network_report", args=[world.network.pk])
    assert client.get(url).status_code == 200
    answer = now_sends(client.post, url, {"year": YEAR, "language": "nl"})
    report = YearlyReport.objects.get(network=world.network)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("insights:report", args=[report.pk])
    assert report.language == "nl"


def test_a_year_not_offered_is_refused_with_a_message(world, figures, client):
    log_in(client, world.officer)
    url = reverse("insights:request_network_report", args=[world.network.pk])
    answer = client.post(url, {"year": 1999, "language": "en"})
    assert answer.status_code == 400
    assert "Select a valid choice" in answer.content.decode()
    assert not YearlyReport.objects.exists()


def test_the_status_refreshes_itself_while_the_report_is_made(world, figures, client):
    report = services.request_report(world.officer, network=world.network, year=YEAR, language="en")
    log_in(client, world.officer)
    page = client.get(reverse("insights:report", args=[report.pk])).content.decode()
    progress_url = reverse("insights:report_progress", args=[report.pk])
    assert f'hx-get="{progress_url}"' in page
    assert 'hx-trigger="every 2s"' in page
    assert '<meta http-equiv="refresh"' in page  # without JavaScript
    assert client.get(progress_url).status_code == 200


def test_a_finished_report_stops_refreshing_and_offers_the_download(
    world, figures, client, now_sends
):
    report = make(now_sends, world.officer, network=world.network)
    log_in(client, world.officer)
    part = client.get(reverse("insights:report_progress", args=[report.pk])).content.decode()
    assert "hx-trigger" not in part
    assert reverse("insights:report_download", args=[report.pk]) in part


def test_the_download_is_an_attachment_never_cached(world, figures, client, now_sends):
    report = make(now_sends, world.officer, network=world.network)
    log_in(client, world.officer)
    answer = client.get(reverse("insights:report_download", args=[report.pk]))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert answer["Cache-Control"] == "no-store"
    assert b"".join(answer.streaming_content).startswith(b"%PDF")


def test_a_report_not_finished_cannot_be_downloaded(world, figures, client):
    report = services.request_report(world.officer, network=world.network, year=YEAR, language="en")
    log_in(client, world.officer)
    answer = client.get(reverse("insights:report_download", args=[report.pk]))
    assert answer.status_code == 404


# --- Who may -------------------------------------------------------------------------------


def person(world, who: str):
    if who == "officer_b":
        from buurtnet.networks.models import Role
        from buurtnet.networks.tests.factories import MembershipFactory
        from buurtnet.people.tests.factories import PersonFactory

        someone = PersonFactory(full_name="Officer Bee")
        MembershipFactory(network=world.other_network, person=someone, role=Role.OFFICER)
        return someone
    if who == "far_staff":
        return ZoneStaffFactory(zone=world.other_zone).person
    if who == "other_municipal":
        return MunicipalPartnerFactory(municipality=world.other_municipality).person
    return getattr(world, who)


def status(client, name: str, *args) -> int:
    return client.get(reverse(name, args=args)).status_code


# (who, may ask for the BIN's report, may read its finished report)
BIN_REPORT = [
    ("officer", True, True),
    ("zone_staff", True, True),
    ("admin", True, True),
    ("coordinator", False, True),
    ("officer_b", False, False),
    ("far_staff", False, False),
    ("municipal", False, False),
    ("other_municipal", False, False),
    ("member", False, False),
    ("steering", False, False),
    ("outsider", False, False),
]


@pytest.mark.parametrize(("who", "may_ask", "may_read"), BIN_REPORT)
def test_who_may_ask_for_and_read_a_bins_report(
    world, figures, client, now_sends, who, may_ask, may_read
):
    report = make(now_sends, world.officer, network=world.network)
    log_in(client, person(world, who))
    asking = status(client, "insights:request_network_report", world.network.pk)
    assert asking == (200 if may_ask else 404)
    expected = 200 if may_read else 404
    assert status(client, "insights:network_reports", world.network.pk) == expected
    assert status(client, "insights:report", report.pk) == expected
    assert status(client, "insights:report_progress", report.pk) == expected
    assert status(client, "insights:report_download", report.pk) == expected


def test_the_coordinator_does_not_see_a_report_still_being_made(world, figures, client):
    report = services.request_report(world.officer, network=world.network, year=YEAR, language="en")
    log_in(client, world.coordinator)
    assert status(client, "insights:report", report.pk) == 404
    listing = client.get(reverse("insights:network_reports", args=[world.network.pk]))
    assert f'data-report="{report.pk}"' not in listing.content.decode()
    assert status(client, "insights:request_network_report", world.network.pk) == 404


def test_the_coordinator_cannot_ask_for_a_report(world, figures, client):
    log_in(client, world.coordinator)
    url = reverse("insights:request_network_report", args=[world.network.pk])
    assert client.post(url, {"year": YEAR, "language": "en"}).status_code == 404
    assert not YearlyReport.objects.exists()


# (who, may ask for and read the municipality's report)
MUNICIPALITY_REPORT = [
    ("zone_staff", True),
    ("municipal", True),
    ("admin", True),
    ("other_municipal", False),
    ("far_staff", False),
    ("officer", False),
    ("coordinator", False),
    ("member", False),
    ("outsider", False),
]


@pytest.mark.parametrize(("who", "allowed"), MUNICIPALITY_REPORT)
def test_who_may_ask_for_and_read_a_municipalitys_report(
    world, figures, client, now_sends, who, allowed
):
    report = make(now_sends, world.zone_staff, municipality=world.municipality)
    log_in(client, person(world, who))
    expected = 200 if allowed else 404
    municipality = world.municipality.pk
    assert status(client, "insights:request_municipality_report", municipality) == expected
    assert status(client, "insights:municipality_reports", municipality) == expected
    assert status(client, "insights:report", report.pk) == expected
    assert status(client, "insights:report_download", report.pk) == expected


def test_a_municipal_partner_asks_for_the_municipalitys_report(world, figures, client, now_sends):
    log_in(client, world.municipal)
    url = reverse("insights:request_municipality_report", args=[world.municipality.pk])
    answer = now_sends(client.post, url, {"year": YEAR, "language": "fr"})
    assert answer.status_code == 302
    report = YearlyReport.objects.get(municipality=world.municipality)
    assert (report.status, report.requested_by) == (ReportStatus.DONE, world.municipal)


def test_pdf_bytes_are_a_pdf(world, figures, now_sends):
    """pypdfium2 opens what the report stores (a sanity check of the fixture itself)."""
    report = make(now_sends, world.officer, network=world.network)
    document = pdfium.PdfDocument(io.BytesIO(pdf_of(report)))
    assert len(document) >= 3
    document.close()


def test_a_report_of_the_dashboards_own_figures_renders(world, now_sends):
    """The real figures (buurtnet.insights.figures.dashboard), not the fixed ones."""
    report = make(now_sends, world.officer, network=world.network)
    assert report.status == ReportStatus.DONE, report.error
    pages = list(page_images(pdf_of(report)))
    assert all(non_white(image) > 2000 for _page, image in pages)
    assert "BIN Ours" in text_of(pdf_of(report))
