"""Pages for the public: the Case Review application form, progress checks, published figures."""

from __future__ import annotations

from flask import Blueprint

from casework.blueprints.policy import declared_access

public = Blueprint("public", __name__)


@public.before_request
def check_declared() -> None:
    declared_access()
