"""Privately stored files: where they live, their shown names, and serving them after the
view's own permission check.

Every private FileField declares `storage=private_storage`: the `"private"` alias of
STORAGES, a folder on a (shared) disk or an S3-compatible bucket (docs/files.md). Nothing
here builds a URL to a file; views stream it through Django.
"""

import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, cached_property, empty
from storages.backends.s3 import S3Storage

log = logging.getLogger(__name__)

PRIVATE_STORAGE_ALIAS = "private"
MAX_FILENAME = 100
_SPACES = re.compile(r"\s+")


@deconstructible
class PrivateStorage(FileSystemStorage):
    """The local default: files that must never be reachable by URL (photos members took of
    suspects), kept outside MEDIA_ROOT in PRIVATE_MEDIA_ROOT, readable by the service user
    only."""

    @cached_property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @cached_property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @cached_property
    def base_url(self) -> None:
        return None

    @cached_property
    def file_permissions_mode(self) -> int:
        return 0o600

    @cached_property
    def directory_permissions_mode(self) -> int:
        return 0o700

    def _clear_cached_properties(self, setting, **kwargs) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


@deconstructible
class PrivateS3Storage(S3Storage):
    """Private files in an S3-compatible bucket (S3_BUCKET). Like PrivateStorage it makes no
    URL: a signed link would let whoever holds it read the file for an hour, past the
    view's permission check and audit entry."""

    def url(self, name: str, *args: object, **kwargs: object) -> str:
        raise ValueError("Private files are not accessible via a URL: a view streams them.")


class _PrivateFiles(LazyObject):
    """`storages["private"]`, looked up on first use and again after STORAGES changes.

    A FileField calls its storage callable once, when the model class is made; returning
    this proxy instead of the backend itself lets a test (or a settings override) switch
    every private field to another backend."""

    def _setup(self) -> None:
        self._wrapped = storages[PRIVATE_STORAGE_ALIAS]


_private = _PrivateFiles()


@receiver(setting_changed)
def _forget_private_backend(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage() -> Storage:
    """The storage of every private FileField (`storage=private_storage`)."""
    return _private


# --- Storage that cannot be reached ---------------------------------------------------------


class StorageUnavailable(Exception):
    """The private storage did not answer (object storage down, shared disk gone). Nothing
    was read or written; trying again later may work."""


def _is_missing(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error.response.get("Error", {}).get("Code")
    return status == 404 or code in {"404", "NoSuchKey"}


@contextmanager
def reaching_storage(action: str, name: str) -> Iterator[None]:
    """Turn the ways a storage fails to answer into StorageUnavailable, logged as one line;
    a file that is simply not there stays FileNotFoundError."""
    try:
        yield
    except FileNotFoundError:
        raise
    except ClientError as error:
        if _is_missing(error):
            raise FileNotFoundError(name) from error
        log.warning("private storage: could not %s %s: %s", action, name, error)
        raise StorageUnavailable(action, name) from error
    except (BotoCoreError, OSError) as error:
        log.warning("private storage: could not %s %s: %s", action, name, error)
        raise StorageUnavailable(action, name) from error


@contextmanager
def storing(name: str, message: str, field: str | None = None) -> Iterator[None]:
    """Write the private file `name` inside the block. When the storage does not answer, a
    ValidationError with message, on form field `field` (or for the page): raised inside the
    caller's transaction, it rolls back whatever the action wrote, so nothing is half done."""
    try:
        with reaching_storage("write", name):
            yield
    except StorageUnavailable as exc:
        raise ValidationError(
            {field: [message]} if field else message, code="storage_unavailable"
        ) from exc


def delete_files(storage: Storage, names: list[str]) -> None:
    """Delete these files; one already gone is no error. Raises StorageUnavailable (after
    logging) when the storage does not answer, so the caller can keep what points to them
    and try again on its next run."""
    for name in names:
        with reaching_storage("delete", name):
            storage.delete(name)


def unavailable(request: HttpRequest) -> HttpResponse:
    """The page for a file that exists but cannot be fetched right now."""
    response = render(request, "files_unavailable.html", status=503)
    response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    # reaching_storage logged the cause in one line; django.request would add a second,
    # at ERROR, for what is a fault of a service outside Django.
    response._has_been_logged = True
    return response


def open_for_reading(field: FieldFile) -> FieldFile:
    """The stored file of `field`, opened: Http404 when there is none or it is gone,
    StorageUnavailable when the storage does not answer."""
    if not field:
        raise Http404
    try:
        with reaching_storage("read", field.name):
            handle = field.open("rb")
            try:
                # Object storage fetches the content on first use: do it here, where a
                # failure is still a 503 page, not while the response is being sent.
                handle.seek(0)
            except BaseException:
                handle.close()
                raise
    except FileNotFoundError as exc:
        raise Http404 from exc
    return handle


def stream(
    request: HttpRequest,
    field: FieldFile,
    content_type: str,
    cache_control: str | None = "no-store",
) -> HttpResponse:
    """The file in `field`, streamed through Django (never by a URL of the storage), never
    sniffed as another type; 404 when it is gone, 503 when the storage does not answer."""
    try:
        handle = open_for_reading(field)
    except StorageUnavailable:
        return unavailable(request)
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if cache_control is not None:
        response["Cache-Control"] = cache_control
    return response


# --- Names --------------------------------------------------------------------------------


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


def download(
    request: HttpRequest, field: FieldFile, filename: str, content_type: str
) -> HttpResponse:
    """The file in `field` as a download (never shown in the browser, never sniffed as
    another type, kept by no cache); 404 when there is none or it is gone from storage,
    503 when the storage does not answer."""
    response = stream(request, field, content_type, cache_control="private, no-store")
    if response.status_code == 200:
        response["Content-Disposition"] = content_disposition(filename)
    return response


def pdf_download(request: HttpRequest, field: FieldFile, filename: str) -> HttpResponse:
    """The PDF in `field` as a download that no cache keeps; 404 when there is none or the
    file is gone from storage, 503 when the storage does not answer."""
    response = download(request, field, filename, "application/pdf")
    response["Cache-Control"] = "no-store"
    return response
