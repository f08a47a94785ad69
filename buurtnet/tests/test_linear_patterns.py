"""The patterns applied to user text run in linear time: a long text (a 180,000-letter one
held a request for two minutes) is checked quickly.

Speed targets live in benchmarks, not tests; what a test can show without flaking on a busy
machine is the difference between linear and quadratic. Each check runs on 200,000
characters in a child process that is stopped after a generous TIMEOUT: a linear pattern
needs well under a second, a quadratic one minutes (and the old phone cutting hours).
A child process, not a thread, so a runaway pattern is really stopped.
"""

import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 60
LENGTH = 200_000
ROOT = Path(__file__).resolve().parents[2]

# Texts that made one of the patterns read the rest of the text again from every position.
ADVERSARIAL = {
    "letters": "'a' * n",
    "letters and dots": "'a.' * (n // 2)",
    "one at sign in the middle": "'a' * (n // 2) + '@' + 'b' * (n // 2)",
    "domain labels": "'a@' + 'b.' * (n // 2)",
    "digits": "'1' * n",
    "digit groups": "'1 ' * (n // 2)",
    "dotted digit groups": "'04.' * (n // 3)",
    "link starts": "'www.' * (n // 4)",
    "image query": "'http://a' + '.png?' * (n // 5)",
    "markdown image starts": "'![' * (n // 2)",
    "markdown image urls": "'![a](' * (n // 5)",
    "image tags": "'<img>' * (n // 5)",
    "links and phone numbers": "'www.a 0470123456 ' * (n // 17)",
    "iban digits": "'BE12' * (n // 4)",
}

MARKDOWN_ADVERSARIAL = {
    "brackets": "'[' * n",
    "link starts": "'[a](' * (n // 4)",
    "emphasis starts": "'*a ' * (n // 3)",
}

CHILD = """
import sys
from django.conf import settings
settings.configure(USE_I18N=False)
from buurtnet.messaging.content_check import check_text
from buurtnet.common.markdown import to_text
n = {length}
check = {check}
check({text})
"""


def run_in_child(check: str, text: str) -> None:
    code = CHILD.format(length=LENGTH, check=check, text=text)
    try:
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{check} did not finish a {LENGTH}-character text in {TIMEOUT} s")


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_content_check_of_a_long_text_finishes(text):
    run_in_child("check_text", text)


@pytest.mark.parametrize("text", MARKDOWN_ADVERSARIAL.values(), ids=MARKDOWN_ADVERSARIAL.keys())
def test_plain_text_of_a_long_tip_finishes(text):
    run_in_child("to_text", text)
