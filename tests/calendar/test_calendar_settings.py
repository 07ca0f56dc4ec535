"""A participant's calendar settings (issue 14): invitations, a subscription or both, and a reminder."""
import re
from datetime import timedelta

from ktc.bookings.operations import book_team, cancel_booking
from ktc.calendar import operations
from ktc.extensions import db
from ktc.organisations.models import Participant

from tests.calendar.helpers import (
    caldav_roundtrip,
    outbox,
    parse_icalendar,
    session as session_,
    strip_method,
    vobject_check,
)


def _checked(page, value):
    return re.search(rf'<input checked [^>]*name="delivery"[^>]*value="{value}"', page) is not None


def _post(client, **data):
    return client.post("/calendar/settings", data=data)


def test_a_participant_chooses_subscription_and_a_reminder_on_the_calendar_page(client, login_as, make):
    user = make.participant_user()
    participant_id = user.participant_id
    db.session.commit()
    login_as(user)
    page = client.get("/calendar/").get_data(as_text=True)
    assert _checked(page, "invitations") and 'action="/calendar/settings"' in page

    response = _post(client, delivery="subscription", reminder="1440")
    assert response.status_code == 302
    db.session.expire_all()
    participant = db.session.get(Participant, participant_id)
    assert (participant.calendar_delivery, participant.calendar_reminder_minutes) == ("subscription", 1440)
    page = client.get("/calendar/").get_data(as_text=True)
    assert _checked(page, "subscription") and '<option selected value="1440">' in page


def test_choosing_both_warns_that_every_session_shows_twice(client, login_as, make):
    user = make.participant_user()
    db.session.commit()
    login_as(user)
    page = client.post("/calendar/settings", data={"delivery": "both", "reminder": ""}, follow_redirects=True)
    assert "två gånger" in page.get_data(as_text=True)


def test_a_setting_that_is_not_offered_is_refused_with_a_message(client, login_as, make):
    user = make.participant_user()
    participant_id = user.participant_id
    db.session.commit()
    login_as(user)
    response = _post(client, delivery="fax", reminder="5")
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)
    db.session.expire_all()
    participant = db.session.get(Participant, participant_id)
    assert (participant.calendar_delivery, participant.calendar_reminder_minutes) == ("invitations", None)


def test_with_a_subscription_only_no_email_carries_a_calendar_part(make):
    session = session_(make, start=make.future(20))
    admin = make.user("admin")
    participant = make.participant(calendar_delivery="subscription")
    (result,) = book_team(admin, session, [participant])
    cancel_booking(admin, result.booking)
    confirmed, cancelled = outbox("booking_confirmed")[0], outbox("booking_cancelled")[0]
    assert confirmed.ics is None and cancelled.ics is None
    assert "prenumeration" in confirmed.body_text and "prenumeration" in cancelled.body_text
    assert result.booking.ical_sequence == 0


def test_both_still_sends_invitations(make):
    session = session_(make, start=make.future(20))
    (result,) = book_team(make.user("admin"), session, [make.participant(calendar_delivery="both")])
    (message,) = outbox("booking_confirmed")
    assert message.ics_method == "REQUEST" and "BEGIN:VEVENT" in message.ics


def _alarm(component):
    (alarm,) = component.walk("VALARM")
    return alarm


def test_the_reminder_is_in_the_invitation_for_every_parser(make, icaljs):
    session = session_(make, start=make.future(20), title="HLR")
    admin = make.user("admin")
    (result,) = book_team(admin, session, [make.participant(calendar_reminder_minutes=1440)])
    (message,) = outbox("booking_confirmed")
    alarm = _alarm(parse_icalendar(message.ics))
    assert str(alarm["ACTION"]) == "DISPLAY" and str(alarm["DESCRIPTION"]) == "HLR"
    assert alarm.decoded("TRIGGER") == -timedelta(days=1)
    vobject_check(message.ics)
    (event,) = icaljs(message.ics)["events"]
    assert event["alarms"] == [{"action": "DISPLAY", "trigger": "-P1D", "description": "HLR"}]
    cancel_booking(admin, result.booking)
    assert "VALARM" not in outbox("booking_cancelled")[0].ics  # nothing to remind of


def test_without_a_reminder_there_is_no_alarm(make):
    session = session_(make, start=make.future(20))
    book_team(make.user("admin"), session, [make.participant()])
    assert "VALARM" not in outbox("booking_confirmed")[0].ics


def test_the_reminder_is_in_the_feed_on_booked_sessions_only(app, make, icaljs, caldav_calendar):
    participant = make.participant()
    user = make.participant_user(participant)
    booked = session_(make, start=make.future(20), title="HLR")
    waiting = session_(make, start=make.future(21), title="Sår")
    make.booking(booked, participant)
    make.booking(waiting, participant, status="waitlisted")
    with app.test_request_context():
        (link,) = operations.create_feeds(user)
    db.session.commit()
    before = operations.feed_state(link.url.rsplit("/", 1)[1][:-4])
    assert "VALARM" not in operations.render_feed(link.feed)

    participant.calendar_reminder_minutes = 60
    db.session.commit()
    state = operations.feed_state(link.url.rsplit("/", 1)[1][:-4])
    assert state.etag != before.etag  # subscribed calendars fetch the feed again
    text = operations.render_feed(link.feed)
    cal = parse_icalendar(text)
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert _alarm(events["HLR"]).decoded("TRIGGER") == -timedelta(hours=1)
    assert not [e for name, e in events.items() if name != "HLR" and e.walk("VALARM")]
    vobject_check(text)
    read = {e["summary"] if "summary" in e else e["uid"]: e for e in icaljs(text)["events"]}
    assert sorted(len(e["alarms"]) for e in read.values()) == [0, 1]
    assert [a for e in read.values() for a in e["alarms"]] == [
        {"action": "DISPLAY", "trigger": "-PT1H", "description": "HLR"}]
    caldav_roundtrip(caldav_calendar, strip_method(text), {f"{booked.uid}@ktc.example.org": booked.start_at})
