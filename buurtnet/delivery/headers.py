"""Mail header values made from user text (a title, a BIN's name, a file name).

A header is one line: a line break in it would start a new header (header injection), and
Django refuses such a value with BadHeaderError. Text typed by people or arriving from
outside systems (a CAP headline) may hold one, so every header built from such text goes
through `one_line()` and a message never fails for it.
"""

import re

# Whitespace of every kind (line and paragraph separators included) and control characters.
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(value: str) -> str:
    """The value with every run of whitespace and control characters folded to one space."""
    return _BREAKS.sub(" ", value).strip()
