"""Log lines for people and for log collectors.

Text (the default): `2026-12-07 17:30:01,123 INFO buurtnet.delivery.worker Sent 3 deliveries`.
JSON (`LOG_FORMAT=json`): one object per line, for Loki, Elasticsearch or journald's JSON
mode, with the time in ISO 8601 UTC so that lines from several hosts sort together.
"""

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, process, exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        # default=str: a message argument that JSON cannot hold must not lose the line.
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: str, level: str) -> dict:
    """The LOGGING setting: every process (web, worker, tick) logs to stderr in one format."""
    formatter = (
        {"()": "buurtnet.operations.logs.JsonFormatter"}
        if log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # One line per SMS request would drown the workers' own log.
            "httpx": {"level": "WARNING"},
            "mail.log": {"level": "WARNING"},
            # Django's own request log goes to the root handler once, in the same format.
            "django": {"handlers": [], "propagate": True},
        },
    }
