"""Team booking, reading and cancelling bookings through the API."""
from sqlalchemy import func, select

from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.mail.models import OutboxMessage


def booking_count(session=None, status=None):
    stmt = select(func.count(Booking.id))
    if session is not None:
        stmt = stmt.where(Booking.session_id == session.id)
    if status is not None:
        stmt = stmt.where(Booking.status == status)
    return db.session.execute(stmt).scalar_one()


def test_team_booking_answers_one_result_per_person(api, world, make):
    session = make.session(world.station, start=make.future(20), capacity=2)
    db.session.commit()
    ids = [p.id for p in world.staff_a[:3]]
    r = api.as_(world.tokens["manager_a"]).post(f"/api/v1/sessions/{session.id}/bookings",
                                                json={"participant_ids": ids, "all_or_nothing": False})
    assert r.status_code == 201, r.json
    results = r.json["results"]
    assert [x["participant_id"] for x in results] == ids
    assert [x["status"] for x in results] == ["confirmed", "confirmed", "waitlisted"]
    assert set(results[0]) >= {"participant_id", "booking_id", "status", "reason"}
    assert results[0]["reason"] is None and results[2]["reason"]
    assert results[2]["code"] == "session_full"
    assert r.json["seats"] == {"municipal": 2, "regional": 0, "free": 0, "waitlisted": 1}
    stored = {b.id: b.status for b in db.session.execute(select(Booking)).scalars()}
    assert all(stored[x["booking_id"]] == x["status"] for x in results)


def test_all_or_nothing_refused_is_409_with_results_and_saves_nothing(api, world, make):
    session = make.session(world.station, start=make.future(20), capacity=2)
    db.session.commit()
    before_outbox = db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()
    ids = [p.id for p in world.staff_a[:3]]
    r = api.as_(world.tokens["manager_a"]).post(f"/api/v1/sessions/{session.id}/bookings",
                                                json={"participant_ids": ids, "all_or_nothing": True})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "team_not_bookable"
    assert [x["status"] for x in r.json["results"]] == ["refused", "refused", "waitlisted"]
    assert all(x["booking_id"] is None for x in r.json["results"][:2])
    assert booking_count(session) == 0
    db.session.refresh(session)
    assert session.seats_taken == 0
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == before_outbox


def test_manager_naming_another_units_person_gets_403_and_nothing_is_saved(api, world, make):
    session = make.session(world.station, start=make.future(20), capacity=6)
    db.session.commit()
    ids = [world.staff_a[1].id, world.staff_b[1].id]
    r = api.as_(world.tokens["manager_a"]).post(f"/api/v1/sessions/{session.id}/bookings",
                                                json={"participant_ids": ids})
    assert r.status_code == 403
    assert r.json["error"]["code"] == "forbidden"
    assert booking_count(session) == 0


def test_unknown_participant_is_422_for_admin_and_403_for_manager(api, world):
    url = f"/api/v1/sessions/{world.other_session.id}/bookings"
    r = api.as_(world.tokens["admin"]).post(url, json={"participant_ids": [999999]})
    assert r.status_code == 422 and r.json["error"]["field"] == "participant_ids"
    r = api.as_(world.tokens["manager_a"]).post(url, json={"participant_ids": [999999]})
    assert r.status_code == 403
    assert booking_count(world.other_session) == 0


def test_booking_an_unknown_session_is_404(api, world):
    r = api.as_(world.tokens["admin"]).post("/api/v1/sessions/999999/bookings",
                                            json={"participant_ids": [world.staff_a[1].id]})
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_everyone_refused_is_200_without_new_bookings(api, world):
    r = api.as_(world.tokens["manager_a"]).post(f"/api/v1/sessions/{world.session.id}/bookings",
                                                json={"participant_ids": [world.staff_a[0].id]})
    assert r.status_code == 200
    assert r.json["results"][0]["status"] == "refused"
    assert r.json["results"][0]["code"] == "already_booked"


def test_booking_after_cutoff_is_refused_with_domain_code(api, world, make):
    from datetime import timedelta

    from ktc.database import utcnow

    soon = make.session(world.station, start=utcnow() + timedelta(hours=3), capacity=4)
    db.session.commit()
    r = api.as_(world.tokens["manager_a"]).post(f"/api/v1/sessions/{soon.id}/bookings",
                                                json={"participant_ids": [world.staff_a[1].id]})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "booking_closed"
    assert booking_count(soon) == 0


def test_get_booking_shows_it_to_the_people_allowed(api, world):
    url = f"/api/v1/bookings/{world.booking_a.id}"
    for who in ("admin", "manager_a", "participant", "instructor"):
        r = api.as_(world.tokens[who]).get(url)
        assert r.status_code == 200, who
        assert r.json["participant_id"] == world.staff_a[0].id
        assert r.json["status"] == "confirmed"
        assert r.json["session"]["start"].endswith("+00:00")
    for who in ("manager_b", "network"):
        assert api.as_(world.tokens[who]).get(url).status_code == 404, who


def test_cancel_booking_frees_the_seat_and_records_who_and_why(api, world):
    r = api.as_(world.tokens["manager_a"]).delete(f"/api/v1/bookings/{world.booking_a.id}",
                                                  json={"reason": "Sjuk"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "cancelled" and r.json["cancel_reason"] == "Sjuk"
    booking = db.session.get(Booking, world.booking_a.id)
    assert booking.cancelled_by_id == world.manager_a.id
    assert booking.session.seats_municipal == 1


def test_cancel_reason_may_come_in_the_query(api, world):
    r = api.as_(world.tokens["participant"]).delete(f"/api/v1/bookings/{world.booking_a.id}?reason=Krock")
    assert r.status_code == 200
    assert db.session.get(Booking, world.booking_a.id).cancel_reason == "Krock"


def test_manager_cannot_cancel_another_units_booking(api, world):
    r = api.as_(world.tokens["manager_a"]).delete(f"/api/v1/bookings/{world.booking_b.id}")
    assert r.status_code == 404
    assert db.session.get(Booking, world.booking_b.id).status == "confirmed"


def test_instructor_sees_but_cannot_cancel(api, world):
    r = api.as_(world.tokens["instructor"]).delete(f"/api/v1/bookings/{world.booking_a.id}")
    assert r.status_code == 403
    assert db.session.get(Booking, world.booking_a.id).status == "confirmed"


def test_cancelling_twice_is_a_conflict(api, world):
    url = f"/api/v1/bookings/{world.booking_a.id}"
    assert api.as_(world.tokens["admin"]).delete(url).status_code == 200
    r = api.as_(world.tokens["admin"]).delete(url)
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"


def test_the_answers_waiting_list_counts_those_promoted_and_those_added(api, world, make):
    # A seat freed while someone waits (released since the last job run): the booking gives it to the
    # person waiting, and the newcomer waits instead. The answer's count is worked out from the count
    # read with the session, so it must take off the promoted and add the newcomer.
    session = make.session(world.station, start=make.future(25), capacity=2)
    make.booking(session, world.staff_a[1])
    waiting = make.booking(session, world.staff_a[2], status="waitlisted", queued_at=make.future(-3))
    db.session.commit()
    r = api.as_(world.tokens["manager_a"]).post(f"/api/v1/sessions/{session.id}/bookings",
                                                json={"participant_ids": [world.staff_a[3].id]})
    assert r.status_code == 201, r.json
    assert [x["status"] for x in r.json["results"]] == ["waitlisted"]
    assert db.session.get(Booking, waiting.id).status == "confirmed"
    assert r.json["seats"] == {"municipal": 2, "regional": 0, "free": 0, "waitlisted": 1}
    assert booking_count(session, "waitlisted") == 1
