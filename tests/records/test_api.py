"""API: POST /api/v1/sessions/{id}/attendance and GET /api/v1/participants/{id}/skills."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ktc.accounts.operations import issue_api_token
from ktc.audit.models import AuditEntry
from ktc.database import utcnow
from ktc.extensions import db
from ktc.i18n import local_today
from ktc.records.models import SkillRecord
from ktc.records.status import add_months


def _post(client, url, **kwargs):
    """POST after ending the test's own transaction (on SQLite it would hold the write lock)."""
    db.session.commit()
    return client.post(url, **kwargs)


def _headers(user):
    token = issue_api_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_setup(make):
    instructor = make.user("instructor")
    cpr = make.skill(refresh_months=24)
    hygiene = make.skill(refresh_months=None)
    start = utcnow() - timedelta(hours=2)
    session = make.session(make.station(skills=[cpr, hygiene]), start=start, instructors=[instructor])
    anna, bo = make.participant(name="Anna"), make.participant(name="Bo")
    b_anna, b_bo = make.booking(session, anna), make.booking(session, bo)
    waiting = make.booking(session, make.participant(), status="waitlisted")
    db.session.commit()
    return {"instructor": instructor, "cpr": cpr, "hygiene": hygiene, "session": session, "anna": anna, "bo": bo,
            "b_anna": b_anna, "b_bo": b_bo, "waiting": waiting, "start": start}


def test_attendance_as_bare_list_then_as_entries(client, api_setup):
    d = api_setup
    headers = _headers(d["instructor"])
    url = f"/api/v1/sessions/{d['session'].id}/attendance"
    body = [
        {"participant_id": d["anna"].id, "attended": True,
         "outcomes": {str(d["cpr"].id): "demonstrated", str(d["hygiene"].id): "practised"}},
        {"participant_id": d["bo"].id, "attended": False, "outcomes": {}},
    ]
    response = _post(client, url, json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    anna = data["entries"][0]
    assert anna["status"] == "attended" and anna["booking_id"] == d["b_anna"].id
    local_day = d["start"].astimezone(ZoneInfo("Europe/Stockholm")).date()
    expected = add_months(local_day, 24).isoformat()
    assert anna["outcomes"][str(d["cpr"].id)] == {"outcome": "demonstrated", "valid_until": expected, "comment": ""}
    assert anna["outcomes"][str(d["hygiene"].id)]["valid_until"] is None
    assert data["entries"][1] == {"participant_id": d["bo"].id, "booking_id": d["b_bo"].id, "status": "no_show",
                                  "outcomes": {}}

    response = _post(client, url, json={"entries": [
        {"participant_id": d["anna"].id, "attended": True, "outcomes": {str(d["cpr"].id): "needs_practice"},
         "comments": {str(d["cpr"].id): "Öva kompressioner"}}]}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["entries"][0]["outcomes"][str(d["cpr"].id)] == {
        "outcome": "needs_practice", "valid_until": None, "comment": "Öva kompressioner"}
    db.session.expire_all()
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("signoff.changed") == 1 and actions.count("attendance.set") == 2


def test_attendance_is_all_or_nothing(client, api_setup):
    d = api_setup
    headers = _headers(d["instructor"])
    body = [
        {"participant_id": d["anna"].id, "attended": True, "outcomes": {str(d["cpr"].id): "demonstrated"}},
        {"participant_id": d["waiting"].participant_id, "attended": True},
    ]
    response = _post(client, f"/api/v1/sessions/{d['session'].id}/attendance", json=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_booked"
    db.session.expire_all()
    assert d["b_anna"].status == "confirmed"
    assert db.session.execute(select(SkillRecord)).first() is None


@pytest.mark.parametrize("body, status, code", [
    ({"participant_id": 1}, 400, "bad_request"),
    ([], 400, "bad_request"),
    ([{"participant_id": "1", "attended": True}], 400, "bad_request"),
    ([{"participant_id": 1, "attended": "yes"}], 400, "bad_request"),
    ([{"participant_id": 1, "attended": True, "outcomes": ["demonstrated"]}], 400, "bad_request"),
])
def test_attendance_malformed(client, api_setup, body, status, code):
    response = _post(client, f"/api/v1/sessions/{api_setup['session'].id}/attendance", json=body,
                           headers=_headers(api_setup["instructor"]))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_attendance_domain_errors(client, api_setup):
    d = api_setup
    headers = _headers(d["instructor"])
    url = f"/api/v1/sessions/{d['session'].id}/attendance"
    cases = [
        ({"participant_id": d["anna"].id, "attended": True, "outcomes": {"999999": "demonstrated"}}, "skill_not_covered"),
        ({"participant_id": d["anna"].id, "attended": True, "outcomes": {str(d["cpr"].id): "good"}}, "invalid_outcome"),
        ({"participant_id": d["anna"].id, "attended": False, "outcomes": {str(d["cpr"].id): "practised"}},
         "outcome_without_attendance"),
    ]
    for entry, code in cases:
        response = _post(client, url, json=[entry], headers=headers)
        assert (response.status_code, response.get_json()["error"]["code"]) == (422, code)


def test_attendance_permissions(client, make, api_setup):
    d = api_setup
    other = make.user("instructor")
    manager = make.manager(d["anna"].unit)
    admin = make.user("admin")
    db.session.commit()
    body = [{"participant_id": d["anna"].id, "attended": True}]
    url = f"/api/v1/sessions/{d['session'].id}/attendance"
    assert _post(client, url, json=body).status_code == 401
    for user in (other, manager):
        response = _post(client, url, json=body, headers=_headers(user))
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert _post(client, "/api/v1/sessions/999999/attendance", json=body, headers=_headers(admin)).status_code == 404
    assert _post(client, url, json=body, headers=_headers(admin)).status_code == 200


def test_attendance_before_start(client, make):
    instructor = make.user("instructor")
    session = make.session(make.station(skills=[make.skill()]), start=make.future(1), instructors=[instructor])
    person = make.participant()
    make.booking(session, person)
    db.session.commit()
    response = _post(client, f"/api/v1/sessions/{session.id}/attendance",
                           json=[{"participant_id": person.id, "attended": True}], headers=_headers(instructor))
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "session_not_started")


def test_participant_skills(client, make):
    unit = make.unit()
    cpr, insulin, lift = make.skill(code="HLR"), make.skill(code="INS"), make.skill(code="LYFT")
    person = make.participant(unit, profession=make.profession(skills=[cpr, insulin, lift]))
    today = local_today()
    soon = today + timedelta(days=30)
    make.skill_record(person, cpr, valid_until=soon, comment="Bra")
    make.skill_record(person, insulin, "needs_practice")
    own = make.participant_user(person)
    manager = make.manager(unit)
    stranger = make.manager(make.unit())
    other = make.participant_user()
    db.session.commit()
    response = client.get(f"/api/v1/participants/{person.id}/skills", headers=_headers(own))
    assert response.status_code == 200
    data = response.get_json()
    assert data["as_of"] == today.isoformat() and data["expiry_window_days"] == 60
    by_code = {s["code"]: s for s in data["skills"]}
    assert (by_code["HLR"]["status"], by_code["HLR"]["valid_until"]) == ("expiring", soon.isoformat())
    assert by_code["HLR"]["history"][0]["comment"] == "Bra" and by_code["HLR"]["latest_outcome"] == "demonstrated"
    assert (by_code["INS"]["status"], by_code["INS"]["latest_outcome"]) == ("practised", "needs_practice")
    assert (by_code["LYFT"]["status"], by_code["LYFT"]["history"]) == ("missing", [])
    assert all(s["required"] for s in data["skills"])
    assert client.get(f"/api/v1/participants/{person.id}/skills", headers=_headers(manager)).status_code == 200
    for user in (stranger, other):
        assert client.get(f"/api/v1/participants/{person.id}/skills", headers=_headers(user)).status_code == 403
    assert client.get("/api/v1/participants/999999/skills", headers=_headers(manager)).status_code == 404


def test_openapi_describes_attendance_and_skill_records(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    attendance = paths["/api/v1/sessions/{session_id}/attendance"]["post"]
    assert "requestBody" in attendance and {"200", "400", "403", "404", "422"} <= set(attendance["responses"])
    assert "200" in paths["/api/v1/participants/{participant_id}/skills"]["get"]["responses"]
