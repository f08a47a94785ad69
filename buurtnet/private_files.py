"""Privately stored files: their shown names, and serving them after the view's own
permission check."""

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from django.http import FileResponse, Http404

MAX_FILENAME = 100
_SPACES = re.compile(r"\s+")


def clean_filename(name: str, default: str = "file") -> str:
    """A file name fit to show on a page and to put in a header: the last part of whatever
    path the browser sent, without control or invisible formatting characters (a
    right-to-left override turns "gpj.exe" into "exe.jpg" on screen), single spaces, no
    leading dots, at most MAX_FILENAME characters with its extension kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if unicodedata.category(ch).startswith("Z") else ch
        for ch in name
        if not unicodedata.category(ch).startswith("C") or ch in "\t\n\r"
    )
    name = _SPACES.sub(" ", name).strip(" .")
    if not name:
        return default
    path = PurePosixPath(name)
    suffix = path.suffix if len(path.suffix) <= 10 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    return stem[: MAX_FILENAME - len(suffix)].rstrip(" .") + suffix


def content_disposition(filename: str) -> str:
    """`attachment` with the name for every browser (RFC 6266): a plain ASCII fallback, and
    the name itself in UTF-8 (RFC 5987) when it is not plain ASCII."""
    filename = clean_filename(filename)
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r'["\\%;]', "_", fallback).strip() or "download"
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def download(field, filename: str, content_type: str) -> FileResponse:
    """The file in `field` as a download (never shown in the browser, never sniffed as
    another type, kept by no cache); 404 when there is none or it is gone from storage."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_download(field, filename: str) -> FileResponse:
    """The PDF in `field` as a download that no cache keeps; 404 when there is none or the
    file is gone from storage."""
    response = download(field, filename, "application/pdf")
    response["Cache-Control"] = "no-store"
    return response
