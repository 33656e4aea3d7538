"""What an uploaded file is, found from its content, and what may be done with it: for every upload
in the service (documents on a case, agencies' submissions to a Case Review, the letterhead's logo).

The browser's ``Content-Type`` and the file's name are the uploader's claims: a page saved as
``photo.jpg`` is still a page. The type is found from the file's first bytes (``filetype``, magic
numbers); a file with no known signature is accepted only as plain text (UTF-8 without control
characters). Only the types below are kept, and only images and PDFs are ever shown in the browser
(``FileType.previewable``); everything else is downloaded.

Photos lose their location before they are kept (``strip_location``): a victim's photo of the
perpetrator's car must not give away where the victim lives when it is shown to a partner or disclosed
in court papers. Nothing else about a photo is changed unless it carries a location.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

import filetype

from casework.core.errors import InvalidInput


@dataclass(frozen=True)
class FileType:
    mime: str
    #: What people call it: "JPEG image", "Word document".
    label: str
    #: Extensions a file of this type may be named with; the first is added to a name without one.
    extensions: tuple[str, ...]
    #: Shown in the browser (with nosniff and a sandboxing policy) rather than downloaded.
    previewable: bool = False
    #: A photo or picture: its location is removed, and it is checked to open as that format.
    is_image: bool = False


_TYPES = [
    FileType("image/jpeg", "JPEG image", ("jpg", "jpeg", "jfif"), previewable=True, is_image=True),
    FileType("image/png", "PNG image", ("png",), previewable=True, is_image=True),
    FileType("image/gif", "GIF image", ("gif",), previewable=True, is_image=True),
    FileType("image/webp", "WebP image", ("webp",), previewable=True, is_image=True),
    FileType("application/pdf", "PDF", ("pdf",), previewable=True),
    FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document", ("docx",)),
    FileType("application/msword", "Word document (old format)", ("doc",)),
    FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel spreadsheet", ("xlsx",)),
    FileType("application/vnd.ms-excel", "Excel spreadsheet (old format)", ("xls",)),
    FileType("application/vnd.oasis.opendocument.text", "OpenDocument text", ("odt",)),
    FileType("application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet", ("ods",)),
    FileType("application/rtf", "Rich text document", ("rtf",)),
    FileType("audio/mpeg", "MP3 audio", ("mp3",)),
    FileType("audio/mp4", "M4A audio", ("m4a",)),
    FileType("audio/x-wav", "WAV audio", ("wav",)),
    FileType("audio/ogg", "Ogg audio", ("ogg", "oga")),
    FileType("audio/amr", "AMR audio (phone recording)", ("amr",)),
    FileType("video/mp4", "MP4 video", ("mp4",)),
    FileType("video/quicktime", "QuickTime video", ("mov",)),
    FileType("video/3gpp", "3GP video", ("3gp",)),
    FileType("text/plain", "Text", ("txt", "text", "csv", "log")),
]
ACCEPTED: dict[str, FileType] = {t.mime: t for t in _TYPES}
TEXT = ACCEPTED["text/plain"]

#: For the upload page's hint.
ACCEPTED_DESCRIPTION = (
    "photos (JPEG, PNG, GIF, WebP), PDFs, Word, Excel and OpenDocument files, plain text, "
    "audio (MP3, M4A, WAV, Ogg, AMR) and video (MP4, MOV, 3GP)"
)

#: Types a phone may produce that we cannot show or strip the location from: say what to do instead.
_ADVICE = {
    "image/heic": "Save the photo as a JPEG (on an iPhone: Settings, Camera, Formats, Most Compatible) and try again.",
    "image/tiff": "Save the picture as a JPEG or PNG and try again.",
    "image/avif": "Save the picture as a JPEG or PNG and try again.",
    "application/zip": "Upload the files inside the ZIP file one at a time.",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Inspected:
    """An accepted upload: its type, its name (with an extension that matches the content) and the
    bytes to keep (with any location removed)."""

    file_type: FileType
    filename: str
    content: bytes
    location_removed: bool


def max_upload_bytes() -> int:
    """The largest file anyone may upload (``CASEWORK_UPLOAD_MAX_MB``)."""
    from flask import current_app

    return int(current_app.config["CASEWORK"]["UPLOAD_MAX_MB"]) * 1024 * 1024


def inspect(filename: str, content: bytes, *, max_bytes: int, field: str = "file") -> Inspected:
    """Check an upload by its content and size; raise ``InvalidInput`` on ``field`` otherwise."""
    if not content:
        raise InvalidInput({field: ["The selected file is empty"]})
    if len(content) > max_bytes:
        raise InvalidInput({field: [f"The selected file must be smaller than {max_bytes // (1024 * 1024)} MB"]})
    file_type = detect(content)
    if file_type is None:
        kind = filetype.guess(content)
        advice = _ADVICE.get(kind.mime, "") if kind is not None else ""
        raise InvalidInput({field: [f"The selected file must be one of: {ACCEPTED_DESCRIPTION}. {advice}".strip()]})
    claimed = _type_of_name(filename)
    if claimed is not None and claimed is not file_type:
        extension = _extension(filename)
        message = f"The selected file's name ends in .{extension}, but the file is not in that format"
        raise InvalidInput({field: [f"{message} ({claimed.label})"]})
    location_removed = False
    if file_type.is_image:
        content, location_removed = strip_location(content, file_type, field=field)
    return Inspected(file_type, safe_filename(filename, file_type), content, location_removed)


def detect(content: bytes) -> FileType | None:
    """The accepted type the content is, or None."""
    kind = filetype.guess(content)
    if kind is not None:
        mime = "audio/x-wav" if kind.mime == "audio/wav" else kind.mime
        return ACCEPTED.get(mime)
    return TEXT if _is_text(content) else None


def _is_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not _CONTROL.search(text)


def _extension(name: str) -> str:
    return (name or "").rpartition(".")[2].lower() if "." in (name or "") else ""


def _type_of_name(name: str) -> FileType | None:
    """The accepted type whose extension the name has (``.pdf``: PDF), or None."""
    extension = _extension(name)
    return next((t for t in _TYPES if extension in t.extensions), None) if extension else None


def safe_filename(name: str, file_type: FileType) -> str:
    """The uploader's name without folders or control characters, ending in an extension of the
    type the content is (``notes.html`` that is plain text becomes ``notes.html.txt``), so that the
    downloaded file opens as what it is."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".") or "file"
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.lower() not in file_type.extensions:
        stem, extension = name, file_type.extensions[0]
    return f"{stem[: 200 - len(extension)]}.{extension.lower()}"


# --- photos --------------------------------------------------------------------------------------------

#: Pillow's format names for the image types we keep.
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
#: Refuse images larger than this many pixels (a small file can decode to gigabytes).
MAX_PIXELS = 80_000_000
_GPS_IFD = 0x8825


def strip_location(content: bytes, file_type: FileType, *, field: str = "file") -> tuple[bytes, bool]:
    """The photo without its location (the EXIF GPS block, and XMP, which can repeat it), and whether
    there was one. A photo with no location is returned unchanged, byte for byte. Raises
    ``InvalidInput`` when the content does not open as the image it claims to be."""
    from PIL import Image

    expected = _PIL_FORMATS[file_type.mime]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=[expected])
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput({field: ["The picture is too large: make it smaller than 80 megapixels"]})
            image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput({field: ["The picture is too large: make it smaller than 80 megapixels"]}) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput({field: [f"The selected file is not a valid {file_type.label}"]}) from None
    exif = image.getexif()
    xmp = _xmp(image)
    if _GPS_IFD not in exif and not (xmp and b"GPS" in xmp):
        return content, False
    exif.pop(_GPS_IFD, None)
    options: dict[str, object] = {"exif": exif.tobytes()}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if expected == "JPEG":
        # The original's quantisation and subsampling: re-saving changes the picture as little as
        # JPEG allows.
        options.update(quality="keep", subsampling="keep")
    elif expected == "WEBP":
        options.update(lossless=bool(image.info.get("lossless")), quality=95)
    output = io.BytesIO()
    image.save(output, format=expected, **options)
    return output.getvalue(), True


def _xmp(image: object) -> bytes | None:
    info = getattr(image, "info", {})
    value = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if isinstance(value, str):
        return value.encode("utf-8", "replace")
    return value if isinstance(value, bytes) else None


def has_location(content: bytes) -> bool:
    """True when an image carries a GPS block or XMP location (for tests and checks)."""
    from PIL import Image

    image = Image.open(io.BytesIO(content))
    xmp = _xmp(image)
    return _GPS_IFD in image.getexif() or bool(xmp and b"GPS" in xmp)
