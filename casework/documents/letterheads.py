"""Saving the partnership's letterhead (casework.documents.models.Letterhead). Never commits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from casework.audit.services import record_change, snapshot
from casework.core import storage, uploads
from casework.core.errors import InvalidInput
from casework.documents.models import Letterhead
from casework.extensions import db

FIELDS = ("name", "address", "contact", "logo_alt", "fixed_penalty_payment", "housing_and_legal_advice")
MAX_LOGO_BYTES = 1024 * 1024
LOGO_TYPES = {"image/png", "image/jpeg"}


def letterhead_of(area: Any, *, afresh: bool = False) -> Letterhead | None:
    """The letterhead stored for ``area`` exactly (None: for every area). ``afresh``: as it is now in
    the database, even when it was loaded before in this request."""
    area_id = area.id if area is not None else None
    statement = sa.select(Letterhead).where(
        Letterhead.area_id == area_id if area_id is not None else Letterhead.area_id.is_(None)
    )
    if afresh:
        statement = statement.execution_options(populate_existing=True)
    return db.session.scalar(statement)


def save_letterhead(
    actor: Any,
    area: Any,
    values: dict[str, str | None],
    *,
    logo: tuple[str, bytes] | None = None,
    remove_logo: bool = False,
) -> Letterhead:
    """Create or change the letterhead of ``area`` (None: every area), with its logo."""
    cleaned = {key: (values.get(key) or "").strip() or None for key in FIELDS}
    if not cleaned["name"]:
        raise InvalidInput({"name": ["Enter the name"]})
    inspected = None
    if logo is not None:
        inspected = uploads.inspect(logo[0], logo[1], max_bytes=MAX_LOGO_BYTES, field="logo")
        if inspected.file_type.mime not in LOGO_TYPES:
            raise InvalidInput({"logo": ["The logo must be a PNG or JPEG image"]})
    # The new logo first, before anything is written: on SQLite it goes to an object store with no
    # write lock held (storage.save). The letterhead is read after it, afresh (another administrator
    # may have saved it meanwhile): the logo replaced, and deleted, is the one it has now.
    new_logo = storage.save(inspected.content, inspected.file_type.mime, folder="letterheads") if inspected else None
    row = letterhead_of(area, afresh=True)
    before = snapshot(row, [*FIELDS, "logo_stored_file_id"]) if row is not None else None
    if row is None:
        row = Letterhead(area_id=area.id if area is not None else None)
        db.session.add(row)
    for key, value in cleaned.items():
        setattr(row, key, value)
    row.updated_by_id = getattr(actor, "id", None)
    replaced = row.logo_stored_file_id if (new_logo is not None or remove_logo) else None
    old_logo = db.session.get(storage.StoredFile, replaced) if replaced is not None else None
    if new_logo is not None:
        row.logo_stored_file_id = new_logo.id
    elif remove_logo:
        row.logo_stored_file_id = None
    db.session.flush()
    if old_logo is not None:
        storage.discard(old_logo)
    db.session.refresh(row)
    record_change(
        actor,
        row,
        before,
        snapshot(row, [*FIELDS, "logo_stored_file_id"]),
        f"Letterhead for {area.name if area is not None else 'all areas'}",
    )
    return row
