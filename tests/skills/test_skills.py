"""Skills catalogue and professions: permissions, editing, validation, import and export."""
import csv
import io

import pytest

from ktc.extensions import db
from ktc.skills.models import Profession, Skill

ROLES = ("anonymous", "admin", "manager_a", "manager_b", "instructor", "participant", "network")


@pytest.fixture
def world(make):
    users, a, b = make.cast()
    skill = make.skill(code="KAT-01", name="Kateterisering", refresh_months=24)
    profession = make.profession(name="Sjuksköterska", skills=[skill])
    ids = {"skill": skill.id, "profession": profession.id,
           "cookies": {role: u.get_id() for role, u in users.items()}}
    ids["cookies"]["anonymous"] = None
    db.session.commit()
    return ids


ROUTES = ["/skills/", "/skills/?format=csv", "/skills/new", "/skills/{skill}/edit", "/skills/import",
          "/skills/professions", "/skills/professions?format=csv", "/skills/professions/new",
          "/skills/professions/{profession}/edit"]


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_reach_the_catalogue(client, make, world, role):
    make.set_login(client, world["cookies"][role])
    expected = {"anonymous": 302, "admin": 200}.get(role, 403)
    for url in ROUTES:
        assert client.get(url.format(**world)).status_code == expected, (url, role)
    if role == "admin":
        return
    for url in ["/skills/new", "/skills/{skill}/edit", "/skills/professions/new",
                "/skills/professions/{profession}/edit", "/skills/import", "/skills/import/whatever"]:
        response = client.post(url.format(**world), data={"code": "X", "name": "Intrång"})
        assert response.status_code == expected, (url, role)
    db.session.rollback()
    assert db.session.query(Skill).count() == 1
    assert db.session.get(Skill, world["skill"]).name == "Kateterisering"


def test_create_and_edit_skill(client, make):
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    response = client.post("/skills/new", data={"code": "sar-01", "name": "Sårvård",
                                                "category": "Omvårdnad", "description": "Rena och lägga om sår.",
                                                "refresh_months": "", "active": "y"})
    assert response.status_code == 302
    skill = db.session.query(Skill).one()
    assert (skill.code, skill.name, skill.refresh_months, skill.active) == ("SAR-01", "Sårvård", None, True)
    skill_id = skill.id
    db.session.rollback()
    response = client.post(f"/skills/{skill_id}/edit",
                           data={"code": "SAR-01", "name": "Sårvård", "refresh_months": "36"})
    assert response.status_code == 302
    skill = db.session.get(Skill, skill_id)
    assert (skill.refresh_months, skill.active) == (36, False)


def test_skill_validation_and_unique_code(client, make):
    make.skill(code="HLR-01")
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    response = client.post("/skills/new", data={"code": "hlr-01", "name": "HLR vuxen", "refresh_months": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "En annan kompetens har redan den koden." in page
    assert 'value="HLR vuxen"' in page
    response = client.post("/skills/new", data={"code": "NY 1", "name": "", "refresh_months": "tolv"})
    page = response.get_data(as_text=True)
    assert "Ange ett namn." in page
    assert "Ange förnyelseintervallet som ett helt antal månader." in page
    assert "Använd bokstäverna A–Z" in page
    response = client.post("/skills/new", data={"code": "NY1", "name": "Ny", "refresh_months": "0"})
    assert "Ange förnyelseintervallet som 1 till 240 månader" in response.get_data(as_text=True)
    assert db.session.query(Skill).count() == 1


def test_profession_with_required_skills(client, make):
    a, b = make.skill(code="A-1"), make.skill(code="B-1")
    make.profession(name="Undersköterska")
    ids = (a.id, b.id)
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    response = client.post("/skills/professions/new", data={"name": "Sjuksköterska", "skill_ids": list(ids)})
    assert response.status_code == 302
    profession = db.session.query(Profession).filter_by(name="Sjuksköterska").one()
    assert sorted(s.code for s in profession.required_skills) == ["A-1", "B-1"]
    pid = profession.id
    db.session.rollback()
    response = client.post(f"/skills/professions/{pid}/edit", data={"name": "Sjuksköterska", "skill_ids": [ids[1]]})
    assert response.status_code == 302
    assert [s.code for s in db.session.get(Profession, pid).required_skills] == ["B-1"]
    db.session.rollback()
    response = client.post(f"/skills/professions/{pid}/edit", data={"name": "undersköterska"})
    assert response.status_code == 422
    assert "Det finns redan ett yrke med det namnet." in response.get_data(as_text=True)
    export = client.get("/skills/professions?format=csv").get_data().decode("utf-8-sig")
    assert "Sjuksköterska;B-1" in export


def _upload(client, text):
    data = {"file": (io.BytesIO(text.encode("utf-8")), "kompetenser.csv")}
    return client.post("/skills/import", data=data, content_type="multipart/form-data")


def test_import_preview_lists_row_errors_and_saves_nothing(client, make):
    make.skill(code="KAT-01", name="Kateterisering")
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    text = (
        "kod;namn;kategori;beskrivning;förnyelse_månader\n"
        "INS-01;Insulin;Läkemedel;Ge insulin med penna;24\n"
        "INS-01;Insulin igen;;;\n"
        ";Utan kod;;;\n"
        "LYFT-01;;;;\n"
        "FALL-01;Fallprevention;;;två år\n"
    )
    location = _upload(client, text).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "4 rader har fel" in page
    assert "Koden finns också på rad 2 i filen." in page
    assert "Kod saknas." in page
    assert "Namn saknas." in page
    assert "”två år” är inte ett antal månader" in page
    db.session.rollback()
    assert client.post(location).status_code == 422
    assert db.session.query(Skill).count() == 1


def test_import_creates_and_updates_by_code(client, make):
    make.skill(code="KAT-01", name="Gammalt namn", refresh_months=12)
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    text = ("code,name,category,description,refresh_months\n"
            "kat-01,Kateterisering,Omvårdnad,KAD hos kvinna och man,\n"
            "HLR-01,HLR vuxen,Akut,,12\n")
    location = _upload(client, text).headers["Location"]
    assert "Uppdaterar befintlig" in client.get(location).get_data(as_text=True)
    db.session.rollback()
    assert client.post(location).status_code == 302
    skills = {s.code: s for s in db.session.query(Skill)}
    assert set(skills) == {"KAT-01", "HLR-01"}
    assert (skills["KAT-01"].name, skills["KAT-01"].refresh_months) == ("Kateterisering", None)
    assert (skills["HLR-01"].category, skills["HLR-01"].refresh_months) == ("Akut", 12)


def test_export_round_trips_swedish_letters(client, make):
    make.skill(code="SAR-01", name="Sårvård för äldre", category="Omvårdnad", refresh_months=None,
               description="Rengöring; omläggning")
    make.set_login(client, make.user("admin").get_id())
    db.session.commit()
    response = client.get("/skills/?format=csv")
    data = response.get_data()
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Kod", "Namn", "Kategori", "Beskrivning", "Förnyelse (månader)", "Aktiv"]
    assert rows[1] == ["SAR-01", "Sårvård för äldre", "Omvårdnad", "Rengöring; omläggning", "", "ja"]
    # The export is a valid import file: importing it again changes nothing.
    location = _upload(client, data.decode("utf-8")).headers["Location"]
    assert client.post(location).status_code == 302
    skill = db.session.query(Skill).one()
    assert (skill.name, skill.description, skill.refresh_months) == ("Sårvård för äldre", "Rengöring; omläggning", None)
