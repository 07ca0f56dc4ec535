"""Signing in and staying signed in, rule by rule: tests written in answer to mutation testing (docs/MUTATION.md)."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from ktc.accounts.models import ApiToken
from ktc.accounts.operations import issue_api_token, set_password, update_user, verify_password
from ktc.database import utcnow
from ktc.errors import ValidationError
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


def _token_id(user):
    return db.session.execute(select(ApiToken.id).where(ApiToken.user_id == user.id)).scalar_one()


def _api_status(client, token):
    return client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_is_revoked_by_its_owner_only_and_then_stops_working(client, make, login_as):
    anna, bo = make.user("admin", name="Anna Ahl"), make.user("admin", name="Bo Berg")
    annas, bos = issue_api_token(anna, "Annas skript"), issue_api_token(bo, "Bos skript")
    db.session.commit()
    annas_id, bos_id = _token_id(anna), _token_id(bo)
    login_as(anna)
    # Someone else's token, or one that does not exist: not found, and Bo's token keeps working.
    assert client.post(f"/account/tokens/{bos_id}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{bos_id + annas_id + 1}/revoke").status_code == 404
    assert _api_status(client, bos) == 200 and _api_status(client, annas) == 200
    # Her own: revoked, and the API refuses it from then on.
    assert client.post(f"/account/tokens/{annas_id}/revoke").status_code == 302
    assert _api_status(client, annas) == 401
    assert _api_status(client, bos) == 200


def test_a_new_token_is_listed_under_the_name_it_was_given(client, make, login_as):
    login_as(make.user("manager"))
    page = client.post("/account", data={"action": "token", "tok-name": "Rapportskript"}).get_data(as_text=True)
    listed = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "<td>Rapportskript</td>" in listed


def test_a_password_of_ten_characters_is_long_enough_and_nine_is_not(make):
    user = make.user("manager")
    with pytest.raises(ValidationError):
        set_password(user, "x" * 9)
    set_password(user, "correcthor")  # ten
    assert verify_password(user, "correcthor")


PASSWORD = "correct horse battery"


def _login(app, email, password=PASSWORD, addr="198.51.100.66"):
    return app.test_client().post("/login", data={"email": email, "password": password},
                                  environ_base={"REMOTE_ADDR": addr}).status_code


def test_logging_in_forgives_that_accounts_failures_from_that_address_and_no_others(app, make):
    # Eve owns an account and guesses Bo's password from the same address: her own successful
    # login must not wipe the count of her guesses at Bo's; it does forgive her own typos.
    limit = app.config["KTC_LOGIN_MAX_FAILURES"]
    make.user("manager", email="bo@example.org", password=PASSWORD)
    make.user("manager", email="eve@example.org", password=PASSWORD)
    db.session.commit()
    for _ in range(limit - 1):
        assert _login(app, "eve@example.org", "typo") == 401
    for _ in range(limit):
        assert _login(app, "bo@example.org", "guess") == 401
    assert _login(app, "eve@example.org") == 302
    assert _login(app, "bo@example.org", "guess") == 429
    for _ in range(limit - 1):
        assert _login(app, "eve@example.org", "typo") == 401
    assert _login(app, "eve@example.org") == 302


def test_the_user_list_export_says_when_someone_last_logged_in(client, app, make, login_as):
    make.user("manager", email="bo@example.org", password=PASSWORD, name="Bo Berg")
    db.session.commit()
    assert _login(app, "bo@example.org") == 302
    login_as(make.user("admin"))
    text = client.get("/users?format=csv&role=manager").get_data().decode("utf-8-sig")
    (bo,) = [line for line in text.splitlines() if line.startswith("Bo Berg;")]
    assert abs(utcnow() - datetime.fromisoformat(bo.rsplit(";", 1)[1])) < timedelta(minutes=5)


def test_only_a_participant_login_keeps_its_staff_record(make):
    admin, person, user = make.user("admin"), make.participant(), make.user("participant")
    update_user(admin, user, user.email, user.name, "participant", participant=person)
    assert user.participant is person
    update_user(admin, user, user.email, user.name, "manager", participant=person)
    assert user.participant is None


@pytest.mark.parametrize("user_id", [2**31, -(2**31) - 1])
def test_a_cookie_with_a_user_id_no_account_can_have_is_a_signed_out_visit(client, make, user_id):
    """Mutants: the cookie loader's bounds on the id widened (`<= 2**31`, `< 3**31`, `< 2**32`,
    `-3**31 <=`, `-2**32 <=`): a forged cookie's id that the column cannot hold reached the
    database, which on PostgreSQL answers `integer out of range` — a server error instead of the
    login page."""
    make.set_login(client, f"{user_id}:any-nonce")
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_highest_user_id_the_column_holds_still_signs_in_by_cookie(client, make):
    """Mutant: the upper bound `2 * 31` instead of `2**31`: every user with an id above 61 was signed
    out on their next page."""
    user = make.user("manager", id=2**31 - 1)
    db.session.commit()
    cookie_id = user.get_id()
    make.set_login(client, cookie_id)
    assert client.get("/").status_code == 200


def test_a_manager_of_several_units_reaches_the_staff_of_each_by_cookie_and_by_token(client, make):
    """Mutants: the units read with the user split on anything but the comma the query joins them
    with (`split(None)`, `split("XX,XX")`): a manager of two units or more got a server error on
    every page that asks for their units, and on every API call."""
    first, second = make.unit(name="Hemtjänst Centrum"), make.unit(name="Hemtjänst Söder")
    manager = make.manager(first, second)
    people = [make.participant(first), make.participant(second)]
    token = issue_api_token(manager, "Skript")
    db.session.commit()
    cookie_id, ids = manager.get_id(), [p.id for p in people]
    make.set_login(client, cookie_id)
    for pid in ids:
        assert client.get(f"/organisations/participants/{pid}/edit").status_code == 200
    make.set_login(client, None)
    for pid in ids:
        response = client.get(f"/api/v1/participants/{pid}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and response.get_json()["id"] == pid
