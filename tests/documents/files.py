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
