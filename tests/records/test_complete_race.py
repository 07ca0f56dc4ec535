"""A session cancelled while an instructor marks it completed stays cancelled.

Both change the session's status from what they read: marking it completed took no lock, so on
PostgreSQL it waited for the cancellation's row lock and then wrote "completed" over "cancelled"
(a completed session whose bookings are all cancelled). complete_session now takes the session's
lock (hold_session) before it checks the status. KTC_STATUS_GUARD=0 is the control.
SQLite runs one writing transaction at a time, so the race is staged on PostgreSQL.
"""
import threading
from datetime import timedelta

import pytest

from ktc.accounts.models import User
from ktc.database import utcnow
from ktc.extensions import db
from ktc.records.operations import complete_session
from ktc.sessions.models import Session
from ktc.sessions.operations import cancel_session
from tests.staging import wait_for_a_lock_wait


@pytest.fixture
def ended(make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE): the two cannot interleave")
    instructor, planner = make.user("instructor"), make.user("planner")
    session = make.session(start=utcnow() - timedelta(hours=3), instructors=[instructor])
    make.booking(session, make.participant())
    db.session.commit()
    return instructor.id, planner.id, session.id


def _race(app, ended):
    instructor_id, planner_id, session_id = ended
    cancelled, may_commit = threading.Event(), threading.Event()
    outcomes = {}

    def run(name, work, hold):
        with app.app_context():
            try:
                if not hold:
                    cancelled.wait(timeout=30)
                work(db.session.get(Session, session_id))
                if hold:
                    cancelled.set()
                    may_commit.wait(timeout=30)
                db.session.commit()
                outcomes[name] = "done"
            except Exception as exc:  # reported by the assertions
                db.session.rollback()
                outcomes[name] = type(exc).__name__
            finally:
                cancelled.set()
                db.session.remove()

    cancel = threading.Thread(target=run, args=(
        "cancel", lambda s: cancel_session(db.session.get(User, planner_id), s, "Strömavbrott"), True))
    complete = threading.Thread(target=run, args=(
        "complete", lambda s: complete_session(db.session.get(User, instructor_id), s), False))
    cancel.start()
    complete.start()
    assert cancelled.wait(timeout=30)
    # The cancellation is written, not committed; it commits once the completion waits for its lock.
    wait_for_a_lock_wait("marking the session completed never waited for the cancellation")
    may_commit.set()
    for t in (cancel, complete):
        t.join(timeout=30)
    assert not cancel.is_alive() and not complete.is_alive()
    db.session.expire_all()
    status = db.session.get(Session, ended[2]).status
    db.session.commit()
    return outcomes, status


def test_a_session_cancelled_meanwhile_is_not_marked_completed(app, ended):
    outcomes, status = _race(app, ended)
    assert (outcomes, status) == ({"cancel": "done", "complete": "SessionCancelled"}, "cancelled")


def test_control_without_the_lock_completed_overwrites_cancelled(app, ended, monkeypatch):
    monkeypatch.setitem(app.config, "KTC_STATUS_GUARD", False)
    outcomes, status = _race(app, ended)
    assert (outcomes, status) == ({"cancel": "done", "complete": "done"}, "completed")
