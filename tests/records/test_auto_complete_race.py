"""A session cancelled while the automatic completion runs stays cancelled.

The job reads the due sessions, then claims each with a conditional UPDATE (`status = 'scheduled'`).
When a planner's cancellation holds the session's row between the two, the UPDATE waits for it and
then finds the session cancelled: nothing is completed or audited. Without the condition on the
status the job wrote "completed" over "cancelled". SQLite runs one writing transaction at a time,
so the race is staged on PostgreSQL.
"""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from ktc.accounts.models import User
from ktc.audit.models import AuditEntry
from ktc.database import utcnow
from ktc.extensions import db
from ktc.records.operations import complete_finished_sessions
from ktc.sessions.models import Session
from ktc.sessions.operations import cancel_session
from tests.staging import wait_for_a_lock_wait


def test_a_session_cancelled_while_the_job_runs_stays_cancelled(app, make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE): the two cannot interleave")
    planner = make.user("planner")
    hours = app.config["KTC_AUTO_COMPLETE_HOURS"]
    session = make.session(start=utcnow() - timedelta(hours=hours + 3), hours=2)
    db.session.commit()
    planner_id, session_id = planner.id, session.id
    held, may_commit = threading.Event(), threading.Event()
    outcomes = {}

    def cancel():
        with app.app_context():
            try:
                cancel_session(db.session.get(User, planner_id), db.session.get(Session, session_id), "Sjuk")
                db.session.flush()
                held.set()
                may_commit.wait(timeout=30)
                db.session.commit()
                outcomes["cancel"] = "done"
            except Exception as exc:  # reported by the assertions
                db.session.rollback()
                outcomes["cancel"] = type(exc).__name__
            finally:
                held.set()
                db.session.remove()

    def job():
        with app.app_context():
            try:
                outcomes["job"] = complete_finished_sessions()
                db.session.commit()
            except Exception as exc:  # reported by the assertions
                db.session.rollback()
                outcomes["job"] = type(exc).__name__
            finally:
                db.session.remove()

    planner_thread = threading.Thread(target=cancel)
    planner_thread.start()
    assert held.wait(timeout=30)
    job_thread = threading.Thread(target=job)
    job_thread.start()
    # The job has read the session as scheduled and waits for the cancellation's lock to claim it.
    wait_for_a_lock_wait("the job never waited for the cancellation", on_failure=may_commit.set)
    may_commit.set()
    for thread in (planner_thread, job_thread):
        thread.join(timeout=30)
    assert not planner_thread.is_alive() and not job_thread.is_alive()

    db.session.expire_all()
    assert outcomes == {"cancel": "done", "job": []}
    assert db.session.get(Session, session_id).status == "cancelled"
    assert db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "session.completed")).first() is None
    db.session.commit()
