"""What a sender may attach to a message, checked like the message's own text.

An attachment goes by e-mail to every member, so the rules of the message body apply to
what it says:

- Only files whose content the platform can read are accepted: PDF and plain text (.txt,
  .csv, .tsv, .md), and from the police also pictures and calendar files. Office
  documents, archives, web pages and programs can hide text and pictures from the check.
- Text files are decoded and PDFs' text extracted (pages, document properties, notes,
  link targets) and both go through the same content check as the body.
- A coordinator's picture, or a PDF showing a picture or carrying files, is refused: a
  photo may show a suspect's face or a number plate. The officer, who may share such
  documents, sends them. (A refusal holds under every plan; an approval route exists only
  where the plan names one, and a coordinator's images are already refused outright.)
- A coordinator cannot attach a calendar file: an invitation (METHOD:REQUEST, organiser,
  attendees, a link) lands in the members' calendars as if the BIN had organised it. The
  platform makes the invitations for the BIN's meetings itself (governance).
"""

import codecs
import unicodedata
from pathlib import PurePosixPath

from django.utils import formats
from django.utils.translation import gettext as _

from buurtnet.common.private_files import clean_filename

from . import content_check
from .pdf_reader import read_pdf

PDF, TEXT, CALENDAR, IMAGE = "pdf", "text", "calendar", "image"
TEXT_SUFFIXES = (".txt", ".csv", ".tsv", ".md")
CALENDAR_SUFFIXES = (".ics", ".ical", ".ifb", ".vcs")
IMAGE_SUFFIXES = {
    b"\xff\xd8\xff": ".jpg",
    b"\x89PNG": ".png",
    b"GIF8": ".gif",
    b"RIFF": ".webp",
    b"II*\x00": ".tif",
    b"MM\x00*": ".tif",
}
MAX_FINDINGS_SHOWN = 5
# The content check reads about 100,000 characters a second: a longer text (a 5 MB text
# file, a PDF of hundreds of pages) would hold the sender's request for a minute. Forty
# pages of text fit; anything longer is refused rather than checked.
MAX_TEXT_LENGTH = 100_000


def kind_of(data: bytes, filename: str) -> str | None:
    """What the file is, by its content first (a renamed photo is still a photo), then by
    its name for text; None for anything the platform does not accept."""
    if content_check.check_attachment(data):
        return IMAGE
    if b"%PDF-" in data[:1024]:
        return PDF
    suffix = PurePosixPath(filename.lower()).suffix
    start = data[:64].lstrip(codecs.BOM_UTF8).lstrip()
    if suffix in CALENDAR_SUFFIXES or start.upper().startswith(b"BEGIN:VCALENDAR"):
        return CALENDAR
    if suffix in TEXT_SUFFIXES:
        return TEXT
    return None


def display_name(data: bytes, filename: str) -> str:
    """The sender's file name, cleaned, with an extension that says what the file is
    (members' mail programs open it by its name)."""
    name = clean_filename(filename, default="attachment")
    suffix = PurePosixPath(name.lower()).suffix
    kind = kind_of(data, name)
    if kind == PDF:
        wanted = (".pdf",)
    elif kind == CALENDAR:
        wanted = (".ics",)
    elif kind == IMAGE:
        wanted = (".heic",)
        for signature, image_suffix in IMAGE_SUFFIXES.items():
            if data.startswith(signature):
                wanted = (image_suffix, ".jpeg") if image_suffix == ".jpg" else (image_suffix,)
    else:
        return name
    return name if suffix in wanted else clean_filename(name + wanted[0])


def check(data: bytes, filename: str, *, trusted: bool, allow_plates: bool) -> list[str]:
    """Why the file may not be attached (empty when it may). `trusted` is a police sender
    of a message for members only: like in the body, only number plates are checked then,
    and only where the plan does not allow them."""
    name = clean_filename(filename, default="attachment")
    kind = kind_of(data, name)
    if kind is None:
        return [
            _(
                "“%(name)s” cannot be attached. Attach a PDF or a text file (.txt, .csv, .md); "
                "the police may also attach pictures and calendar files. Other files (office "
                "documents, archives, web pages, programs) cannot be checked."
            )
            % {"name": name}
        ]
    if kind == IMAGE:
        if trusted:
            return []
        return [finding.explanation for finding in content_check.check_attachment(data, name)]
    if kind == CALENDAR and not trusted:
        return [
            _(
                "A calendar file cannot be attached. Invitations to the BIN's meetings are "
                "sent by the platform itself when you plan the meeting."
            )
        ]
    if kind == PDF:
        pdf = read_pdf(data, max_text=MAX_TEXT_LENGTH)
        if pdf is None:
            return [
                _(
                    "“%(name)s” cannot be read: it is damaged, protected by a password or too "
                    "large. Save it again as a plain PDF."
                )
                % {"name": name}
            ]
        if not trusted and pdf.images:
            return [
                _(
                    "“%(name)s” contains pictures. A picture may show a person or a number "
                    "plate, so coordinators can only attach PDFs with text. Remove the "
                    "pictures, or ask the officer to send the document."
                )
                % {"name": name}
            ]
        if not trusted and pdf.embedded_files:
            return [
                _(
                    "“%(name)s” carries other files inside it, which cannot be checked. "
                    "Remove them and attach the PDF again."
                )
                % {"name": name}
            ]
        text = pdf.text
    else:
        text = _decode(data)
        if text is None:
            return [
                _("“%(name)s” is not a plain text file. Save it as text (UTF-8) and try again.")
                % {"name": name}
            ]
    if trusted and allow_plates:
        return []  # the police, where plates are allowed: nothing in the text is checked
    # Measured before normalizing (which reads every character in Python) and after (which
    # may lengthen the text).
    if len(text) > MAX_TEXT_LENGTH or len(text := _normalized(text)) > MAX_TEXT_LENGTH:
        return [
            _(
                "“%(name)s” is too long to check: it holds more than %(count)s characters of "
                "text. Send a shorter document, or split it."
            )
            % {"name": name, "count": formats.number_format(MAX_TEXT_LENGTH, force_grouping=True)}
        ]
    findings = content_check.check_text(text, allow_plates=allow_plates)
    if trusted:
        findings = [f for f in findings if f.kind == content_check.PLATE]
    explanations = [
        _("In the attached file “%(name)s”: %(explanation)s")
        % {"name": name, "explanation": finding.explanation}
        for finding in findings[:MAX_FINDINGS_SHOWN]
    ]
    if len(findings) > MAX_FINDINGS_SHOWN:
        explanations.append(
            _("And %(count)d more such fragments in the attached file.")
            % {"count": len(findings) - MAX_FINDINGS_SHOWN}
        )
    return explanations


def _decode(data: bytes) -> str | None:
    """The text of a plain text file (UTF-8, UTF-16 with its byte-order mark, or the
    Windows-1252 of older spreadsheets); None for what is not text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "cp1252"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # A NUL or other control character means a binary file (or text spaced out with
        # them so that the check reads no number).
        if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text):
            return None
        return text
    return None


def _normalized(text: str) -> str:
    """Full-width digits and letters as plain ones, invisible characters (zero-width
    spaces, joiners) taken out, so "０４７０\u200b12 34 56" is read as the number it shows."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
