"""The API and the staff screens share one set of catalogue rules (the feature operations)."""
from sqlalchemy import select

from ktc.extensions import db
from ktc.organisations.models import Organisation, Participant
from ktc.privacy.operations import erase_participant
from ktc.skills.models import Skill
from ktc.stations.models import Station


def test_names_and_codes_are_unique_regardless_of_case_as_on_the_screens(api, world, make):
    admin = api.as_(world.tokens["admin"])
    make.skill(code="KAT")
    r = admin.post("/api/v1/organisations", json={"name": "jönköpings KOMMUN", "side": "municipal"})
    assert r.status_code == 409 and r.json["error"]["field"] == "name"
    r = admin.post("/api/v1/skills", json={"code": "kat", "name": "Kateter igen"})
    assert r.status_code == 409 and r.json["error"]["field"] == "code"
    r = admin.post("/api/v1/stations", json={"centre_id": world.centre.id, "name": "KATETERSTATION"})
    assert r.status_code == 409 and r.json["error"]["field"] == "name"
    names = db.session.execute(select(Organisation.name)).scalars().all()
    assert sorted(names) == ["Jönköpings kommun", "Region Jönköpings län"]


def test_skill_codes_are_stored_in_upper_case(api, world):
    r = api.as_(world.tokens["admin"]).post("/api/v1/skills", json={"code": "  pvk-2 ", "name": "PVK"})
    assert r.status_code == 201, r.json
    assert r.json["code"] == "PVK-2"
    assert db.session.execute(select(Skill.code).where(Skill.id == r.json["id"])).scalar_one() == "PVK-2"


def test_numbers_beyond_the_screens_limits_are_refused(api, world):
    admin = api.as_(world.tokens["admin"])
    r = admin.post("/api/v1/skills", json={"code": "LONG", "name": "Lång", "refresh_months": 241})
    assert r.status_code == 422 and r.json["error"]["field"] == "refresh_months"
    r = admin.post("/api/v1/stations", json={"centre_id": world.centre.id, "name": "Stor", "default_capacity": 201})
    assert r.status_code == 422 and r.json["error"]["field"] == "default_capacity"
    r = admin.post("/api/v1/stations", json={"centre_id": world.centre.id, "name": "Lång paus",
                                             "changeover_minutes": 241})
    assert r.status_code == 422 and r.json["error"]["field"] == "changeover_minutes"
    assert db.session.execute(select(Station).where(Station.name.in_(["Stor", "Lång paus"]))).first() is None
    assert db.session.execute(select(Skill).where(Skill.code == "LONG")).first() is None


def test_station_defaults_come_from_the_operation(api, world):
    r = api.as_(world.tokens["admin"]).post("/api/v1/stations", json={"centre_id": world.centre.id, "name": "Ny"})
    assert r.status_code == 201, r.json
    assert (r.json["default_capacity"], r.json["default_duration_minutes"], r.json["changeover_minutes"]) == (8, 120, 15)


def test_centre_with_closed_days_and_a_bad_time_zone(api, world):
    admin = api.as_(world.tokens["admin"])
    r = admin.post("/api/v1/centres", json={"name": "KTC Växjö", "timezone": "Europe/Atlantis"})
    assert r.status_code == 422 and r.json["error"]["field"] == "timezone"
    r = admin.post("/api/v1/centres", json={
        "name": "KTC Växjö", "closed_days": [{"day": "2026-06-19", "reason": "Midsommarafton"},
                                             {"day": "2026-12-24", "reason": "Julafton"}]})
    assert r.status_code == 201, r.json
    assert r.json["timezone"] == "Europe/Stockholm"
    assert r.json["closed_days"] == [{"day": "2026-06-19", "reason": "Midsommarafton"},
                                     {"day": "2026-12-24", "reason": "Julafton"}]
    r = admin.post("/api/v1/centres", json={"name": "KTC Ljungby", "closed_days": [{"day": "2026-12-24"},
                                                                                   {"day": "2026-12-24"}]})
    assert r.status_code == 422 and r.json["error"]["field"] == "closed_days"


def test_staff_without_an_email_address(api, world):
    r = api.as_(world.tokens["manager_a"]).post("/api/v1/participants", json={"name": "Märta Utan Mejl",
                                                                            "unit_id": world.unit_a.id})
    assert r.status_code == 201, r.json
    assert r.json["email"] is None
    assert db.session.get(Participant, r.json["id"]).email is None


def test_a_manager_is_refused_another_unit_before_the_address_is_checked(api, world):
    """Whether another unit's person has an address is not the manager's to learn: 403 comes first.
    (An address that is no address at all is refused by the schema, as input, for any unit: 422.)"""
    taken = world.staff_b[0].email
    r = api.as_(world.tokens["manager_a"]).post("/api/v1/participants", json={
        "name": "Okänd", "email": taken, "unit_id": world.unit_b.id})
    assert r.status_code == 403
    assert r.json["error"]["code"] == "forbidden"
    r = api.as_(world.tokens["manager_a"]).post("/api/v1/participants", json={
        "name": "Okänd", "email": "not-an-address", "unit_id": world.unit_b.id})
    assert r.status_code == 422 and r.json["error"]["field"] == "email"


def test_erased_people_are_not_listed(api, world):
    erase_participant(world.admin, world.staff_a[2])
    db.session.commit()
    ids = [p["id"] for p in api.as_(world.tokens["admin"]).get("/api/v1/participants").json]
    assert world.staff_a[2].id not in ids and world.staff_a[1].id in ids
    ids = [p["id"] for p in api.as_(world.tokens["manager_a"]).get("/api/v1/participants").json]
    assert world.staff_a[2].id not in ids and world.staff_a[1].id in ids


def test_staff_list_pages_and_filters_by_profession(api, world, make):
    nurse = make.profession("Sjuksköterska")
    world.staff_r[1].profession = nurse
    db.session.commit()
    admin = api.as_(world.tokens["admin"])
    everyone = [p["id"] for p in admin.get("/api/v1/participants").json]
    assert len(everyone) == 9
    page = [p["id"] for p in admin.get("/api/v1/participants?limit=3&offset=3").json]
    assert page == everyone[3:6]
    found = admin.get(f"/api/v1/participants?profession={nurse.id}").json
    assert [p["id"] for p in found] == [world.staff_r[1].id]
    r = admin.get("/api/v1/participants?limit=0")
    assert r.status_code == 422 and r.json["error"]["field"] == "limit"


def test_instructors_and_network_members_get_no_staff_list(api, world):
    for who in ("instructor", "network"):
        assert api.as_(world.tokens[who]).get("/api/v1/participants").status_code == 403
