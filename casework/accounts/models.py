from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import TimestampMixin, UTCDateTime, VersionedMixin, enum_column
from casework.core.permissions import Permission, Role, permissions_for
from casework.extensions import Model, db


class AgencyKind(enum.StrEnum):
    council = "council"
    police = "police"
    health = "health"
    housing = "housing"
    fire = "fire"
    probation = "probation"
    other = "other"


agency_areas = sa.Table(
    "agency_areas",
    db.metadata,
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Area(TimestampMixin, Model):
    """A district or unitary council area: the statutory unit for Case Reviews and their statistics."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short code used in references (``BOL-2026-0042``) and the API.
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))

    agencies: Mapped[list[Agency]] = relationship(secondary=agency_areas, back_populates="areas")

    def __repr__(self) -> str:
        return f"<Area {self.code}>"


class Agency(TimestampMixin, Model):
    """An organisation (council, police force, ICB, housing provider); it may cover several areas."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind))
    #: Its officers are accredited under the Community Safety Accreditation Scheme (Police Reform Act
    #: 2002 s.40): from the Crime and Policing Act 2026 they may issue CPN and PSPO fixed penalties.
    is_csas_accredited: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    areas: Mapped[list[Area]] = relationship(secondary=agency_areas, back_populates="agencies", order_by="Area.code")

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"


class ReferenceCounter(Model):
    """The last sequence number used in an area and year, per series of references (``cases``:
    ``BOL-2026-0042``; ``trigger_applications``: ``BOL-CT-2026-0003``).

    ``casework.accounts.services.allocate_sequence`` increments the row with ``UPDATE ... RETURNING``,
    which locks it until the transaction ends, so two records created at once never share a number.
    """

    __tablename__ = "reference_counters"

    series: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(sa.Integer, default=0)


class AreaSetting(Model):
    """One dated value of one setting: threshold rules, timescales, statutory limits.

    Rows are never updated: a change is a new row with its own ``effective_from``, so the rule set in
    force on any day (the day an application was received, an FPN was issued) can be reconstructed.
    A row with no area applies to every area that has no value of its own (county-wide procedures).
    """

    __tablename__ = "area_settings"
    __table_args__ = (sa.Index("ix_area_settings_lookup", "key", "area_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(80))
    value: Mapped[Any] = mapped_column(sa.JSON)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class UserRole(Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)


class User(TimestampMixin, VersionedMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased; unique.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: argon2id hash; never serialised.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: Receives this user's escalations and sees their work in the team view.
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Part of the session identity: raised when roles, password, agency or active status change, which
    #: signs the user out everywhere. Other changes to the row (sign-in time, preferences) do not.
    session_stamp: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    #: No individual deadline reminders: the user reads the daily digest instead (escalations to
    #: their manager are still sent).
    is_digest_only: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: The secret of the user's authenticator app (TOTP, RFC 6238), once they have set up a second factor,
    #: sealed with CASEWORK_DATA_KEY (``v1:`` and a Fernet token, casework.core.data_keys); None: password
    #: only. Read and written only through ``second_factor.secret_of`` and ``store_secret``. Never shown
    #: again after set-up, never serialised.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    #: The 30-second time step of the last code accepted: each code opens one sign-in only.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    second_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency: Mapped[Agency] = relationship(lazy="joined")
    manager: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[manager_id])
    #: Loaded with the signed-in user (``load_user``); other users' roles are loaded when asked for
    #: (lists that show them load them with ``selectinload``), not with every name on a page.
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", order_by=UserRole.role)

    # --- Flask-Login ---------------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_stamp}"

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None

    # --- roles and permissions ----------------------------------------------------------------
    @property
    def roles(self) -> list[str]:
        return [r.role.value for r in self.role_rows]

    @roles.setter
    def roles(self, roles: list[str]) -> None:
        wanted = {Role(r) for r in roles}
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            UserRole(role=r) for r in sorted(wanted - {row.role for row in self.role_rows})
        ]

    def has_role(self, role: Role | str) -> bool:
        return Role(role).value in self.roles

    def can(self, permission: Permission | str) -> bool:
        return Permission(permission) in permissions_for(self.roles)

    @property
    def area_ids(self) -> set[int]:
        """Areas this user works in: those their agency covers."""
        return {a.id for a in self.agency.areas}

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(Model):
    """A bearer token for the API. Only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class RecoveryCode(Model):
    """A one-time code that stands in for the authenticator app (lost or broken phone). The code's first
    character is its ``selector``, which names its row and is no secret; only an argon2id hash of the
    rest is stored (``accounts.second_factor``): a code has too few random bits for a fast hash, which
    whoever read the table could reverse by trying them all.

    A row without a selector holds a code made before migration 0820: its hash is argon2id of the
    code's old SHA-256 digest, so the codes the user was shown go on working."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    selector: Mapped[int | None] = mapped_column(sa.SmallInteger)
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserSession(Model):
    """One signed-in session on the pages. The browser's session cookie carries a random key whose
    SHA-256 is stored here; a session is open while ``ended_at`` is empty. Signing out ends it on the
    server, so a copy of the old cookie opens nothing."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    #: Updated a few minutes at a time, not on every request: enough to end abandoned sessions.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
