"""What an uploaded file is, found from its content, and what may be done with it: for every upload
in the service (documents on a case, agencies' submissions to a Case Review, the letterhead's logo).

The browser's ``Content-Type`` and the file's name are the uploader's claims: a page saved as
``photo.jpg`` is still a page. The type is found from the file's first bytes (``filetype``, magic
numbers); a file with no known signature is accepted only as plain text (UTF-8 without control
characters). Only the types below are kept, and only images and PDFs are ever shown in the browser
(``FileType.previewable``); everything else is downloaded.

Photos lose their location before they are kept (``strip_location``): a victim's photo of the
perpetrator's car must not give away where the victim lives when it is shown to a partner or disclosed
in court papers. Nothing else about a photo is changed unless it carries a location. Phone videos and
recordings (MP4, MOV, 3GP, M4A) carry one too, in their own metadata boxes, and lose it the same way
(``strip_media_location``).
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
    #: A video or recording in the ISO media file format (MP4 and its kin): its location is removed.
    is_iso_media: bool = False


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
    FileType("audio/mp4", "M4A audio", ("m4a",), is_iso_media=True),
    FileType("audio/x-wav", "WAV audio", ("wav",)),
    FileType("audio/ogg", "Ogg audio", ("ogg", "oga")),
    FileType("audio/amr", "AMR audio (phone recording)", ("amr",)),
    FileType("video/mp4", "MP4 video", ("mp4",), is_iso_media=True),
    FileType("video/quicktime", "QuickTime video", ("mov",), is_iso_media=True),
    FileType("video/3gpp", "3GP video", ("3gp",), is_iso_media=True),
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
    elif file_type.is_iso_media:
        content, location_removed = strip_media_location(content, file_type, field=field)
    return Inspected(file_type, safe_filename(filename, file_type), content, location_removed)


def detect(content: bytes) -> FileType | None:
    """The accepted type the content is, or None."""
    if content[4:8] == b"ftyp" and content[8:11] in (b"3gp", b"3g2"):
        # A phone's 3GP recording: ``filetype`` looks for its brand at the wrong place, and calls one
        # that also lists ``isom`` an MP4, which its ``.3gp`` name would then contradict.
        return ACCEPTED["video/3gpp"]
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
    """True when an image carries a GPS block or XMP location, or a video or recording a location
    box (for tests and checks)."""
    file_type = detect(content)
    if file_type is not None and file_type.is_iso_media:
        return bool(_media_location_boxes(content))
    from PIL import Image

    image = Image.open(io.BytesIO(content))
    xmp = _xmp(image)
    return _GPS_IFD in image.getexif() or bool(xmp and b"GPS" in xmp)


# --- videos and recordings -----------------------------------------------------------------------------
#
# MP4, MOV, 3GP and M4A files are trees of boxes (ISO/IEC 14496-12, QuickTime): a 4-byte size, a 4-byte
# type, then either data or more boxes. Phones write where a recording was made in the movie's user
# data or metadata: ``©xyz`` (an ISO 6709 string: Apple, Android), ``loci`` (3GPP), Apple's ``meta``
# box whose keys include ``com.apple.quicktime.location.*``, and XMP (a ``uuid`` or ``XMP_`` box) with
# GPS fields. Each such box becomes a ``free`` box of the same size with its contents zeroed: players
# skip ``free`` boxes, and as no box moves, the offsets the file keeps to its media data stay right,
# so the picture and sound are untouched. The media data itself (``mdat``, most of the file) is never
# read.

_MEDIA_CONTAINERS = {b"moov", b"trak", b"udta", b"mdia", b"minf"}
#: How deep containers may nest. A real file nests them four deep at most (``moov``, ``trak``, ``mdia``,
#: ``minf``); a file of a few kilobytes can nest ``moov`` boxes thousands deep, which the walk's recursion
#: cannot follow (a RecursionError, a 500 on every upload page): it is read as a file whose boxes cannot
#: be read.
_MEDIA_MAX_DEPTH = 16
_MEDIA_LOCATION_BOXES = {b"\xa9xyz", b"loci"}
#: Boxes that may hold a location among other metadata: freed whole when they do.
_MEDIA_METADATA_BOXES = {b"meta", b"uuid", b"XMP_"}
_MEDIA_LOCATION_MARKERS = (b"com.apple.quicktime.location", b"\xa9xyz", b"GPS", b"ISO6709", b"loci")
#: Looked for across the whole of a file whose boxes cannot be read: long enough not to turn up by
#: chance in megabytes of media data, as three letters would.
_MEDIA_LOCATION_MARKERS_ANYWHERE = (b"com.apple.quicktime.location", b"\xa9xyz", b"ISO6709", b"loci")


def media_noun(mime: str) -> str:
    """ "photo", "video" or "recording": the word for a file whose location is removed."""
    if mime.startswith("video/"):
        return "video"
    return "recording" if mime.startswith("audio/") else "photo"


class _NotIsoMedia(ValueError):
    """The boxes do not fit inside each other, or nest deeper than any real file's: the file is not laid
    out as ISO media says."""


def _media_location_boxes(content: bytes) -> list[tuple[int, int, int]]:
    """(start, header length, end) of every box that holds a location."""
    found: list[tuple[int, int, int]] = []
    _walk_media_boxes(content, 0, len(content), found, 0)
    return found


def _walk_media_boxes(content: bytes, start: int, end: int, found: list[tuple[int, int, int]], depth: int) -> None:
    if depth > _MEDIA_MAX_DEPTH:
        raise _NotIsoMedia(b"deep")
    position = start
    while position + 8 <= end:
        size = int.from_bytes(content[position : position + 4], "big")
        kind = content[position + 4 : position + 8]
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if position + 16 > end:
                raise _NotIsoMedia(kind)
            size, header = int.from_bytes(content[position + 8 : position + 16], "big"), 16
        elif size == 0:  # the last box: to the end of its parent
            size = end - position
        if size < header or position + size > end:
            raise _NotIsoMedia(kind)
        box_end = position + size
        if kind in _MEDIA_LOCATION_BOXES:
            found.append((position, header, box_end))
        elif kind in _MEDIA_METADATA_BOXES:
            if any(marker in content[position + header : box_end] for marker in _MEDIA_LOCATION_MARKERS):
                found.append((position, header, box_end))
        elif kind in _MEDIA_CONTAINERS:
            _walk_media_boxes(content, position + header, box_end, found, depth + 1)
        position = box_end


def strip_media_location(content: bytes, file_type: FileType, *, field: str = "file") -> tuple[bytes, bool]:
    """The video or recording without its location boxes, and whether it had any. One without is
    returned unchanged, byte for byte. Raises ``InvalidInput`` when its boxes cannot be read and a
    location may be among them (a location is never kept because a file was odd)."""
    try:
        boxes = _media_location_boxes(content)
    except _NotIsoMedia:
        if any(marker in content for marker in _MEDIA_LOCATION_MARKERS_ANYWHERE):
            message = f"The selected {file_type.label} could not be read to remove its location: save it again and try"
            raise InvalidInput({field: [message]}) from None
        return content, False
    if not boxes:
        return content, False
    kept = bytearray(content)
    for start, header, end in boxes:
        kept[start + 4 : start + 8] = b"free"
        kept[start + header : end] = bytes(end - start - header)
    return bytes(kept), True
