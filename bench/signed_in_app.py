"""The fixed stack's signed-in request, for ``bench/stack_ceiling.py``: ``bench/one_row_app.py``'s
endpoints again, but through the extensions the project is built on (Flask-SQLAlchemy's session and
typed models, Flask-Login, Flask-Limiter) and nothing of Casework's, so that its share of the minimal
endpoint's throughput is the most a signed-in page built on them can reach on this machine.

Every request carries a bearer token. Flask-Login's request loader hashes it and loads the token's
user with their roles in one statement (an ORM entity, as ``current_user`` must be), and Flask-Limiter
checks the request (no limit is set on these endpoints, as on Casework's API pages).

- ``/me``: the signed-in user as JSON, nothing else read or written (Casework's signed-in floor,
  ``GET /api/v1/me``, without its second statement for the manager).
- ``/page-and-views``: the user, then a page of ``PAGE`` rows read as values (one statement), then one
  view entry a row inserted and committed in a transaction of their own (one statement): the shape of
  the API case list the throughput bench measures, whose demo officer sees four cases.
- ``/record-and-views``: the user, then a record and its twelve parts read as values in five
  statements, then one view entry a shown record or part (thirteen) inserted and committed in a
  transaction of their own: the shape of the API case page the throughput bench measures.

The database is ``ONE_ROW_DATABASE_URL`` (with ``bench_rows`` filled by ``bench/stack_ceiling.py``,
which also creates these tables and the user). SQLite gets the pragmas Casework's connections get and
nothing else, as in ``bench/one_row_app.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import sqlalchemy as sa
from flask import Flask, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bench.one_row_app import read_page, read_record

#: The bearer token of the one user (a bench's, on loopback, never a secret).
TOKEN = "bench-signed-in-token"  # noqa: S105


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class BenchUser(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    roles: Mapped[list[BenchRole]] = relationship(lazy="raise")

    @property
    def is_active(self) -> bool:
        return self.active


class BenchRole(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("bench_users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


class BenchToken(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("bench_users.id"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class BenchView(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    row_id: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    summary: Mapped[str] = mapped_column(sa.String(200))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_TOKEN_USER = (
    sa.select(BenchUser, BenchToken.id, BenchToken.revoked_at, BenchToken.expires_at)
    .join(BenchToken, BenchToken.user_id == BenchUser.id)
    .where(BenchToken.token_hash == sa.bindparam("token_hash"))
    .options(sa.orm.joinedload(BenchUser.roles))  # one statement, as Casework's
)
_VIEWS = sa.insert(BenchView.__table__)


def create_app(database_url: str | None = None) -> Flask:
    """The app on ``database_url``, by default ``ONE_ROW_DATABASE_URL`` (as gunicorn serves it)."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or os.environ.get("ONE_ROW_DATABASE_URL", "sqlite://")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 4, "max_overflow": 4}
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from bench.one_row_app import _sqlite_pragmas

            sa.event.listen(db.engine, "connect", _sqlite_pragmas)
    Limiter(get_remote_address, app=app, default_limits=[], storage_uri="memory://")
    login_manager = LoginManager(app)

    @login_manager.request_loader
    def load_user_from_token(request):  # type: ignore[no-untyped-def]
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        found = db.session.execute(_TOKEN_USER, {"token_hash": token_hash(token)}).unique().first()
        if found is None:
            return None
        user, token_id, revoked_at, expires_at = found
        if expires_at.tzinfo is None:  # SQLite keeps no time zone
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        if revoked_at is not None or expires_at <= dt.datetime.now(dt.UTC) or not user.is_active:
            return None
        g.token_id = token_id
        return user

    def user_json() -> dict[str, object]:
        return {
            "id": current_user.id,
            "email": current_user.email,
            "name": current_user.name,
            "roles": [row.role for row in current_user.roles],
        }

    @app.get("/me")
    @login_required
    def me() -> dict[str, object]:
        return user_json()

    @app.get("/page-and-views")
    @login_required
    def page_and_views() -> dict[str, object]:
        items = read_page(db.session.connection())
        answer = {"user": user_json(), "items": items}
        end_read_and_write_views(items, "Shown by GET /page-and-views")
        return answer

    @app.get("/record-and-views")
    @login_required
    def record_and_views() -> dict[str, object]:
        record, shown = read_record(db.session.connection())
        answer = {"user": user_json(), "record": record}
        end_read_and_write_views(shown, "Shown by GET /record-and-views")
        return answer

    return app


def end_read_and_write_views(shown: list[dict[str, object]], summary: str) -> None:
    """The read ends, then one view entry a shown row is written, in one statement and a transaction of
    their own, as Casework's are."""
    # The rollback expires the user: their id is taken first, or reading it would load them again.
    user_id = current_user.id
    db.session.rollback()
    at = dt.datetime.now(dt.UTC)
    with db.engine.begin() as writing:
        writing.execute(
            _VIEWS, [{"user_id": user_id, "row_id": row["id"], "at": at, "summary": summary} for row in shown]
        )


def create_user(url: str) -> None:
    """The tables, one user with two roles and ``TOKEN`` (``bench/stack_ceiling.py`` calls this)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        Base.metadata.create_all(connection)
        connection.execute(
            sa.insert(BenchUser.__table__),
            [{"id": 1, "email": "officer@bench.example", "name": "Bench Officer", "active": True}],
        )
        connection.execute(
            sa.insert(BenchRole.__table__), [{"user_id": 1, "role": "officer"}, {"user_id": 1, "role": "manager"}]
        )
        connection.execute(
            sa.insert(BenchToken.__table__),
            [
                {
                    "id": 1,
                    "user_id": 1,
                    "token_hash": token_hash(TOKEN),
                    "expires_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
                }
            ],
        )
    engine.dispose()


app = create_app() if "ONE_ROW_DATABASE_URL" in os.environ else None
