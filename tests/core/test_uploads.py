"""What an upload is, from its content: accepted types, names that match the content, photos without
their location (casework.core.uploads). No database."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from casework.core import uploads
from casework.core.errors import InvalidInput
from tests.documents.files import ISO6709, docx, nested_video, pdf, photo, video

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


@pytest.mark.parametrize(
    ("brand", "name", "mime"),
    [
        (b"isom", "VID_1.mp4", "video/mp4"),
        (b"mp42", "VID_2.MP4", "video/mp4"),
        (b"qt  ", "IMG_3.MOV", "video/quicktime"),
        (b"3gp4", "VID_4.3gp", "video/3gpp"),
        (b"M4A ", "Recording 5.m4a", "audio/mp4"),
    ],
)
def test_a_video_or_recording_loses_its_location_and_keeps_the_rest(brand, name, mime):
    original = video(brand)
    assert uploads.has_location(original)
    kept = uploads.inspect(name, original, max_bytes=LIMIT)
    assert kept.file_type.mime == mime
    assert kept.location_removed
    # Every way a phone writes it is gone: the ISO 6709 string, the 3GPP box, Apple's key.
    assert ISO6709 not in kept.content
    assert b"\xa9xyz" not in kept.content
    assert b"loci" not in kept.content
    assert b"com.apple.quicktime.location" not in kept.content
    assert not uploads.has_location(kept.content)
    # No box moved: the file is as long, its media data where it was and as it was.
    assert len(kept.content) == len(original)
    media = original.index(b"mdat")
    assert kept.content[media:] == original[media:]
    assert b"Test Phone" in kept.content  # the camera is not a location
    # Kept again, it is as it is.
    assert uploads.inspect(name, kept.content, max_bytes=LIMIT).content == kept.content


def test_a_video_whose_media_data_has_a_64_bit_size_is_read():
    kept = uploads.inspect("v.mp4", video(wide_media=True), max_bytes=LIMIT)
    assert kept.location_removed
    assert ISO6709 not in kept.content


def test_a_video_without_location_is_not_touched():
    original = video(location=False)
    kept = uploads.inspect("v.mp4", original, max_bytes=LIMIT)
    assert kept.content == original
    assert not kept.location_removed


def test_a_location_in_a_videos_xmp_is_removed():
    original = video(location=False)
    xmp = b'<x:xmpmeta><rdf:Description exif:GPSLatitude="53,14N" exif:GPSLongitude="1,17W"/></x:xmpmeta>'
    uuid = (8 + 16 + len(xmp)).to_bytes(4, "big") + b"uuid" + bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + xmp
    media = original.index(b"mdat") - 4
    with_xmp = original[:media] + uuid + original[media:]
    kept = uploads.inspect("v.mp4", with_xmp, max_bytes=LIMIT)
    assert kept.location_removed
    assert b"GPSLatitude" not in kept.content


def test_a_video_that_cannot_be_read_is_refused_only_when_it_may_hold_a_location():
    damaged = bytearray(video())
    moov = damaged.index(b"moov") - 4
    damaged[moov : moov + 4] = (10**6).to_bytes(4, "big")  # a movie box longer than the file
    with pytest.raises(InvalidInput) as refused:
        uploads.inspect("v.mp4", bytes(damaged), max_bytes=LIMIT)
    assert "could not be read to remove its location" in refused.value.errors["file"][0]
    damaged = bytearray(video(location=False))
    damaged[moov : moov + 4] = (10**6).to_bytes(4, "big")
    assert uploads.inspect("v.mp4", bytes(damaged), max_bytes=LIMIT).content == bytes(damaged)


def test_a_video_whose_boxes_nest_thousands_deep_is_read_as_one_that_cannot_be_read():
    """Movie boxes nested 5,000 deep (40 KB) were followed by recursion until a RecursionError: a 500 on
    every page that takes an upload. Nested deeper than any real file, the boxes are not read: the file
    is kept as it is, or refused when a location may be in it."""
    deep = nested_video(5000)
    assert uploads.inspect("v.mp4", deep, max_bytes=LIMIT).content == deep
    with pytest.raises(InvalidInput) as refused:
        uploads.inspect("v.mp4", nested_video(5000, location=True), max_bytes=LIMIT)
    assert "could not be read to remove its location" in refused.value.errors["file"][0]
    # As deep as real files go, the location is found and removed.
    shallow = uploads.inspect("v.mp4", nested_video(4, location=True), max_bytes=LIMIT)
    assert shallow.location_removed
    assert ISO6709 not in shallow.content


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
