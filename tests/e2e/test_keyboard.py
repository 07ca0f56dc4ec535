"""Keyboard-only use of the booking and roster flows: Tab, Space and Enter, with the focus visible."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.database import utcnow
from ktc.extensions import db
from ktc.records.models import SkillRecord

from tests import factories as make
from tests.e2e import scenario
from tests.e2e.conftest import tab_to

pytestmark = pytest.mark.e2e


def _fresh():
    db.session.commit()
    db.session.expire_all()


def test_manager_books_the_team_with_the_keyboard_only(journey):
    world = scenario.build()
    session = make.session(world.station, start=make.future(10), capacity=3, min_per_side=1)
    session_id = session.id
    first, second, third = world.municipal[3], world.municipal[0], world.municipal[1]  # Omar, Alva, Elin
    db.session.commit()

    maria = journey.person(world.municipal_manager.email)
    maria.goto(f"/bookings/team?session={session_id}")
    # The skip link is the first stop and leads past the menu.
    maria.keyboard.press("Tab")
    assert maria.evaluate("document.activeElement.classList.contains('skip-link')")
    maria.keyboard.press("Enter")
    for person in (first, second, third):
        tab_to(maria, f"el.id === 'p-{person.id}'")
        maria.keyboard.press("Space")
        assert maria.is_checked(f"#p-{person.id}")
    journey.check(maria, "01-ticked-by-keyboard")
    tab_to(maria, "el.type === 'submit' && el.closest('form[data-tick-order]') !== null")
    with maria.expect_navigation():
        maria.keyboard.press("Enter")
    assert "Reservlista" in maria.inner_text("main")
    journey.check(maria, "02-result")
    _fresh()
    statuses = {b.participant_id: b.status
                for b in db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars()}
    db.session.commit()
    # Capacity 3 with one seat held for the region: the first two ticked get the municipal seats.
    assert statuses == {first.id: "confirmed", second.id: "confirmed", third.id: "waitlisted"}


def test_instructor_takes_the_roster_with_the_keyboard_only(journey):
    world = scenario.build()
    now = utcnow()
    session = make.session(world.station, start=now - timedelta(hours=2), hours=1, instructors=[world.instructor])
    alva, peter = world.municipal[0], world.regional[0]
    make.booking(session, alva)
    peter_booking = make.booking(session, peter)
    session_id, peter_booking_id = session.id, peter_booking.id
    db.session.commit()

    johan = journey.person(world.instructor.email)
    johan.goto(f"/records/sessions/{session_id}/roster")
    tab_to(johan, f"el.type === 'submit' && el.form.action.endsWith('/records/sessions/{session_id}/roster/all')")
    with johan.expect_navigation():
        johan.keyboard.press("Enter")
    # The confirmation page: its first button confirms, reached by the keyboard too.
    tab_to(johan, f"el.type === 'submit' && el.form.action.endsWith('/records/sessions/{session_id}/roster/all')")
    with johan.expect_navigation():
        johan.keyboard.press("Enter")
    assert johan.locator(".flash--success").count() == 1

    # Peter did not come after all: in his row of the grid, the arrow keys change the attendance select.
    tab_to(johan, f"el.id === 'b{peter_booking_id}-attendance'")
    johan.keyboard.press("ArrowDown")
    assert johan.input_value(f"#b{peter_booking_id}-attendance") == "no_show"
    # One save for the whole grid, reached with Tab and pressed with Enter.
    tab_to(johan, "el.type === 'submit' && el.closest('form.roster-form') !== null")
    journey.check(johan, "01-roster-by-keyboard")
    with johan.expect_navigation():
        johan.keyboard.press("Enter")
    assert johan.locator(".flash--success").count() >= 1
    journey.check(johan, "02-roster-saved")

    _fresh()
    statuses = {b.participant_id: b.status
                for b in db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars()}
    records = db.session.execute(select(SkillRecord).where(SkillRecord.session_id == session_id)).scalars().all()
    assert statuses == {alva.id: "attended", peter.id: "no_show"}
    assert {(r.participant_id, r.outcome) for r in records} == {(alva.id, "demonstrated")}
    assert len(records) == len(world.skills)
    db.session.commit()
