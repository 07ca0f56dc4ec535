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


FIRST_REQUEST = """
import sys
from sqlalchemy import insert
from ktc import create_app
from ktc.accounts.models import User
from ktc.extensions import db

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "SECRET_KEY": "first-request-test",
                  "TESTING": True})
with app.app_context():
    db.metadata.create_all(db.engine)
    with db.engine.begin() as connection:  # Core alone, as the web worker's own code would not have run yet
        connection.execute(insert(User.__table__).values(
            id=1, email="admin@example.org", name="Admin", role="admin", active=True, login_nonce="n0nce",
            network_coordinator=False))
client = app.test_client()
with client.session_transaction() as cookie:
    cookie["_user_id"], cookie["_fresh"] = "1:n0nce", True
print(client.get("/audit/").status_code)
"""


def test_a_fresh_process_signs_its_first_request_in_from_the_cookie(tmp_path):
    """A web worker's first request is often a signed-in page. Its user is built from a Core row without an
    ORM query, which configures no mapping: the app configures them all when it starts (without that, a
    fresh gunicorn worker answered every page with a 500)."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", FIRST_REQUEST, str(tmp_path / "first.sqlite")],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "KTC_ENV": "development"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == "200", done.stderr[-3000:]
