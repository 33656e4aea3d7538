"""What an upload is, from its content: accepted types, names that match the content, photos without
their location (casework.core.uploads). No database."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from casework.core import uploads
from casework.core.errors import InvalidInput
from tests.documents.files import docx, pdf, photo

LIMIT = 5 * 1024 * 1024


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_loses_its_location_and_keeps_the_rest(fmt):
    original = photo(fmt, gps=True)
    assert uploads.has_location(original)
    kept = uploads.inspect(f"photo.{fmt.lower()}", original, max_bytes=LIMIT)
    assert kept.location_removed
    assert not uploads.has_location(kept.content)
    image = Image.open(io.BytesIO(kept.content))
    assert image.size == (40, 30)
    assert image.getexif()[0x0110] == "Test Phone"  # the camera is not a location


def test_a_location_repeated_in_xmp_is_removed_too():
    image = Image.new("RGB", (10, 10))
    xmp = b'<x:xmpmeta><rdf:Description exif:GPSLatitude="53,14N" exif:GPSLongitude="1,17W"/></x:xmpmeta>'
    output = io.BytesIO()
    image.save(output, "JPEG", xmp=xmp)
    kept = uploads.inspect("x.jpg", output.getvalue(), max_bytes=LIMIT)
    assert kept.location_removed
    assert not uploads.has_location(kept.content)


def test_a_photo_without_location_is_not_touched():
    original = photo(gps=False)
    kept = uploads.inspect("x.jpg", original, max_bytes=LIMIT)
    assert kept.content == original
    assert not kept.location_removed


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (pdf(), "application/pdf"),
        (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("Café diary, 3 March\n".encode(), "text/plain"),
        (photo("PNG", gps=False), "image/png"),
    ],
)
def test_the_type_comes_from_the_content(content, mime):
    assert uploads.detect(content).mime == mime


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("../../etc/passwd", b"root", "passwd.txt"),
        ("C:\\Users\\v\\Diary.TXT", b"words", "Diary.txt"),
        ("page.html", b"<script>alert(1)</script>", "page.html.txt"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "drawing.svg.txt"),
        ("\u202eexe.txt", b"words", "exe.txt"),  # no right-to-left override to disguise the extension
        ("", b"words", "file.txt"),
    ],
)
def test_names_lose_their_folders_and_end_in_the_contents_type(name, content, expected):
    assert uploads.inspect(name, content, max_bytes=LIMIT).filename == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.zip", b"PK\x03\x04" + b"\x00" * 40, "must be one of"),
        ("binary.bin", b"\x00\x01\x02\x03" * 10, "must be one of"),
        ("photo.jpg", pdf(), "ends in .jpg"),
        ("big.txt", b"a" * (LIMIT + 1), "smaller than 5 MB"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_refused(name, content, message):
    with pytest.raises(InvalidInput) as refused:
        uploads.inspect(name, content, max_bytes=LIMIT)
    assert message in refused.value.errors["file"][0]


def test_an_image_that_would_decode_to_too_many_pixels_is_refused():
    output = io.BytesIO()
    Image.new("1", (10_000, 9_000)).save(output, "PNG")  # a small file, 90 megapixels
    with pytest.raises(InvalidInput) as refused:
        uploads.inspect("huge.png", output.getvalue(), max_bytes=LIMIT)
    assert "too large" in refused.value.errors["file"][0]
