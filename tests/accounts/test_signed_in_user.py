"""The signed-in user of a request: read with a Core query, yet a User of the request's session like any
other (its units load when asked, a change to it is saved), and the one object the session holds."""
from sqlalchemy import inspect, select

from ktc.accounts.models import User
from ktc.accounts.operations import issue_api_token, load_user_from_cookie, load_user_from_token
from ktc.extensions import db


def test_the_user_from_the_cookie_is_a_user_of_the_requests_session(app, make):
    unit = make.unit(name="Hemsjukvården Gislaved")
    other = make.unit(name="Korttidsboendet Anderstorp")
    manager = make.manager(unit, other, name="Maja Chef")
    db.session.commit()
    cookie_id, manager_id = manager.get_id(), manager.id
    db.session.remove()  # the request's own session, which holds nobody yet
    with app.test_request_context("/"):
        user = load_user_from_cookie(cookie_id)
        state = inspect(user)
        assert isinstance(user, User) and state.persistent and user in db.session
        assert (user.id, user.name, user.role, user.active) == (manager_id, "Maja Chef", "manager", True)
        assert not db.session.dirty  # nothing to write back for having been read
        assert [u.name for u in user.units] == ["Hemsjukvården Gislaved", "Korttidsboendet Anderstorp"]
        assert db.session.get(User, manager_id) is user
        user.locale = "en"
        db.session.commit()
    db.session.remove()
    assert db.session.execute(select(User.locale).where(User.id == manager_id)).scalar_one() == "en"


def test_the_user_of_a_token_is_the_object_the_session_holds_already(app, make):
    manager = make.manager(make.unit(), name="Maja Chef")
    token = issue_api_token(manager, "Integration")
    db.session.commit()
    cookie_id = manager.get_id()
    with app.test_request_context("/"):
        held = db.session.get(User, manager.id)
        assert load_user_from_cookie(cookie_id) is held
        assert load_user_from_token(token) is held


def test_a_cookie_of_a_rotated_nonce_or_an_unknown_user_signs_nobody_in(app, make):
    manager = make.manager(make.unit(), name="Maja Chef")
    db.session.commit()
    old_id = manager.get_id()
    manager.rotate_login_nonce()
    db.session.commit()
    with app.test_request_context("/"):
        assert load_user_from_cookie(old_id) is None
        assert load_user_from_cookie(f"{manager.id + 1000}:{manager.login_nonce}") is None
        assert load_user_from_cookie(manager.get_id()).id == manager.id


def test_a_cookie_signed_before_the_secret_key_was_rotated_still_signs_in(app, make, login_as, client):
    """The cookie session's serializer is kept per process: a new key (the old one kept as a fallback, as
    Flask documents for rotating it) must still reach it, and a cookie of a key dropped since must not."""
    manager = make.manager(make.unit(), name="Maja Chef")
    db.session.commit()
    login_as(manager)
    assert client.get("/bookings/team").status_code == 200
    signed_before = client.get_cookie("session").value
    old_key, old_fallbacks = app.secret_key, app.config["SECRET_KEY_FALLBACKS"]
    try:
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = "a new key for this test " * 2, [old_key]
        client.set_cookie("session", signed_before)
        assert client.get("/bookings/team").status_code == 200
        app.config["SECRET_KEY_FALLBACKS"] = []
        client.set_cookie("session", signed_before)
        response = client.get("/bookings/team")
        assert response.status_code == 302 and "/login" in response.location
    finally:
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = old_key, old_fallbacks
