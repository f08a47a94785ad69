"""Count SMS segments the way phones and SMS providers do.

An SMS is sent in the GSM 03.38 7-bit alphabet when every character is in it, and
in UCS-2 (UTF-16) otherwise. One character outside GSM-7 switches the *whole*
message, so a non-breaking space or a curly apostrophe (’) pasted from a word
processor silently turns a 160-character SMS into three 67-unit segments and more
than doubles the cost. non_gsm_characters() names those characters so the UI can
point at them.

Keep in step with buurtnet/static/js/sms-counter.js, which counts the same way in
the browser.
"""

from dataclasses import dataclass

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

# GSM 03.38 default alphabet. 0x09 is the capital Ç: the standard has no lower-case
# ç, so "reçu" is UCS-2. Counting strictly may overestimate but never underestimates.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each of these is sent as ESC + character, so it costs 2 septets.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM_SINGLE, GSM_MULTI = 160, 153  # septets; multipart loses 7 to the concatenation header
UCS_SINGLE, UCS_MULTI = 70, 67  # UTF-16 code units


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # GSM_7 or UCS_2
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    per_segment: int  # capacity of one segment at this length (single or multipart)
    remaining: int  # units still free in the last segment


def is_gsm(char: str) -> bool:
    return char in GSM_BASIC or char in GSM_EXTENSION


def non_gsm_characters(text: str) -> list[str]:
    """Distinct characters that force UCS-2, in order of first appearance."""
    return list(dict.fromkeys(char for char in text if not is_gsm(char)))


def count(text: str) -> SmsCount:
    if all(is_gsm(char) for char in text):
        sizes = [2 if char in GSM_EXTENSION else 1 for char in text]
        return _pack(GSM_7, sizes, GSM_SINGLE, GSM_MULTI)
    # Characters beyond the BMP (most emoji) are a surrogate pair: 2 UTF-16 units.
    sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return _pack(UCS_2, sizes, UCS_SINGLE, UCS_MULTI)


def _pack(encoding: str, sizes: list[int], single: int, multi: int) -> SmsCount:
    """Fill segments; a 2-unit character (escape pair, surrogate pair) is never split."""
    units = sum(sizes)
    if units <= single:
        segments = 1 if units else 0
        return SmsCount(encoding, units, segments, single, single - units)
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return SmsCount(encoding, units, segments, multi, multi - used)
