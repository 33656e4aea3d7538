from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from casework.accounts.models import AgencyKind
from casework.core.fields import PlannedDate
from casework.core.openapi import Answer, list_answer, nullable
from casework.core.permissions import Role
from casework.core.webargs import BaseSchema

CODE = validate.Regexp(r"^[A-Za-z0-9_-]{2,10}$", error="Use 2 to 10 letters, digits, hyphens or underscores.")


class TokenArgs(BaseSchema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    #: For a user with a second factor: the code their authenticator app shows, or a recovery code.
    code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class AreaCreateArgs(BaseSchema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AreaUpdateArgs(BaseSchema):
    settings = fields.Dict(keys=fields.String(), required=True)
    #: Defaults to today: the day the new values take effect.
    effective_from = PlannedDate(load_default=None)


class AgencyCreateArgs(BaseSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,20}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in AgencyKind]))
    area_codes = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    #: Its officers are accredited under the Community Safety Accreditation Scheme.
    csas_accredited = fields.Boolean(load_default=False)


class AgencyUpdateArgs(BaseSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf([k.value for k in AgencyKind]))
    area_codes = fields.List(fields.String(), validate=validate.Length(min=1))
    csas_accredited = fields.Boolean()


class UserCreateArgs(BaseSchema):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True)
    agency_code = fields.String(required=True)
    roles = fields.List(
        fields.String(validate=validate.OneOf([r.value for r in Role])),
        required=True,
        validate=validate.Length(min=1),
    )
    manager_email = fields.Email(load_default=None, allow_none=True)


class UserUpdateArgs(BaseSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    password = fields.String(load_only=True)
    agency_code = fields.String()
    roles = fields.List(
        fields.String(validate=validate.OneOf([r.value for r in Role])), validate=validate.Length(min=1)
    )
    manager_email = fields.Email(allow_none=True)
    is_active = fields.Boolean()
    version = fields.Integer()


def dump_area(area: Any, settings: dict[str, Any] | None = None, scheduled: list[Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": area.id, "code": area.code, "name": area.name}
    if settings is not None:
        data["settings"] = settings
    if scheduled is not None:
        data["scheduled_settings"] = scheduled
    return data


def dump_agency(agency: Any) -> dict[str, Any]:
    return {
        "id": agency.id,
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind.value,
        "area_codes": [a.code for a in agency.areas],
        "csas_accredited": bool(agency.is_csas_accredited),
    }


def dump_user(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "agency_code": user.agency.code,
        "roles": user.roles,
        "manager_email": user.manager.email if user.manager else None,
        "is_active": user.is_active,
        "version": user.version,
    }


# --- answers (described for the OpenAPI document; the dump_* functions above build them) --------------


class TokenAnswer(Answer):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class AreaAnswer(Answer):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    #: The settings in force (GET one area, and after a change): name -> value.
    settings = fields.Dict(keys=fields.String(), values=fields.Raw())
    #: Changes with a later effective date.
    scheduled_settings = fields.List(fields.Raw())


class AgencyAnswer(Answer):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    area_codes = fields.List(fields.String(), required=True)
    csas_accredited = fields.Boolean()


class UserAnswer(Answer):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    agency_code = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    manager_email = nullable(fields.String())
    is_active = fields.Boolean(required=True)
    version = fields.Integer(required=True)


AreaList = list_answer(AreaAnswer, "AreaList")
AgencyList = list_answer(AgencyAnswer, "AgencyList")
