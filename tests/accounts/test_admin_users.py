"""The admin's user management: permissions, create, edit, deactivate, set password, export."""
import pytest

from ktc.accounts.models import User
from ktc.accounts.operations import verify_password
from ktc.extensions import db

ROLES = ("anonymous", "admin", "manager_a", "manager_b", "instructor", "participant", "network")


@pytest.fixture
def world(make):
    users, a, b = make.cast()
    ids = {"unit_a": a.id, "unit_b": b.id, "target": users["instructor"].id,
           "cookies": {role: u.get_id() for role, u in users.items()},
           "ids": {role: u.id for role, u in users.items()}}
    ids["cookies"]["anonymous"] = None
    db.session.commit()
    return ids


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_manage_users(client, make, world, role):
    make.set_login(client, world["cookies"][role])
    expected = {"anonymous": 302, "admin": 200}.get(role, 403)
    for url in ["/users", "/users?format=csv", "/users?role=manager", "/users/new", "/users/{target}/edit"]:
        assert client.get(url.format(**world)).status_code == expected, (url, role)
    if role == "admin":
        return
    target = world["target"]
    for url in [f"/users/{target}/deactivate", f"/users/{target}/activate", f"/users/{target}/password",
                f"/users/{target}/edit", "/users/new"]:
        response = client.post(url, data={"email": "x@example.org", "name": "X", "role": "admin",
                                          "password": "tio tecken minst", "confirm": "tio tecken minst"})
        assert response.status_code == expected, (url, role)
    db.session.rollback()
    user = db.session.get(User, target)
    assert user.active and user.role == "instructor" and user.password_hash is None
    assert not db.session.query(User).filter_by(email="x@example.org").count()


def test_deactivate_requires_post(client, make, world):
    make.set_login(client, world["cookies"]["admin"])
    assert client.get(f"/users/{world['target']}/deactivate").status_code == 405


def test_create_manager_with_units_and_participant_with_record(client, make, world):
    person = make.participant(name="Pia Persson", email="pia@example.org")
    person_id = person.id
    db.session.commit()
    make.set_login(client, world["cookies"]["admin"])
    response = client.post("/users/new", data={"email": "Chef@Example.org", "name": "Cecilia Chef", "role": "manager",
                                               "unit_ids": [world["unit_a"], world["unit_b"]], "participant_id": 0,
                                               "password": "ett långt lösenord"})
    assert response.status_code == 302
    boss = db.session.query(User).filter_by(email="chef@example.org").one()
    assert sorted(u.id for u in boss.units) == sorted([world["unit_a"], world["unit_b"]])
    assert verify_password(boss, "ett långt lösenord")
    db.session.rollback()
    response = client.post("/users/new", data={"email": "pia@example.org", "name": "Pia Persson",
                                               "role": "participant", "participant_id": person_id})
    assert response.status_code == 302
    pia = db.session.query(User).filter_by(email="pia@example.org").one()
    assert pia.participant_id == person_id and pia.password_hash is None and pia.units == []
    db.session.rollback()
    # The same staff record cannot get a second login; it is no longer offered either.
    page = client.get("/users/new").get_data(as_text=True)
    assert "Pia Persson (pia@example.org)" not in page
    response = client.post("/users/new", data={"email": "pia2@example.org", "name": "Pia", "role": "participant",
                                               "participant_id": person_id})
    assert response.status_code == 422


def test_create_user_validation(client, make, world):
    make.user("network", email="taken@example.org")
    db.session.commit()
    make.set_login(client, world["cookies"]["admin"])
    response = client.post("/users/new", data={"email": "TAKEN@example.org", "name": "Ny", "role": "network",
                                               "participant_id": 0})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Det finns redan en användare med den e-postadressen." in page
    assert 'value="TAKEN@example.org"' in page
    response = client.post("/users/new", data={"email": "nej", "name": "", "role": "manager", "participant_id": 0,
                                               "password": "kort"})
    page = response.get_data(as_text=True)
    assert "Ange en giltig e-postadress." in page
    assert "Ange ett namn." in page
    assert "Välj de enheter som enhetschefen ansvarar för." in page
    assert "Lösenordet måste vara minst 10 tecken långt." in page
    assert db.session.query(User).filter_by(role="network").count() == 2


def test_edit_user_role_and_units(client, make, world):
    make.set_login(client, world["cookies"]["admin"])
    target = world["ids"]["manager_a"]
    response = client.post(f"/users/{target}/edit", data={"email": "ny.chef@example.org", "name": "Ny Chef",
                                                         "role": "manager", "unit_ids": [world["unit_b"]],
                                                         "participant_id": 0})
    assert response.status_code == 302
    user = db.session.get(User, target)
    assert (user.email, user.name, [u.id for u in user.units]) == ("ny.chef@example.org", "Ny Chef", [world["unit_b"]])
    db.session.rollback()
    # Made an instructor, the user no longer manages any unit.
    client.post(f"/users/{target}/edit", data={"email": "ny.chef@example.org", "name": "Ny Chef",
                                              "role": "instructor", "participant_id": 0})
    user = db.session.get(User, target)
    assert (user.role, user.units) == ("instructor", [])


def test_admin_cannot_demote_or_deactivate_self(client, make, world):
    make.set_login(client, world["cookies"]["admin"])
    me = world["ids"]["admin"]
    response = client.post(f"/users/{me}/edit", data={"email": "a@example.org", "name": "A", "role": "network",
                                                     "participant_id": 0})
    assert response.status_code == 422
    assert "Du kan inte ändra din egen roll." in response.get_data(as_text=True)
    response = client.post(f"/users/{me}/deactivate")
    assert response.status_code == 422
    db.session.rollback()
    user = db.session.get(User, me)
    assert user.active and user.role == "admin"


def test_deactivation_logs_the_user_out_and_activation_lets_them_back(client, app, make, world):
    victim = app.test_client()
    make.set_login(victim, world["cookies"]["manager_a"])
    assert victim.get("/organisations/participants").status_code == 200
    make.set_login(client, world["cookies"]["admin"])
    assert client.post(f"/users/{world['ids']['manager_a']}/deactivate").status_code == 302
    assert victim.get("/organisations/participants").status_code == 302  # the old cookie no longer works
    page = client.get("/users?status=0").get_data(as_text=True)
    assert "Inaktiverad" in page
    assert client.post(f"/users/{world['ids']['manager_a']}/activate").status_code == 302
    assert db.session.get(User, world["ids"]["manager_a"]).active


def test_set_password(client, app, make, world):
    other = app.test_client()
    make.set_login(other, world["cookies"]["instructor"])
    make.set_login(client, world["cookies"]["admin"])
    target = world["target"]
    response = client.post(f"/users/{target}/password", data={"password": "kort", "confirm": "kort"})
    assert response.status_code == 422
    assert "Lösenordet måste vara minst 10 tecken långt." in response.get_data(as_text=True)
    response = client.post(f"/users/{target}/password", data={"password": "ett nytt lösenord", "confirm": "annat"})
    assert response.status_code == 422
    assert "Lösenorden är olika." in response.get_data(as_text=True)
    response = client.post(f"/users/{target}/password", data={"password": "ett nytt lösenord",
                                                              "confirm": "ett nytt lösenord"})
    assert response.status_code == 302
    assert verify_password(db.session.get(User, target), "ett nytt lösenord")
    db.session.rollback()
    assert other.get("/").status_code == 302  # their old session ended


def test_role_filter_and_export(client, make, world):
    make.user("instructor", name="Öjvind Östlund", email="ojvind@example.org")
    db.session.commit()
    make.set_login(client, world["cookies"]["admin"])
    page = client.get("/users?role=instructor").get_data(as_text=True)
    assert "Öjvind Östlund" in page and "Network" not in page
    data = client.get("/users?format=csv&role=instructor").get_data()
    assert data.startswith("\ufeff".encode("utf-8"))
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Namn;E-post;Roll")
    assert len(lines) == 3  # header + two instructors
    assert any(line.startswith("Öjvind Östlund;ojvind@example.org;Instruktör") for line in lines)
