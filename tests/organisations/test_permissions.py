"""Every route of the organisations and staff screens, walked for every role."""
import pytest

from ktc.extensions import db

ROLES = ("anonymous", "admin", "manager_a", "manager_b", "instructor", "participant", "network")


@pytest.fixture
def world(make):
    users, a, b = make.cast()
    person_a = make.participant(a, name="Anna Andersson")
    ids = {
        "org": a.organisation_id, "unit_a": a.id, "person_a": person_a.id,
        "cookies": {role: u.get_id() for role, u in users.items()},
    }
    ids["cookies"]["anonymous"] = None
    db.session.commit()
    return ids


def _expect(role, allowed, denied=403):
    if role == "anonymous":
        return 302
    return 200 if role in allowed else denied


ADMIN_ONLY = ["/organisations/", "/organisations/?format=csv", "/organisations/new", "/organisations/{org}/edit",
              "/organisations/{org}/units/new", "/organisations/units/{unit_a}/edit"]
STAFF = ["/organisations/participants", "/organisations/participants?format=csv", "/organisations/participants/new",
         "/organisations/participants/import"]


@pytest.mark.parametrize("role", ROLES)
def test_get_routes_per_role(client, world, make, role):
    make.set_login(client, world["cookies"][role])
    for url in ADMIN_ONLY:
        response = client.get(url.format(**world))
        assert response.status_code == _expect(role, {"admin"}), (url, role)
    for url in STAFF:
        response = client.get(url.format(**world))
        assert response.status_code == _expect(role, {"admin", "manager_a", "manager_b"}), (url, role)
    # Another unit's person is not found for manager B; the rest may not look at all.
    response = client.get(f"/organisations/participants/{world['person_a']}/edit")
    assert response.status_code == _expect(role, {"admin", "manager_a"}, 404 if role == "manager_b" else 403)


@pytest.mark.parametrize("role", ["manager_a", "instructor", "participant", "network", "anonymous"])
def test_admin_only_posts_are_refused(client, world, make, role):
    make.set_login(client, world["cookies"][role])
    posts = ["/organisations/new", "/organisations/{org}/edit", "/organisations/{org}/units/new",
             "/organisations/units/{unit_a}/edit"]
    for url in posts:
        response = client.post(url.format(**world), data={"name": "Intrång", "side": "regional"})
        assert response.status_code == (302 if role == "anonymous" else 403), (url, role)
    db.session.rollback()
    from ktc.organisations.models import Organisation, Unit

    assert not db.session.query(Organisation).filter_by(name="Intrång").count()
    assert not db.session.query(Unit).filter_by(name="Intrång").count()


def test_manager_b_cannot_edit_unit_a_person_by_post(client, world, make):
    make.set_login(client, world["cookies"]["manager_b"])
    response = client.post(
        f"/organisations/participants/{world['person_a']}/edit",
        data={"name": "Kapad", "email": "kapad@example.org", "unit_id": world["unit_a"], "profession_id": 0},
    )
    assert response.status_code == 404
    db.session.rollback()
    from ktc.organisations.models import Participant

    assert db.session.get(Participant, world["person_a"]).name == "Anna Andersson"


def test_staff_list_shows_only_own_units_to_a_manager(client, world, make):
    make.set_login(client, world["cookies"]["manager_b"])
    page = client.get("/organisations/participants").get_data(as_text=True)
    assert "Anna Andersson" not in page
    export = client.get("/organisations/participants?format=csv").get_data(as_text=True)
    assert "Anna Andersson" not in export
    make.set_login(client, world["cookies"]["manager_a"])
    assert "Anna Andersson" in client.get("/organisations/participants").get_data(as_text=True)
    make.set_login(client, world["cookies"]["admin"])
    assert "Anna Andersson" in client.get("/organisations/participants").get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_import_preview_route_per_role(client, world, make, role):
    """Unknown or foreign upload ids are not found for those who may import; the rest are refused."""
    make.set_login(client, world["cookies"][role])
    expected = {"anonymous": 302, "admin": 404, "manager_a": 404, "manager_b": 404}.get(role, 403)
    assert client.get("/organisations/participants/import/no-such-upload").status_code == expected
    assert client.post("/organisations/participants/import/no-such-upload").status_code == expected
    upload = client.post("/organisations/participants/import", data={}, content_type="multipart/form-data")
    assert upload.status_code == {"anonymous": 302, "admin": 422, "manager_a": 422, "manager_b": 422}.get(role, 403)
