"""KTC in a real browser: from planning a series to the learning network's view of it.

One journey per person, as they would use KTC: KTC staff plan a station's series; a municipal
and a regional manager book their teams (hitting the per-side limit and the waiting list); a
participant on a phone finds the booking and takes the calendar links; the instructor takes the
roster and signs off skills; participants give feedback; the network view shows the result.
Every page on the way is checked with axe-core and kept as a screenshot.
"""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.database import utcnow
from ktc.extensions import db
from ktc.feedback.models import Feedback
from ktc.mail.models import OutboxMessage
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session

from tests.e2e import scenario

pytestmark = pytest.mark.e2e
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _fresh():
    """End the test's own transaction, so the next query sees what the browser's requests wrote."""
    db.session.commit()
    db.session.expire_all()


def _statuses(session_id):
    _fresh()
    rows = db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars().all()
    result = {b.participant.name: b.status for b in rows}
    db.session.commit()
    return result


def _tick_in_order(page, people):
    for person in people:
        page.check(f"#p-{person.id}")


def test_from_planning_to_the_network_view(journey):
    world = scenario.build()
    first_day = (datetime.now(STOCKHOLM) + timedelta(days=14)).date()

    # KTC staff plan the station's series: four Tuesdays-like weekly sessions, 6 seats, 2 held per side.
    admin = journey.person(world.admin.email)
    admin.goto("/sessions/series/new")
    admin.fill("#first_date", first_day.isoformat())
    admin.fill("#start_time", "09:00")
    admin.fill("#end_time", "11:00")
    admin.fill("#occurrences", "4")
    admin.fill("#interval_weeks", "1")
    admin.select_option("#station_id", str(world.station.id))
    admin.fill("#capacity", "6")
    admin.fill("#min_per_side", "2")
    admin.fill("#release_before_hours", "72")
    admin.select_option("#instructor_ids", [str(world.instructor.id)])
    admin.select_option("#skill_ids", [str(s.id) for s in world.skills])
    admin.fill("#title", "Kateter och sår – kommun och region tillsammans")
    journey.check(admin, "01-plan-series-form", readme="plan-series")
    admin.click("main form button[type=submit]")
    admin.wait_for_url(re.compile(r"/sessions/series/\d+$"))
    journey.check(admin, "02-series-planned")
    _fresh()
    sessions = db.session.execute(
        select(Session).where(Session.station_id == world.station.id).order_by(Session.start_at)).scalars().all()
    assert len(sessions) == 4
    session_id = sessions[0].id
    assert sessions[0].start_at == datetime.combine(first_day, datetime.min.time().replace(hour=9),
                                                    tzinfo=STOCKHOLM).astimezone(sessions[0].start_at.tzinfo)
    assert all(s.instructors[0].id == world.instructor.id for s in sessions)
    db.session.commit()
    admin.goto("/sessions/week?week=" + "{}-W{:02d}".format(*first_day.isocalendar()[:2]))
    journey.check(admin, "03-week-planner", readme="week-planner")

    # The municipal manager books five: two seats are held for the region, so the fifth waits.
    maria = journey.person(world.municipal_manager.email)
    maria.goto("/bookings/team")
    journey.check(maria, "04-pick-session")
    maria.goto(f"/bookings/team?session={session_id}")
    _tick_in_order(maria, world.municipal)
    journey.check(maria, "05-team-booking-form", readme="team-booking")
    maria.click("main form button[type=submit]")
    maria.wait_for_load_state()
    assert "Reservlista" in maria.inner_text("main")
    journey.check(maria, "06-municipal-booking-result", readme="booking-result")
    statuses = _statuses(session_id)
    assert [statuses[p.name] for p in world.municipal] == ["confirmed"] * 4 + ["waitlisted"]

    # The regional manager books three into the two seats left: the third waits.
    rikard = journey.person(world.regional_manager.email)
    rikard.goto(f"/bookings/team?session={session_id}")
    _tick_in_order(rikard, world.regional)
    rikard.click("main form button[type=submit]")
    rikard.wait_for_load_state()
    journey.check(rikard, "07-regional-booking-result")
    statuses = _statuses(session_id)
    assert [statuses[p.name] for p in world.regional] == ["confirmed", "confirmed", "waitlisted"]

    admin.goto(f"/sessions/{session_id}")
    assert "Fatima Ali" in admin.inner_text("main")
    journey.check(admin, "08-session-detail", readme="session-detail")

    # The participant signs in on a phone, sees the booking and takes the calendar links.
    alva = journey.person(world.alva.email, phone=True)
    alva.goto("/bookings/mine")
    assert "Kateter och sår" in alva.inner_text("main")
    journey.check(alva, "09-my-bookings-phone")
    with alva.expect_download() as download:
        alva.click("main a[href$='.ics']")
    ics = download.value.path().read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in ics and "DTSTART;TZID=Europe/Stockholm:" in ics
    assert f"{sessions[0].uid}@" in ics
    alva.click("main a[href='/calendar/']")
    alva.wait_for_load_state()
    # The links are there on the first visit: no "create" step.
    assert alva.locator("main form[action='/calendar/feeds']").count() == 0
    feed_url = alva.input_value("input.feed__url")
    assert feed_url.startswith("https://ktc.example.org/calendar/feed/")
    journey.check(alva, "10-calendar-links-phone")
    feed = alva.request.get(journey.base + feed_url.split("ktc.example.org", 1)[1])
    assert feed.ok and f"{sessions[0].uid}@" in feed.text()

    # The session day: move the first session so that it took place this morning.
    _fresh()
    first = db.session.get(Session, session_id)
    now = utcnow()
    first.start_at, first.end_at = now - timedelta(hours=3), now - timedelta(hours=1)
    db.session.commit()

    # The instructor takes the roster: everyone attended and demonstrated, then Omar did not come.
    johan = journey.person(world.instructor.email)
    johan.goto("/sessions/mine")
    journey.check(johan, "11-instructor-sessions")
    johan.goto(f"/records/sessions/{session_id}/roster")
    johan.click(f"form[action='/records/sessions/{session_id}/roster/all'] button")
    johan.wait_for_load_state()
    # Signing off everyone is confirmed first: the page says how many people, nothing is saved yet.
    assert johan.locator("input[name=confirmed][value=yes]").count() == 1
    assert _statuses(session_id) and "attended" not in _statuses(session_id).values()
    journey.check(johan, "11b-confirm-sign-off")
    johan.click(f"form[action='/records/sessions/{session_id}/roster/all'] button")
    johan.wait_for_load_state()
    omar = next(b for b in _bookings(session_id) if b.participant.name == "Omar Haddad")
    # One grid for everyone: Omar's row says he did not come, and one save stores it (his sign-offs go).
    johan.select_option(f"#b{omar.id}-attendance", "no_show")
    johan.click("main form.roster-form button[type=submit]")
    johan.wait_for_load_state()
    assert "Omar Haddad" in johan.locator(".flashes").inner_text()
    johan.click(f"form[action='/records/sessions/{session_id}/complete'] button")
    johan.wait_for_load_state()
    johan.click(f"form[action='/records/sessions/{session_id}/complete'] button")  # the confirmation
    johan.wait_for_load_state()
    journey.check(johan, "12-roster-signed-off", readme="roster")
    statuses = _statuses(session_id)
    assert sorted(statuses.values()) == ["attended"] * 5 + ["no_show"] + ["waitlisted"] * 2
    _fresh()
    demonstrated = db.session.execute(select(SkillRecord).where(SkillRecord.session_id == session_id,
                                                                SkillRecord.outcome == "demonstrated")).scalars().all()
    assert len(demonstrated) == 5 * 2
    assert db.session.get(Session, session_id).status == "completed"
    db.session.commit()

    alva.goto("/records/mine")
    assert "KAD-skötsel" in alva.inner_text("main")
    journey.check(alva, "13-my-skills-phone")

    # Feedback requests go out (the scheduler's job); each attendee answers through the link.
    from ktc.feedback.operations import request_feedback

    request_feedback()
    db.session.commit()
    links = {
        message.recipient: re.search(r"https?://[^/\s]+(/feedback/[A-Za-z0-9_\-]+)", message.body_text).group(1)
        for message in db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "feedback_request"))
        .scalars()
    }
    db.session.commit()
    assert len(links) == 5 and world.alva.email in links
    answers = [("5", "Att vi i kommunen och regionen gör KAD-bytet på samma sätt."),
               ("4", "Rutinen för sårdokumentation."), ("5", "Hur avdelningen tar emot hemtjänstens rapporter."),
               ("4", "Tryggare med steril teknik."), ("3", "Mer tid vid stationen.")]
    for (recipient, path), (score, take_back) in zip(sorted(links.items(), key=lambda i: i[0] != world.alva.email),
                                                     answers):
        alva.goto(path)
        if recipient == world.alva.email:
            journey.check(alva, "14-feedback-form-phone")
        for question in ("overall", "relevance", "learned_other_side"):
            alva.check(f"#{question}-{score}")
        alva.check("#confidence_before-2")
        alva.check("#confidence_after-4")
        alva.fill("#take_back", take_back)
        alva.click("main form button[type=submit]")
        alva.wait_for_load_state()
        if recipient == world.alva.email:
            journey.check(alva, "15-feedback-thanks-phone")
    _fresh()
    assert db.session.query(Feedback).filter(Feedback.responded_at.isnot(None)).count() == 5
    db.session.commit()

    # The learning network sees the session, both sides, and the (anonymous) answers.
    network = journey.person(world.network.email)
    network.goto("/network/")
    text = network.inner_text("main")
    assert "Kateter och sårvård" in text
    assert "Att vi i kommunen och regionen gör KAD-bytet på samma sätt." in text
    assert "Alva" not in text
    journey.check(network, "16-network-view", readme="network")


def _bookings(session_id):
    _fresh()
    rows = db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars().all()
    for b in rows:
        _ = b.participant.name
    db.session.commit()
    return rows
