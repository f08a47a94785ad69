import json
import logging
import re
import sys

from buurtnet.operations.logs import TEXT_FORMAT, JsonFormatter, logging_config


def record(exc_info=None) -> logging.LogRecord:
    return logging.LogRecord(
        "buurtnet.delivery.worker", logging.INFO, __file__, 1, "Sent %d", (3,), exc_info
    )


def test_text_line_has_time_level_and_logger():
    line = logging.Formatter(TEXT_FORMAT).format(record())
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO buurtnet\.delivery\.worker Sent 3", line
    )


def test_json_line_parses_with_its_fields():
    line = json.loads(JsonFormatter().format(record()))
    assert line["level"] == "INFO"
    assert line["logger"] == "buurtnet.delivery.worker"
    assert line["message"] == "Sent 3"
    assert isinstance(line["process"], int)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_json_line_holds_the_traceback_as_a_string():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    text = JsonFormatter().format(record(exc_info))
    assert "\n" not in text  # one object per line
    assert "RuntimeError: boom" in json.loads(text)["exc_info"]


def test_log_format_json_selects_the_json_formatter():
    config = logging_config("json", "INFO")
    assert config["formatters"]["line"] == {"()": "buurtnet.operations.logs.JsonFormatter"}
    assert logging_config("text", "INFO")["formatters"]["line"] == {"format": TEXT_FORMAT}
