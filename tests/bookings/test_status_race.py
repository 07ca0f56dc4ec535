"""Booking status changes are not lost updates: two cancels racing over real HTTP.

Manager A cancels the confirmed booking of a full one-seat session while manager B cancels the
waitlisted booking that A's cancel promotes. Without the session row lock (`hold_session`) A's
promotion can write "confirmed" over B's "cancelled" (a booking confirmed after its DELETE answered
200), or both end cancelled with the seat still counted. The server is gunicorn with several
workers on PostgreSQL (one worker with threads on SQLite), as in test_race.py.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from ktc.accounts.operations import issue_api_token
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.sessions.models import Session
from tests import factories as make
from tests.bookings.test_race import _is_postgres, _serve

pytestmark = pytest.mark.slow

ROUNDS = 50
PAIRS = 4  # sessions raced at once in each round


@pytest.fixture(scope="module")
def server(request, database_url, tmp_path_factory):
    return _serve(request, database_url, tmp_path_factory.mktemp("gunicorn") / "server.log", guard=True)


@pytest.fixture
def managers():
    """One unit with two managers, each with an API token (committed so the server sees them)."""
    unit = make.unit(side="municipal")
    tokens = [issue_api_token(make.manager(unit), "race") for _ in range(2)]
    db.session.commit()
    return unit.id, tokens


def _pairs(unit_id, round_):
    """PAIRS full one-seat sessions, each with one confirmed and one waitlisted booking."""
    from ktc.organisations.models import Unit

    unit = db.session.get(Unit, unit_id)
    pairs = []
    for i in range(PAIRS):
        session = make.session(make.station(), start=make.future(days=5 + round_ % 20, hour=8 + i), capacity=1)
        confirmed = make.booking(session, make.participant(unit))
        waiting = make.booking(session, make.participant(unit), status="waitlisted")
        pairs.append((session.id, confirmed.id, waiting.id))
    db.session.commit()
    return pairs


def _race(server, tokens, pairs):
    """Both cancels of every pair released together; returns {booking_id: HTTP status}."""
    calls = [(tokens[0], confirmed) for _s, confirmed, _w in pairs] + [(tokens[1], waiting) for _s, _c, waiting in pairs]
    barrier = threading.Barrier(len(calls))

    def cancel(call):
        token, booking_id = call
        with requests.Session() as http:
            barrier.wait(timeout=30)
            r = http.delete(f"{server.base}/api/v1/bookings/{booking_id}", headers={"Authorization": f"Bearer {token}"},
                            timeout=60)
            return booking_id, r.status_code

    db.session.commit()  # hold no lock of our own while the server works
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return dict(pool.map(cancel, calls))


def _violations(pairs, answers):
    """What breaks the invariant: seat counters = confirmed rows; a cancel that answered 200 stays cancelled."""
    db.session.expire_all()
    broken = []
    for session_id, confirmed_id, waiting_id in pairs:
        session = db.session.get(Session, session_id)
        statuses = dict(db.session.execute(
            select(Booking.id, Booking.status).where(Booking.session_id == session_id)
        ).all())
        confirmed = sum(1 for status in statuses.values() if status == "confirmed")
        if session.seats_municipal + session.seats_regional != confirmed:
            broken.append((session_id, "seats counted", session.seats_taken, "confirmed rows", confirmed))
        for booking_id in (confirmed_id, waiting_id):
            if answers[booking_id] == 200 and statuses[booking_id] != "cancelled":
                broken.append((booking_id, "answered 200 but is", statuses[booking_id]))
    db.session.commit()
    return broken


def test_cancel_and_promotion_race_loses_no_update(server, managers, database_url):
    unit_id, tokens = managers
    rounds = ROUNDS if _is_postgres(database_url) else 10
    for round_ in range(rounds):
        pairs = _pairs(unit_id, round_)
        answers = _race(server, tokens, pairs)
        assert all(code == 200 for code in answers.values()), (round_, answers, server.log())
        assert _violations(pairs, answers) == [], round_
        # Both cancels went through: every session is empty again and books its next person.
        db.session.expire_all()
        for session_id, _c, _w in pairs:
            assert db.session.get(Session, session_id).seats_taken == 0
        db.session.commit()


def test_control_without_the_status_guard_the_race_shows(request, database_url, tmp_path, managers):
    """Proves the test above can fail: without the lock the same race loses updates."""
    if not _is_postgres(database_url):
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises whole requests, so the cancels cannot race there; "
                    "the control runs on PostgreSQL")
    control = _serve(request, database_url, tmp_path / "control.log", guard=True, KTC_STATUS_GUARD="0")
    unit_id, tokens = managers
    for round_ in range(ROUNDS):
        pairs = _pairs(unit_id, round_)
        if _violations(pairs, _race(control, tokens, pairs)):
            return
    pytest.fail(f"{ROUNDS} rounds of {PAIRS} unguarded races lost no update")


def test_session_cancel_and_booking_cancel_race(server, managers, database_url):
    """An admin cancels the session while a manager cancels one of its bookings: all end cancelled, no seat left."""
    unit_id, tokens = managers
    admin_token = issue_api_token(make.user("admin"), "race")
    db.session.commit()
    for round_ in range(10 if _is_postgres(database_url) else 3):
        pairs = _pairs(unit_id, round_)
        calls = [(f"/api/v1/sessions/{s}", admin_token) for s, _c, _w in pairs]
        calls += [(f"/api/v1/bookings/{c}", tokens[0]) for _s, c, _w in pairs]
        barrier = threading.Barrier(len(calls))

        def delete(call):
            path, token = call
            with requests.Session() as http:
                barrier.wait(timeout=30)
                return http.delete(server.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code

        db.session.commit()
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            codes = list(pool.map(delete, calls))
        # A booking cancel that comes second finds the booking already cancelled: a 409, never a 5xx.
        assert all(code in (200, 204, 409) for code in codes), (codes, server.log())
        db.session.expire_all()
        for session_id, _c, _w in pairs:
            session = db.session.get(Session, session_id)
            statuses = set(db.session.execute(select(Booking.status).where(Booking.session_id == session_id)).scalars())
            assert (session.status, session.seats_taken, statuses) == ("cancelled", 0, {"cancelled"}), round_
        db.session.commit()
