from ktc.accounts.models import LoginFailure
from ktc.extensions import db


def test_login_and_logout(client, make):
    user = make.user("admin", email="anna@example.org", password="correct horse battery")
    db.session.commit()
    response = client.post("/login", data={"email": "Anna@Example.org", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    old_cookie = client.get_cookie("session").value
    client.post("/logout")
    assert client.get("/").status_code == 302
    # The cookie from before logout no longer works, even if replayed.
    client.set_cookie("session", old_cookie)
    assert client.get("/").status_code == 302
    assert user.login_nonce


def test_wrong_password_is_refused_with_message(client, make):
    make.user("admin", email="bo@example.org", password="correct horse battery")
    db.session.commit()
    response = client.post("/login", data={"email": "bo@example.org", "password": "wrong"})
    assert response.status_code == 401
    assert "Fel e-postadress eller lösenord" in response.get_data(as_text=True)
    # The e-mail typed is kept in the form.
    assert 'value="bo@example.org"' in response.get_data(as_text=True)


def test_login_throttled_after_ten_failures_from_one_address(client, make, app):
    make.user("admin", email="cy@example.org", password="correct horse battery")
    db.session.commit()
    for _ in range(app.config["KTC_LOGIN_MAX_FAILURES"]):
        assert client.post("/login", data={"email": "cy@example.org", "password": "nope"}).status_code == 401
    # From that address even the right password is refused while the account is throttled there ...
    response = client.post("/login", data={"email": "cy@example.org", "password": "correct horse battery"})
    assert response.status_code == 429
    assert "För många misslyckade försök" in response.get_data(as_text=True)
    assert db.session.query(LoginFailure).count() == 10
    # ... but the owner logging in from somewhere else is let in.
    response = client.post("/login", data={"email": "cy@example.org", "password": "correct horse battery"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302


def test_deactivated_user_is_logged_out(client, make, login_as):
    from ktc.accounts.operations import deactivate_user

    user = make.user("manager")
    db.session.commit()
    login_as(user)
    assert client.get("/").status_code == 200
    deactivate_user(user)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_open_redirect_refused(client, make):
    make.user("admin", email="di@example.org", password="correct horse battery")
    db.session.commit()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            "/login?next=" + target, data={"email": "di@example.org", "password": "correct horse battery"}
        )
        assert response.headers["Location"] == "/"
        client.post("/logout")
    response = client.post("/login?next=/account", data={"email": "di@example.org", "password": "correct horse battery"})
    assert response.headers["Location"] == "/account"


def test_next_with_control_characters_or_another_host_goes_home(client, make):
    """A crafted `next` never leaves the site nor breaks the Location header (it was a 500)."""
    make.user("admin", email="ed@example.org", password="correct horse battery")
    db.session.commit()
    for target in ("/%0D%0A//evil.example", "//evil", "/%5C%5Cevil", "/\\evil", "https://evil", "/%09/evil",
                   "/%0A/evil.example", "%2F%2Fevil", "/%7F/evil"):
        response = client.post("/login?next=" + target,
                               data={"email": "ed@example.org", "password": "correct horse battery"})
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target
        client.post("/logout")
    response = client.post("/login?next=/sessions/%3Fstation%3D3",
                           data={"email": "ed@example.org", "password": "correct horse battery"})
    assert response.headers["Location"] == "/sessions/?station=3"
