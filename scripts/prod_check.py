"""The Python half of `make test-prod` (scripts/test-prod starts everything; this checks it).

Run with the development virtual environment's python (httpx, pyotp, Pillow, boto3):

  prod_check.py render-nginx SITE OUT --https-port N --http-port N --upstream HOST:PORT
                 --cert PEM --key PEM         the shipped nginx site with the test's paths
  prod_check.py exec-unit UNIT [--instance I] --venv DIR -- [ARG…]
                                               run the ExecStart of a shipped systemd unit
  prod_check.py make-bucket                    create S3_BUCKET on S3_ENDPOINT_URL
  prod_check.py check                          every check over HTTPS through nginx

`check` reads its inputs from the environment that test-prod exports (PROD_BASE_URL,
PROD_HTTP_URL, PROD_CA_FILE, PROD_MAILDIR, PROD_WORKER_PIDS, PROD_LOCAL_MEDIA, METRICS_TOKEN,
S3_*) and prints one line per check, "ok" or "FAIL"; it exits 1 when any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import mailbox
import os
import re
import secrets
import shlex
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

DEMO_PASSWORD = "buurtnet-demo"  # noqa: S105 - the public demo password (seed_demo)
DEMO_TOTP_SECRET = "BUURTNETDEMOTOTPBUURTNETDEMOTOTP"  # noqa: S105 - seed_demo's
MEMBER_EMAIL = "member@demo.buurtnet.be"
OFFICER_EMAIL = "officer@demo.buurtnet.be"
PHOTO_BYTES = 10 * 1024 * 1024
ONE_YEAR = 365 * 24 * 3600
HASHED_CSS = re.compile(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"')


# --- Reading forms the way a browser would -------------------------------------------------


@dataclass
class Form:
    attrs: dict[str, str]
    fields: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)

    def data(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.fields.items()}


class FormParser(HTMLParser):
    """Every form of a page with what a browser would submit unchanged, and the choices of
    each select, radio and checkbox group."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_has_selected = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(found)
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = found.get("name")
        if tag == "input" and name:
            kind = found.get("type", "text").lower()
            if kind in {"radio", "checkbox"}:
                form.options.setdefault(name, []).append(found.get("value", "on"))
                if "checked" in found:
                    form.fields.setdefault(name, []).append(found.get("value", "on"))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                form.fields.setdefault(name, []).append(found.get("value", ""))
        elif tag == "select" and name:
            self._select, self._select_has_selected = name, False
            form.options.setdefault(name, [])
        elif tag == "option" and self._select:
            value = found.get("value", "")
            form.options[self._select].append(value)
            if "selected" in found:
                form.fields.setdefault(self._select, []).append(value)
                self._select_has_selected = True
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields.setdefault(name, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            choices = [value for value in self._form.options[self._select] if value]
            if not self._select_has_selected and choices:
                self._form.fields.setdefault(self._select, []).append(choices[0])
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea][-1] += data


def form_with(html: str, field_name: str) -> Form:
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if field_name in form.fields or field_name in form.options:
            return form
    raise CheckFailed(f"no form with a field {field_name!r} on the page")


# --- Checks --------------------------------------------------------------------------------


class CheckFailed(Exception):
    pass


@dataclass
class Run:
    base_url: str
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, body: Callable[[], str]) -> bool:
        started = time.monotonic()
        try:
            detail = body() or ""
            passed = True
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the run
            detail, passed = f"{type(error).__name__}: {error}", False
        took = time.monotonic() - started
        self.results.append((name, passed, detail))
        print(
            f"{'ok  ' if passed else 'FAIL'} {name} ({took:.1f} s){': ' + detail if detail else ''}"
        )
        sys.stdout.flush()
        return passed


def browser(base_url: str, ca_file: str):
    import httpx

    return httpx.Client(
        base_url=base_url,
        verify=ca_file,
        timeout=httpx.Timeout(30.0),
        headers={"Accept-Language": "en"},
    )


def post_form(client, path: str, data: dict, files=None):
    """A form post as a browser sends it: HTTPS CSRF checks want Origin and Referer."""
    origin = str(client.base_url).rstrip("/")
    headers = {"Origin": origin, "Referer": origin + path}
    return client.post(path, data=data, files=files, headers=headers)


def log_in(client, email: str, totp_secret: str | None = None) -> str:
    page = client.get("/accounts/login/")
    expect(page.status_code == 200, f"log-in page answered {page.status_code}")
    data = form_with(page.text, "password").data()
    data.update(login=[email], password=[DEMO_PASSWORD])
    answer = post_form(client, "/accounts/login/", data)
    expect(answer.status_code == 302, f"log-in answered {answer.status_code}, not a redirect")
    location = answer.headers["location"]
    if totp_secret:
        import pyotp

        expect("2fa" in location, f"no second factor asked: went to {location}")
        page = client.get(location)
        data = form_with(page.text, "code").data()
        data["code"] = [pyotp.TOTP(totp_secret).now()]
        answer = post_form(client, location, data)
        expect(answer.status_code == 302, f"the TOTP code answered {answer.status_code}")
        location = answer.headers["location"]
    expect("login" not in location and "2fa" not in location, f"still logging in: {location}")
    expect("sessionid" in client.cookies, "no session cookie")
    return f"logged in as {email}"


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def wait_for(what: str, probe: Callable[[], object], seconds: float, every: float = 0.5):
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise CheckFailed(f"{what}: not within {seconds:.0f} s")
        time.sleep(every)


def noise_jpeg(size: int) -> bytes:
    """A real JPEG of about `size` bytes: random noise barely compresses."""
    from PIL import Image

    side = int((size / 2.4) ** 0.5)
    while True:
        image = Image.frombytes("RGB", (side, side), secrets.token_bytes(side * side * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=95)
        if out.tell() >= size:
            return out.getvalue()
        side = int(side * 1.1)


def maildir_messages(path: str) -> list:
    return list(mailbox.Maildir(path, create=False)) if Path(path, "new").exists() else []


def check_redirect(env: dict) -> str:
    import httpx

    answer = httpx.get(env["PROD_HTTP_URL"] + "/healthz", follow_redirects=False)
    expect(answer.status_code == 301, f"http answered {answer.status_code}")
    expect(answer.headers["location"].startswith("https://"), answer.headers["location"])
    return answer.headers["location"]


def check_ready(client) -> str:
    def ready():
        answer = client.get("/readyz")
        return answer if answer.status_code == 200 else None

    try:
        answer = wait_for("/readyz 200", ready, 40, every=1)
    except CheckFailed:
        last = client.get("/readyz")
        raise CheckFailed(f"/readyz answers {last.status_code}: {last.text[:300]}") from None
    return answer.text[:120]


def check_healthz(client) -> str:
    answer = client.get("/healthz")
    expect(answer.status_code == 200, f"/healthz answered {answer.status_code}")
    return ""


def check_static(client) -> str:
    page = client.get("/accounts/login/")
    found = HASHED_CSS.findall(page.text)
    expect(bool(found), "no stylesheet with a hashed name on the log-in page")
    answer = client.get(found[0])
    expect(answer.status_code == 200, f"{found[0]} answered {answer.status_code}")
    cache = answer.headers.get("cache-control", "")
    ages = [int(age) for age in re.findall(r"max-age=(\d+)", cache)]
    expect(bool(ages) and ages[0] >= ONE_YEAR, f"{found[0]}: Cache-Control {cache!r}")
    return f"{found[0]}: {cache}"


def check_metrics(client, token: str) -> str:
    """test-prod sets METRICS_ALLOWED_NETWORKS to a network this machine is not in: without
    the token the client's address (127.0.0.1, forwarded by nginx) must not open it."""
    anonymous = client.get("/metrics")
    expect(anonymous.status_code == 404, f"/metrics without a token: {anonymous.status_code}")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    expect(wrong.status_code == 404, f"/metrics with a wrong token: {wrong.status_code}")
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    expect(answer.status_code == 200, f"/metrics with the token: {answer.status_code}")
    expect("buurtnet_" in answer.text, "no buurtnet_ metric in /metrics")
    count = sum(1 for line in answer.text.splitlines() if line.startswith("buurtnet_"))
    return f"{count} buurtnet_ samples; 404 without the token or with a wrong one"


def officer_networks(officer) -> list[str]:
    """The BINs this officer is mandated for, in the order the compose form lists the
    zone's BINs: those whose yearly report they may ask for."""
    page = officer.get("/messages/new/")
    expect(page.status_code == 200, f"compose page answered {page.status_code}")
    listed = [v for v in form_with(page.text, "client_token").options.get("networks", []) if v]
    mine = [
        network
        for network in listed
        if officer.get(f"/insights/reports/networks/{network}/new/").status_code == 200
    ]
    expect(bool(mine), f"the officer is mandated for none of the BINs {listed}")
    return mine


def check_alert(officer, maildir: str) -> str:
    networks = officer_networks(officer)
    page = officer.get("/messages/new/")
    form = form_with(page.text, "client_token")
    data = form.data()
    language = (data.get("language") or ["nl"])[0]
    title = f"Test-prod alert {uuid.uuid4().hex[:8]}"
    data.update(
        kind=["alert"],
        target_type=["networks"],
        networks=networks[:1],
        action=["send"],
        **{
            f"title_{language}": [title],
            f"body_{language}": ["Doors forced in the Kerkstraat tonight; lock your doors."],
            f"sms_text_{language}": ["Doors forced in the Kerkstraat"],
        },
    )
    answer = post_form(officer, "/messages/new/", data)
    expect(answer.status_code == 302, f"sending answered {answer.status_code}: {errors(answer)}")

    def arrived():
        return [m for m in maildir_messages(maildir) if title in str(m.get("Subject", ""))]

    started = time.monotonic()
    found = wait_for(f"an e-mail with {title!r} in the SMTP sink", arrived, 30)
    return f"{len(found)} e-mail(s) in {time.monotonic() - started:.1f} s after sending"


def errors(answer) -> str:
    found = re.findall(r'class="errors?"[^>]*>(.*?)<', answer.text, flags=re.S)
    return "; ".join(text.strip() for text in found if text.strip())[:300] or answer.text[:200]


def check_report_photo(member) -> str:
    page = member.get("/reports/new/")
    expect(page.status_code == 200, f"report form answered {page.status_code}")
    form = form_with(page.text, "description")
    data = form.data()
    categories = [value for value in form.options.get("category", []) if value]
    expect(bool(categories), "no report category to choose")
    data.update(
        category=categories[:1],
        occurred_at=[time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 3600))],
        description=["A van drove slowly past every house, twice."],
    )
    photo = noise_jpeg(PHOTO_BYTES)
    files = {"photos": ("photo.jpg", photo, "image/jpeg")}
    answer = post_form(member, "/reports/new/", data, files=files)
    expect(answer.status_code != 413, "413: the proxy or Django refused a 10 MB photo")
    expect(answer.status_code == 302, f"filing answered {answer.status_code}: {errors(answer)}")
    report = member.get(answer.headers["location"])
    photos = re.findall(r'(?:src|href)="(/reports/\d+/photos/\d+/)"', report.text)
    expect(bool(photos), "the report page shows no photo")
    shown = member.get(photos[0])
    expect(shown.status_code == 200, f"{photos[0]} answered {shown.status_code}")
    expect(shown.content[:3] == b"\xff\xd8\xff", "the photo is no JPEG")
    return f"{len(photo) / 1e6:.1f} MB sent; the photo answers from {photos[0]}"


def check_yearly_report(officer) -> str:
    path = f"/insights/reports/networks/{officer_networks(officer)[0]}/new/"
    page = officer.get(path)
    expect(page.status_code == 200, f"{path} answered {page.status_code}")
    data = form_with(page.text, "year").data()
    answer = post_form(officer, path, data)
    expect(answer.status_code == 302, f"asking answered {answer.status_code}: {errors(answer)}")
    report_path = answer.headers["location"]
    download = report_path.rstrip("/") + "/download/"

    def made():
        got = officer.get(download)
        return got if got.status_code == 200 else None

    pdf = wait_for("the yearly report PDF made by the background worker", made, 90, every=1)
    expect(pdf.content.startswith(b"%PDF"), "the download is no PDF")
    return f"{len(pdf.content)} bytes from {download}"


def check_files_on_s3(env: dict) -> str:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        region_name=env.get("S3_REGION", "us-east-1"),
        aws_access_key_id=env["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
    )
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=env["S3_BUCKET"]).get("Contents", [])]
    expect(any(key.endswith(".pdf") for key in keys), f"no PDF in the bucket: {keys}")
    local = [
        str(path)
        for folder in env["PROD_LOCAL_MEDIA"].split(":")
        for path in Path(folder).rglob("*")
        if path.is_file()
    ]
    expect(not local, f"files on a process's local disk instead of S3: {local[:5]}")
    return f"{len(keys)} objects in the bucket, none on local disk"


def check_workers_exit(pids: list[int]) -> str:
    """SIGTERM, as systemd stops a unit: each worker finishes its task and exits."""
    expect(bool(pids), "no worker pids given")
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    started = time.monotonic()
    try:
        wait_for("every worker to exit after one SIGTERM", lambda: not any(map(alive, pids)), 10)
    except CheckFailed:
        running = [pid for pid in pids if alive(pid)]
        raise CheckFailed(f"still running 10 s after SIGTERM: pids {running}") from None
    return f"{len(pids)} workers exited in {time.monotonic() - started:.1f} s"


def check_not_ready_without_workers(client, pids: list[int]) -> str:
    """Readiness names the workers once none runs (killed, if SIGTERM did not end them:
    a worker killed outright must be noticed too)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_for("the workers to be gone", lambda: not any(map(alive, pids)), 10)
    stopped = time.monotonic()

    def not_ready():
        answer = client.get("/readyz")
        return answer if answer.status_code == 503 else None

    answer = wait_for("/readyz 503 after the workers stopped", not_ready, 20, every=1)
    expect("worker" in answer.text.lower(), f"the 503 does not name the workers: {answer.text}")
    return f"503 {time.monotonic() - stopped:.1f} s after they stopped: {answer.text[:200]}"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by test-prod) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def run_checks() -> int:
    env = dict(os.environ)
    run = Run(env["PROD_BASE_URL"])
    ca_file = env["PROD_CA_FILE"]
    anonymous = browser(run.base_url, ca_file)
    member = browser(run.base_url, ca_file)
    officer = browser(run.base_url, ca_file)
    run.check("http redirects to https", lambda: check_redirect(env))
    run.check("/healthz answers 200", lambda: check_healthz(anonymous))
    run.check("/readyz answers 200", lambda: check_ready(anonymous))
    run.check("static file has a hashed name and a one-year cache", lambda: check_static(anonymous))
    run.check(
        "/metrics answers with the token", lambda: check_metrics(anonymous, env["METRICS_TOKEN"])
    )
    member_in = run.check("a member logs in", lambda: log_in(member, MEMBER_EMAIL))
    officer_in = run.check(
        "an officer logs in with TOTP", lambda: log_in(officer, OFFICER_EMAIL, DEMO_TOTP_SECRET)
    )
    if officer_in:
        run.check(
            "an alert reaches the SMTP sink", lambda: check_alert(officer, env["PROD_MAILDIR"])
        )
    if member_in:
        run.check("a 10 MB report photo passes the proxy", lambda: check_report_photo(member))
    if officer_in:
        run.check(
            "a yearly report made by a worker downloads", lambda: check_yearly_report(officer)
        )
    run.check("files go to S3, not to local disk", lambda: check_files_on_s3(env))
    pids = [int(pid) for pid in env.get("PROD_WORKER_PIDS", "").split()]
    run.check("the workers exit on SIGTERM", lambda: check_workers_exit(pids))
    run.check(
        "/readyz answers 503 naming the workers once they stop",
        lambda: check_not_ready_without_workers(anonymous, pids),
    )
    failed = [name for name, passed, _ in run.results if not passed]
    expected = 13
    if len(run.results) < expected:
        failed.append(f"{expected - len(run.results)} check(s) not run")
    print(f"test-prod: {len(run.results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


# --- Helpers for test-prod -----------------------------------------------------------------


def render_nginx(args: argparse.Namespace) -> None:
    """The shipped site with the test's ports, certificate and upstream; every replacement
    must match, so a change to the site that the test no longer covers fails here."""
    text = Path(args.site).read_text()
    replacements = [
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{args.http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{args.https_port} ssl http2;"),
        ("server 127.0.0.1:8000 ", f"server {args.upstream} "),
        ("/etc/letsencrypt/live/buurtnet.example.be/fullchain.pem", args.cert),
        ("/etc/letsencrypt/live/buurtnet.example.be/privkey.pem", args.key),
        ("server_name buurtnet.example.be;", "server_name 127.0.0.1 localhost;"),
        ("root /var/www/html;", f"root {Path(args.out).parent};"),
    ]
    for old, new in replacements:
        if old not in text:
            sys.exit(f"render-nginx: {args.site} no longer holds {old.strip()!r}")
        text = text.replace(old, new)
    Path(args.out).write_text(text)


def exec_unit(args: argparse.Namespace) -> None:
    """Replace this process with a unit's ExecStart, as systemd would run it, with the
    test's virtual environment for /opt/buurtnet/.venv and the checkout as working folder."""
    lines = [
        line.split("=", 1)[1]
        for line in Path(args.unit).read_text().splitlines()
        if line.startswith("ExecStart=")
    ]
    if len(lines) != 1:
        sys.exit(f"exec-unit: {args.unit} has {len(lines)} ExecStart lines")
    command = lines[0].replace("%i", args.instance or "")
    argv = [part.replace("$$", "$") for part in shlex.split(command)]
    argv = [part.replace("/opt/buurtnet/.venv", args.venv) for part in argv]
    if args.extra and argv[0].endswith("/sh"):
        sys.exit("exec-unit: extra arguments for a shell ExecStart are not supported")
    argv += args.extra
    os.execv(argv[0], argv)  # noqa: S606 - the unit's own command line, as systemd runs it


def make_bucket() -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        region_name=os.environ.get("S3_REGION", "us-east-1"),
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=os.environ["S3_BUCKET"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    nginx = commands.add_parser("render-nginx")
    nginx.add_argument("site")
    nginx.add_argument("out")
    for name in ("--https-port", "--http-port", "--upstream", "--cert", "--key"):
        nginx.add_argument(name, required=True)
    unit = commands.add_parser("exec-unit")
    unit.add_argument("unit")
    unit.add_argument("--instance", default="")
    unit.add_argument("--venv", required=True)
    commands.add_parser("make-bucket")
    commands.add_parser("check")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: len(argv) - len(extra) - (1 if extra else 0)])
    args.extra = extra
    if args.command == "render-nginx":
        render_nginx(args)
    elif args.command == "exec-unit":
        exec_unit(args)
    elif args.command == "make-bucket":
        make_bucket()
    else:
        return run_checks()
    return 0


if __name__ == "__main__":
    sys.exit(main())
