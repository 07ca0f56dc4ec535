"""Two requests changing the same meeting, member or action: the second sees what the first wrote.

Every writer here checks a status it read (planned, pending, open) and then writes a new one, and
a meeting's SEQUENCE is raised in Python. The operations lock the row and read it again first
(`_hold`, `_hold_meetings`). The first tests stage "another request committed between our read
and our write" on both databases: the object is loaded, then another app context changes it and
commits, then the operation runs with what it loaded. The last test races two threads on
PostgreSQL, where the second really waits for the first's lock. Each has a control with the
guard off (KTC_MEETING_GUARD=False) that shows the lost update the test catches.
"""
import threading
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.meetings import operations as ops
from ktc.meetings.models import Meeting, MeetingAction, MeetingFeed, NetworkMember, StationChange

from tests.factories import commit_keeping_loaded
from tests.staging import wait_for_a_lock_wait


@pytest.fixture(params=[True, False], ids=["guarded", "control"])
def guard(request, app):
    app.config["KTC_MEETING_GUARD"] = request.param
    yield request.param
    app.config["KTC_MEETING_GUARD"] = True


def meanwhile(app, work):
    """`work()` done and committed by another request (its own app context and session)."""
    errors = []

    def run():
        with app.app_context():
            try:
                work()
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and errors == []


def sequences(kind, recipient):
    messages = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id)
    ).scalars().all()
    return [int(icalendar.Calendar.from_ical(m.ics).walk("VEVENT")[0]["SEQUENCE"]) for m in messages]


def planned(make, network):
    start = make.future(20, hour=13)
    meeting = ops.plan_meeting(network["coordinator"], title="Träff", start_at=start, end_at=start + timedelta(hours=2))
    db.session.commit()
    return meeting


def moved(meeting, days):
    start = meeting.start_at + timedelta(days=days)
    return dict(title=meeting.title, start_at=start, end_at=start + timedelta(hours=2), place=meeting.place)


def test_a_change_after_a_cancel_is_refused_and_sends_no_update(app, make, network, guard):
    meeting = planned(make, network)
    coordinator = network["coordinator"]
    _ = meeting.invitations, coordinator.id  # loaded, as a request has them before it writes
    commit_keeping_loaded()
    meanwhile(app, lambda: ops.cancel_meeting(coordinator, db.session.get(Meeting, meeting.id)))
    contact = network["contacts"][0]
    if guard:
        with pytest.raises(ops.MeetingCancelled):
            ops.update_meeting(coordinator, meeting, **moved(meeting, 1))
        db.session.rollback()
        assert sequences("meeting_changed", contact.email) == []
    else:
        # The lost update: a REQUEST for a meeting already cancelled, with the CANCEL's SEQUENCE.
        ops.update_meeting(coordinator, meeting, **moved(meeting, 1))
        db.session.commit()
        assert sequences("meeting_changed", contact.email) == sequences("meeting_cancelled", contact.email) == [2]


def test_two_changes_send_two_sequences(app, make, network, guard):
    meeting = planned(make, network)
    coordinator = network["coordinator"]
    _ = meeting.invitations, coordinator.id
    commit_keeping_loaded()
    meanwhile(app, lambda: ops.update_meeting(coordinator, db.session.get(Meeting, meeting.id), **moved(meeting, 1)))
    ops.update_meeting(coordinator, meeting, **moved(meeting, 2))
    db.session.commit()
    contact = network["contacts"][0]
    if guard:
        # The later time is a newer version of the event: calendars apply it.
        assert sequences("meeting_changed", contact.email) == [2, 3]
        assert db.session.execute(select(Meeting.sequence).where(Meeting.id == meeting.id)).scalar_one() == 2
    else:
        # Both versions carry SEQUENCE 2: a calendar that got the first keeps it and drops the second.
        assert sequences("meeting_changed", contact.email) == [2]


def test_approving_a_member_that_left_meanwhile_is_refused(app, make, network, guard):
    planned(make, network)
    pending = network["pending"]
    _ = pending.contacts, network["coordinator"].id
    commit_keeping_loaded()
    meanwhile(app, lambda: ops.end_membership(db.session.get(NetworkMember, pending.id)))
    if guard:
        with pytest.raises(ops.NotPending):
            ops.approve_member(network["coordinator"], pending)
        db.session.rollback()
        assert db.session.get(NetworkMember, pending.id).status == "left"
    else:
        # The organisation that left is back as a member, and invited.
        ops.approve_member(network["coordinator"], pending)
        ops.invite_to_coming(pending)
        db.session.commit()
        assert sequences("meeting_invited", network["pending_user"].email) == [1]


def test_an_action_is_closed_once(app, make, network, guard):
    meeting = planned(make, network)
    station = make.station(name="Kateterstationen")
    action = ops.add_action(meeting, text="Korta teorin", owner_kind="station", station=station)
    db.session.commit()
    _ = action.done_at, action.station.id
    commit_keeping_loaded()
    meanwhile(app, lambda: ops.close_action(db.session.get(MeetingAction, action.id), "Kortad", "Teorin tio minuter"))
    if guard:
        with pytest.raises(ops.ActionClosed):
            ops.close_action(action, "Igen", "Teorin fem minuter")
        db.session.rollback()
    else:
        ops.close_action(action, "Igen", "Teorin fem minuter")
        db.session.commit()
    changes = db.session.execute(select(StationChange.description).order_by(StationChange.id)).scalars().all()
    assert changes == (["Teorin tio minuter"] if guard else ["Teorin tio minuter", "Teorin fem minuter"])
    done_note = db.session.execute(select(MeetingAction.done_note)).scalar_one()
    assert done_note == ("Kortad" if guard else "Igen")


def _needs_postgres():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time, so two writers cannot overlap; the staged "
                    "tests above cover the guard on both databases")


def _wait_for_a_lock_wait():
    wait_for_a_lock_wait("the second request never waited for the first")


def _race(app, first, second):
    """first() writes and holds its transaction open; second() starts, waits for first's lock; first commits."""
    first_written, may_commit = threading.Event(), threading.Event()
    outcomes = {}

    def run(name, work, hold):
        with app.app_context():
            try:
                if not hold:
                    first_written.wait(timeout=30)
                work()
                if hold:
                    first_written.set()
                    may_commit.wait(timeout=30)
                db.session.commit()
                outcomes[name] = "done"
            except Exception as exc:
                db.session.rollback()
                outcomes[name] = type(exc).__name__
            finally:
                first_written.set()
                db.session.remove()

    threads = [threading.Thread(target=run, args=("first", first, True)),
               threading.Thread(target=run, args=("second", second, False))]
    for thread in threads:
        thread.start()
    assert first_written.wait(timeout=30)
    _wait_for_a_lock_wait()
    may_commit.set()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    return outcomes


def test_cancel_and_change_at_the_same_moment(app, make, network, guard):
    _needs_postgres()
    meeting = planned(make, network)
    coordinator_id, meeting_id = network["coordinator"].id, meeting.id
    db.session.commit()
    from ktc.accounts.models import User

    def cancel():
        ops.cancel_meeting(db.session.get(User, coordinator_id), db.session.get(Meeting, meeting_id))

    def change():
        meeting = db.session.get(Meeting, meeting_id)
        _ = meeting.invitations  # read before the cancel commits
        ops.update_meeting(db.session.get(User, coordinator_id), meeting, **moved(meeting, 1))

    outcomes = _race(app, cancel, change)
    contact = network["contacts"][0]
    db.session.expire_all()
    if guard:
        assert outcomes == {"first": "done", "second": "MeetingCancelled"}
        assert sequences("meeting_changed", contact.email) == []
    else:
        assert outcomes == {"first": "done", "second": "done"}
        assert sequences("meeting_changed", contact.email) == sequences("meeting_cancelled", contact.email) == [2]


def test_an_approval_while_the_organisation_leaves_is_refused(app, make, network, guard):
    """The approval waits for the leave's lock and then finds the organisation gone."""
    _needs_postgres()
    planned(make, network)
    member_id, coordinator_id = network["pending"].id, network["coordinator"].id
    db.session.commit()
    from ktc.accounts.models import User

    def leave():
        ops.end_membership(db.session.get(NetworkMember, member_id))

    def approve():
        member = db.session.get(NetworkMember, member_id)
        ops.approve_member(db.session.get(User, coordinator_id), member)
        ops.invite_to_coming(member)

    outcomes = _race(app, leave, approve)
    db.session.expire_all()
    member = db.session.get(NetworkMember, member_id)
    invited = sequences("meeting_invited", network["pending_user"].email)
    if guard:
        assert outcomes == {"first": "done", "second": "NotPending"}
        assert (member.status, invited) == ("left", [])
    else:
        # The lost update: the organisation that left is a member again, and invited.
        assert outcomes == {"first": "done", "second": "done"}
        assert (member.status, invited) == ("member", [1])


def test_two_first_calendar_links_at_once_make_one(app, make, network):
    """A double click on "Make a calendar link": the second insert meets the first's row and renews it."""
    _needs_postgres()
    user_id = network["contacts"][0].id
    db.session.commit()
    from ktc.accounts.models import User

    def make_feed():
        ops.make_feed(db.session.get(User, user_id))

    outcomes = _race(app, make_feed, make_feed)
    assert outcomes == {"first": "done", "second": "done"}
    db.session.expire_all()
    assert len(db.session.execute(select(MeetingFeed)).scalars().all()) == 1
