"""Replies from people's calendars, read from a real IMAP server (Dovecot) and applied exactly once."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ktc.bookings.models import Booking
from ktc.bookings.operations import book_team
from ktc.calendar import jobs
from ktc.calendar.imap import Mailbox
from ktc.calendar.models import CalendarReply
from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail.models import OutboxMessage

from tests.calendar import replies_mail as shape
from tests.calendar.helpers import outbox

ROOT = Path(__file__).resolve().parents[2]
PROCESSED, REJECTED, PROCESSING = "KTC-processed", "KTC-rejected", "KTC-processing"


@pytest.fixture
def booked(make):
    """One seat, Anna holds it (invited), Bo waits; Anna's manager and an admin exist."""
    station = make.station(skills=[make.skill()])
    session = make.session(station, capacity=1, start=make.future(days=10), title="HLR")
    unit = make.unit()
    anna = make.participant(unit, name="Anna Svensson", email="Anna.Svensson@kommun.example")
    bo = make.participant(unit, name="Bo Berg")
    manager = make.manager(unit, email="chef@kommun.example")
    admin = make.user("admin", email="admin@ktc.example")
    results = book_team(admin, session, [anna, bo])
    db.session.commit()
    anna_booking, bo_booking = (r.booking for r in results)
    assert (anna_booking.status, bo_booking.status) == ("confirmed", "waitlisted")
    assert anna_booking.ical_sequence >= 1
    return {"session": session, "anna": anna_booking, "bo": bo_booking, "manager": manager, "admin": admin,
            "uid": f"{session.uid}@ktc.example.org", "email": "anna.svensson@kommun.example"}


def _run():
    filed = jobs.read_calendar_replies()
    db.session.commit()
    return filed


def _reload(booking):
    db.session.commit()  # a new transaction sees what other processes committed
    return db.session.get(Booking, booking.id)


def _records():
    db.session.commit()
    return db.session.execute(select(CalendarReply).order_by(CalendarReply.id)).scalars().all()


def test_outlook_decline_before_the_cutoff_cancels_the_booking_and_gives_the_seat_away(imap, booked):
    imap.deliver(shape.outlook(booked["uid"], "Anna.Svensson@kommun.example"))
    assert _run() == 1
    anna, bo = _reload(booked["anna"]), _reload(booked["bo"])
    assert anna.status == "cancelled"
    assert anna.cancelled_by_id is None or anna.cancelled_by.participant_id == anna.participant_id
    assert bo.status == "confirmed"  # the waiting list moved up
    cancel = outbox("booking_cancelled")
    assert [(m.recipient, m.ics_method) for m in cancel] == [("Anna.Svensson@kommun.example", "CANCEL")]
    assert [m.recipient for m in outbox("booking_promoted")] == [bo.participant.email]
    assert [m.recipient for m in outbox("booking_declined")] == ["chef@kommun.example"]
    assert len(imap.folder(PROCESSED)) == 1
    assert imap.folder("INBOX") == [] and imap.folder(PROCESSING) == [] and imap.folder(REJECTED) == []
    (record,) = _records()
    assert (record.outcome, record.reason, record.booking_id) == ("applied", "cancelled", anna.id)


def test_gmail_accept_and_apple_tentative_are_recorded_and_shown_to_managers(imap, booked, client, login_as):
    imap.deliver(shape.gmail(booked["uid"], booked["email"]))
    _run()
    assert _reload(booked["anna"]).calendar_reply == "accepted"
    login_as(booked["manager"])
    page = client.get("/bookings/team/bookings").get_data(as_text=True)
    assert "Accepterat i kalendern" in page or "Accepted in the calendar" in page
    imap.deliver(shape.apple(booked["uid"], booked["email"]))
    _run()
    anna = _reload(booked["anna"])
    assert (anna.status, anna.calendar_reply) == ("confirmed", "tentative")
    assert len(imap.folder(PROCESSED)) == 2
    assert [r.outcome for r in _records()] == ["applied", "applied"]


def test_thunderbird_decline_after_the_cutoff_keeps_the_seat_and_tells_the_manager_and_ktc(imap, booked, app):
    session = booked["session"]
    session.start_at, session.end_at = utcnow() + timedelta(hours=3), utcnow() + timedelta(hours=5)
    db.session.commit()
    imap.deliver(shape.thunderbird(booked["uid"], booked["email"]))
    _run()
    anna, bo = _reload(booked["anna"]), _reload(booked["bo"])
    assert (anna.status, anna.calendar_reply) == ("confirmed", "declined_late")
    assert bo.status == "waitlisted"
    assert sorted(m.recipient for m in outbox("booking_declined_late")) == ["admin@ktc.example", "chef@kommun.example"]
    assert outbox("booking_cancelled") == []


def test_a_counter_proposal_gets_a_polite_answer_and_changes_nothing(imap, booked):
    imap.deliver(shape.outlook(booked["uid"], booked["email"], partstat="NEEDS-ACTION", method="COUNTER"))
    _run()
    assert _reload(booked["anna"]).status == "confirmed"
    (answer,) = outbox("counter_answered")
    assert answer.recipient == "Anna.Svensson@kommun.example" and answer.ics is None
    assert len(imap.folder(PROCESSED)) == 1


def test_nobody_declines_for_someone_else(imap, booked):
    imap.deliver(shape.outlook(booked["uid"], booked["email"]).replace(
        b"From: Anna Svensson <anna.svensson@kommun.example>", b"From: Mallory <mallory@evil.example>"))
    # The attendee in the reply is Anna, the sender someone else.
    raw = shape.thunderbird(booked["uid"], booked["email"]).replace(
        b"Anna.Svensson@kommun.example", b"anna.svensson@kommun.example")
    imap.deliver(raw.replace(b"From: Anna Svensson <anna.svensson@kommun.example>",
                             b"From: Bo Berg <" + booked["bo"].participant.email.encode() + b">"))
    _run()
    assert _reload(booked["anna"]).status == "confirmed"
    assert len(imap.folder(REJECTED)) == 2 and imap.folder(PROCESSED) == []
    assert [r.reason for r in _records()] == ["not_from_attendee", "not_from_attendee"]


@pytest.mark.parametrize("case, reason", [
    ("plain", "not_calendar"),
    ("broken", "malformed"),
    ("unknown_uid", "unknown_uid"),
    ("foreign_domain", "unknown_uid"),
    ("stale", "stale_sequence"),
    ("request", "unsupported_method"),
    ("delegated", "unsupported_partstat"),
    ("stranger", "unknown_attendee"),
])
def test_what_cannot_be_applied_is_set_aside_with_a_reason(imap, booked, case, reason):
    email, uid = booked["email"], booked["uid"]
    raw = {
        "plain": lambda: shape.plain_mail(email),
        "broken": lambda: shape.raw_calendar(email, "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\n"
                                                   "DTSTART:notadate\r\nEND:VCALENDAR\r\n"),
        "unknown_uid": lambda: shape.gmail("no-such-session@ktc.example.org", email),
        "foreign_domain": lambda: shape.gmail(uid.replace("ktc.example.org", "other.example"), email),
        "stale": lambda: shape.gmail(uid, email, sequence=booked["anna"].ical_sequence - 1),
        "request": lambda: shape.raw_calendar(email, shape.reply_ics(uid, email, "ACCEPTED", method="REQUEST"),
                                              method="REQUEST"),
        "delegated": lambda: shape.gmail(uid, email, partstat="DELEGATED"),
        "stranger": lambda: shape.gmail(uid, "stranger@example.net"),
    }[case]()
    before = db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()
    imap.deliver(raw)
    assert _run() == 1
    anna = _reload(booked["anna"])
    assert (anna.status, anna.calendar_reply) == ("confirmed", None)
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == before
    assert len(imap.folder(REJECTED)) == 1 and imap.folder(PROCESSED) == []
    (record,) = _records()
    assert (record.outcome, record.reason) == ("rejected", reason)


def _command(app, imap):
    env = dict(os.environ)
    env.update(DATABASE_URL=db.engine.url.render_as_string(hide_password=False), SECRET_KEY=app.config["SECRET_KEY"],
               KTC_BASE_URL=app.config["KTC_BASE_URL"], KTC_IMAP_URL=imap.url, FLASK_SKIP_DOTENV="1")
    env.pop("KTC_ENV", None)  # production-like: BEGIN IMMEDIATE on SQLite, as the scheduler runs
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "ktc", "calendar-replies"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_two_processes_reading_at_once_apply_every_message_once(imap, booked, app, make):
    session = booked["session"]
    session.capacity = 12
    people = [make.participant(booked["anna"].participant.unit) for _ in range(10)]
    book_team(booked["admin"], session, people)
    db.session.commit()
    for i, person in enumerate(people):
        reply = shape.thunderbird if i % 2 else shape.gmail
        imap.deliver(reply(booked["uid"], person.email, partstat="DECLINED" if i % 2 else "ACCEPTED"))
    imap.deliver(shape.plain_mail(people[0].email))
    processes = [_command(app, imap) for _ in range(2)]
    outputs = [p.communicate(timeout=180)[0].decode(errors="replace") for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    records = _records()
    assert len(records) == 11 and len({r.message_key for r in records}) == 11, outputs
    assert sorted(r.outcome for r in records) == ["applied"] * 10 + ["rejected"]
    assert len(outbox("booking_cancelled")) == 5 and len(outbox("booking_declined")) == 5
    assert len(imap.folder(PROCESSED)) == 10 and len(imap.folder(REJECTED)) == 1
    assert imap.folder(PROCESSING) == [] and imap.folder("INBOX") == []


def test_a_message_delivered_twice_changes_the_booking_once(imap, booked):
    raw = shape.outlook(booked["uid"], booked["email"])
    imap.deliver(raw)
    imap.deliver(raw)
    assert _run() == 2
    assert len(_records()) == 1
    assert len(outbox("booking_cancelled")) == 1 and len(outbox("booking_declined")) == 1
    assert len(imap.folder(PROCESSED)) == 2  # both copies kept, none deleted


def test_a_crash_between_the_commit_and_the_move_changes_nothing_twice(imap, booked, monkeypatch):
    imap.deliver(shape.outlook(booked["uid"], booked["email"]))

    def crash(self, uid, rejected):
        raise ConnectionResetError("the process stopped here")

    monkeypatch.setattr(Mailbox, "file", crash)
    with pytest.raises(ConnectionResetError):
        jobs.read_calendar_replies()
    db.session.rollback()
    assert _reload(booked["anna"]).status == "cancelled"
    assert len(imap.folder(PROCESSING)) == 1
    monkeypatch.undo()
    assert _run() == 1
    assert len(outbox("booking_cancelled")) == 1 and len(outbox("booking_promoted")) == 1
    assert len(_records()) == 1
    assert len(imap.folder(PROCESSED)) == 1 and imap.folder(PROCESSING) == []


def test_the_command_runs_once_and_the_scheduler_registers_the_job_only_with_a_mailbox(imap, booked, app, runner):
    from apscheduler.schedulers.background import BackgroundScheduler

    from ktc.scheduler import build_scheduler

    imap.deliver(shape.gmail(booked["uid"], booked["email"]))
    result = runner.invoke(args=["ktc", "calendar-replies"])
    assert result.exit_code == 0, result.output
    assert "1 calendar message" in result.output
    assert _reload(booked["anna"]).calendar_reply == "accepted"
    for url, expected in ((imap.url, True), (None, False)):
        app.config["KTC_IMAP_URL"] = url
        scheduler = build_scheduler(app, scheduler_class=BackgroundScheduler)
        scheduler.start(paused=True)
        try:
            assert ("calendar.read_replies" in {job.id for job in scheduler.get_jobs()}) is expected
        finally:
            scheduler.shutdown(wait=False)


def test_erasing_a_participant_forgets_the_address_their_answers_came_from(booked):
    from ktc.calendar.replies import handle_message
    from ktc.privacy.operations import erase_participant

    handle_message(shape.gmail(booked["uid"], booked["email"]))
    db.session.commit()
    erase_participant(booked["admin"], booked["anna"].participant)
    (record,) = _records()
    assert record.sender == "" and record.outcome == "applied"


@pytest.mark.parametrize("guard", [True, False], ids=["guarded", "control"])
def test_a_reader_whose_lease_ran_out_commits_nothing_and_leaves_the_message_to_the_new_holder(
        imap, booked, app, monkeypatch, guard):
    """The lease runs out while a reader is handling a message and another process takes it: the
    old reader must stop, not commit the message beside the new holder. The control renews blindly."""
    from sqlalchemy import update

    from ktc.calendar import replies
    from ktc.calendar.models import MailboxLease

    app.config["KTC_LEASE_GUARD"] = guard
    imap.deliver(shape.outlook(booked["uid"], booked["email"]))
    handle = replies.handle_message

    def taken_meanwhile(raw, now=None):
        # What another process does when our lease has expired: it takes the mailbox for itself.
        db.session.execute(update(MailboxLease).values(holder="other:1", expires_at=utcnow() + timedelta(minutes=10)))
        db.session.commit()
        return handle(raw, now)

    monkeypatch.setattr(replies, "handle_message", taken_meanwhile)
    filed = _run()
    if not guard:  # the blind renewal commits beside the new holder
        assert filed == 1 and _reload(booked["anna"]).status == "cancelled"
        return
    assert filed == 0
    assert _reload(booked["anna"]).status == "confirmed" and _records() == []
    assert len(imap.folder(PROCESSING)) == 1 and imap.folder(PROCESSED) == []
    assert db.session.get(MailboxLease, jobs.LEASE).holder == "other:1"  # the new holder keeps its lease
