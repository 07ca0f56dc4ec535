"""Session cookies, session fixation, cookie invalidation, login throttling and password hashing."""
import re
from datetime import timedelta

from ktc.accounts.models import LoginFailure, User
from ktc.config import Config
from ktc.extensions import db

PASSWORD = "correct horse battery"


def _login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _cookie_attributes(response, name="session"):
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    return [part.strip() for part in header.split(";")]


def test_session_cookie_is_secure_httponly_and_lax_in_production(prod_app, make):
    make.user("admin", email="cookie@example.org", password=PASSWORD)
    db.session.commit()
    response = _login(prod_app.test_client(), "cookie@example.org")
    assert response.status_code == 302
    attributes = _cookie_attributes(response)
    assert "Secure" in attributes
    assert "HttpOnly" in attributes
    assert "SameSite=Lax" in attributes
    assert Config.REMEMBER_COOKIE_SECURE and Config.REMEMBER_COOKIE_HTTPONLY
    assert Config.REMEMBER_COOKIE_SAMESITE == "Lax"


def test_development_cookie_works_over_plain_http(make, client):
    # Outside production the cookie must not be Secure, or logging in on http://127.0.0.1 fails.
    make.user("admin", email="devcookie@example.org", password=PASSWORD)
    db.session.commit()
    attributes = _cookie_attributes(_login(client, "devcookie@example.org"))
    assert "Secure" not in attributes and "HttpOnly" in attributes


def test_login_starts_a_fresh_session(prod_app, make):
    make.user("admin", email="fixation@example.org", password=PASSWORD)
    db.session.commit()
    client = prod_app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker before login"
        sess["lang"] = "en"
    assert _login(client, "fixation@example.org").status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["lang"] == "en"  # the chosen language is the one thing kept
        assert sess["_user_id"]


def test_logout_ends_the_users_other_sessions_too(app, make):
    make.user("manager", email="twobrowsers@example.org", password=PASSWORD)
    db.session.commit()
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop, "twobrowsers@example.org")
    _login(phone, "twobrowsers@example.org")
    assert phone.get("/").status_code == 200
    laptop.post("/logout")
    assert phone.get("/").status_code == 302


def test_password_change_ends_other_sessions(app, make):
    make.user("manager", email="pwchange@example.org", password=PASSWORD)
    db.session.commit()
    laptop, stolen = app.test_client(), app.test_client()
    _login(laptop, "pwchange@example.org")
    _login(stolen, "pwchange@example.org")
    response = laptop.post("/account", data={"action": "password", "pw-current": PASSWORD,
                                              "pw-password": "a brand new passphrase",
                                              "pw-confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert stolen.get("/").status_code == 302


def test_throttle_is_shared_by_every_app_instance(app, second_app, make):
    """Failures counted by one worker count for the others: the count lives in the database."""
    make.user("admin", email="throttle@example.org", password=PASSWORD)
    db.session.commit()
    one, two = app.test_client(), second_app.test_client()
    limit = app.config["KTC_LOGIN_MAX_FAILURES"]
    for attempt in range(limit):
        worker = one if attempt % 2 else two
        assert _login(worker, "throttle@example.org", "wrong password").status_code == 401
    assert _login(one, "throttle@example.org").status_code == 429
    assert _login(two, "throttle@example.org").status_code == 429
    assert _login(two, "THROTTLE@Example.org").status_code == 429  # the same account, however typed
    # After the window the account can log in again.
    window = timedelta(minutes=app.config["KTC_LOGIN_WINDOW_MINUTES"], seconds=1)
    for failure in db.session.query(LoginFailure):
        failure.at -= window
    db.session.commit()
    assert _login(two, "throttle@example.org").status_code == 302


def _argon2_parameters(encoded):
    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", encoded)
    assert match, encoded
    return tuple(int(x) for x in match.groups())


def test_production_hashes_passwords_with_argon2id_at_full_cost(prod_app, make):
    assert Config.KTC_ARGON2_MEMORY_COST >= 64 * 1024 and Config.KTC_ARGON2_TIME_COST >= 3
    from ktc.accounts.operations import hash_password

    with prod_app.app_context():
        memory, time_cost, lanes = _argon2_parameters(hash_password("any passphrase at all"))
    assert memory >= 65536 and time_cost >= 3 and lanes >= 1


def test_a_weaker_stored_hash_is_upgraded_at_login(prod_app, make):
    user = make.user("admin", email="rehash@example.org", password=PASSWORD)  # test cost: m=8, t=1
    db.session.commit()
    assert _argon2_parameters(user.password_hash)[0] < 65536
    assert _login(prod_app.test_client(), "rehash@example.org").status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    memory, time_cost, _lanes = _argon2_parameters(stored)
    assert memory >= 65536 and time_cost >= 3
