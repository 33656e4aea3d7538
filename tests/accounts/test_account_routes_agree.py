"""What the account pages and the API do alike: an administrator cannot lock themselves out through
either, and signing out of either is in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from casework.accounts.models import User
from casework.audit.models import AuditAction, AuditEntry
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def admin(make) -> Any:
    area = make.area("BOL", "Bolsover")
    agency = make.agency("BDC", areas=[area])
    return make.user("admin", agency=agency, email="admin@example.org", name="Ada Admin")


def _edit_data(user: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "name": user.name,
        "agency": user.agency.code,
        "roles": user.roles,
        "manager_email": "",
        "is_active": "yes",
        "version": str(user.version),
    }
    data.update(changes)
    return data


LOCKOUTS = (({"roles": ["officer"]}, {"roles": ["officer"]}), ({"is_active": "no"}, {"is_active": False}))


@pytest.mark.parametrize("route", ["page", "api"])
@pytest.mark.parametrize(("on_the_page", "in_the_api"), LOCKOUTS)
def test_an_admin_cannot_lock_themselves_out_on_either_route(
    route, on_the_page, in_the_api, admin, page_client, api_client, db_session
):
    if route == "page":
        answer = page_client(admin).post(f"/admin/users/{admin.id}", data=_edit_data(admin, **on_the_page))
    else:
        answer = api_client(admin).patch(f"/api/v1/users/{admin.id}", json=in_the_api)
    assert answer.status_code == 422
    assert "You cannot remove your own administrator role" in answer.get_data(as_text=True)
    db_session.expire_all()
    admin = db_session.get(User, admin.id)
    assert admin.roles == ["admin"]
    assert admin.is_active


def _sign_outs(db_session: Any, user: Any) -> list[AuditEntry]:
    return list(
        db_session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == AuditAction.sign_out, AuditEntry.actor_id == user.id)
        )
    )


def test_signing_out_is_audited_on_either_route(admin, page_client, client, db_session):
    assert page_client(admin).post("/sign-out").status_code == 302
    assert len(_sign_outs(db_session, admin)) == 1
    token = client.post("/api/v1/auth/tokens", json={"email": admin.email, "password": TEST_PASSWORD}).get_json()[
        "token"
    ]
    assert client.delete("/api/v1/auth/tokens/current", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    [_page, api] = _sign_outs(db_session, admin)
    assert api.object_type == "users"
    assert api.object_id == str(admin.id)
