"""SCIM deactivation while the person cancels a booking themselves at the same moment.

Deactivation reads the person's future bookings, then cancels each through cancel_booking, which
locks the session row and reads the booking again. When the person's own cancel got the lock
first, the booking is cancelled by the time deactivation reads it again: there is nothing left
to free, and the deactivation must still go through (not fail with a 409 for a booking that is
already what it wanted). Staged on PostgreSQL: the person's cancel has written but not committed
when deactivation reaches the session's lock.
"""
import threading

import pytest

from ktc.accounts.models import User
from ktc.bookings.models import Booking
from ktc.bookings.operations import cancel_booking
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.scim import operations as ops
from tests.staging import wait_for_a_lock_wait


@pytest.fixture
def anna(make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time, so the race is staged on PostgreSQL")
    participant = make.participant(make.unit(), name="Anna Andersson")
    user = make.participant_user(participant)
    booking = make.booking(make.session(capacity=2), participant)
    db.session.commit()
    return participant.id, user.id, booking.id


def test_deactivation_goes_through_when_the_person_cancelled_meanwhile(app, anna):
    participant_id, user_id, booking_id = anna
    cancelled = threading.Event()
    may_commit = threading.Event()
    outcomes = {}

    def own_cancel():
        with app.app_context():
            try:
                cancel_booking(db.session.get(User, user_id), db.session.get(Booking, booking_id))
                cancelled.set()
                may_commit.wait(timeout=30)
                db.session.commit()
                outcomes["own"] = "cancelled"
            except Exception as exc:  # reported by the assertions below
                db.session.rollback()
                outcomes["own"] = repr(exc)
            finally:
                cancelled.set()
                db.session.remove()

    def deactivate():
        with app.app_context():
            try:
                cancelled.wait(timeout=30)
                ops.deactivate(db.session.get(Participant, participant_id))
                db.session.commit()
                outcomes["scim"] = "deactivated"
            except Exception as exc:  # reported by the assertions below
                db.session.rollback()
                outcomes["scim"] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=own_cancel), threading.Thread(target=deactivate)]
    for thread in threads:
        thread.start()
    assert cancelled.wait(timeout=30)
    wait_for_a_lock_wait("deactivation never waited for the person's cancel")
    may_commit.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    assert outcomes == {"own": "cancelled", "scim": "deactivated"}
    db.session.expire_all()
    assert db.session.get(Participant, participant_id).active is False
    assert db.session.get(User, user_id).active is False
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "cancelled" and booking.cancelled_by_id == user_id  # the person's own cancel
