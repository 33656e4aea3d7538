"""Documents on a case (photos, diary sheets, letters, evidence, served notices) and the partnership's
letterhead. The bytes of every file are a ``StoredFile`` (``casework.core.storage``)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, enum_column
from casework.extensions import Model


class DocumentKind(enum.StrEnum):
    photo = "photo"
    diary_sheet = "diary_sheet"
    letter = "letter"
    evidence = "evidence"
    #: A warning or notice produced by the service and served (casework.interventions.notices).
    notice = "notice"
    other = "other"


KIND_LABELS = {
    DocumentKind.photo: "Photo or video",
    DocumentKind.diary_sheet: "Diary sheet",
    DocumentKind.letter: "Letter or email",
    DocumentKind.evidence: "Other evidence (statement, recording, report)",
    DocumentKind.notice: "Served notice",
    DocumentKind.other: "Something else",
}
#: What people can choose when they upload: served notices are produced by the service only.
UPLOAD_KINDS = [kind for kind in DocumentKind if kind != DocumentKind.notice]


class Document(TimestampMixin, Model):
    """A file on a case, about the whole case or one of its incidents.

    Removing a document deletes its file and keeps this row, marked with who removed it, when and why,
    so the case's history still shows that it existed.
    """

    __tablename__ = "documents"
    __table_args__ = (sa.Index("ix_documents_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    #: The incident it is evidence of, when it is about one.
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    #: The warning or notice it is, for a served notice.
    intervention_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("interventions.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    #: The name it is downloaded under: the uploader's, with an extension that matches the content.
    filename: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: Found from the content when it was uploaded (kept when the file is removed).
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    #: A photo, video or recording whose location (EXIF GPS, a location box) was removed on upload.
    location_removed: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    stored_file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_files.id", ondelete="SET NULL"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    removal_reason: Mapped[str | None] = mapped_column(sa.Text)

    case = relationship("Case")
    incident = relationship("Incident")
    stored_file = relationship("StoredFile")
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    removed_by = relationship("User", foreign_keys=[removed_by_id])

    @property
    def media_noun(self) -> str:
        """What it is called where its location is spoken of: "photo", "video" or "recording"."""
        from casework.core.uploads import media_noun

        return media_noun(self.content_type)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class Letterhead(TimestampMixin, Model):
    """What heads the partnership's letters and notices: its name, address and contact details, and
    a logo. A null area is the letterhead of every area without one of its own (a county-wide
    partnership)."""

    __tablename__ = "letterheads"
    __table_args__ = (sa.UniqueConstraint("area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    #: "Bolsover Community Safety Partnership".
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.Text)
    #: Telephone, email, website: one per line.
    contact: Mapped[str | None] = mapped_column(sa.Text)
    logo_stored_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_files.id", ondelete="SET NULL"))
    #: The logo's text alternative, read out in the tagged PDF.
    logo_alt: Mapped[str | None] = mapped_column(sa.String(200))
    #: Printed on fixed penalty notices: who to pay and how (the payee's name and address, and the
    #: ways to pay: ss.52 and 68 of the 2014 Act).
    fixed_penalty_payment: Mapped[str | None] = mapped_column(sa.Text)
    #: Printed on closure notices: who gives advice about housing and legal matters in the area
    #: (s.76 of the 2014 Act).
    housing_and_legal_advice: Mapped[str | None] = mapped_column(sa.Text)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    area = relationship("Area")
    logo = relationship("StoredFile")
