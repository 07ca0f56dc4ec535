"""A booking, cancellation or change queues one small event row; the sender renders it when it sends.

What the change decided stays as it was (kind, recipient, METHOD, SEQUENCE, reason, Message-ID);
what the message shows of the session is read when it is sent.
"""
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import event, insert, select, update

from ktc.bookings.operations import book_team, cancel_booking
from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail import sender
from ktc.mail.models import OutboxMessage
from ktc.mail.outbox import dedupe_key, enqueue_event

from tests.calendar.helpers import session as session_
from tests.paths.staged import skip_unless_postgres, staged


def _calendar(received):
    """(METHOD, SEQUENCE, SUMMARY, STATUS) of the invitation in a received e-mail."""
    (part,) = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    cal = icalendar.Calendar.from_ical(part.get_content())
    (vevent,) = cal.walk("VEVENT")
    return str(cal["METHOD"]), int(vevent["SEQUENCE"]), str(vevent["SUMMARY"]), str(vevent.get("STATUS", ""))


def _statements(action):
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_a_booking_queues_its_message_with_one_insert_and_no_savepoint(make):
    session = session_(make, start=make.future(20))
    admin, person = make.user("admin"), make.participant()
    db.session.commit()

    def book():
        book_team(admin, session, [person])
        db.session.commit()

    statements = _statements(book)
    touching = [s for s in statements if " outbox" in s]
    assert len(touching) == 1, touching
    # No SELECT of the outbox before it: one INSERT … ON CONFLICT DO NOTHING (on PostgreSQL a WITH of
    # the transaction's last statement, ktc.database.write_at_commit).
    assert touching[0].count("INSERT INTO outbox ") == 1 and "ON CONFLICT (dedupe_key) DO NOTHING" in touching[0]
    assert touching[0].startswith("INSERT INTO outbox" if db.engine.dialect.name == "sqlite" else "WITH ")
    assert not [s for s in statements if "SAVEPOINT" in s], statements
    (message,) = db.session.execute(select(OutboxMessage)).scalars()
    assert message.kind == "booking_confirmed" and message.body_text is None and message.ics_sequence == 1


def test_the_message_shows_the_session_as_it_is_when_sent_in_the_language_of_then(make, smtp_server):
    session = session_(make, start=make.future(20), title="HLR grund")
    admin, person = make.user("admin"), make.participant()
    db.session.commit()
    (result,) = book_team(admin, session, [person])
    db.session.commit()
    sequence = result.booking.ical_sequence

    # Changed after the booking, before the sender ran: a new title tells nobody by itself.
    session.title = "HLR vuxen"
    make.participant_user(person, locale="en")
    db.session.commit()
    assert sender.send_pending() == 1

    (received,) = smtp_server.inbox.messages
    assert received["Subject"].startswith("Booked: HLR vuxen")
    assert "HLR vuxen" in received.get_body(("plain",)).get_content()
    assert _calendar(received)[:3] == ("REQUEST", sequence, "HLR vuxen")
    sent = db.session.execute(select(OutboxMessage)).scalar_one()
    assert sent.status == "sent" and sent.subject == received["Subject"] and "HLR vuxen" in sent.ics


def test_sent_late_and_in_any_order_the_sequence_still_rises_and_a_cancel_stays_a_cancel(make, smtp_server):
    session = session_(make, start=make.future(20))
    admin, person = make.user("admin"), make.participant()
    db.session.commit()
    (result,) = book_team(admin, session, [person])
    db.session.commit()
    cancel_booking(admin, result.booking, reason="Sjuk")
    db.session.commit()
    book_team(admin, session, [person])
    db.session.commit()

    # Sent newest first (as after a retry), and only once the booking is confirmed again.
    ids = db.session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id)).scalars().all()
    now = utcnow()
    for age, message_id in enumerate(ids):
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(next_attempt_at=now - timedelta(minutes=age)))
    db.session.commit()
    assert sender.send_pending(now) == 3

    received = list(reversed(smtp_server.inbox.messages))  # back in the order of the changes
    reads = [_calendar(m) for m in received]
    assert [r[0] for r in reads] == ["REQUEST", "CANCEL", "REQUEST"]
    sequences = [r[1] for r in reads]
    assert sequences == sorted(set(sequences)), sequences
    assert result.booking.ical_sequence == sequences[-1]
    assert "Sjuk" in received[1].get_body(("plain",)).get_content()


def test_an_event_sent_again_after_a_crash_keeps_its_message_id_date_and_sequence(monkeypatch, make, smtp_server):
    session = session_(make, start=make.future(20))
    admin, person = make.user("admin"), make.participant()
    db.session.commit()
    book_team(admin, session, [person])
    db.session.commit()

    class Crash(Exception):
        pass

    def crash(_message_id):
        raise Crash()

    mark_sent = sender._mark_sent
    monkeypatch.setattr(sender, "_mark_sent", crash)
    now = utcnow()
    with pytest.raises(Crash):
        sender.send_pending(now)
    db.session.rollback()
    monkeypatch.setattr(sender, "_mark_sent", mark_sent)
    assert sender.send_pending(now + sender.STALE_AFTER + timedelta(minutes=1)) == 1
    first, again = smtp_server.inbox.messages
    assert first["Message-ID"] == again["Message-ID"] and first["Date"] == again["Date"]
    assert _calendar(first)[:2] == _calendar(again)[:2]


def test_an_event_that_cannot_be_rendered_fails_alone_and_the_queue_goes_on(make, smtp_server):
    session = session_(make, start=make.future(20))
    admin, person = make.user("admin"), make.participant()
    db.session.commit()
    enqueue_event("booking_confirmed", "gone", "borta@example.org", 10**6, "REQUEST", 1)
    book_team(admin, session, [person])
    db.session.commit()
    assert sender.send_pending() == 1
    (received,) = smtp_server.inbox.messages
    assert received["To"] == person.email
    db.session.expire_all()
    lost = db.session.execute(select(OutboxMessage).where(OutboxMessage.recipient == "borta@example.org")).scalar_one()
    assert lost.status == "pending" and lost.attempts == 1 and "NothingToRender" in lost.last_error


def test_the_same_event_queued_twice_is_one_row_and_spends_one_sequence(make):
    session = session_(make, start=make.future(20))
    booking = make.booking(session, make.participant())
    db.session.commit()
    from ktc.mail import notify

    assert notify.booking_confirmed(booking) is not None
    assert notify.booking_confirmed(booking) is None
    db.session.commit()
    assert booking.ical_sequence == 1
    assert db.session.execute(select(OutboxMessage.ics_sequence)).scalars().all() == [1]


@pytest.mark.parametrize("queue", ["guarded", "control"])
def test_two_transactions_queueing_the_same_event_at_once_keep_one_row_and_both_commit(app, queue):
    """The second INSERT waits for the first to commit, then does nothing: no error, no savepoint needed.

    The control inserts without ON CONFLICT: the second transaction then fails on the unique key.
    """
    skip_unless_postgres()

    def add(key):
        if queue == "guarded":
            return enqueue_event("booking_confirmed", key, "anna@example.org", 1, "REQUEST", 1)
        db.session.execute(insert(OutboxMessage).values(
            dedupe_key=dedupe_key("booking_confirmed", key, "anna@example.org"), kind="booking_confirmed",
            recipient="anna@example.org", booking_id=1))

    def writer(own):
        def act(_loaded):
            add("b1:same")
            add(own)  # the transaction goes on after the shared row
        return (lambda: None, act)

    outcomes = staged(app, writer("b1:first"), writer("b1:second"))
    keys = sorted(db.session.execute(select(OutboxMessage.dedupe_key)).scalars())
    if queue == "guarded":
        assert outcomes == {"first": "done", "second": "done"}
        assert keys == sorted(dedupe_key("booking_confirmed", k, "anna@example.org")
                              for k in ("b1:same", "b1:first", "b1:second"))
    else:
        assert outcomes["first"] == "done" and "IntegrityError" in outcomes["second"]


def test_admins_see_an_event_not_yet_sent_by_its_kind_and_are_told_when_its_text_is_written(client, login_as, make):
    session = session_(make, start=make.future(20))
    admin, person = make.user("admin"), make.participant()
    db.session.commit()
    book_team(admin, session, [person])
    db.session.commit()
    message_id = db.session.execute(select(OutboxMessage.id)).scalar_one()
    login_as(make.user("admin", locale="en"))
    db.session.commit()
    listing = client.get("/mail/outbox").get_data(as_text=True)
    assert "booking_confirmed" in listing and "None" not in listing
    page = client.get(f"/mail/outbox/{message_id}").get_data(as_text=True)
    assert "The text is written when the message is sent" in page and "None" not in page
