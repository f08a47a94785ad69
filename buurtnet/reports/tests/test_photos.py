"""Report photos are decided by content, stripped of all metadata, upright and small enough."""

from __future__ import annotations

import inspect
import io
import random
import struct
import warnings
import zlib

import pillow_heif
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image, ImageCms, ImageFile
from PIL.PngImagePlugin import PngInfo

from buurtnet.common import photos
from buurtnet.common.photos import CleanPhoto, clean_photo, decoded_bytes

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE, MODEL, DATETIME = 0x010F, 0x0110, 0x0132
# GPS IFD tags: latitude ref/value, longitude ref/value.
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4


# -- building images in memory ----------------------------------------------------------------


def _noise(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """An image that compresses badly, so byte sizes and truncation are meaningful."""
    rng = random.Random(1234)
    channels = len(mode)
    return Image.frombytes(mode, size, rng.randbytes(size[0] * size[1] * channels))


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def _jpeg(size: tuple[int, int] = (64, 48), **params: object) -> bytes:
    return _encode(Image.new("RGB", size, (200, 30, 30)), "JPEG", **params)


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "Apple"
    exif[MODEL] = "iPhone 15"
    exif[DATETIME] = "2025:06:01 22:14:03"
    gps = exif.get_ifd(GPS_IFD)
    gps[GPS_LAT_REF] = "N"
    gps[GPS_LAT] = (50.0, 49.0, 12.5)
    gps[GPS_LON_REF] = "E"
    gps[GPS_LON] = (3.0, 15.0, 54.25)
    return exif


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size, as a decompression bomb does."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(bytes(10_000)))
        + _png_chunk(b"IEND", b"")
    )


def _sixteen_bit_grey_png(width: int, height: int) -> bytes:
    """A real, fully valid 16-bit greyscale PNG, compressed row by row so the test stays small."""
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    row = bytes(1 + width * 2)  # filter byte "none", then black 16-bit pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _heic(image: Image.Image) -> bytes:
    try:
        return _encode(image, "HEIF", quality=50)
    except (KeyError, OSError, RuntimeError, ValueError) as exc:  # pragma: no cover
        pytest.skip(f"this pillow-heif wheel cannot encode HEIC: {exc}")


def _code(data: bytes) -> str:
    with pytest.raises(ValidationError) as excinfo:
        clean_photo(data)
    return excinfo.value.code


def _open(photo: CleanPhoto) -> Image.Image:
    return Image.open(io.BytesIO(photo.content))


# -- metadata ---------------------------------------------------------------------------------


def test_gps_exif_of_a_jpeg_is_removed_entirely() -> None:
    data = _jpeg(exif=_gps_exif())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the input does have GPS

    photo = clean_photo(data)

    out = _open(photo)
    assert not out.getexif()
    assert not out.getexif().get_ifd(GPS_IFD)
    assert not {"exif", "icc_profile", "xmp"} & out.info.keys()
    assert b"Exif" not in photo.content
    assert b"iPhone" not in photo.content


def test_xmp_and_comment_of_a_jpeg_are_removed() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret-place/></x:xmpmeta>'
    data = _jpeg(xmp=xmp, comment=b"taken at Kerkstraat 12")

    photo = clean_photo(data)

    out = _open(photo)
    assert not {"xmp", "comment", "exif", "icc_profile"} & out.info.keys()
    assert b"Kerkstraat" not in photo.content
    assert b"secret-place" not in photo.content


def test_icc_profile_of_a_jpeg_is_applied_and_removed() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _jpeg(icc_profile=icc)

    out = _open(clean_photo(data))

    assert "icc_profile" not in out.info
    assert out.getpixel((32, 24))[0] > 180  # still red


def test_png_text_chunks_are_removed() -> None:
    text = PngInfo()
    text.add_text("Comment", "my garden at Kerkstraat 12")
    text.add_text("GPS", "50.82,3.26")
    data = _encode(Image.new("RGB", (40, 30), "blue"), "PNG", pnginfo=text)

    photo = clean_photo(data)

    out = _open(photo)
    assert out.format == "JPEG"
    assert "Comment" not in out.info
    assert "GPS" not in out.info
    assert b"Kerkstraat" not in photo.content


def test_result_is_a_progressive_jpeg_with_its_real_size() -> None:
    photo = clean_photo(_jpeg((64, 48)))

    out = _open(photo)
    assert photo.content.startswith(b"\xff\xd8\xff")
    assert out.format == "JPEG"
    assert out.info.get("progressive") or out.info.get("progression")
    assert (photo.width, photo.height) == out.size == (64, 48)
    assert (photo.content_type, photo.extension) == ("image/jpeg", "jpg")


# -- orientation and colour -------------------------------------------------------------------


def test_exif_orientation_is_applied_before_stripping() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90 degrees clockwise to display
    data = _jpeg((80, 40), exif=exif)

    photo = clean_photo(data)

    assert (photo.width, photo.height) == (40, 80)
    assert _open(photo).size == (40, 80)


def test_transparent_png_is_flattened_on_white() -> None:
    data = _encode(Image.new("RGBA", (30, 30), (0, 0, 0, 0)), "PNG")

    out = _open(clean_photo(data))

    assert out.mode == "RGB"
    assert all(channel > 245 for channel in out.getpixel((15, 15)))


def test_palette_png_with_transparent_index_is_flattened_on_white() -> None:
    image = Image.new("P", (30, 30), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    data = _encode(image, "PNG", transparency=0)

    out = _open(clean_photo(data))

    assert all(channel > 245 for channel in out.getpixel((15, 15)))


def test_sixteen_bit_greyscale_png_keeps_its_brightness() -> None:
    data = _encode(Image.new("I;16", (20, 20), 32768), "PNG")

    out = _open(clean_photo(data))

    red, green, blue = out.getpixel((10, 10))
    assert 118 <= red <= 138 and red == green == blue


def test_cmyk_jpeg_comes_out_as_rgb() -> None:
    data = _encode(Image.new("CMYK", (30, 20), (0, 0, 0, 0)), "JPEG")

    out = _open(clean_photo(data))

    assert out.mode == "RGB"
    assert out.size == (30, 20)


# -- accepted formats -------------------------------------------------------------------------


def test_heic_from_an_iphone_is_accepted_and_comes_out_as_jpeg() -> None:
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    image.info["exif"] = _gps_exif().tobytes()
    data = _heic(image)
    assert data[4:12] == b"ftypheic"

    photo = clean_photo(data)

    out = _open(photo)
    assert out.format == "JPEG"
    assert out.size == (64, 48)
    assert not out.getexif()
    assert b"Exif" not in photo.content


def test_multi_picture_jpeg_from_a_phone_is_accepted() -> None:
    first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (20, 15), "blue")
    data = _encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    photo = clean_photo(data)

    assert (photo.width, photo.height) == (40, 30)


def test_clean_photo_takes_only_the_bytes_never_a_name_or_content_type() -> None:
    assert list(inspect.signature(clean_photo).parameters) == ["data"]
    assert clean_photo(_jpeg()).width == 64


# -- rejected files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"just some text renamed to photo.jpg\n", id="text"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", id="pdf"),
        pytest.param(_encode(Image.new("RGB", (10, 10)), "GIF"), id="gif"),
        pytest.param(_encode(Image.new("RGB", (10, 10)), "BMP"), id="bmp"),
        pytest.param(_encode(Image.new("RGB", (10, 10)), "TIFF"), id="tiff"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, id="jpeg-magic-then-junk"),
        pytest.param(b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00avifmif1", id="avif-header"),
    ],
)
def test_files_that_are_not_jpeg_png_or_heic_are_rejected_as_not_image(data: bytes) -> None:
    assert _code(data) == "not_image"


def test_webp_is_rejected_as_not_image() -> None:
    try:
        data = _encode(Image.new("RGB", (10, 10)), "WEBP")
    except (KeyError, OSError) as exc:  # pragma: no cover
        pytest.skip(f"this Pillow cannot write WebP: {exc}")
    assert _code(data) == "not_image"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_rejected_as_not_image(fmt: str) -> None:
    data = _encode(_noise((200, 150)), fmt)

    assert _code(data[: len(data) // 2]) == "not_image"


def test_not_image_error_has_a_helpful_message() -> None:
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        clean_photo(b"hello")

    assert excinfo.value.messages == ["This file is not a photo. Send a JPEG, PNG or HEIC picture."]


def test_file_over_the_byte_limit_is_rejected_as_too_large(settings) -> None:
    settings.REPORT_PHOTO_MAX_BYTES = 2 * 1024 * 1024
    data = b"\xff\xd8\xff" + bytes(2 * 1024 * 1024)

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        clean_photo(data)

    assert excinfo.value.code == "too_large"
    assert "2 MB" in excinfo.value.messages[0]


def test_real_photo_over_a_small_byte_limit_is_rejected_as_too_large(settings) -> None:
    data = _encode(_noise((100, 100)), "JPEG", quality=95)
    settings.REPORT_PHOTO_MAX_BYTES = len(data) - 1

    assert _code(data) == "too_large"


def test_image_over_the_pixel_limit_is_rejected_before_decoding() -> None:
    # 10000 x 5000 = 50 megapixels, above our 40 but below Pillow's own warning level.
    assert _code(_png_claiming_size(10_000, 5_000)) == "too_many_pixels"


def test_decompression_bomb_beyond_pillows_own_limit_is_rejected() -> None:
    assert _code(_png_claiming_size(30_000, 30_000)) == "too_many_pixels"


@pytest.mark.parametrize("action", ["ignore", "error"])
def test_image_in_pillows_warning_range_is_rejected_even_where_warnings_are_errors(
    action: str,
) -> None:
    # 12000 x 9000 = 108 megapixels: Pillow warns (DecompressionBombWarning) but does not raise.
    with warnings.catch_warnings():
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        assert _code(_png_claiming_size(12_000, 9_000)) == "too_many_pixels"


@pytest.fixture
def decoding_forbidden(monkeypatch):
    """Make any decode of pixel data fail the test, so a refusal can be shown to come first."""

    def load(self):
        raise AssertionError(f"pixels of a {self.size} {self.mode} picture were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def test_sixteen_bit_png_under_the_pixel_limit_is_refused_before_decoding(
    settings, decoding_forbidden
) -> None:
    # 6300 x 6300 = 39.7 megapixels, under the pixel limit; 79 MB once decoded as "I;16",
    # and about 490 MB through the old conversion pipeline. The default budget (96 MiB, for
    # iPhone photos) admits it at that cost; a zone that sets a tighter one is held to it.
    settings.IMAGE_DECODE_MAX_BYTES = 64 * 1024 * 1024
    data = _sixteen_bit_grey_png(6300, 6300)
    assert len(data) < 300 * 1024
    assert Image.open(io.BytesIO(data)).mode == "I;16"

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        clean_photo(data)

    assert excinfo.value.code == "too_much_memory"
    assert excinfo.value.messages[0].startswith("This photo is too large to process.")


def test_decoded_size_counts_the_bytes_pillow_keeps_per_pixel() -> None:
    assert decoded_bytes("L", (100, 10)) == 1_000
    assert decoded_bytes("I;16", (100, 10)) == 2_000
    assert decoded_bytes("I", (100, 10)) == 4_000
    assert decoded_bytes("RGB", (100, 10)) == 4_000
    assert decoded_bytes("RGBA", (100, 10)) == 4_000


def test_an_iphone_photo_fits_the_default_decode_budget() -> None:
    # 24 megapixels, the size an iPhone saves its HEIC photos in by default.
    assert decoded_bytes("RGB", (5712, 4284)) <= photos.DEFAULT_DECODE_MAX_BYTES


def test_png_over_the_decode_budget_is_refused_before_decoding(
    settings, decoding_forbidden
) -> None:
    settings.IMAGE_DECODE_MAX_BYTES = 100 * 100 * 4 - 1

    assert _code(_encode(Image.new("RGB", (100, 100), "green"), "PNG")) == "too_much_memory"


def test_heic_over_the_decode_budget_is_refused(settings) -> None:
    data = _heic(Image.new("RGB", (64, 48), (30, 120, 200)))
    settings.IMAGE_DECODE_MAX_BYTES = 64 * 48 * 4 - 1

    assert _code(data) == "too_much_memory"


def test_large_jpeg_is_decoded_at_reduced_scale_to_fit_the_decode_budget(settings) -> None:
    # 4000 x 3000 takes 48 MB at full size; libjpeg's 1/2 scale (2000 x 1500) takes 12 MB.
    settings.IMAGE_DECODE_MAX_BYTES = 16 * 1000 * 1000
    data = _encode(_noise((4000, 3000)), "JPEG", quality=60)

    photo = clean_photo(data)

    assert (photo.width, photo.height) == (1600, 1200)


def test_pixel_limit_comes_from_settings(settings) -> None:
    settings.REPORT_PHOTO_MAX_PIXELS = 100 * 100

    assert _code(_jpeg((101, 100))) == "too_many_pixels"
    assert clean_photo(_jpeg((100, 100))).width == 100


# -- size -------------------------------------------------------------------------------------


def test_large_jpeg_is_shrunk_to_the_default_max_side() -> None:
    photo = clean_photo(_encode(_noise((4000, 3000)), "JPEG", quality=60))

    assert (photo.width, photo.height) == (1600, 1200)
    assert _open(photo).size == (1600, 1200)


def test_large_portrait_png_is_shrunk_to_the_configured_max_side(settings) -> None:
    settings.REPORT_PHOTO_MAX_SIDE = 600
    data = _encode(Image.new("RGB", (1000, 3000), "green"), "PNG")

    photo = clean_photo(data)

    assert (photo.width, photo.height) == (200, 600)


def test_small_image_is_not_enlarged() -> None:
    photo = clean_photo(_jpeg((300, 200)))

    assert (photo.width, photo.height) == (300, 200)


def test_heic_is_registered_with_pillow_at_import() -> None:
    assert "HEIF" in Image.registered_extensions().values()
    assert pillow_heif.__version__
