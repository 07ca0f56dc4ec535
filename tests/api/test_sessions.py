"""Sessions through the API: the shape clients rely on, filters, planning rules and their error codes."""
from datetime import date, datetime, time, timedelta

import pytest

from ktc.extensions import db
from ktc.sessions.models import Session
from tests.factories import local


def monday(weeks_ahead=3):
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks_ahead)


@pytest.fixture
def plan(make, token):
    centre = make.centre(opens=time(8, 0), closes=time(17, 0), weekdays=range(5), name="KTC Värnamo")
    skill_a, skill_b = make.skill(code="KAT"), make.skill(code="SAR")
    station = make.station(centre, skills=[skill_a, skill_b], name="Sårvård", changeover_minutes=15)
    teacher = make.user("instructor", name="Karin Instruktör")
    admin = make.user("admin")
    db.session.commit()
    return type("Plan", (), {**locals(), "admin_token": token(admin)})


def iso_local(day, hh, mm=0):
    return local(day.year, day.month, day.day, hh, mm).astimezone().isoformat()


def test_session_shows_what_clients_rely_on(api, world, make):
    kommun_p, region_p = world.staff_a[1], world.staff_r[0]
    session = make.session(world.station, start=make.future(20), capacity=8, min_per_side=2,
                           release_before_hours=48, instructors=[world.instructor])
    make.booking(session, kommun_p)
    make.booking(session, region_p)
    make.booking(session, world.staff_a[2], status="waitlisted")
    r = api.as_(world.tokens["participant"]).get(f"/api/v1/sessions/{session.id}")
    assert r.status_code == 200
    body = r.json
    assert body["id"] == session.id
    assert body["station"] == {"id": world.station.id, "name": "Kateterstation"}
    assert body["centre"]["name"] == "KTC Ryhov" and body["centre"]["timezone"] == "Europe/Stockholm"
    assert body["status"] == "scheduled" and body["capacity"] == 8
    assert body["policy"] == {"min_per_side": 2, "release_before_hours": 48}
    assert body["seats"] == {"municipal": 1, "regional": 1, "free": 6, "waitlisted": 1}
    assert body["instructors"] == [{"id": world.instructor.id, "name": world.instructor.name}]
    assert [s["id"] for s in body["skills"]] == [s.id for s in world.station.skills]
    start = datetime.fromisoformat(body["start"])
    assert start.utcoffset() in (timedelta(hours=1), timedelta(hours=2))  # Stockholm wall clock
    assert start == session.start_at
    assert datetime.fromisoformat(body["end"]) == session.end_at


def test_list_filters_by_window_station_and_skill(api, world, make):
    other_skill = make.skill(code="HLR")
    other_station = make.station(world.centre, skills=[other_skill], name="HLR-station")
    later = make.session(other_station, start=make.future(30), capacity=4)
    db.session.commit()
    t = world.tokens["network"]

    def ids(query):
        r = api.as_(t).get("/api/v1/sessions" + query)
        assert r.status_code == 200, r.json
        return [s["id"] for s in r.json]

    assert ids("") == [world.session.id, world.other_session.id, later.id]
    assert ids(f"?station={other_station.id}") == [later.id]
    assert ids(f"?skill={other_skill.id}") == [later.id]
    cut = (world.other_session.start_at + timedelta(days=1)).isoformat()
    assert ids(f"?to={cut.replace('+', '%2B')}") == [world.session.id, world.other_session.id]
    assert ids(f"?from={cut.replace('+', '%2B')}") == [later.id]
    # An unencoded "+" in a query string arrives as a space; it is still understood.
    assert ids(f"?from={cut}") == [later.id]
    day = later.start_at.date().isoformat()
    assert ids(f"?from={day}&to={day}") == [later.id]


@pytest.mark.parametrize("query,field", [
    ("?from=2026-03-01T09:00:00", "from"),
    ("?from=yesterday", "from"),
    ("?to=2026-13-01", "to"),
    ("?station=abc", "station"),
    ("?skill=-1", "skill"),
    ("?include_cancelled=maybe", "include_cancelled"),
])
def test_bad_filters_are_422_naming_the_parameter(api, world, query, field):
    r = api.as_(world.tokens["admin"]).get("/api/v1/sessions" + query)
    assert r.status_code == 422
    assert r.json["error"]["field"] == field
    assert field in r.json["error"]["message"]


def test_cancelled_sessions_only_on_request(api, world, make):
    gone = make.session(world.station, start=make.future(25), status="cancelled")
    db.session.commit()
    listed = [s["id"] for s in api.as_(world.tokens["admin"]).get("/api/v1/sessions").json]
    assert gone.id not in listed
    listed = [s["id"] for s in api.as_(world.tokens["admin"]).get("/api/v1/sessions?include_cancelled=true").json]
    assert gone.id in listed


def test_admin_plans_a_session(api, plan):
    day = monday()
    payload = {"station_id": plan.station.id, "start": iso_local(day, 9), "end": iso_local(day, 11),
               "capacity": 10, "min_per_side": 3, "release_before_hours": 96,
               "instructor_ids": [plan.teacher.id], "skill_ids": [plan.skill_b.id], "title": "Sårvård grund"}
    r = api.as_(plan.admin_token).post("/api/v1/sessions", json=payload)
    assert r.status_code == 201, r.json
    session = db.session.get(Session, r.json["id"])
    assert session.start_at == local(day.year, day.month, day.day, 9)
    assert session.capacity == 10 and session.min_per_side == 3 and session.release_before_hours == 96
    assert [s.id for s in session.skills] == [plan.skill_b.id]
    assert [i.id for i in session.instructors] == [plan.teacher.id]
    assert r.json["seats"] == {"municipal": 0, "regional": 0, "free": 10, "waitlisted": 0}


def test_planning_accepts_utc_z_times(api, plan):
    day = monday()
    start = local(day.year, day.month, day.day, 9)
    payload = {"station_id": plan.station.id, "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    r = api.as_(plan.admin_token).post("/api/v1/sessions", json=payload)
    assert r.status_code == 201, r.json
    assert db.session.get(Session, r.json["id"]).start_at == start


def test_naive_times_are_refused(api, plan):
    day = monday()
    payload = {"station_id": plan.station.id, "start": f"{day}T09:00:00", "end": iso_local(day, 11)}
    r = api.as_(plan.admin_token).post("/api/v1/sessions", json=payload)
    assert r.status_code == 422
    assert r.json["error"]["field"] == "start"
    assert db.session.query(Session).count() == 0


@pytest.mark.parametrize("hours,status,code", [
    ((11, 9), 422, "end_before_start"),
    ((7, 9), 422, "outside_opening_hours"),
])
def test_rule_violations_carry_the_domain_code(api, plan, hours, status, code):
    day = monday()
    payload = {"station_id": plan.station.id, "start": iso_local(day, hours[0]), "end": iso_local(day, hours[1])}
    r = api.as_(plan.admin_token).post("/api/v1/sessions", json=payload)
    assert r.status_code == status
    assert r.json["error"]["code"] == code
    assert db.session.query(Session).count() == 0


def test_station_overlap_is_409(api, plan, make):
    day = monday()
    make.session(plan.station, start=local(day.year, day.month, day.day, 9), hours=2)
    payload = {"station_id": plan.station.id, "start": iso_local(day, 11, 5), "end": iso_local(day, 12)}
    r = api.as_(plan.admin_token).post("/api/v1/sessions", json=payload)
    assert r.status_code == 409
    assert r.json["error"]["code"] == "station_overlap"
    assert db.session.query(Session).count() == 1


def test_patch_moves_a_session_and_tells_attendees(api, plan, make):
    from ktc.mail.models import OutboxMessage

    day = monday()
    session = make.session(plan.station, start=local(day.year, day.month, day.day, 9), hours=2)
    make.booking(session, make.participant())
    db.session.commit()
    r = api.as_(plan.admin_token).patch(f"/api/v1/sessions/{session.id}",
                                        json={"start": iso_local(day, 13), "end": iso_local(day, 15)})
    assert r.status_code == 200, r.json
    moved = db.session.get(Session, session.id)
    assert moved.start_at == local(day.year, day.month, day.day, 13)
    assert moved.sequence == 1
    assert db.session.query(OutboxMessage).count() >= 1


def test_patch_edits_capacity_and_policy_only(api, plan, make):
    day = monday()
    session = make.session(plan.station, start=local(day.year, day.month, day.day, 9), capacity=6)
    db.session.commit()
    r = api.as_(plan.admin_token).patch(f"/api/v1/sessions/{session.id}",
                                        json={"capacity": 12, "min_per_side": 4})
    assert r.status_code == 200
    assert r.json["capacity"] == 12 and r.json["policy"]["min_per_side"] == 4
    assert db.session.get(Session, session.id).sequence == 0


def test_patch_into_a_clash_changes_nothing(api, plan, make):
    day = monday()
    make.session(plan.station, start=local(day.year, day.month, day.day, 9))
    other = make.session(plan.station, start=local(day.year, day.month, day.day, 13))
    db.session.commit()
    r = api.as_(plan.admin_token).patch(f"/api/v1/sessions/{other.id}",
                                        json={"start": iso_local(day, 10), "end": iso_local(day, 12)})
    assert r.status_code == 409 and r.json["error"]["code"] == "station_overlap"
    assert db.session.get(Session, other.id).start_at == local(day.year, day.month, day.day, 13)


def test_delete_cancels_session_and_its_bookings(api, world):
    r = api.as_(world.tokens["admin"]).delete(f"/api/v1/sessions/{world.session.id}", json={"reason": "Sjukdom"})
    assert r.status_code == 200
    assert r.json["status"] == "cancelled"
    assert r.json["seats"] == {"municipal": 0, "regional": 0, "free": 6, "waitlisted": 0}
    session = db.session.get(Session, world.session.id)
    assert session.cancel_reason == "Sjukdom"
    assert {b.status for b in session.bookings} == {"cancelled"}


def test_unknown_session_is_404(api, world):
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {}} if method == "patch" else {}
        r = getattr(api.as_(world.tokens["admin"]), method)("/api/v1/sessions/987654", **kwargs)
        assert r.status_code == 404, method
        assert r.json["error"]["code"] == "not_found"
