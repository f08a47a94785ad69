"""Content a coordinator may not share with BIN members.

Belgian BIN rules forbid passing number plates, phone numbers, e-mail addresses and
photos (typically of suspects) on to members: those go to the police. The checks
name the fragment they found so the coordinator can fix the message.

The patterns prefer missing an odd case over blocking ordinary text: times, dates,
postcodes, house numbers, amounts and the emergency numbers 101 and 112 must pass.

Every check runs in time linear in the length of the text, because the text is whatever a
member typed or an outside system sent (a 180,000-letter text once held a request for two
minutes). The rules that keep it so:

- a pattern tried at every position either starts with a literal that is rare in ordinary
  text ("@", "![", "http") and bounds what it reads before it, or its repetitions are bounded
  (``{1,64}``), so no start position reads more than a fixed number of characters before
  failing;
- a scan that may run far (to the end of a link) stops at the next place another match
  could start, so every character is read by one attempt only;
- a repetition that cannot give back characters usefully is possessive (``*+``);
- a run of digit groups is cut into phone numbers looking only as far as the longest number
  (``PHONE_MAX_DIGITS``), not at every sub-run of the whole text.
"""

import bisect
import itertools
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

PLATE, PHONE, EMAIL, IMAGE = "plate", "phone", "email", "image"


@dataclass(frozen=True)
class Finding:
    kind: str  # PLATE, PHONE, EMAIL or IMAGE
    text: str  # the offending fragment as written (for an attachment: its file name)
    explanation: str


def check_text(text: str, *, allow_plates: bool = False) -> list[Finding]:
    """Findings in order of appearance, each distinct fragment once."""
    found: list[tuple[int, Finding]] = []
    images = [(m.start(), m.end()) for m in _image_matches(text)]
    emails = [(m.start(), m.end()) for m in EMAIL_RE.finditer(text)]
    found += [(start, _finding(IMAGE, text[start:end])) for start, end in images]
    found += [(start, _finding(EMAIL, text[start:end])) for start, end in emails]
    # Digits and letters inside a link or address belong to it, not to a plate or number.
    covered = _Spans()
    for start, end in images + emails:
        covered.add(start, end)
    for pattern in (URL_RE, IBAN_RE):
        for m in pattern.finditer(text):
            covered.add(m.start(), m.end())
    candidates = [(PHONE, span) for span in _phone_spans(text)]
    if not allow_plates:
        candidates += [(PLATE, span) for span in _plate_spans(text)]
    for kind, (start, end) in candidates:
        if not covered.overlaps(start, end):
            found.append((start, _finding(kind, text[start:end])))
    found.sort(key=lambda item: item[0])
    return list({(f.kind, f.text): f for _, f in found}.values())


class _Spans:
    """Disjoint, sorted character spans: "does this span overlap any?" in logarithmic time
    (a text with thousands of links and numbers must not compare every pair)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        return (i > 0 and self.ends[i - 1] > start) or (
            i < len(self.starts) and self.starts[i] < end
        )

    def add(self, start: int, end: int) -> None:
        """Adds the span, merged with those it overlaps."""
        lo = bisect.bisect_left(self.ends, start)
        hi = bisect.bisect_right(self.starts, end)
        if lo < hi:
            start = min(start, self.starts[lo])
            end = max(end, self.ends[hi - 1])
        self.starts[lo:hi] = [start]
        self.ends[lo:hi] = [end]


def check_attachment(data: bytes, filename: str = "") -> list[Finding]:
    """An image is recognised by its content: a renamed photo is still a photo."""
    if not _is_image(data):
        return []
    if filename:
        explanation = _(
            "The file “%(name)s” is a picture. Photos (for example of suspects) may not be "
            "shared with members; remove it and pass the photo to the police instead."
        ) % {"name": filename}
    else:
        explanation = _(
            "The attached file is a picture. Photos (for example of suspects) may not be "
            "shared with members; remove it and pass the photo to the police instead."
        )
    return [Finding(IMAGE, filename, explanation)]


def _finding(kind: str, fragment: str) -> Finding:
    shown = fragment if len(fragment) <= 60 else fragment[:59] + "…"
    if kind == PLATE:
        message = _(
            "“%(text)s” looks like a number plate. Sharing number plates of suspects with "
            "members is not allowed; pass it to the police instead."
        )
    elif kind == PHONE:
        message = _(
            "“%(text)s” looks like a phone number. Phone numbers may not be shared with "
            "members; remove it from the message. The emergency numbers 101 and 112 are fine."
        )
    elif kind == EMAIL:
        message = _(
            "“%(text)s” looks like an e-mail address. E-mail addresses may not be shared "
            "with members; remove it from the message."
        )
    else:
        message = _(
            "“%(text)s” is a picture. Photos (for example of suspects) may not be shared "
            "with members; remove it and pass the photo to the police instead."
        )
    return Finding(kind, fragment, message % {"text": shown})


# --- Number plates -------------------------------------------------------------------
# Current format 1-ABC-123 (since 2010), older ABC-123 and 123-ABC; separated by "-",
# ".", a space or nothing.
PLATE_RE = re.compile(
    r"(?<!\w)(?:"
    r"[1-9](?P<a1>[-. ]?)(?P<l1>[a-z]{3})(?P<a2>[-. ]?)\d{3}"
    r"|(?P<l2>[a-z]{3})(?P<b1>[-. ]?)\d{3}"
    r"|\d{3}(?P<c1>[-. ]?)(?P<l3>[a-z]{3})"
    r")(?!\w)",
    re.IGNORECASE,
)
NOT_PLATE_LETTERS = {"EUR", "USD", "GBP", "CHF"}


def _plate_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    # A rejected candidate ("oud 123" in "oud 123-ABC") may overlap a real plate.
    while m := PLATE_RE.search(text, pos):
        if _looks_like_plate(m):
            spans.append(m.span())
            pos = m.end()
        else:
            pos = m.start() + 1
    return spans


def _looks_like_plate(m: re.Match[str]) -> bool:
    letters = m["l1"] or m["l2"] or m["l3"]
    separators = "".join(m[g] or "" for g in ("a1", "a2", "b1", "c1"))
    # "tot 100", "van 150", "100 man": with spaces only capitals look like a plate.
    spaced_word = " " in separators and not letters.isupper()
    return not spaced_word and letters.upper() not in NOT_PLATE_LETTERS


# --- Phone numbers -------------------------------------------------------------------
# A run of digit groups, with single separators in between ("0470 12 34 56",
# "0470/12.34.56", "+32 (0)470 12 34 56"). Each run is then cut into the longest pieces
# that are a plausible number: a run may hold a date or a house number too.
_SPACE = r"[ \u00a0]"
_SEP = rf"(?:{_SPACE}?[./-]{_SPACE}?|{_SPACE})"
PHONE_RUN_RE = re.compile(rf"(?<![\w+])(?:\+{_SPACE}?)?\d+(?:(?:{_SEP}|{_SEP}?\(0\){_SEP}?)\d+)*")
_GROUP_RE = re.compile(r"\(0\)|\d+")


# The shortest and longest numbers _is_phone accepts: 8 digits after "+" (a Belgian
# national number has 9), and "00" with the 15 digits of an E.164 number.
PHONE_MIN_DIGITS = 8
PHONE_MAX_DIGITS = 17


def _phone_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for run in PHONE_RUN_RE.finditer(text):
        plus = run.group().startswith("+")
        groups = [
            (run.start() + g.start(), run.start() + g.end(), g.group())
            for g in _GROUP_RE.finditer(run.group())
            if g.group() != "(0)"
        ]
        digits_before = list(itertools.accumulate((len(g[2]) for g in groups), initial=0))
        i = 0
        while i < len(groups):
            end = next(
                (
                    j
                    for j in range(_last_group_within(groups, i), i, -1)
                    if digits_before[j] - digits_before[i] >= PHONE_MIN_DIGITS
                    and _is_phone([g[2] for g in groups[i:j]], plus and i == 0)
                ),
                None,
            )
            if end is None:
                i += 1
                continue
            start = run.start() if plus and i == 0 else groups[i][0]
            spans.append((start, groups[end - 1][1]))
            i = end
    return spans


def _last_group_within(groups: list[tuple[int, int, str]], first: int) -> int:
    """The end (exclusive) of the longest run of groups from `first` that still has at most
    PHONE_MAX_DIGITS digits: longer runs cannot be a number, so they are never tried."""
    digits = 0
    end = first
    while end < len(groups) and digits + len(groups[end][2]) <= PHONE_MAX_DIGITS:
        digits += len(groups[end][2])
        end += 1
    return max(end, first + 1)


def _is_phone(groups: list[str], plus: bool) -> bool:
    digits = "".join(groups)
    if plus:
        return _is_international(digits)
    if digits.startswith("00"):
        return _is_international(digits[2:])
    return digits.startswith("0") and _is_belgian_national(groups)


def _is_international(digits: str) -> bool:
    if digits.startswith("32"):
        return _is_belgian_significant(digits[2:])
    return 8 <= len(digits) <= 15 and not digits.startswith("0")


def _is_belgian_national(groups: list[str]) -> bool:
    # Written as a prefix ("02", "050", "0470") followed by groups of 2 or 3 digits or one
    # block; anything else ("01-11-2026") is some other number.
    if len(groups) > 1:
        first, rest = groups[0], groups[1:]
        in_pairs = all(2 <= len(g) <= 3 for g in rest)
        one_block = len(rest) == 1 and 5 <= len(rest[0]) <= 8
        if not (2 <= len(first) <= 4 and (in_pairs or one_block)):
            return False
    return _is_belgian_significant("".join(groups)[1:])


def _is_belgian_significant(number: str) -> bool:
    """The number without the trunk 0: 8 digits (landline, 0800, 070), or 9 for mobile."""
    if len(number) == 8:
        return number[0] != "0"
    return len(number) == 9 and number[0] == "4" and number[1] in "56789"


# --- E-mail addresses, links, bank accounts --------------------------------------------
# Bounded like the parts of a real address (RFC 5321: 64 before the "@", labels of 63).
EMAIL_RE = re.compile(r"[\w.%+-]{1,64}@(?:[\w-]{1,63}\.){1,10}[^\W\d_]{2,63}(?![\w-])")
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")


# --- Images in text ----------------------------------------------------------------------
# Inside Markdown brackets, a scan stops at the next "![" (where the next attempt starts).
_NOT_IMAGE_START = r"(?:[^\]\n!]|!(?!\[))"
_NOT_IMAGE_START_URL = r"(?:[^)\n!]|!(?!\[))"
# An image link ends at the first space, quote, bracket or closing punctuation; written as the
# complement of that end, read possessively (the lazy form re-read the rest at every ".png").
_LINK_TAIL = r"(?:[^\s<>\"'()\[\].,;:!?]|[.,;:!?](?!\s|$))*+"
IMAGE_RES = [
    re.compile(rf"!\[{_NOT_IMAGE_START}*\]\({_NOT_IMAGE_START_URL}*\)"),  # Markdown ![alt](url)
    re.compile(r"<img\b[^>]{0,500}>?", re.IGNORECASE),
    re.compile(r"\bdata:image/[\w.+-]+[;,][^\s<>\"')]*", re.IGNORECASE),
    re.compile(
        r"(?:https?://|www\.)(?:(?!https?://|www\.)[^\s<>\"'])*?"
        r"\.(?:jpe?g|png|gif|webp|heic|heif)"
        rf"(?:[?#]{_LINK_TAIL})?(?=$|[\s<>\"'()\[\]]|[.,;:!?](?:$|\s))",
        re.IGNORECASE,
    ),
]


def _image_matches(text: str) -> list[re.Match[str]]:
    """Image fragments; a link inside an image tag is reported once, as the tag."""
    matches: list[re.Match[str]] = []
    taken = _Spans()
    for pattern in IMAGE_RES:
        for m in pattern.finditer(text):
            if not taken.overlaps(m.start(), m.end()):
                matches.append(m)
                taken.add(m.start(), m.end())
    matches.sort(key=lambda m: m.start())
    return matches


# --- Images as attachments ---------------------------------------------------------------
IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
)
# ISO base media "ftyp" brands of HEIF still images (iPhone photos are HEIC), and AVIF.
HEIF_BRANDS = frozenset(b"heic heix heim heis hevc hevx hevm hevs mif1 msf1 avif avis".split())


def _is_image(data: bytes) -> bool:
    if data.startswith(IMAGE_SIGNATURES):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return _is_heif(data)


def _is_heif(data: bytes) -> bool:
    if data[4:8] != b"ftyp":
        return False
    box_end = min(int.from_bytes(data[:4], "big"), len(data), 256)
    # Major brand at 8, minor version at 12, then the compatible brands.
    brands = [data[8:12]] + [data[i : i + 4] for i in range(16, box_end - 3, 4)]
    return any(brand in HEIF_BRANDS for brand in brands)
