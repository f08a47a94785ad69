"""Cleaning of the photos members attach to a report.

A member who reports something suspicious may add up to three photos, often straight from a
phone camera. Such a photo carries metadata: EXIF GPS coordinates of where it was taken (very
often the member's own street or garden, so it shows where they live), the make and serial of
the phone, the time, XMP with editing history, ICC profiles and comments. None of that may be
stored or passed on to officers, coordinators or anyone else who sees the report.

So every photo is decoded and re-encoded from its pixels only: the EXIF orientation is applied,
the colours are brought to sRGB, the picture is shrunk to a sensible size and written as a fresh
JPEG without any metadata at all. What a file is, is decided by its content (magic bytes and
Pillow actually decoding it), never by its name or the content type the browser claims.

Decoding happens within a fixed memory budget (IMAGE_DECODE_MAX_BYTES). A small file can hold
a huge picture: a 300 KB PNG of 6300 x 6300 pixels at 16 bits stays under the pixel limit but
cost about 490 MB in the web process. So before any pixel is decoded, the memory the decoded
picture will take is computed from the header (width x height x the bytes Pillow keeps per
pixel for that mode) and a picture over the budget is refused. A JPEG is first asked to decode
at a reduced scale (libjpeg's draft mode), so a large phone JPEG fits; PNG and HEIC cannot be
decoded smaller and count at full size. After decoding, the picture is shrunk before any other
conversion, so no full-size copy is made.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageMode, ImageOps

pillow_heif.register_heif_opener()

DEFAULT_MAX_BYTES = 15 * 1024 * 1024
DEFAULT_MAX_SIDE = 1600
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_DECODE_MAX_BYTES = 96 * 1024 * 1024
JPEG_QUALITY = 82

# Brands (ISO BMFF "ftyp" major brand) of HEIF still images, as written by phones.
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
# Pillow format names each sniffed kind may decode as (a phone JPEG with an MPF
# directory, e.g. a portrait shot, opens as "MPO").
_PILLOW_FORMATS = {
    "jpeg": ("JPEG", "MPO"),
    "png": ("PNG",),
    "heif": ("HEIF",),
}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, RuntimeError, KeyError)
_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes  # JPEG bytes, no metadata at all
    width: int
    height: int
    content_type: str = "image/jpeg"
    extension: str = "jpg"


def clean_photo(data: bytes) -> CleanPhoto:
    """Validate an uploaded photo and return it re-encoded as a bare JPEG.

    Raises ValidationError with code "too_large", "not_image", "too_many_pixels" or
    "too_much_memory".
    """
    _check_byte_size(data)
    kind = _sniff_kind(data)
    try:
        image = _open(data, kind)
        _check_pixel_count(image)
        _plan_decode(image)
        _check_decode_budget(image)
        image = _decode_upright(image)
        image = _to_srgb(image)
        image = _shrink(image, _max_side())
        content = _encode_jpeg(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow raises past twice Image.MAX_IMAGE_PIXELS; past once it only warns, which is
        # raised too where warnings are errors. Our own, lower limit normally comes first.
        raise _too_many_pixels_error() from exc
    except _DECODE_ERRORS as exc:
        raise _not_image_error() from exc
    return CleanPhoto(content=content, width=image.width, height=image.height)


# -- settings -------------------------------------------------------------------------------


def _max_bytes() -> int:
    return int(getattr(settings, "REPORT_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def _max_side() -> int:
    return int(getattr(settings, "REPORT_PHOTO_MAX_SIDE", DEFAULT_MAX_SIDE))


def _max_pixels() -> int:
    return int(getattr(settings, "REPORT_PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def _decode_max_bytes() -> int:
    return int(getattr(settings, "IMAGE_DECODE_MAX_BYTES", DEFAULT_DECODE_MAX_BYTES))


# -- errors ---------------------------------------------------------------------------------


def _not_image_error() -> ValidationError:
    return ValidationError(
        _("This file is not a photo. Send a JPEG, PNG or HEIC picture."), code="not_image"
    )


def _too_many_pixels_error() -> ValidationError:
    return ValidationError(
        _("This photo has too many pixels. Send a photo of at most %(limit)s megapixels."),
        code="too_many_pixels",
        params={"limit": _format_number(_max_pixels() / 1_000_000)},
    )


def _too_much_memory_error() -> ValidationError:
    return ValidationError(
        _(
            "This photo is too large to process. Send a smaller photo, or a JPEG: most phones "
            "can share a photo at a reduced size."
        ),
        code="too_much_memory",
    )


def _format_number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


# -- checks ---------------------------------------------------------------------------------


def _check_byte_size(data: bytes) -> None:
    limit = _max_bytes()
    if len(data) > limit:
        raise ValidationError(
            _("This photo is too large. Send a photo of at most %(limit)s MB."),
            code="too_large",
            params={"limit": _format_number(limit / (1024 * 1024))},
        )


def _sniff_kind(data: bytes) -> str:
    """Tell the kind of picture from its first bytes; reject anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heif"
    raise _not_image_error()


def _check_pixel_count(image: Image.Image) -> None:
    """Refuse decompression bombs from the header, before decoding any pixel."""
    if image.width * image.height > _max_pixels():
        raise _too_many_pixels_error()


def decoded_bytes(mode: str, size: tuple[int, int]) -> int:
    """The memory Pillow takes for the pixels of a picture of this mode and size.

    A single band takes its own width (1 byte for "L" and "P", 2 for 16-bit "I;16", 4 for "I"
    and "F"); several 8-bit bands are kept as 4 bytes per pixel ("RGB" is stored as "RGBX").
    """
    description = ImageMode.getmode(mode)
    band_bytes = max(1, int(description.typestr[-1]))
    bands = len(description.bands)
    per_pixel = band_bytes if bands == 1 else max(4, bands * band_bytes)
    return size[0] * size[1] * per_pixel


def _check_decode_budget(image: Image.Image) -> None:
    """Refuse, from the header alone, a picture whose decoded pixels would exceed the budget."""
    if decoded_bytes(image.mode, image.size) > _decode_max_bytes():
        raise _too_much_memory_error()


# -- pipeline -------------------------------------------------------------------------------


def _open(data: bytes, kind: str) -> Image.Image:
    """Open lazily (header only) with the one Pillow decoder the magic bytes allow."""
    image = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS[kind])
    if image.format not in _PILLOW_FORMATS[kind]:
        raise _not_image_error()
    return image


def _plan_decode(image: Image.Image) -> None:
    """Ask libjpeg to decode a large JPEG at 1/2, 1/4 or 1/8 scale (no pixel is decoded yet).

    Preferably at least twice the target size, for a sharp result; at least the target size
    where twice would not fit in the decode budget. Other formats decode at full size.
    """
    if image.format not in ("JPEG", "MPO"):
        return
    target = _fit_within(image.width, image.height, _max_side())
    if target == image.size:
        return
    requested = (target[0] * 2, target[1] * 2)
    if decoded_bytes(image.mode, _draft_size(image.size, requested)) > _decode_max_bytes():
        requested = target
    image.draft(None, requested)


def _draft_size(size: tuple[int, int], requested: tuple[int, int]) -> tuple[int, int]:
    """The size libjpeg decodes at when asked for at least `requested` (as Image.draft does)."""
    ratio = min(size[0] // requested[0], size[1] // requested[1])
    scale = next(step for step in (8, 4, 2, 1) if ratio >= step or step == 1)
    return (size[0] + scale - 1) // scale, (size[1] + scale - 1) // scale


def _decode_upright(image: Image.Image) -> Image.Image:
    """Decode the pixels, shrink them at once and apply the EXIF orientation."""
    image.load()
    if image.mode not in ("1", "P"):
        # Shrinking first keeps every later conversion small; a palette is resized only after
        # conversion to RGB, which Pillow would otherwise do by the nearest pixel.
        image = _shrink(image, _max_side())
    return ImageOps.exif_transpose(image)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Return an RGB image in sRGB, transparency flattened on white."""
    icc_profile = image.info.get("icc_profile")
    if image.mode.startswith("I"):
        image = _sixteen_to_eight_bit(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = _flatten_on_white(image)
    if icc_profile and image.mode in ("RGB", "L", "CMYK"):
        converted = _apply_icc_profile(image, icc_profile)
        if converted is not None:
            return converted
    return image.convert("RGB")


def _sixteen_to_eight_bit(image: Image.Image) -> Image.Image:
    """Bring 16-bit greyscale (mode "I", "I;16"...) down to 8-bit "L"."""
    return image.convert("I").point(lambda value: value / 256).convert("L")


def _flatten_on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, _WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _apply_icc_profile(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    """Convert to sRGB with the embedded profile (e.g. an iPhone's Display P3), if it is valid."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _fit_within(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size with the longest side at most max_side, same aspect ratio, never enlarged."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    size = _fit_within(image.width, image.height, max_side)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_jpeg(image: Image.Image) -> bytes:
    """Write a fresh JPEG from the pixels alone: no EXIF, GPS, XMP, ICC, comment or other info."""
    bare = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()
