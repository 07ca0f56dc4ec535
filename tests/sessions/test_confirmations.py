"""Destructive actions are confirmed: the first POST shows what will happen and changes not one row.

Cancelling a session or a series, reinstating a session, signing off everyone and marking a session
done each answer a confirmation page first; only the POST that carries `confirmed=yes` acts.
A cancelled session can be reinstated before it starts, and its people get their bookings back.
"""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.sessions.models import Series, Session


def _rows():
    """Every row of every table, so a test can show that nothing at all changed."""
    return {
        table.name: sorted(tuple(map(repr, row)) for row in db.session.execute(select(table)).all())
        for table in db.metadata.sorted_tables
    }


def _post(client, url, data=None):
    db.session.commit()  # end the test's own transaction (on SQLite it would hold the write lock)
    return client.post(url, data=data or {})


def _unconfirmed_changes_nothing(client, url, data, *expected_texts):
    before = _rows()
    db.session.commit()
    response = _post(client, url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert 'name="confirmed" value="yes"' in page
    for text in expected_texts:
        assert text in page
    db.session.expire_all()
    assert _rows() == before
    db.session.commit()
    return page


@pytest.fixture
def planned(make, login_as):
    """A future session with two confirmed people and one waiting (capacity 2), an admin logged in."""
    admin = make.user("admin")
    session = make.session(make.station(), start=make.future(6), capacity=2)
    people = [make.participant(name=name) for name in ("Anna Ek", "Bo Lind", "Cilla Berg")]
    now = utcnow()
    bookings = [make.booking(session, people[0], confirmed_at=now, queued_at=now),
                make.booking(session, people[1], confirmed_at=now + timedelta(seconds=1), queued_at=now),
                make.booking(session, people[2], status="waitlisted", queued_at=now + timedelta(seconds=2))]
    db.session.commit()
    login_as(admin)
    return type("Planned", (), {"admin": admin, "session": session, "people": people, "bookings": bookings})


def _statuses(session_id):
    db.session.expire_all()
    rows = db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars().all()
    result = {b.participant.name: b.status for b in rows}
    db.session.commit()
    return result


def test_cancelling_a_session_needs_a_reason_and_a_confirmation(client, planned):
    url = f"/sessions/{planned.session.id}/cancel"
    # No reason: the page comes back with the error on the field, nothing cancelled.
    before = _rows()
    response = _post(client, url, {"reason": ""})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert _rows() == before
    # With a reason: the confirmation says how many people will be told; still nothing changes.
    _unconfirmed_changes_nothing(client, url, {"reason": "Instruktören är sjuk"}, "3", "Instruktören är sjuk")
    # Confirmed: cancelled, everyone told, and the page offers neither booking nor the roster.
    response = _post(client, url, {"reason": "Instruktören är sjuk", "confirmed": "yes"})
    assert response.status_code == 302
    assert set(_statuses(planned.session.id).values()) == {"cancelled"}
    told = db.session.execute(select(OutboxMessage.recipient).where(OutboxMessage.kind == "session_cancelled")).all()
    assert len(told) == 3
    page = client.get(f"/sessions/{planned.session.id}").get_data(as_text=True)
    assert f"/bookings/team?session={planned.session.id}" not in page and "/roster" not in page
    assert f"/sessions/{planned.session.id}/reinstate" in page


def test_a_cancelled_session_is_reinstated_with_its_bookings(client, planned):
    session_id = planned.session.id
    _post(client, f"/sessions/{session_id}/cancel", {"reason": "Strömavbrott", "confirmed": "yes"})
    db.session.expire_all()
    sequence = db.session.get(Session, session_id).sequence
    db.session.commit()
    url = f"/sessions/{session_id}/reinstate"
    _unconfirmed_changes_nothing(client, url, {})
    assert _post(client, url, {"confirmed": "yes"}).status_code == 302
    # Seats in the old order: the two who had seats get them back, the third waits again.
    assert _statuses(session_id) == {"Anna Ek": "confirmed", "Bo Lind": "confirmed", "Cilla Berg": "waitlisted"}
    session = db.session.get(Session, session_id)
    assert (session.status, session.seats_taken, session.cancelled_at) == ("scheduled", 2, None)
    assert session.sequence > sequence
    kinds = sorted(kind for (kind,) in db.session.execute(
        select(OutboxMessage.kind).where(OutboxMessage.kind.in_(("booking_confirmed", "booking_waitlisted")))
    ))
    assert kinds == ["booking_confirmed", "booking_confirmed", "booking_waitlisted"]
    db.session.commit()
    # Cancelled again, everyone is told again (a new message, not swallowed as a duplicate).
    _post(client, f"/sessions/{session_id}/cancel", {"reason": "Ny sjukdom", "confirmed": "yes"})
    told = db.session.execute(select(OutboxMessage.id).where(OutboxMessage.kind == "session_cancelled")).all()
    assert len(told) == 6


def test_a_booking_cancelled_on_its_own_stays_cancelled_when_the_session_is_reinstated(client, make, planned):
    from ktc.bookings.operations import cancel_booking
    from ktc.sessions.operations import cancel_session, reinstate_session

    cancel_booking(planned.admin, planned.bookings[0], "Sjuk")
    db.session.flush()
    cancel_session(planned.admin, planned.session, "Stängt")
    restored = reinstate_session(planned.admin, planned.session)
    assert sorted(b.participant.name for b in restored) == ["Bo Lind", "Cilla Berg"]
    assert planned.bookings[0].status == "cancelled"
    # Cilla had been promoted when Anna cancelled: both she and Bo have seats again.
    assert {b.participant.name: b.status for b in restored} == {"Bo Lind": "confirmed", "Cilla Berg": "confirmed"}


def test_a_session_that_has_started_cannot_be_reinstated(client, make, login_as):
    from ktc.errors import Conflict
    from ktc.sessions.operations import reinstate_session

    admin = make.user("admin")
    session = make.session(make.station(), start=utcnow() - timedelta(minutes=5), status="cancelled",
                           cancelled_at=utcnow() - timedelta(days=1))
    with pytest.raises(Conflict):
        reinstate_session(admin, session)
    db.session.commit()
    login_as(admin)
    assert f"/sessions/{session.id}/reinstate" not in client.get(f"/sessions/{session.id}").get_data(as_text=True)


def test_reinstating_into_a_slot_taken_meanwhile_is_refused(make, planned):
    from ktc.errors import DomainError
    from ktc.sessions.operations import cancel_session, reinstate_session

    cancel_session(planned.admin, planned.session, "Stängt")
    make.session(planned.session.station, start=planned.session.start_at)
    with pytest.raises(DomainError):
        reinstate_session(planned.admin, planned.session)


def test_cancelling_a_series_is_confirmed(client, make, login_as, planned):
    session = planned.session
    series = Series(station=session.station, first_date=date.today(), occurrences=1,
                    start_time=session.start_at.time(), end_time=session.end_at.time())
    db.session.add(series)
    session.series = series
    db.session.commit()
    url = f"/sessions/series/{series.id}"
    _unconfirmed_changes_nothing(client, url, {"action": "cancel", "cancel-reason": "Flyttar"}, "Flyttar")
    _post(client, url, {"action": "cancel", "cancel-reason": "Flyttar", "confirmed": "yes"})
    db.session.expire_all()
    assert db.session.get(Session, session.id).status == "cancelled"


@pytest.fixture
def held(make, login_as):
    """A session that ended an hour ago with two people booked, its instructor logged in."""
    instructor = make.user("instructor")
    session = make.session(make.station(skills=[make.skill()]), start=utcnow() - timedelta(hours=3),
                           instructors=[instructor])
    for name in ("Anna Ek", "Bo Lind"):
        make.booking(session, make.participant(name=name))
    db.session.commit()
    login_as(instructor)
    return session


def test_signing_off_everyone_is_confirmed(client, held):
    url = f"/records/sessions/{held.id}/roster/all"
    _unconfirmed_changes_nothing(client, url, {}, "2")
    _post(client, url, {"confirmed": "yes"})
    assert set(_statuses(held.id).values()) == {"attended"}


def test_marking_a_session_done_is_confirmed_and_only_from_its_end(client, make, login_as, held):
    url = f"/records/sessions/{held.id}/complete"
    _unconfirmed_changes_nothing(client, url, {})
    _post(client, url, {"confirmed": "yes"})
    db.session.expire_all()
    assert db.session.get(Session, held.id).status == "completed"
    db.session.commit()
    # A session still running: refused before any confirmation, and the roster offers no button.
    running = make.session(make.station(), start=utcnow() - timedelta(hours=1), hours=2,
                           instructors=list(held.instructors))
    db.session.commit()
    response = _post(client, f"/records/sessions/{running.id}/complete", {"confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Session, running.id).status == "scheduled"
    page = client.get(f"/records/sessions/{running.id}/roster").get_data(as_text=True)
    assert f"/records/sessions/{running.id}/complete" not in page
