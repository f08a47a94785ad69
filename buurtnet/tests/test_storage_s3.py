"""Private files on S3-compatible object storage (a moto server speaking the S3 HTTP API),
and on the local default folder.

STORAGES is built by buurtnet/settings.py itself from the S3_* variables, so what is tested
is what an installation gets. The "worker" is a real process with a private folder of its
own: what it makes is only downloadable from the web if it went to the bucket.
"""

import io
import logging
import os
import runpy
import secrets
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import boto3
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer

from buurtnet.common.private_files import PrivateS3Storage, PrivateStorage, private_storage
from buurtnet.delivery.tests.throwaway import free_port
from buurtnet.insights import report_services
from buurtnet.insights.models import ReportStatus, YearlyReport
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.reports.models import Report, ReportPhoto
from buurtnet.reports.tests.test_reports import file, form_data, jpeg_with_gps
from buurtnet.retention.tests.test_retention import DAY, closed_report, purge_at

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "buurtnet" / "settings.py"
REGION = "eu-west-1"
YEAR = timezone.localdate().year - 1


@pytest.fixture(scope="session")
def s3_endpoint():
    """One moto server for the session, on a port the system picks."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": "buurtnet-test",
        "S3_SECRET_ACCESS_KEY": "buurtnet-test-secret",
    }


def storages_for(env: dict[str, str]) -> dict:
    """STORAGES as buurtnet/settings.py makes it with these variables set."""
    # DEBUG on: the settings' own start-up checks are not what is tested here.
    with mock.patch.dict(os.environ, {"DEBUG": "1", **env}):
        return runpy.run_path(str(SETTINGS))["STORAGES"]


def dead_endpoint() -> str:
    """An address where nothing listens: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class Bucket:
    name: str
    endpoint: str

    @property
    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="buurtnet-test",
            aws_secret_access_key="buurtnet-test-secret",
        )

    @property
    def env(self) -> dict[str, str]:
        return s3_env(self.endpoint, self.name)

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def bucket(s3_endpoint, settings) -> Bucket:
    """A bucket of its own for the test, and every private file going to it."""
    made = Bucket(f"buurtnet-{uuid.uuid4().hex[:12]}", s3_endpoint)
    made.client.create_bucket(
        Bucket=made.name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    settings.STORAGES = storages_for(made.env)
    return made


def storage_goes_down(settings, bucket: Bucket) -> None:
    settings.STORAGES = storages_for({**bucket.env, "S3_ENDPOINT_URL": dead_endpoint()})


def local_files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_report_with_photo(client, world):
    log_in(client, world.member)
    photo = io.BytesIO(jpeg_with_gps())
    photo.name = "van.jpg"
    return client.post(reverse("reports:new"), form_data(world, photos=[photo]))


def photo_url(report: Report) -> str:
    return reverse("reports:photo", args=[report.pk, report.photos.get().pk])


# --- Settings ----------------------------------------------------------------------------------


def test_with_s3_bucket_set_private_files_use_s3_with_private_objects_and_signed_urls():
    private = storages_for(s3_env("http://127.0.0.1:9", "zone-files"))["private"]
    assert private["BACKEND"] == "buurtnet.common.private_files.PrivateS3Storage"
    options = private["OPTIONS"]
    assert (options["bucket_name"], options["region_name"]) == ("zone-files", REGION)
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False


def test_empty_s3_keys_leave_the_credentials_to_boto3s_own_chain():
    env = {**s3_env("", "zone-files"), "S3_ACCESS_KEY_ID": "", "S3_SECRET_ACCESS_KEY": ""}
    options = storages_for(env)["private"]["OPTIONS"]
    assert (options["access_key"], options["secret_key"], options["endpoint_url"]) == (
        None,
        None,
        None,
    )


def test_without_s3_bucket_private_files_stay_in_the_local_folder():
    private = storages_for({"S3_BUCKET": ""})["private"]
    assert private == {"BACKEND": "buurtnet.common.private_files.PrivateStorage"}


def test_the_local_default_writes_under_private_media_root(world, now_sends, settings):
    report = file(world, now_sends, photos=[jpeg_with_gps()])
    stored = report.photos.get().image
    assert stored.storage.__class__ is PrivateStorage
    path = Path(settings.PRIVATE_MEDIA_ROOT) / stored.name
    assert path.is_file()
    assert local_files(settings) == [path]
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_file_in_the_bucket_has_no_url_only_the_view_serves_it(world, now_sends, bucket):
    stored = file(world, now_sends, photos=[jpeg_with_gps()]).photos.get().image
    assert bucket.keys() == [stored.name]
    with pytest.raises(ValueError, match="not accessible via a URL"):
        stored.storage.url(stored.name)


# --- Report photos ------------------------------------------------------------------------------


def test_a_photo_filed_through_the_form_lands_in_the_bucket(world, client, bucket, settings):
    answer = post_report_with_photo(client, world)
    assert answer.status_code == 302
    [key] = bucket.keys()
    assert key == Report.objects.get().photos.get().image.name
    assert key.startswith("reports/") and key.endswith(".jpg")
    assert bucket.read(key).startswith(b"\xff\xd8")
    assert local_files(settings) == []


def test_the_officer_downloads_the_photo_from_the_bucket_through_the_view(world, client, bucket):
    post_report_with_photo(client, world)
    report = Report.objects.get()
    log_in(client, world.officer)
    answer = client.get(photo_url(report))
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-store"
    [key] = bucket.keys()
    assert b"".join(answer.streaming_content) == bucket.read(key)


def test_another_member_of_the_bin_is_refused_the_photo_with_404(world, client, bucket):
    post_report_with_photo(client, world)
    report = Report.objects.get()
    neighbour = PersonFactory(full_name="Another Member")
    MembershipFactory(network=world.network, person=neighbour)
    log_in(client, neighbour)
    assert client.get(photo_url(report)).status_code == 404


def test_every_private_field_follows_a_change_of_storages(bucket, settings):
    field = ReportPhoto._meta.get_field("image")
    assert field.storage.__class__ is PrivateS3Storage
    settings.STORAGES = storages_for({"S3_BUCKET": ""})
    assert field.storage.__class__ is PrivateStorage
    assert private_storage() is field.storage


# --- Storage that cannot be reached ------------------------------------------------------------


def test_a_photo_download_answers_503_when_the_storage_is_down(
    world, client, now_sends, bucket, settings, caplog
):
    report = file(world, now_sends, photos=[jpeg_with_gps()])
    storage_goes_down(settings, bucket)
    log_in(client, world.officer)
    with caplog.at_level(logging.WARNING, logger="buurtnet.common.private_files"):
        answer = client.get(photo_url(report))
    assert answer.status_code == 503
    assert answer["Retry-After"] == "60"
    assert b"cannot be reached at the moment" in answer.content
    ours = [r for r in caplog.records if r.name not in ("werkzeug", "django_tasks")]
    assert [r.levelname for r in ours] == ["WARNING"]
    assert "could not read" in ours[0].getMessage()


def test_a_yearly_report_download_answers_503_when_the_storage_is_down(
    world, client, now_sends, bucket, settings
):
    report = now_sends(
        report_services.request_report,
        world.officer,
        year=YEAR,
        language="en",
        network=world.network,
    )
    storage_goes_down(settings, bucket)
    log_in(client, world.officer)
    answer = client.get(reverse("insights:report_download", args=[report.pk]))
    assert answer.status_code == 503


def test_a_report_filed_while_the_storage_is_down_comes_back_with_an_error(
    world, client, bucket, settings
):
    storage_goes_down(settings, bucket)
    answer = post_report_with_photo(client, world)
    assert answer.status_code == 400
    assert b"could not be stored just now" in answer.content
    assert not Report.objects.exists()
    assert not ReportPhoto.objects.exists()


def test_a_yearly_report_made_while_the_storage_is_down_fails_and_is_made_again_later(
    world, now_sends, bucket, settings
):
    working = settings.STORAGES
    storage_goes_down(settings, bucket)
    report = now_sends(
        report_services.request_report,
        world.officer,
        year=YEAR,
        language="en",
        network=world.network,
    )
    report.refresh_from_db()
    assert (report.status, report.error) == (ReportStatus.FAILED, "StorageUnavailable")
    settings.STORAGES = working
    report = now_sends(
        report_services.request_report,
        world.officer,
        year=YEAR,
        language="en",
        network=world.network,
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    assert bucket.keys() == [report.pdf.name]


# --- Retention ---------------------------------------------------------------------------------


def test_the_retention_purge_deletes_the_photo_from_the_bucket(world, now_sends, bucket):
    report = closed_report(world, now_sends)
    assert len(bucket.keys()) == 1
    counts = purge_at(now_sends, report.closed_at + 366 * DAY)
    assert counts["closed_reports"] == 1
    assert bucket.keys() == []
    assert not ReportPhoto.objects.exists()


def test_the_purge_keeps_the_report_for_its_next_run_while_the_storage_is_down(
    world, now_sends, bucket, settings
):
    report = closed_report(world, now_sends)
    working = settings.STORAGES
    storage_goes_down(settings, bucket)
    counts = purge_at(now_sends, report.closed_at + 366 * DAY)
    assert counts["closed_reports"] == 0
    assert ReportPhoto.objects.filter(report=report).exists()
    settings.STORAGES = working
    counts = purge_at(now_sends, report.closed_at + 367 * DAY)
    assert counts["closed_reports"] == 1
    assert bucket.keys() == []


# --- A worker on another machine ---------------------------------------------------------------


def worker_env(bucket: Bucket, private_root: Path) -> dict[str, str]:
    """A worker process of its own: its own private folder, the same database and bucket."""
    env = {**os.environ, **bucket.env, "PYTHONUNBUFFERED": "1"}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        SITE_URL="https://buurtnet.example",
        ALLOWED_HOSTS="buurtnet.example",
        PRIVATE_MEDIA_ROOT=str(private_root),
    )
    for name in ("DEBUG", "TASKS_REDIS_URL", "TASKS_BACKEND", "DATABASE_URL"):
        env.pop(name, None)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"
    return env


def test_a_yearly_report_made_by_a_worker_elsewhere_is_downloadable_from_the_web(
    transactional_db, world, client, bucket, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
    with django_capture_on_commit_callbacks(execute=True):
        report = report_services.request_report(
            world.officer, year=YEAR, language="en", network=world.network
        )
    worker_root = tmp_path / "worker-private"
    worker = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch", "--queue-name", "*"]
        + ["--no-startup-delay", "--no-reload"],
        env=worker_env(bucket, worker_root),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert worker.returncode == 0, worker.stderr
    report = YearlyReport.objects.get(pk=report.pk)
    assert report.status == ReportStatus.DONE, worker.stderr
    assert bucket.keys() == [report.pdf.name]
    assert not [p for p in worker_root.rglob("*") if p.is_file()]
    log_in(client, world.officer)
    answer = client.get(reverse("insights:report_download", args=[report.pk]))
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == bucket.read(report.pdf.name)
