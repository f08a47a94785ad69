"""Gunicorn settings for Buurtnet's web process.

deploy/buurtnet-web.service runs `gunicorn -c deploy/gunicorn.conf.py buurtnet.wsgi`; nginx
(deploy/nginx/buurtnet.conf) is the only way in. Anything here can be overridden on the
command line (`--bind`, `--workers`), which is how `make test-prod` picks its own port.
"""

import contextlib
import multiprocessing
import os
import shutil
from pathlib import Path

from buurtnet.operations.logs import logging_config

# Loopback only: nginx terminates TLS and forwards to it. A unix socket would need the
# socket's group shared with nginx's user; a loopback port needs nothing.
bind = "127.0.0.1:8000"

# Sync workers: every request is short (uploads are buffered by nginx before they reach a
# worker; PDFs are made by the task workers). The usual 2 x cores + 1, unless the operator
# says otherwise with WEB_CONCURRENCY (gunicorn's own name for it).
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
timeout = 60
graceful_timeout = 30
# A worker is replaced after this many requests: a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200

# nginx on the same machine sets X-Forwarded-Proto; trust it from loopback only.
forwarded_allow_ips = "127.0.0.1,::1"

# Both logs to stdout/stderr: systemd's journal keeps them with time and unit.
accesslog = "-"
errorlog = "-"
# Without the client address (behind nginx it is always 127.0.0.1) and with the time taken.
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def gunicorn_logging(log_format: str, level: str) -> dict | None:
    """With LOG_FORMAT=json, gunicorn's own lines (start, worker exits, the access log) in
    Buurtnet's JSON format too: its loggers keep handlers of their own, which Django's
    LOGGING never touches, so a log collector would otherwise get plain-text lines among
    the JSON ones. Text (the default) keeps gunicorn's usual format."""
    if log_format != "json":
        return None
    config = logging_config(log_format, level)
    # Not propagated: the root handler would write every gunicorn line a second time.
    config["loggers"]["gunicorn.error"] = {"handlers": ["console"], "propagate": False}
    config["loggers"]["gunicorn.access"] = {"handlers": ["console"], "propagate": False}
    return config


logconfig_dict = (
    gunicorn_logging(
        os.environ.get("LOG_FORMAT", "text").strip().lower(),
        os.environ.get("LOG_LEVEL", "INFO").upper(),
    )
    or {}
)


def on_starting(server) -> None:
    """Empty prometheus_client's multiprocess folder: files left by the processes of the
    last run would be counted again for ever."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    path = Path(folder)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


# Marks a dead worker's metric files so its gauges stop counting (buurtnet.operations); an
# older release without it still starts.
with contextlib.suppress(ImportError):
    from buurtnet.operations.gunicorn_hooks import child_exit  # noqa: F401
