"""The last interoperability points (issue 14): per-attendee CANCEL, RSVP only in REQUEST, URL and
COMMENT on events, no duplicate invite.ics, and a Last-Modified that moves with the ETag."""
from datetime import timedelta
from types import SimpleNamespace

from ktc.bookings.operations import book_team, cancel_booking
from ktc.calendar import operations
from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail import mime

from tests.calendar.helpers import outbox, parse_icalendar, session as session_


def _booked(make, **kw):
    session = session_(make, start=make.future(20), **kw)
    admin = make.user("admin")
    (result,) = book_team(admin, session, [make.participant()])
    db.session.flush()
    return admin, session, result.booking


def _event(message):
    return parse_icalendar(message.ics).walk("VEVENT")[0]


def test_cancelling_one_booking_removes_that_attendee_only_with_the_reason(make, icaljs):
    admin, session, booking = _booked(make)
    request = _event(outbox("booking_confirmed")[0])
    assert request["ATTENDEE"].params["RSVP"] == "TRUE"
    assert str(request["URL"]) == f"https://ktc.example.org/sessions/{session.id}"
    cancel_booking(admin, booking, reason="Krockar med nattpass")
    (message,) = outbox("booking_cancelled")
    event = _event(message)
    assert message.ics_method == "CANCEL"
    assert "STATUS" not in event  # the session goes on: STATUS:CANCELLED would cancel it for everyone
    assert "RSVP" not in event["ATTENDEE"].params and "PARTSTAT" not in event["ATTENDEE"].params
    assert str(event["COMMENT"]) == "Krockar med nattpass"
    assert icaljs(message.ics)["events"][0]["status"] != "CANCELLED"


def test_a_cancelled_session_cancels_the_whole_event_with_its_reason(make, app, client, login_as):
    admin, session, booking = _booked(make)
    from ktc.sessions.operations import cancel_session

    cancel_session(admin, session, reason="Instruktören är sjuk")
    (message,) = outbox("session_cancelled")
    event = _event(message)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["COMMENT"]) == "Instruktören är sjuk"
    assert "RSVP" not in event["ATTENDEE"].params


def test_feed_events_link_to_the_session_page(make, app):
    session = session_(make, start=make.future(5))
    user = make.participant_user()
    make.booking(session, user.participant)
    with app.test_request_context():
        (link,) = operations.create_feeds(user)
    db.session.commit()
    text = operations.render_feed(link.feed)
    assert f"URL:https://ktc.example.org/sessions/{session.id}\r\n" in text
    parse_icalendar(text)


def _mail(ics):
    return SimpleNamespace(id=1, body_text="Hej", body_html="<p>Hej</p>", ics=ics, ics_method="REQUEST",
                           recipient="anna@example.org", subject="Bokad", created_at=utcnow())


def test_the_invitation_is_not_attached_a_second_time_unless_configured(make, app):
    _admin, _session, _booking = _booked(make)
    ics = outbox("booking_confirmed")[0].ics
    message = mime.build(_mail(ics), "KTC <ktc@localhost>", "ktc.example.org")
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"]
    app.config["KTC_MAIL_ICS_ATTACHMENT"] = True
    try:
        message = mime.build(_mail(ics), "KTC <ktc@localhost>", "ktc.example.org")
    finally:
        app.config["KTC_MAIL_ICS_ATTACHMENT"] = False
    assert message.get_payload()[-1].get_filename() == "invite.ics"


def test_last_modified_moves_whenever_the_etag_does(make, app):
    user = make.participant_user(locale="sv")
    make.booking(session_(make, start=make.future(5)), user.participant)
    with app.test_request_context():
        (link,) = operations.create_feeds(user)
    db.session.commit()
    token = link.url.rsplit("/", 1)[1].removesuffix(".ics")
    now = utcnow() + timedelta(minutes=1)
    before = operations.feed_state(token, now)
    user.locale = "en"
    db.session.commit()
    after = operations.feed_state(token, now)
    assert after.etag != before.etag
    assert after.last_modified > before.last_modified
