"""How a letter or notice is laid out, on screen, on paper and as a PDF: one layout for the Case Review
letters (casework.community_triggers.letters) and the notices served on people
(casework.interventions.notices).

- The partnership's letterhead (``Letterhead``: its name, address, contact details and logo; an area's
  own, else the one for every area), the recipient's name and address, the date and the reference.
- The body as paragraphs that wrap to the page (``letter_blocks``), not as the lines the template
  happened to be typed in.
- The font stack of the service's pages: Arial, then the system's sans-serif (GDS Transport is
  licensed only for GOV.UK services).
- PDFs that are tagged and accessible (PDF/UA-1: structure tree, language, title, embedded fonts), by
  WeasyPrint from the same HTML and stylesheet as the page.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework.core import storage
from casework.core.db import outside_the_write_lock
from casework.documents.models import Letterhead
from casework.extensions import db

#: The letter's stylesheet: linked from the pages that show a letter, and given to WeasyPrint.
LETTER_CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "letter.css"
#: The PDF standard the letters and notices follow: tagged, with a language and a title.
PDF_VARIANT = "pdf/ua-1"


# --- the body: paragraphs and lists --------------------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s*(?:(?P<number>\d{1,3})[.)]|[-*\u2022])\s+")
#: A line that ends a sentence or clause: the break after it is meant.
_ENDS_CLAUSE = re.compile(r"[.,:;!?)\]\"'\u2019\u201d]\s*$")
#: Lines shorter than this were not wrapped by an editor (a signature, a name, a short line).
WRAPPED_LINE_LENGTH = 50


@dataclass
class Block:
    """A paragraph (``kind`` "paragraph": its lines), a heading ("heading": its one line) or a list
    ("ordered" or "bulleted": its items, each a list of lines)."""

    kind: str
    lines: list[str] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)


def letter_blocks(text: str) -> list[Block]:
    """The body of a letter as paragraphs and lists.

    Paragraphs are separated by a blank line. Inside one, a line that looks wrapped (50 characters or
    longer, not ending a sentence or clause) is joined to the next, so text typed or stored with hard
    line breaks flows to the width of the page; other line breaks are kept (a signature, an address).
    Lines starting with ``1.`` or ``-`` are list items; indented lines after one continue it. A line
    starting with ``## `` is a heading.
    """
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", (text or "").replace("\r\n", "\n").strip()):
        current: Block | None = None
        for raw in chunk.split("\n"):
            if not raw.strip():
                continue
            item = _LIST_ITEM.match(raw)
            if raw.startswith("## ") and raw[3:].strip():
                current = None
                blocks.append(Block("heading", [raw[3:].strip()]))
            elif item:
                kind = "ordered" if item.group("number") else "bulleted"
                if current is None or current.kind != kind:
                    current = Block(kind)
                    blocks.append(current)
                current.items.append([raw[item.end() :].strip()])
            elif current is not None and current.kind != "paragraph" and raw[:1] in (" ", "\t"):
                _add_line(current.items[-1], raw.strip())
            else:
                if current is None or current.kind != "paragraph":
                    current = Block("paragraph")
                    blocks.append(current)
                _add_line(current.lines, raw.strip())
    return blocks


def _add_line(lines: list[str], line: str) -> None:
    if lines and len(lines[-1]) >= WRAPPED_LINE_LENGTH and not _ENDS_CLAUSE.search(lines[-1]):
        lines[-1] = f"{lines[-1]} {line}"
    else:
        lines.append(line)


# --- the letterhead and the recipient ------------------------------------------------------------------


@dataclass(frozen=True)
class LetterheadView:
    name: str
    address_lines: list[str]
    contact_lines: list[str]
    #: A ``data:`` URI (the page's policy allows them; WeasyPrint needs no fetching).
    logo_src: str | None = None
    logo_alt: str = ""
    fixed_penalty_payment: str | None = None
    housing_and_legal_advice: str | None = None


def lines(text: str | None) -> list[str]:
    """An address or contact block typed one item a line (or separated by commas)."""
    if not text:
        return []
    parts = text.replace("\r\n", "\n").split("\n")
    if len(parts) == 1:
        parts = text.split(",")
    return [part.strip() for part in parts if part.strip()]


def letterhead_row(area_id: int | None) -> Letterhead | None:
    """The area's own letterhead, else the one for every area."""
    rows = db.session.scalars(
        sa.select(Letterhead)
        .where(sa.or_(Letterhead.area_id == area_id, Letterhead.area_id.is_(None)))
        .options(sa.orm.joinedload(Letterhead.logo))
    ).all()
    return min(rows, key=lambda row: row.area_id is None, default=None)


def letterhead_for(area: Any, *, with_logo: bool = True) -> LetterheadView:
    """What heads a letter for ``area``: its letterhead, or the area's name when none is set.
    ``with_logo=False``: only its words, without fetching the logo from the store (checks that read
    what the letterhead says)."""
    row = letterhead_row(area.id if area is not None else None)
    if row is None:
        return LetterheadView(name=area.name if area is not None else "Casework", address_lines=[], contact_lines=[])
    logo_src = None
    if with_logo and row.logo is not None:
        try:
            logo_src = f"data:{row.logo.content_type};base64,{base64.b64encode(storage.read(row.logo)).decode()}"
        except (storage.StoredFileMissing, storage.StorageUnavailable):
            logo_src = None  # the letter goes out without its logo rather than not at all
    return LetterheadView(
        name=row.name,
        address_lines=lines(row.address),
        contact_lines=lines(row.contact),
        logo_src=logo_src,
        logo_alt=row.logo_alt or f"{row.name} logo",
        fixed_penalty_payment=row.fixed_penalty_payment,
        housing_and_legal_advice=row.housing_and_legal_advice,
    )


@dataclass(frozen=True)
class LetterView:
    """Everything the layout shows (templates/documents/_letter.html)."""

    letterhead: LetterheadView
    recipient_name: str | None
    recipient_address_lines: list[str]
    dated: date | None
    reference: str | None
    subject: str
    blocks: list[Block]
    #: A line under the date: "Emailed to ...", "Served by hand on ...".
    note: str | None = None


def letter_view(
    *,
    area: Any,
    subject: str,
    body: str,
    dated: date | None,
    reference: str | None,
    recipient_name: str | None,
    recipient_address: str | None,
    recipient_postcode: str | None = None,
    note: str | None = None,
) -> LetterView:
    address = lines(recipient_address)
    if (
        recipient_postcode
        and recipient_postcode.replace(" ", "").upper() not in " ".join(address).replace(" ", "").upper()
    ):
        address.append(recipient_postcode)
    return LetterView(
        letterhead=letterhead_for(area),
        recipient_name=recipient_name,
        recipient_address_lines=address,
        dated=dated,
        reference=reference,
        subject=subject,
        blocks=letter_blocks(body),
        note=note,
    )


# --- PDF -------------------------------------------------------------------------------------------------


def pdf_available() -> bool:
    """WeasyPrint needs the system's Pango; without it the printable page remains."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def to_pdf(html: str, stylesheet: Path | None = None) -> bytes:
    """A tagged, accessible A4 PDF (PDF/UA-1) of a letter page (templates/documents/letter_pdf.html),
    or of another printable document with its own ``stylesheet`` (a committee report)."""
    import weasyprint

    stylesheet = stylesheet or LETTER_CSS
    # Seconds of CPU for a long document: on SQLite no writer waits for it when the transaction has
    # written nothing yet (a notice is rendered before it is recorded as served).
    with outside_the_write_lock():
        return weasyprint.HTML(string=html, base_url=str(stylesheet.parent)).write_pdf(
            stylesheets=[weasyprint.CSS(filename=str(stylesheet))],
            pdf_variant=PDF_VARIANT,
        )
