"""Yearly reports for the URL walk (buurtnet/tests/test_authorization.py): one finished
report per BIN, so that its page, progress and download can be reached."""

from django.core.files.base import ContentFile
from django.utils import timezone

from buurtnet.insights.models import ReportStatus, YearlyReport

# Enough of a PDF for a download; the report's own tests render real ones.
TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%%EOF\n"


def finished_report(network) -> YearlyReport:
    report = YearlyReport(
        network=network,
        year=timezone.localdate().year - 1,
        language="en",
        status=ReportStatus.DONE,
        progress=100,
        finished_at=timezone.now(),
    )
    report.pdf.save(f"walk-{network.pk}.pdf", ContentFile(TINY_PDF), save=False)
    report.save()
    return report


def yearly_report_objects(networks: dict) -> dict:
    """kind -> site -> object, as the walk's `sites` fixture keeps them."""
    return {"yearly_report": {site: finished_report(n) for site, n in networks.items()}}
