"""Two saves of one study circle meeting at the same moment (a facilitator and an admin, or a double submit).

Without the meeting's row lock (`_lock_meeting`) both read the meeting before the other wrote: two roster
saves both insert the attendance rows and the second fails on the unique constraint (a server error),
and a change racing a cancel sends the CANCEL with the SEQUENCE the change already used, which calendar
clients may ignore. Staged on PostgreSQL, each with a control that turns the lock off.
"""
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from ktc.accounts.models import User
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.paths import circles
from ktc.paths import operations as ops
from ktc.paths.models import CircleAttendance, CircleMeeting
from tests.paths.staged import skip_unless_postgres, staged


@pytest.fixture
def meeting(make):
    path = ops.create_path("Psyk E-bas")
    ops.add_step(path, "module", title="Föreläsning 1", url="https://example.org/1", due_days=30)
    anna = make.participant(make.unit(make.organisation("municipal")), name="Anna", email="anna@example.org")
    rolf = make.participant(make.unit(make.organisation("regional")), name="Rolf", email="rolf@example.org")
    facilitator = make.user("instructor", name="Frida Handledare")
    circle = circles.create_circle("Psyk E-bas Gislaved", path, facilitator, [anna, rolf])
    start = make.future(-2)
    held = circles.plan_meeting(facilitator, circle, start, start + timedelta(hours=2), "Boendestödet")
    coming = circles.plan_meeting(facilitator, circle, make.future(5), make.future(5) + timedelta(hours=2), "Här")
    db.session.commit()
    return held.id, coming.id, facilitator.id, anna.id, rolf.id


def _loaded(meeting_id, user_id):
    meeting = db.session.get(CircleMeeting, meeting_id)
    meeting.attendance, meeting.sequence, meeting.circle.members  # noqa: B018 (as the page showed them)
    return meeting, db.session.get(User, user_id)


def _roster_save(meeting_id, user_id, present):
    return (lambda: _loaded(meeting_id, user_id),
            lambda loaded: circles.record_meeting(loaded[1], loaded[0], present, set()))


def _attendance(meeting_id):
    db.session.expire_all()
    rows = dict(db.session.execute(select(CircleAttendance.participant_id, CircleAttendance.attended)
                                   .where(CircleAttendance.meeting_id == meeting_id)).all())
    db.session.commit()
    return rows


def _without_lock(app, race):
    app.config["KTC_CIRCLE_MEETING_LOCK"] = False
    try:
        return race()
    finally:
        app.config["KTC_CIRCLE_MEETING_LOCK"] = True


def test_two_roster_saves_at_once_both_succeed_and_the_second_wins(app, meeting):
    skip_unless_postgres()
    held, _coming, facilitator, anna, rolf = meeting
    outcomes = staged(app, _roster_save(held, facilitator, {anna}), _roster_save(held, facilitator, {anna, rolf}))
    assert outcomes == {"first": "done", "second": "done"}
    assert _attendance(held) == {anna: True, rolf: True}


def test_control_two_roster_saves_without_the_lock_fail(app, meeting):
    skip_unless_postgres()
    held, _coming, facilitator, anna, rolf = meeting
    outcomes = _without_lock(app, lambda: staged(app, _roster_save(held, facilitator, {anna}),
                                                 _roster_save(held, facilitator, {anna, rolf})))
    assert "IntegrityError" in outcomes["second"]


def _change_then_cancel(app, coming, facilitator):
    def move(loaded):
        meeting, user = loaded
        later = meeting.start_at + timedelta(hours=1)
        circles.update_meeting(user, meeting, later, later + timedelta(hours=2), meeting.location)

    return staged(app, (lambda: _loaded(coming, facilitator), move),
                  (lambda: _loaded(coming, facilitator), lambda loaded: circles.cancel_meeting(loaded[1], loaded[0])))


def _sequences(kind):
    messages = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalars().all()
    db.session.commit()
    return {Calendar.from_ical(m.ics).walk("VEVENT")[0]["SEQUENCE"] for m in messages}


def test_a_cancel_racing_a_change_gets_a_higher_sequence(app, meeting):
    skip_unless_postgres()
    _held, coming, facilitator, _anna, _rolf = meeting
    assert _change_then_cancel(app, coming, facilitator) == {"first": "done", "second": "done"}
    assert (_sequences("circle_meeting_changed"), _sequences("circle_meeting_cancelled")) == ({1}, {2})


def test_control_without_the_lock_the_cancel_reuses_the_sequence(app, meeting):
    skip_unless_postgres()
    _held, coming, facilitator, _anna, _rolf = meeting
    _without_lock(app, lambda: _change_then_cancel(app, coming, facilitator))
    assert _sequences("circle_meeting_cancelled") == {1}
