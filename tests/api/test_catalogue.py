"""Organisations, units, skills, centres, stations and staff through the API."""
import pytest
from sqlalchemy import select

from ktc.extensions import db
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station


def test_admin_creates_the_catalogue_and_everyone_reads_it(api, world):
    admin = api.as_(world.tokens["admin"])
    r = admin.post("/api/v1/organisations", json={"name": "Region Kalmar län", "side": "regional",
                                                  "org_number": "232100-0081"})
    assert r.status_code == 201, r.json
    org_id = r.json["id"]
    r = admin.post("/api/v1/units", json={"organisation_id": org_id, "name": "Akutmottagningen Västervik"})
    assert r.status_code == 201 and r.json["side"] == "regional"
    r = admin.post("/api/v1/skills", json={"code": "PVK", "name": "Perifer venkateter", "category": "Omvårdnad",
                                           "refresh_months": 24})
    assert r.status_code == 201 and r.json["refresh_months"] == 24
    skill_id = r.json["id"]
    r = admin.post("/api/v1/skills", json={"code": "HYG", "name": "Basala hygienrutiner", "refresh_months": None})
    assert r.status_code == 201 and r.json["refresh_months"] is None
    r = admin.post("/api/v1/centres", json={
        "name": "KTC Kalmar", "address": "Lasarettsvägen 1", "timezone": "Europe/Stockholm",
        "opening_hours": [{"weekday": 0, "opens": "08:00", "closes": "16:30"}],
        "closed_days": [{"day": "2026-12-24", "reason": "Julafton"}]})
    assert r.status_code == 201, r.json
    centre_id = r.json["id"]
    assert r.json["opening_hours"] == [{"weekday": 0, "opens": "08:00", "closes": "16:30"}]
    r = admin.post("/api/v1/stations", json={"centre_id": centre_id, "name": "PVK-station", "skill_ids": [skill_id],
                                             "default_capacity": 6, "changeover_minutes": 10})
    assert r.status_code == 201, r.json
    station = db.session.get(Station, r.json["id"])
    assert [s.code for s in station.skills] == ["PVK"] and station.default_capacity == 6

    reader = api.as_(world.tokens["network"])
    assert "Region Kalmar län" in [o["name"] for o in reader.get("/api/v1/organisations").json]
    assert "Akutmottagningen Västervik" in [u["name"] for u in reader.get(f"/api/v1/units?organisation={org_id}").json]
    assert {"PVK", "HYG"} <= {s["code"] for s in reader.get("/api/v1/skills").json}
    assert "KTC Kalmar" in [c["name"] for c in reader.get("/api/v1/centres").json]
    assert [s["name"] for s in reader.get(f"/api/v1/stations?centre={centre_id}").json] == ["PVK-station"]


@pytest.mark.parametrize("url,payload", [
    ("/api/v1/organisations", {"name": "Jönköpings kommun", "side": "municipal"}),
    ("/api/v1/skills", {"code": "DUP", "name": "Dubblett"}),
    ("/api/v1/centres", {"name": "KTC Ryhov"}),
])
def test_duplicates_are_409_naming_the_field(api, world, make, url, payload):
    make.skill(code="DUP")
    r = api.as_(world.tokens["admin"]).post(url, json=payload)
    assert r.status_code == 409
    assert r.json["error"]["field"] in ("name", "code")


def test_duplicate_unit_and_station_names_are_409(api, world):
    admin = api.as_(world.tokens["admin"])
    r = admin.post("/api/v1/units", json={"organisation_id": world.kommun.id, "name": "Hemtjänst Öster"})
    assert r.status_code == 409
    r = admin.post("/api/v1/stations", json={"centre_id": world.centre.id, "name": "Kateterstation"})
    assert r.status_code == 409
    assert db.session.execute(select(Unit).where(Unit.name == "Hemtjänst Öster")).scalars().all().__len__() == 1


@pytest.mark.parametrize("url,payload,field", [
    ("/api/v1/organisations", {"name": "X", "side": "state"}, "side"),
    ("/api/v1/organisations", {"side": "municipal"}, "name"),
    ("/api/v1/organisations", {"name": "   ", "side": "municipal"}, "name"),
    ("/api/v1/organisations", {"name": "x" * 201, "side": "municipal"}, "name"),
    ("/api/v1/units", {"organisation_id": 424242, "name": "Y"}, "organisation_id"),
    ("/api/v1/units", {"organisation_id": "1", "name": "Y"}, "organisation_id"),
    ("/api/v1/skills", {"code": "Z", "name": "Z", "refresh_months": 0}, "refresh_months"),
    ("/api/v1/skills", {"code": "Z", "name": "Z", "refresh_months": True}, "refresh_months"),
    ("/api/v1/skills", {"code": "Z", "name": "Z", "active": "yes"}, "active"),
    ("/api/v1/centres", {"name": "C", "timezone": "Mars/Olympus"}, "timezone"),
    ("/api/v1/centres", {"name": "C", "opening_hours": [{"weekday": 9, "opens": "08:00", "closes": "10:00"}]},
     "opening_hours.weekday"),
    ("/api/v1/centres", {"name": "C", "opening_hours": [{"weekday": 1, "opens": "10:00", "closes": "08:00"}]},
     "opening_hours"),
    ("/api/v1/centres", {"name": "C", "closed_days": [{"day": "24/12"}]}, "closed_days.day"),
    ("/api/v1/stations", {"centre_id": 0, "name": "S"}, "centre_id"),
    ("/api/v1/stations", {"centre_id": 1, "name": "S", "skill_ids": [987654]}, "skill_ids"),
    ("/api/v1/participants", {"name": "P", "unit_id": 1, "email": "not-an-address"}, "email"),
])
def test_invalid_fields_are_422_naming_the_field(api, world, url, payload, field):
    if payload.get("unit_id") == 1:
        payload = {**payload, "unit_id": world.unit_a.id}
    if payload.get("centre_id") == 1:
        payload = {**payload, "centre_id": world.centre.id}
    r = api.as_(world.tokens["admin"]).post(url, json=payload)
    assert r.status_code == 422, r.json
    assert r.json["error"]["field"] == field
    assert r.json["error"]["message"]


def test_manager_lists_only_their_units_staff(api, world):
    r = api.as_(world.tokens["manager_a"]).get("/api/v1/participants")
    assert r.status_code == 200
    assert sorted(p["id"] for p in r.json) == sorted(p.id for p in world.staff_a)
    assert all(p["unit_id"] == world.unit_a.id for p in r.json)
    r = api.as_(world.tokens["manager_a"]).get(f"/api/v1/participants?unit={world.unit_b.id}")
    assert r.json == []


def test_admin_lists_and_filters_everyone(api, world):
    admin = api.as_(world.tokens["admin"])
    assert len(admin.get("/api/v1/participants").json) == 9
    found = admin.get("/api/v1/participants?q=ryhov").json
    assert [p["name"] for p in found] == [p.name for p in world.staff_r]
    regional = admin.get(f"/api/v1/participants?organisation={world.region.id}").json
    assert {p["side"] for p in regional} == {"regional"}


def test_participant_sees_only_themself(api, world):
    r = api.as_(world.tokens["participant"]).get("/api/v1/participants")
    assert [p["id"] for p in r.json] == [world.staff_a[0].id]
    r = api.as_(world.tokens["participant"]).get(f"/api/v1/participants/{world.staff_a[1].id}")
    assert r.status_code == 404


def test_manager_reaching_for_another_units_person_gets_404(api, world):
    r = api.as_(world.tokens["manager_a"]).get(f"/api/v1/participants/{world.staff_b[0].id}")
    assert r.status_code == 404
    r = api.as_(world.tokens["manager_a"]).get(f"/api/v1/participants/{world.staff_a[1].id}")
    assert r.status_code == 200 and r.json["email"] == world.staff_a[1].email


def test_manager_creates_staff_only_in_own_units(api, world):
    mgr = api.as_(world.tokens["manager_a"])
    r = mgr.post("/api/v1/participants", json={"name": "Åsa Ek", "email": "Asa.Ek@Jonkoping.se",
                                               "unit_id": world.unit_a.id})
    assert r.status_code == 201, r.json
    assert r.json["email"] == "asa.ek@jonkoping.se" and r.json["side"] == "municipal"
    r = mgr.post("/api/v1/participants", json={"name": "Örjan Ek", "unit_id": world.unit_b.id})
    assert r.status_code == 403
    assert db.session.execute(select(Participant).where(Participant.name == "Örjan Ek")).first() is None
    r = mgr.post("/api/v1/participants", json={"name": "Åsa Ek 2", "email": "asa.ek@jonkoping.se",
                                               "unit_id": world.unit_a.id})
    assert r.status_code == 409 and r.json["error"]["field"] == "email"


@pytest.mark.parametrize("who", ["manager_a", "instructor", "participant", "network"])
def test_only_admins_write_the_catalogue(api, world, who):
    client = api.as_(world.tokens[who])
    for url, payload in [
        ("/api/v1/organisations", {"name": "Ny kommun", "side": "municipal"}),
        ("/api/v1/units", {"organisation_id": world.kommun.id, "name": "Ny enhet"}),
        ("/api/v1/skills", {"code": "NY", "name": "Ny"}),
        ("/api/v1/centres", {"name": "Nytt centrum"}),
        ("/api/v1/stations", {"centre_id": world.centre.id, "name": "Ny station"}),
    ]:
        assert client.post(url, json=payload).status_code == 403, url
    assert db.session.execute(select(Organisation).where(Organisation.name == "Ny kommun")).first() is None
    assert db.session.execute(select(Skill).where(Skill.code == "NY")).first() is None
    assert db.session.execute(select(Centre).where(Centre.name == "Nytt centrum")).first() is None


@pytest.mark.parametrize("email", ["", "   ", "inte-en-adress", "a@"])
def test_an_email_that_is_not_an_address_is_refused_and_null_means_none(api, world, email):
    """The description says `format: email` (null for none); an empty text was stored as "no address"
    before, which Schemathesis' negative data found."""
    mgr = api.as_(world.tokens["manager_a"])
    r = mgr.post("/api/v1/participants", json={"name": "Åsa Utan", "email": email, "unit_id": world.unit_a.id})
    assert r.status_code == 422 and r.json["error"]["field"] == "email", r.json
    assert db.session.execute(select(Participant).where(Participant.name == "Åsa Utan")).first() is None
    r = mgr.post("/api/v1/participants", json={"name": "Åsa Utan", "email": None, "unit_id": world.unit_a.id})
    assert r.status_code == 201 and r.json["email"] is None
