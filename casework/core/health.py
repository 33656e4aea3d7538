"""``GET /healthz``: is this web process able to serve? For health checks (docker compose, a load
balancer, systemd watchdogs), not for people.

It answers 200 when the database answers a trivial query, 503 otherwise. It says nothing else: no
version, no configuration, nothing about the data.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app

from casework.core.permissions import public_endpoint
from casework.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public_endpoint
def healthz() -> tuple[dict[str, str], int] | dict[str, str]:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.warning("Health check: the database did not answer: %s", error.__class__.__name__)
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
