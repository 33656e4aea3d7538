"""Files for the upload tests, made here so each test says what it uploads."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

#: 52°14'N 1°17'W: a place in Bolsover, as a phone would record it.
GPS = {1: "N", 2: (53.0, 14.0, 0.0), 3: "W", 4: (1.0, 17.0, 0.0)}


def photo(fmt: str = "JPEG", *, gps: bool = True, size: tuple[int, int] = (40, 30)) -> bytes:
    """A photo with a camera model and, unless ``gps`` is false, where it was taken."""
    image = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[0x0110] = "Test Phone"
    if gps:
        exif.get_ifd(0x8825).update(GPS)
    output = io.BytesIO()
    image.save(output, fmt, exif=exif.tobytes())
    return output.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return output.getvalue()


#: The same place as an ISO 6709 string, as phones write it into a video.
ISO6709 = b"+53.2333-001.2833/"


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def video(brand: bytes = b"isom", *, location: bool = True, wide_media: bool = False) -> bytes:
    """A phone video's layout in boxes (ISO media: MP4, MOV, 3GP, M4A by ``brand``): its type, the movie
    (a header, a track, user data with a camera model, and, unless ``location`` is false, where it
    was recorded three ways: a ``©xyz`` string, a 3GPP ``loci`` box, and Apple's metadata keys), then
    the media data. ``wide_media`` writes the media data's size in the 64-bit form."""
    user_data = [_box(b"\xa9mod", b"\x00\x0a\x00\x00Test Phone")]
    apple_keys = b""
    if location:
        user_data.append(_box(b"\xa9xyz", len(ISO6709).to_bytes(2, "big") + b"\x15\xc7" + ISO6709))
        user_data.append(_box(b"loci", b"\x00" * 6 + b"Home\x00" + b"\x00" + (53 << 16).to_bytes(4, "big") * 3))
        key = b"com.apple.quicktime.location.ISO6709"
        keys = _box(b"keys", b"\x00" * 4 + (1).to_bytes(4, "big") + _box(b"mdta", key))
        items = _box(b"ilst", _box((1).to_bytes(4, "big"), _box(b"data", b"\x00\x00\x00\x01" + b"\x00" * 4 + ISO6709)))
        apple_keys = _box(b"meta", _box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 13) + keys + items)
    track = _box(b"trak", _box(b"tkhd", b"\x00" * 84) + _box(b"mdia", _box(b"mdhd", b"\x00" * 24)))
    movie = _box(b"moov", _box(b"mvhd", b"\x00" * 100) + track + _box(b"udta", b"".join(user_data)) + apple_keys)
    media = b"\x00\x00\x00\x18\x67\x42" + bytes(range(256)) * 4
    if wide_media:
        mdat = (1).to_bytes(4, "big") + b"mdat" + (16 + len(media)).to_bytes(8, "big") + media
    else:
        mdat = _box(b"mdat", media)
    compatible = brand + (b"isom" if brand != b"qt  " else b"")  # as phones write them
    return _box(b"ftyp", brand + b"\x00\x00\x02\x00" + compatible) + movie + mdat


def nested_video(depth: int, *, location: bool = False) -> bytes:
    """A file laid out as a video whose movie box holds a movie box, ``depth`` deep (a few kilobytes),
    with a ``©xyz`` location at the bottom when ``location``."""
    bottom = _box(b"udta", _box(b"\xa9xyz", ISO6709)) if location else _box(b"free", b"")
    for _ in range(depth):
        bottom = _box(b"moov", bottom)
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isom") + bottom
