"""Signing in and staying signed in, rule by rule: tests written in answer to mutation testing (docs/MUTATION.md)."""
from ktc.extensions import db


def test_an_inactive_users_cookie_lets_nobody_in_even_with_the_right_nonce(client, make, login_as):
    # Deactivation rotates the nonce; a user made inactive some other way (a data fix, an import)
    # keeps it, and the cookie must still stop working.
    user = make.user("manager")
    db.session.commit()
    login_as(user)
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_a_cookie_of_a_user_that_no_longer_exists_is_a_signed_out_visit(client, make):
    user = make.user("manager")
    db.session.commit()
    cookie_id = user.get_id()
    db.session.delete(user)
    db.session.commit()
    make.set_login(client, cookie_id)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
