"""Organisations, units and the staff list: create, edit, validation, filters and export."""
import csv
import io

from ktc.extensions import db
from ktc.organisations.models import Organisation, Participant, Unit


def _login(client, make, user):
    make.set_login(client, user.get_id())


def test_admin_creates_organisation_and_unit_with_manager(client, make):
    admin = make.user("admin")
    boss = make.user("manager", name="Berit Chef")
    boss_id = boss.id
    _login(client, make, admin)
    db.session.commit()
    response = client.post("/organisations/new", data={"name": "Region Östergötland", "side": "regional",
                                                        "org_number": "232100-0186"})
    assert response.status_code == 302
    org = db.session.query(Organisation).filter_by(name="Region Östergötland").one()
    assert (org.side, org.org_number) == ("regional", "232100-0186")
    org_id = org.id
    db.session.rollback()
    response = client.post(f"/organisations/{org_id}/units/new", data={"name": "Vårdcentralen Ekholmen",
                                                                       "manager_ids": [boss_id]})
    assert response.status_code == 302
    unit = db.session.query(Unit).filter_by(name="Vårdcentralen Ekholmen").one()
    assert [m.id for m in unit.managers] == [boss_id]
    db.session.rollback()
    page = client.get("/organisations/").get_data(as_text=True)
    assert "Vårdcentralen Ekholmen" in page and "Berit Chef" in page


def test_duplicate_names_are_form_errors_not_500(client, make):
    admin = make.user("admin")
    unit = make.unit(name="Hemtjänst Norr", organisation_=make.organisation(name="Linköpings kommun"))
    org_id = unit.organisation_id
    _login(client, make, admin)
    db.session.commit()
    response = client.post("/organisations/new", data={"name": "linköpings KOMMUN", "side": "municipal"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Det finns redan en organisation med det namnet." in page
    assert 'value="linköpings KOMMUN"' in page  # what was typed is kept
    response = client.post(f"/organisations/{org_id}/units/new", data={"name": "Hemtjänst norr"})
    assert response.status_code == 422
    assert "Organisationen har redan en enhet med det namnet." in response.get_data(as_text=True)


def test_organisation_validation_messages(client, make):
    _login(client, make, make.user("admin"))
    db.session.commit()
    response = client.post("/organisations/new", data={"name": "", "side": "", "org_number": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ange ett namn." in page
    assert "Välj kommun eller region." in page
    assert "NNNNNN-NNNN" in page
    assert 'aria-invalid="true"' in page
    assert not db.session.query(Organisation).count()


def test_manager_adds_and_edits_staff_in_own_unit_only(client, make):
    users, a, b = make.cast()
    nurse = make.profession(name="Sjuksköterska")
    ids = dict(a=a.id, b=b.id, nurse=nurse.id)
    _login(client, make, users["manager_a"])
    db.session.commit()
    # The form offers only the manager's own units; another unit is refused.
    page = client.get("/organisations/participants/new").get_data(as_text=True)
    assert f'value="{ids["a"]}"' in page and f'value="{ids["b"]}"' not in page
    response = client.post("/organisations/participants/new", data={
        "name": "Bengt Berg", "email": "bengt@example.org", "unit_id": ids["b"], "profession_id": 0, "active": "y"})
    assert response.status_code == 422
    assert not db.session.query(Participant).filter_by(email="bengt@example.org").count()
    db.session.rollback()
    response = client.post("/organisations/participants/new", data={
        "name": "Bengt Berg", "email": "Bengt@Example.org", "unit_id": ids["a"], "profession_id": ids["nurse"],
        "active": "y"})
    assert response.status_code == 302
    person = db.session.query(Participant).filter_by(email="bengt@example.org").one()
    assert (person.unit_id, person.profession_id, person.active) == (ids["a"], ids["nurse"], True)
    person_id = person.id
    db.session.rollback()
    response = client.post(f"/organisations/participants/{person_id}/edit", data={
        "name": "Bengt Berg-Ek", "email": "bengt@example.org", "unit_id": ids["a"], "profession_id": 0})
    assert response.status_code == 302
    person = db.session.get(Participant, person_id)
    assert (person.name, person.profession_id, person.active) == ("Bengt Berg-Ek", None, False)
    db.session.rollback()
    # Moving the person to a unit the manager does not manage is refused.
    response = client.post(f"/organisations/participants/{person_id}/edit", data={
        "name": "Bengt Berg-Ek", "email": "bengt@example.org", "unit_id": ids["b"], "profession_id": 0})
    assert response.status_code == 422
    assert db.session.get(Participant, person_id).unit_id == ids["a"]


def test_manager_cannot_place_staff_in_other_unit_through_the_operation(make):
    from ktc.errors import PermissionDenied
    from ktc.organisations.operations import create_participant

    users, a, b = make.cast()
    try:
        create_participant(users["manager_a"], "X", "x@example.org", b)
    except PermissionDenied as exc:
        assert exc.field == "unit_id"
    else:
        raise AssertionError("a manager placed someone in another unit")


def test_duplicate_staff_email_is_a_form_error(client, make):
    admin = make.user("admin")
    unit = make.unit()
    make.participant(unit, email="karin@example.org")
    unit_id = unit.id
    _login(client, make, admin)
    db.session.commit()
    response = client.post("/organisations/participants/new", data={
        "name": "Karin", "email": "karin@example.org", "unit_id": unit_id, "profession_id": 0})
    assert response.status_code == 422
    assert "Någon i personallistan har redan den e-postadressen." in response.get_data(as_text=True)


def test_staff_filters(client, make):
    admin = make.user("admin")
    region = make.organisation(side="regional", name="Region Test")
    ward = make.unit(region, name="Avdelning 12")
    home = make.unit(name="Hemtjänst Syd")
    nurse = make.profession(name="Sjuksköterska")
    make.participant(ward, name="Rut Region", profession=nurse)
    make.participant(home, name="Kim Kommun", email="kim@kommun.example")
    make.participant(home, name="Ina Inaktiv", active=False)
    ids = dict(region=region.id, ward=ward.id, nurse=nurse.id)
    _login(client, make, admin)
    db.session.commit()

    def names(query):
        return {row[0] for row in _rows(client.get(f"/organisations/participants?format=csv&{query}"))}

    assert names("") == {"Rut Region", "Kim Kommun", "Ina Inaktiv"}
    assert names(f"organisation={ids['region']}") == {"Rut Region"}
    assert names(f"unit={ids['ward']}") == {"Rut Region"}
    assert names(f"profession={ids['nurse']}") == {"Rut Region"}
    assert names("active=0") == {"Ina Inaktiv"}
    assert names("q=KOMMUN") == {"Kim Kommun"}  # by name or e-mail, any case


def _rows(response):
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))[1:]


def test_staff_export_keeps_swedish_letters_and_has_bom(client, make):
    admin = make.user("admin")
    unit = make.unit(name="Äldreboendet Älvgården", organisation_=make.organisation(name="Örebro kommun"))
    make.participant(unit, name="Åsa Öström", profession=make.profession(name="Undersköterska"))
    _login(client, make, admin)
    db.session.commit()
    response = client.get("/organisations/participants?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data().startswith("\ufeff".encode("utf-8"))
    text = response.get_data().decode("utf-8-sig")
    assert text.splitlines()[0] == "Namn;E-post;Yrke;Organisation;Enhet;Aktiv"
    assert "Åsa Öström" in text and "Äldreboendet Älvgården" in text and "Örebro kommun" in text
    org_export = client.get("/organisations/?format=csv").get_data().decode("utf-8-sig")
    assert "Äldreboendet Älvgården" in org_export


def test_manager_sees_only_own_units_in_the_filter(client, make):
    users, a, b = make.cast()
    b_name = b.name
    _login(client, make, users["manager_a"])
    db.session.commit()
    page = client.get("/organisations/participants").get_data(as_text=True)
    assert b_name not in page
    assert 'name="organisation"' not in page
