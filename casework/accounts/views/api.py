"""Authentication and administration through the API (docs/api.md "Bootstrap" and "Administration")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g
from flask_login import current_user

from casework.accounts import queries, second_factor, services, sign_in_limits
from casework.accounts.models import User
from casework.accounts.schemas import (
    AgencyAnswer,
    AgencyCreateArgs,
    AgencyList,
    AgencyUpdateArgs,
    AreaAnswer,
    AreaCreateArgs,
    AreaList,
    AreaUpdateArgs,
    TokenAnswer,
    TokenArgs,
    UserAnswer,
    UserCreateArgs,
    UserUpdateArgs,
    dump_agency,
    dump_area,
    dump_user,
)
from casework.core import submissions
from casework.core.db import commit
from casework.core.errors import NotFound, json_error
from casework.core.openapi import documented
from casework.core.pagination import envelope, paginate
from casework.core.permissions import Permission, public_endpoint, requires, signed_in
from casework.core.webargs import PageArgs, use_args

bp = Blueprint("accounts", __name__)


@bp.post("/auth/tokens")
@submissions.shows_once(
    "This Idempotency-Key was sent with a request that made a token, which was in that answer only: it is "
    "not kept, and no other token was made. Send a new key for a new token."
)
@documented(response=TokenAnswer, status=201, errors=(401, 403, 429))
@public_endpoint
@sign_in_limits.limited
@use_args(TokenArgs)
def create_token(args: dict[str, Any]):
    """Exchange an email address and password (and `code`, for a user with a second factor) for a bearer
    token.

    401 when they are wrong; `code` is a current code from the user's authenticator app or an unused
    recovery code. 403 when the user's area requires a second factor and they have not set one up yet
    (they do that by signing in to the pages). Failures count towards the same limits as the sign-in
    page: 429 with `Retry-After` once they are reached.
    """
    user = services.check_password(args["email"], args["password"])
    if user is None:
        sign_in_limits.record_failure(args["email"])
        commit()  # keep the audit entry for the failed attempt
        return json_error(401, message="Wrong email address or password.")
    if user.has_second_factor:
        if not second_factor.verify(user, args.get("code")):
            sign_in_limits.record_failure(args["email"])
            services.record_failed_code(user)
            commit()
            message = "Give the code from your authenticator app." if not args.get("code") else "Wrong code."
            return json_error(401, {"code": [message]})
    elif second_factor.must_set_up(user):
        commit()
        return json_error(403, message="Your area requires a second factor: sign in to Casework to set it up first.")
    services.record_sign_in(user, "Signed in to the API")
    token, row = services.issue_token(user, current_app.config["CASEWORK"]["API_TOKEN_HOURS"])
    commit()
    return {"token": token, "expires_at": row.expires_at.isoformat()}, 201


@bp.delete("/auth/tokens/current")
@signed_in
@documented(status=204, description="Revoked: the token no longer opens the API.")
def revoke_current_token():
    """Revoke the token this request was made with."""
    services.revoke_token(g.api_token_id)
    commit()
    return "", 204


@bp.get("/me")
@documented(response=UserAnswer)
@signed_in
def me():
    """The user the token belongs to, with their roles."""
    return dump_user(current_user)


@bp.get("/areas")
@documented(response=AreaList)
@signed_in
def list_areas():
    """Every area (local authority district)."""
    return {"items": [dump_area(a) for a in queries.all_areas(by_code=True)]}


@bp.post("/areas")
@documented(response=AreaAnswer, status=201)
@requires(Permission.ADMINISTER)
@use_args(AreaCreateArgs)
def create_area(args: dict[str, Any]):
    """Create an area."""
    area = services.create_area(current_user, args["code"], args["name"])
    commit()
    return dump_area(area, services.area_settings(area), []), 201


@bp.get("/areas/<code>")
@documented(response=AreaAnswer)
@signed_in
def get_area(code: str):
    """An area with the settings in force today and those scheduled."""
    area = services.get_area(code)
    return dump_area(area, services.area_settings(area), services.scheduled_settings(area))


@bp.patch("/areas/<code>")
@documented(response=AreaAnswer)
@requires(Permission.ADMINISTER)
@use_args(AreaUpdateArgs)
def update_area(args: dict[str, Any], code: str):
    """Change an area's settings from a date (the answer lists any warnings)."""
    area = services.get_area(code)
    warnings = services.update_area_settings(current_user, area, args["settings"], args["effective_from"])
    commit()
    body = dump_area(area, services.area_settings(area), services.scheduled_settings(area))
    body["warnings"] = warnings
    return body


@bp.get("/agencies")
@documented(response=AgencyList)
@signed_in
def list_agencies():
    """Every agency, with the areas it covers."""
    agencies = queries.all_agencies(with_areas=True, by_code=True)
    return {"items": [dump_agency(a) for a in agencies]}


@bp.post("/agencies")
@documented(response=AgencyAnswer, status=201)
@requires(Permission.ADMINISTER)
@use_args(AgencyCreateArgs)
def create_agency(args: dict[str, Any]):
    """Create an agency covering one or more areas."""
    args["is_csas_accredited"] = args.pop("csas_accredited")
    agency = services.create_agency(current_user, **args)
    commit()
    return dump_agency(agency), 201


@bp.patch("/agencies/<code>")
@documented(response=AgencyAnswer)
@requires(Permission.ADMINISTER)
@use_args(AgencyUpdateArgs)
def update_agency(args: dict[str, Any], code: str):
    """Change an agency's name, kind, areas, or Community Safety Accreditation Scheme accreditation."""
    agency = queries.agency_with_code(code)
    if agency is None:
        raise NotFound("No such agency.")
    if "csas_accredited" in args:
        args["is_csas_accredited"] = args.pop("csas_accredited")
    services.update_agency(current_user, agency, **args)
    commit()
    return dump_agency(agency)


@bp.get("/users")
@documented(response=UserAnswer, many=True)
@requires(Permission.ADMINISTER)
@use_args(PageArgs, location="query")
def list_users(args: dict[str, Any]):
    """Users, a page at a time."""
    items, total = paginate(queries.users_for_the_api(), args["page"], args["per_page"])
    return envelope(items, args["page"], args["per_page"], total, dump_user)


@bp.post("/users")
@documented(response=UserAnswer, status=201)
@requires(Permission.ADMINISTER)
@use_args(UserCreateArgs)
def create_user(args: dict[str, Any]):
    """Create a user with roles, an agency and optionally a manager."""
    agency = services.get_agency(args.pop("agency_code"))
    user = services.create_user(current_user, agency=agency, **args)
    commit()
    return dump_user(user), 201


def _user_or_404(user_id: int) -> User:
    return queries.user_or_404(user_id)


@bp.get("/users/<int:user_id>")
@documented(response=UserAnswer)
@requires(Permission.ADMINISTER)
def get_user(user_id: int):
    """One user."""
    return dump_user(_user_or_404(user_id))


@bp.patch("/users/<int:user_id>")
@documented(response=UserAnswer)
@requires(Permission.ADMINISTER)
@use_args(UserUpdateArgs)
def update_user(args: dict[str, Any], user_id: int):
    """Change a user's name, agency, roles, manager, active flag or password (send `version`)."""
    user = _user_or_404(user_id)
    if "agency_code" in args:
        args["agency"] = services.get_agency(args.pop("agency_code"))
    version = args.pop("version", None)
    services.update_user(current_user, user, expected_version=version, **args)
    commit()
    return dump_user(user)
