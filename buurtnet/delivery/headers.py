"""Mail header values made from user text (a title, a BIN's name, a file name).

A header is one line: a line break in it would start a new header (header injection), and
Django refuses such a value with BadHeaderError. Text typed by people or arriving from
outside systems (a CAP headline) may hold one, so every header built from such text goes
through `one_line()` and a message never fails for it.

`one_line` is the project's one rule for text made fit for a single line,
`buurtnet.common.form_fields.fold_to_line`: runs of white space (line breaks included) become one
space, and other control and invisible format characters (a bidirectional override that
shows "gpj.exe" as "exe.jpg") are removed.
"""

from buurtnet.common.form_fields import fold_to_line as one_line

__all__ = ["one_line"]
