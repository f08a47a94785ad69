"""Behind a reverse proxy the log-in throttle counts the client, not the proxy, unless told
otherwise (settings read from the environment at start-up)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PROXY_VARIABLES = ("BEHIND_PROXY", "TRUSTED_PROXY_COUNT", "AUDIT_PROXY_COUNT")


def trusted_proxy_count(**env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)",
        ],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "buurtnet.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.strip())


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 0),
        ({"BEHIND_PROXY": "1"}, 1),
        ({"BEHIND_PROXY": "1", "TRUSTED_PROXY_COUNT": "2"}, 2),
        ({"BEHIND_PROXY": "1", "TRUSTED_PROXY_COUNT": "0"}, 0),
    ],
)
def test_behind_a_proxy_one_proxy_is_trusted_unless_the_environment_says_otherwise(env, expected):
    assert trusted_proxy_count(**env) == expected
