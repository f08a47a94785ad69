"""Serving a privately stored file, after the view's own permission check."""

from django.http import FileResponse, Http404


def pdf_download(field, filename: str) -> FileResponse:
    """The PDF in `field` as a download that no cache keeps; 404 when there is none or the
    file is gone from storage."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Content-Type"] = "application/pdf"
    response["Cache-Control"] = "no-store"
    return response
