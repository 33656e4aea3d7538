"""Only changes to what a user may do end their sessions (User.session_stamp), not any row update."""

from casework.accounts import services
from casework.extensions import db


def _signed_in(app, user):
    client = app.test_client(user=user)
    assert client.get("/").status_code == 200
    return client


def test_a_name_change_keeps_the_user_signed_in(app, make, db_session):
    user = make.user("officer")
    client = _signed_in(app, user)
    services.update_user(None, user, name="New Name")
    db.session.commit()
    assert client.get("/").status_code == 200


def test_a_role_change_signs_the_user_out_everywhere(app, make, db_session):
    user = make.user("officer")
    client = _signed_in(app, user)
    services.update_user(None, user, roles=["officer", "manager"])
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_the_same_roles_in_another_order_change_nothing(app, make, db_session):
    user = make.user(["manager", "officer"])
    client = _signed_in(app, user)
    services.update_user(None, user, roles=["officer", "manager"])
    db.session.commit()
    assert client.get("/").status_code == 200
