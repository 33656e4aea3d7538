"""Pages for the public: the Case Review application form, progress checks, published figures."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint

from casework.blueprints.policy import declared_access


def create_public_blueprint(children: Iterable[Blueprint]) -> Blueprint:
    public = Blueprint("public", __name__)

    @public.before_request
    def check_declared() -> None:
        declared_access()

    for child in children:
        public.register_blueprint(child)
    return public
