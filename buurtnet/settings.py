"""Buurtnet settings, read from the environment (12-factor).

With no environment at all Buurtnet runs on the embedded default: SQLite in WAL mode,
the database task backend, e-mail and SMS into the local outbox. Set DATABASE_URL,
TASKS_REDIS_URL, EMAIL_URL and provider credentials to switch to production parts.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BUURTNET_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The entry points (manage.py, wsgi.py, asgi.py) refuse to start with DEBUG off and a missing
# or public SECRET_KEY, an empty ALLOWED_HOSTS or a SITE_URL that is not https://
# (buurtnet/startup.py). The test suite loads these settings without them.
# The embedded default key is public: it serves DEBUG=1 and the test suite only. It signs
# sessions and the "seen" and unsubscribe links of e-mails.
DEVELOPMENT_SECRET_KEY = "buurtnet-local-development-key-not-for-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
# How long the links in e-mails work: "seen" (read the message without logging in) and
# unsubscribe (an expired one says how to change channels after logging in).
SEEN_LINK_MAX_AGE_DAYS = int(os.environ.get("SEEN_LINK_MAX_AGE_DAYS", "90"))
UNSUBSCRIBE_LINK_MAX_AGE_DAYS = int(os.environ.get("UNSUBSCRIBE_LINK_MAX_AGE_DAYS", "365"))
# The local names are the default on a development machine only: a production server that
# was not told its host name is refused rather than answering on whatever name it is sent.
# (The test suite's own hosts, testserver and the live server's, are added by pytest-django.)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "buurtnet.people",
    "buurtnet.networks",
    "buurtnet.privacy",
    "buurtnet.delivery",
    "buurtnet.plans",
    "buurtnet.messaging",
    "buurtnet.reports",
    "buurtnet.prevention",
    "buurtnet.absences",
    "buurtnet.audit",
    "buurtnet.retention",
    "buurtnet.governance",
    "buurtnet.cap",
    "buurtnet.webhooks",
    "buurtnet.api",
    "buurtnet.surveys",
    "buurtnet.insights",
    "buurtnet.operations",
    # Rules for every app (control characters in text fields); after the apps it applies to.
    "buurtnet.core",
    "ninja",
]

MIDDLEWARE = [
    # First: counts and times every request, including what the others answer themselves.
    "buurtnet.operations.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Reads the body before the CSRF check does, to answer 413 to one over the limits.
    "buurtnet.security.RequestTooLargeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "buurtnet.networks.middleware.StaffSecondFactorMiddleware",
    "buurtnet.security.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "buurtnet.urls"
WSGI_APPLICATION = "buurtnet.wsgi.application"
ASGI_APPLICATION = "buurtnet.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "buurtnet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "buurtnet.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", VAR_DIR / "buurtnet.sqlite3"))
# Every SQLite database, the embedded default or DATABASE_URL=sqlite:///…, is opened so that
# the web server and the workers can write to it at once: WAL lets readers go on while one
# process writes; IMMEDIATE takes the write lock at BEGIN, so a transaction that read first
# never fails to upgrade its lock ("database is locked", which no timeout cures); the busy
# timeout makes a writer wait for the other's transaction instead of failing at once.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    "transaction_mode": "IMMEDIATE",
}
# A file, not memory, so that real worker processes started by the tests see the test database.
SQLITE_TEST = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
if os.environ.get("DATABASE_URL"):
    # Persistent connections, checked before each request reuses one: after a database
    # restart the first request opens a new connection instead of answering 500.
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # Options written in the URL's query string still win.
        _url_options = DATABASES["default"].get("OPTIONS", {})
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **_url_options}
        DATABASES["default"]["TEST"] = SQLITE_TEST
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": SQLITE_OPTIONS,
            "TEST": SQLITE_TEST,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------------------
# Shared by every web process in production (allauth remembers used TOTP codes there, so a
# code cannot be replayed on another process); per process on the embedded default.
if os.environ.get("CACHE_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_REDIS_URL"],
            # A Redis that does not answer fails fast instead of holding the request.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }

# --- Background work (Django Tasks API) --------------------------------------------------
# Work queues by urgency, alerts first (buurtnet/delivery/queues.py, docs/queues.md).
from buurtnet.delivery.queues import QUEUES as WORK_QUEUES  # noqa: E402 - no Django import

if os.environ.get("TASKS_REDIS_URL"):
    # A broker that does not answer fails the enqueue within seconds (logged; the tick
    # enqueues the deliveries again) instead of holding the sender's request.
    _tasks_redis_url = os.environ["TASKS_REDIS_URL"]
    if "socket_connect_timeout=" not in _tasks_redis_url:
        _tasks_redis_url += ("&" if "?" in _tasks_redis_url else "?") + "socket_connect_timeout=2"
    # One Redis list per work queue, on the same server (docs/queues.md).
    RQ_QUEUES = {queue: {"URL": _tasks_redis_url} for queue in WORK_QUEUES}
    # django_tasks_rq's get_result() fetches a job through django_rq's "default" connection
    # (KeyError without it). No task is sent to it, so no worker needs to serve it.
    RQ_QUEUES["default"] = {"URL": _tasks_redis_url}
    INSTALLED_APPS += ["django_rq"]
    TASKS = {
        "default": {"BACKEND": "django_tasks_rq.backend.RQBackend", "QUEUES": list(WORK_QUEUES)}
    }
else:
    TASKS = {
        "default": {
            "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
            "QUEUES": list(WORK_QUEUES),
        }
    }

# --- Accounts ----------------------------------------------------------------------------
AUTH_USER_MODEL = "people.Person"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# As NIST SP 800-63B asks: a minimum length and a check against known breached passwords
# (Django's bundled list of 20,000), no composition rules ("one digit, one capital").
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "buurtnet.people.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "buurtnet.people.forms.SignupForm",
    "request_login_code": "buurtnet.people.forms.RequestLoginCodeForm",
}
ACCOUNT_SIGNUP_REDIRECT_URL = "networks:join"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# Passkeys count as a second factor only (after the password), not as a passwordless log-in.
MFA_PASSKEY_LOGIN_ENABLED = False
# WebAuthn needs a secure context: HTTPS, or http://localhost in development and tests (the
# browser and fido2 both accept localhost). MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN stays off: it
# would switch the origin check off altogether.
MFA_TOTP_ISSUER = "Buurtnet"
# A code from the previous or next 30 s window is accepted (RFC 6238's one step of drift):
# a phone's clock is rarely exact, and a code typed at the end of its window still works.
# A used code cannot be used again (allauth remembers it in the cache).
MFA_TOTP_TOLERANCE = 1
# Reverse proxies in front of Django that each append to X-Forwarded-For: the client is the
# address that many places from the right. 0 means the header is never believed (anyone can
# send it). One setting for the audit log and the log-in throttle; AUDIT_PROXY_COUNT is the
# older name of the same environment variable. With BEHIND_PROXY on it defaults to 1 (the one
# proxy that setting speaks of): at 0 every visitor would share the proxy's address, and ten
# wrong passwords a minute from anyone would hold up every log-in. The variable still wins.
TRUSTED_PROXY_COUNT = int(
    os.environ.get("TRUSTED_PROXY_COUNT")
    or os.environ.get("AUDIT_PROXY_COUNT")
    or ("1" if env_bool("BEHIND_PROXY", False) else "0")
)
# Failed log-ins are throttled per client address and per account (allauth's rate limits, kept
# in the cache: set CACHE_REDIS_URL with more than one web process). Per account they slow
# guessing down to three a minute rather than lock the account: a stranger's wrong passwords
# can hold up the password form for a minute, never the log-in code sent by e-mail, which the
# log-in page offers; a second factor is still asked after it.
# Asking for a log-in code is limited per client address only: allauth's default also counts
# per e-mail address (3/m/key), which lets a stranger use up someone else's requests. Guessing
# a code is bounded by allauth's tries per code (ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS, 3).
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,3/m/key",
    "request_login_code": "20/m/ip",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# Members stay logged in on their own phone for two weeks; police and staff sessions end
# after STAFF_SESSION_SECONDS (see networks.receivers).
SESSION_COOKIE_AGE = 14 * 24 * 3600
STAFF_SESSION_SECONDS = int(os.environ.get("STAFF_SESSION_SECONDS", str(10 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Transport security and headers ----------------------------------------------------------
# Behind HTTPS (SITE_URL https://…): cookies only over TLS, HSTS, redirects to HTTPS.
HTTPS = SITE_URL.startswith("https")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("BEHIND_PROXY", False):
    # Only when a reverse proxy that sets this header is the sole way in.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No script or style from anywhere but our own static files, and none inline (see
# buurtnet.security.SecurityHeadersMiddleware).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(self), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)

# --- E-mail and SMS ----------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Buurtnet <noreply@buurtnet.local>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
else:
    EMAIL_BACKEND = "buurtnet.delivery.mail.OutboxEmailBackend"
# Without a timeout a hung SMTP server would hold a delivery worker forever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# Hosted e-mail providers through Anymail: set EMAIL_BACKEND to e.g.
# "anymail.backends.postmark.EmailBackend" and ANYMAIL as that provider's page says.
if os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = os.environ["EMAIL_BACKEND"]
    ANYMAIL = {k[len("ANYMAIL_") :]: v for k, v in os.environ.items() if k.startswith("ANYMAIL_")}
# Where inbound e-mail replies are addressed: reply+<token>@REPLY_DOMAIN (empty: no replies).
EMAIL_REPLY_DOMAIN = os.environ.get("EMAIL_REPLY_DOMAIN", "")

# SMS: "outbox" (kept locally), "simulator" (the local gateway simulator over HTTP) or
# "twilio" (Twilio's Messages API; TWILIO_BASE_URL points tests at a local fake of it).
SMS_TRANSPORT = os.environ.get("SMS_TRANSPORT", "outbox")
SMS_SIMULATOR_URL = os.environ.get("SMS_SIMULATOR_URL", "http://127.0.0.1:8025")
SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET", "buurtnet-local-simulator")
SMS_SENDER_ID = os.environ.get("SMS_SENDER_ID", "Buurtnet")
TWILIO_BASE_URL = os.environ.get("TWILIO_BASE_URL", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
# Voice calls (text-to-speech) for members without a smartphone: "outbox" or "twilio".
VOICE_TRANSPORT = os.environ.get("VOICE_TRANSPORT", "outbox")
# Web push: VAPID keys (base64url); without them the push channel is not offered.
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:noreply@buurtnet.local")

# --- Delivery workers ----------------------------------------------------------------------
# Deliveries per task: small enough that the first one leaves at once, large enough that the
# bookkeeping per task stays small.
DELIVERY_BATCH_SIZE = int(os.environ.get("DELIVERY_BATCH_SIZE", "500"))
DELIVERY_FIRST_BATCH_SIZE = int(os.environ.get("DELIVERY_FIRST_BATCH_SIZE", "50"))
# A worker holds claimed deliveries this long; its heartbeat renews the lease every quarter
# of it while the batch runs. When a worker dies, its rows are free again after at most this
# long, and `tick` re-enqueues them: keep it well under a minute.
DELIVERY_LEASE_SECONDS = float(os.environ.get("DELIVERY_LEASE_SECONDS", "20"))
DELIVERY_MAX_ATTEMPTS = int(os.environ.get("DELIVERY_MAX_ATTEMPTS", "5"))
# Queued deliveries still untouched after this are enqueued again by the tick: their task was
# lost (the broker did not answer at send, or a Redis restart dropped the waiting jobs).
DELIVERY_REQUEUE_AFTER_SECONDS = int(os.environ.get("DELIVERY_REQUEUE_AFTER_SECONDS", "20"))
DELIVERY_RETRY_BASE_SECONDS = float(os.environ.get("DELIVERY_RETRY_BASE_SECONDS", "30"))
# /healthz reports delivery as degraded (503) when deliveries that could be sent have waited
# this long with no worker holding any delivery of their message.
HEALTH_DELIVERY_STALL_SECONDS = int(os.environ.get("HEALTH_DELIVERY_STALL_SECONDS", "120"))
# A provider (SMS gateway, mail server…) that fails this many times in a row is paused for
# every worker (delivery/breaker.py): first for PROVIDER_PAUSE_SECONDS, twice as long after
# each failed probe, at most PROVIDER_PAUSE_MAX_SECONDS; an answer with Retry-After pauses it
# exactly that long. Deliveries wait for it without using their attempts.
PROVIDER_FAILURES_BEFORE_PAUSE = int(os.environ.get("PROVIDER_FAILURES_BEFORE_PAUSE", "3"))
PROVIDER_PAUSE_SECONDS = float(os.environ.get("PROVIDER_PAUSE_SECONDS", "30"))
PROVIDER_PAUSE_MAX_SECONDS = float(os.environ.get("PROVIDER_PAUSE_MAX_SECONDS", "600"))
# How long a delivery keeps waiting for a provider that is down, in minutes after its
# message was sent (the plan rule's response time if longer); then it fails and falls back.
DELIVERY_VALID_MINUTES = float(os.environ.get("DELIVERY_VALID_MINUTES", "360"))
# Notices (what one person is told outside a message, delivery/notices.py) are deleted with
# their deliveries after this many days; those holding a code after this many hours.
NOTICE_RETENTION_DAYS = int(os.environ.get("NOTICE_RETENTION_DAYS", "30"))
NOTICE_CODE_RETENTION_HOURS = int(os.environ.get("NOTICE_CODE_RETENTION_HOURS", "24"))
# The outbox page shows every message the installation "sent"; only on a local demo.
OUTBOX_PAGE_ENABLED = env_bool("OUTBOX_PAGE_ENABLED", DEBUG)

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "buurtnet" / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------
STATIC_URL = "/static/"
# Where `manage.py collectstatic` (part of every deploy, docs/deploy.md) copies them.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "buurtnet" / "static"]
# With DEBUG off, WhiteNoise's manifest storage: collectstatic writes each file again under a
# name with a hash of its content (css/site.3f2a….css) plus a gzip copy, and {% static %}
# links the hashed name. WhiteNoise serves hashed names as immutable for ten years (a new
# version is a new name); everything else, reached by its plain name, for a minute only.
# The test suite uses the plain storage (buurtnet/conftest.py): it runs without collectstatic.
# STORAGES["staticfiles"] (section "Uploaded files") takes its backend from here.
STATICFILES_BACKEND = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
WHITENOISE_MAX_AGE = 0 if DEBUG else 60
# On a development machine files are served from the source folders as they change.
WHITENOISE_USE_FINDERS = DEBUG

# --- Uploaded files ------------------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# Private files (report photos, attachments, agreements, yearly reports, tip images) are
# served only by views that check who asks, never by URL (docs/files.md). By default they
# live in PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT: with several machines that folder must be
# a shared disk. With S3_BUCKET set they go to S3-compatible object storage instead, so a
# PDF a worker makes on one machine is downloadable from the web process on another.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
S3_BUCKET = os.environ.get("S3_BUCKET", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "buurtnet.common.private_files.PrivateStorage"},
    "staticfiles": {"BACKEND": STATICFILES_BACKEND},
}
if S3_BUCKET:
    from botocore.config import Config as S3ClientConfig

    _s3_endpoint = os.environ.get("S3_ENDPOINT_URL", "")
    STORAGES["private"] = {
        "BACKEND": "buurtnet.common.private_files.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": _s3_endpoint or None,
            "region_name": os.environ.get("S3_REGION", "") or None,
            # Empty keys: boto3's own chain (AWS_* variables, ~/.aws, an instance role).
            "access_key": os.environ.get("S3_ACCESS_KEY_ID", "") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", "") or None,
            # Objects stay private (the bucket's own policy); a URL, if one were ever made,
            # is signed and expires; a new file never replaces another of the same name.
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            # A file read for a download is spooled to a temporary file above 2 MiB, not
            # held in memory whole.
            "max_memory_size": 2 * 1024 * 1024,
            # An unreachable store answers within seconds (the download says 503, the worker
            # records the failure) instead of holding a request for minutes. S3-compatible
            # servers (MinIO, Ceph, Garage) all take path-style addresses; AWS picks its own.
            "client_config": S3ClientConfig(
                connect_timeout=5,
                read_timeout=30,
                retries={"mode": "standard", "max_attempts": 3},
                s3={"addressing_style": "path" if _s3_endpoint else "auto"},
            ),
        },
    }
REPORT_PHOTO_MAX_BYTES = int(os.environ.get("REPORT_PHOTO_MAX_BYTES", str(15 * 1024 * 1024)))
REPORT_PHOTO_MAX_SIDE = int(os.environ.get("REPORT_PHOTO_MAX_SIDE", "1600"))
# Memory one uploaded picture may take once decoded (computed from its header before decoding;
# a large JPEG is decoded at a reduced scale to fit). 96 MiB admits the 24-megapixel HEIC an
# iPhone saves by default (Pillow keeps 4 bytes per RGB pixel), and no more.
IMAGE_DECODE_MAX_BYTES = int(os.environ.get("IMAGE_DECODE_MAX_BYTES", str(96 * 1024 * 1024)))
REPORT_PHOTOS_PER_REPORT = 3
# No form takes more files than that; refuse a request with hundreds before reading them.
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# How far outside its BIN's area a report may be placed (a street on the border).
REPORT_MAX_DISTANCE_METRES = int(os.environ.get("REPORT_MAX_DISTANCE_METRES", "1000"))

# --- Maps --------------------------------------------------------------------------------
# The base map under every map (docs/maps.md): "cartoweb" (NGI/IGN), "osm", "none", or a tile
# URL template (XYZ or WMTS REST) with its attribution. Checked at start-up
# (buurtnet.networks.basemap.check_settings); a police zone may choose its own.
MAP_TILES = os.environ.get("MAP_TILES", "cartoweb")
MAP_TILES_ATTRIBUTION = os.environ.get("MAP_TILES_ATTRIBUTION", "")
MAP_TILES_ATTRIBUTION_URL = os.environ.get("MAP_TILES_ATTRIBUTION_URL", "")
# The tile server's highest native zoom level; "" = the preset's (17 CartoWeb, 19 otherwise).
MAP_TILES_MAX_ZOOM = os.environ.get("MAP_TILES_MAX_ZOOM", "")

# --- Audit log ---------------------------------------------------------------------------
# Survey results are shown only for groups of at least this many respondents.
SURVEY_MIN_GROUP = 5
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "730"))
# The client's address (audit log, log-in throttle) is taken from X-Forwarded-For only behind
# TRUSTED_PROXY_COUNT reverse proxies (see "Accounts"); without them the header is never believed.

# --- API tokens (docs/api.md) ----------------------------------------------------------------
# Calls per token and per person (all their tokens together): N/second, minute, hour or day.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120/minute")
API_PERSON_RATE_LIMIT = os.environ.get("API_PERSON_RATE_LIMIT", "240/minute")
API_MAX_TOKENS_PER_PERSON = int(os.environ.get("API_MAX_TOKENS_PER_PERSON", "5"))
# Police and staff tokens work this many days after they were made (members: up to a year).
API_STAFF_TOKEN_DAYS = int(os.environ.get("API_STAFF_TOKEN_DAYS", "30"))

# --- Domain ------------------------------------------------------------------------------
# The version of the privacy notice a person consents to; bump it when the text changes.
PRIVACY_NOTICE_VERSION = "2026-11"
PHONE_DEFAULT_REGION = "BE"
# Countries (ISO codes, comma-separated) whose numbers may be texted or called: texts and calls
# abroad are how SMS toll fraud makes money. Only mobile numbers ever get a text.
SMS_ALLOWED_COUNTRIES = os.environ.get("SMS_ALLOWED_COUNTRIES", "BE,NL,FR,DE,LU")
PHONE_CODE_TTL_MINUTES = 15
PHONE_CODE_MAX_ATTEMPTS = 5

# --- Limits on what one person creates (buurtnet/limits.py) ---------------------------------
# Each: a list of (count, seconds); the next one is refused while `count` are in the window.
# Counted in the database per person (or per BIN); an empty list switches a limit off.
RATE_LIMITS = {
    # Reports a member files (each one e-mails the police): per person, and per BIN.
    "report_person": [(5, 10 * 60), (20, 24 * 3600)],
    # No ceiling per BIN by default: it counts everyone's reports, so three accounts filing
    # their own allowance would silence every honest member of the BIN for an hour. An
    # installation whose police are flooded by many accounts may set one, e.g. [(60, 3600)].
    "report_network": [],
    # Replies to messages (each one e-mails the sender): per message, and in all.
    "reply_message": [(5, 3600)],
    "reply_person": [(30, 3600)],
    # Relays a coordinator composes for one BIN (each one reaches every member).
    "relay_network": [(10, 3600)],
}
# Absences a resident may have announced that are not over yet.
ABSENCES_OPEN_PER_PERSON = int(os.environ.get("ABSENCES_OPEN_PER_PERSON", "3"))

# --- Probes and metrics (docs/monitoring.md) ----------------------------------------------
# /readyz answers 503 when no worker beat for READY_WORKER_SECONDS, the tick has finished no
# step for READY_TICK_SECONDS, or an alert delivery has waited READY_ALERT_WAIT_SECONDS.
READY_WORKER_SECONDS = int(os.environ.get("READY_WORKER_SECONDS", "60"))
READY_TICK_SECONDS = int(os.environ.get("READY_TICK_SECONDS", "120"))
READY_ALERT_WAIT_SECONDS = int(os.environ.get("READY_ALERT_WAIT_SECONDS", "60"))
# /metrics answers a request with `Authorization: Bearer <METRICS_TOKEN>`, or one from these
# networks (the client address as the audit log sees it); anyone else gets a 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")

# --- Error reports ---------------------------------------------------------------------------
# Sentry or GlitchTip: exceptions and error log lines, scrubbed of personal data before they
# leave (buurtnet/operations/errors.py). Off unless SENTRY_DSN is set.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from buurtnet import __version__ as _version
    from buurtnet.operations.errors import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        release=_version,
    )

# --- LOGGING -----------------------------------------------------------------------------------
# To stderr, one line per record: "time level logger message" (LOG_FORMAT=text), or one JSON
# object per line (LOG_FORMAT=json) for a log collector.
from buurtnet.operations.logs import logging_config  # noqa: E402 - a helper, no Django import

LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
LOGGING = logging_config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "INFO").upper())
