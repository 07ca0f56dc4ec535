"""Outbox delivery to a real local SMTP server: MIME structure, exactly-once, retries."""
import threading
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail import notify
from ktc.mail.models import OutboxMessage
from ktc.mail.sender import send_pending

from tests.calendar.helpers import outbox, session as session_
from tests.mail.helpers import queue


def _confirmed(make, **kw):
    session = session_(make, start=make.future(20))
    booking = make.booking(session, make.participant(**kw))
    notify.booking_confirmed(booking)
    db.session.commit()
    return booking


def test_invitation_arrives_with_the_mime_structure_calendars_expect(make, smtp_server):
    booking = _confirmed(make)
    assert send_pending() == 1
    (received,) = smtp_server.inbox.messages
    assert received["To"] == booking.participant.email
    assert received.get_content_type() == "multipart/mixed"
    alternative = received.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_param("charset").upper() == "UTF-8"
    assert calendar["Content-Disposition"] is None
    ics = calendar.get_content()
    assert "METHOD:REQUEST" in ics
    assert booking.session.uid in ics
    assert "<p>" in html.get_content()
    assert db.session.execute(select(OutboxMessage.status)).scalar_one() == "sent"


def test_message_without_invitation_is_text_and_html(make, smtp_server):
    session = session_(make, start=make.future(20))
    booking = make.booking(session, make.participant(), status="waitlisted")
    notify.booking_waitlisted(booking)
    db.session.commit()
    send_pending()
    (received,) = smtp_server.inbox.messages
    assert received.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in received.get_payload()] == ["text/plain", "text/html"]


def test_emails_use_the_participants_language(make):
    swedish = _confirmed(make)
    english_participant = make.participant()
    make.participant_user(english_participant, locale="en")
    english = make.booking(session_(make, start=make.future(21)), english_participant)
    notify.booking_confirmed(english)
    db.session.flush()
    by_recipient = {m.recipient: m for m in outbox()}
    assert by_recipient[swedish.participant.email].subject.startswith("Bokad:")
    assert "Hej" in by_recipient[swedish.participant.email].body_text
    assert by_recipient[english_participant.email].subject.startswith("Booked:")
    assert "Hello" in by_recipient[english_participant.email].body_text


def test_without_a_mail_server_messages_stay_in_the_outbox(make, app):
    app.config["KTC_MAIL_URL"] = None
    _confirmed(make)
    assert send_pending() == 0
    assert [m.status for m in outbox()] == ["pending"]


def test_two_senders_at_once_send_every_message_once(app, smtp_server):
    queue(30)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                send_pending()
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    recipients = [m["To"] for m in smtp_server.inbox.messages]
    assert sorted(recipients) == sorted(f"person{i}@example.org" for i in range(30))
    db.session.expire_all()
    assert {m.status for m in outbox()} == {"sent"}


def test_smtp_down_then_up_delivers_once(make, smtp_server):
    _confirmed(make)
    smtp_server.stop()
    now = utcnow()
    assert send_pending(now) == 0
    (message,) = outbox()
    assert message.status == "pending" and message.attempts == 1 and message.last_error
    assert message.next_attempt_at >= now + timedelta(seconds=current_app.config["KTC_OUTBOX_BACKOFF_SECONDS"])
    smtp_server.start()
    assert send_pending(now + timedelta(seconds=1)) == 0  # still backing off
    assert send_pending(message.next_attempt_at) == 1
    assert send_pending(message.next_attempt_at + timedelta(hours=1)) == 0
    assert len(smtp_server.inbox.messages) == 1
    db.session.expire_all()
    assert outbox()[0].status == "sent"


def test_after_the_last_attempt_the_message_fails_and_an_admin_can_retry(app, client, login_as, make,
                                                                         smtp_server):
    app.config["KTC_OUTBOX_MAX_ATTEMPTS"] = 2
    try:
        _confirmed(make)
        smtp_server.stop()
        now = utcnow()
        send_pending(now)
        send_pending(now + timedelta(days=1))
        db.session.expire_all()
        (message,) = outbox()
        assert message.status == "failed" and message.attempts == 2
        message_id, subject = message.id, message.subject
        login_as(make.user("admin"))
        db.session.commit()
        page = client.get("/mail/outbox?status=failed").get_data(as_text=True)
        assert "outbox-row--failed" in page and subject in page
        assert client.post(f"/mail/outbox/{message_id}/retry").status_code == 302
        smtp_server.start()
        db.session.expire_all()
        assert send_pending() == 1
        assert len(smtp_server.inbox.messages) == 1
    finally:
        app.config["KTC_OUTBOX_MAX_ATTEMPTS"] = 8


def test_a_crash_mid_send_is_recovered_without_repeating_sent_messages(make, smtp_server):
    queue(3)
    first, second, third = outbox()
    now = utcnow()
    first.status = "sent"
    second.status, second.claimed_at = "sending", now - timedelta(minutes=30)  # its sender died
    third.status, third.claimed_at = "sending", now - timedelta(seconds=30)  # a live sender has it
    db.session.commit()
    assert send_pending(now) == 1
    assert [m["To"] for m in smtp_server.inbox.messages] == [second.recipient]
    db.session.expire_all()
    assert [m.status for m in outbox()] == ["sent", "sent", "sending"]


def test_outbox_page_is_for_admins_only(client, login_as, make):
    login_as(make.manager(make.unit()))
    db.session.commit()
    assert client.get("/mail/outbox").status_code == 403
    assert client.post("/mail/outbox/retry-failed").status_code == 403
