"""Reads for the documents pages, each named for what it returns (writes are in services.py)."""

from __future__ import annotations

import sqlalchemy as sa

from casework.documents.models import Letterhead
from casework.extensions import db


def letterheads_by_area() -> dict[int | None, Letterhead]:
    """{area id (None: every area): letterhead}."""
    return {row.area_id: row for row in db.session.scalars(sa.select(Letterhead))}
