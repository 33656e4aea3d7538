"""Pages for the public: the Case Review application form, progress checks, published figures."""

from __future__ import annotations

from flask import Blueprint

from casework.blueprints.policy import child_blueprints, declared_access

public = Blueprint("public", __name__)

#: Modules whose ``bp`` (or ``blueprints``) are the public pages' children.
CHILDREN = [
    "casework.about.views",
    "casework.community_triggers.views.public",
    "casework.reminders.views.calendar",
    "casework.statistics.views.public",
    "casework.core.health",
]


@public.before_request
def check_declared() -> None:
    declared_access()


for _child in child_blueprints(CHILDREN):
    public.register_blueprint(_child)
