"""A unit manager opens KTC and sees what happened to the team: a session moved, a promotion from
the waiting list, a no-show; marks it all read; another unit's manager sees only their own people.

Every page on the way is checked with axe-core and kept as a screenshot.
"""
from datetime import timedelta

import pytest

from ktc.bookings.operations import cancel_booking
from ktc.extensions import db
from ktc.records.operations import record_attendance
from ktc.sessions.operations import move_session

from tests import factories as make
from tests.e2e import scenario

pytestmark = pytest.mark.e2e


def test_a_manager_sees_what_happened_to_the_team(journey):
    world = scenario.build()
    alva, elin, sara, omar = world.municipal[:4]
    peter = world.regional[0]
    coming = make.session(world.station, start=make.future(12, hour=9), capacity=4, skills=world.skills,
                          title="Kateter och sår")
    booked = {person.id: make.booking(coming, person) for person in (alva, elin, sara, peter)}
    make.booking(coming, omar, status="waitlisted", queued_at=make.future(-2))
    past = make.session(world.station, start=make.future(-1, hour=9), skills=world.skills,
                        instructors=[world.instructor], title="Sårvård repetition")
    make.booking(past, world.municipal[4])
    db.session.commit()
    move_session(world.admin, coming, coming.start_at + timedelta(days=1), coming.end_at + timedelta(days=1))
    cancel_booking(world.admin, booked[elin.id], "Sjuk")   # Omar moves up from the waiting list
    record_attendance(world.instructor, past, [{"participant_id": world.municipal[4].id, "attended": False}])
    db.session.commit()

    maria = journey.person(world.municipal_manager.email)
    maria.goto("/")
    section = maria.locator("section[aria-labelledby=team-events-title]")
    text = section.inner_text()
    assert "3 nya händelser" in text
    for said in ("Tillfället flyttades", "Fick plats från reservlistan", "Kom inte (uteblev)",
                 "Omar Haddad", "Lina Ek", "Alva Andersson"):
        assert said in text, said
    assert "Peter Strand" not in text
    journey.check(maria, "01-home-what-happened-to-my-staff")

    section.locator("button[type=submit]").click()
    maria.wait_for_load_state()
    assert "Alla händelser om din personal är markerade som lästa." in maria.inner_text("main")
    section = maria.locator("section[aria-labelledby=team-events-title]")
    assert "Inget nytt sedan du tittade senast." in section.inner_text()
    assert section.locator(".badge").count() == 0
    journey.check(maria, "02-home-all-read")

    rikard = journey.person(world.regional_manager.email, phone=True)
    rikard.goto("/")
    text = rikard.locator("section[aria-labelledby=team-events-title]").inner_text()
    assert "1 ny händelse" in text and "Peter Strand" in text and "Alva Andersson" not in text
    journey.check(rikard, "03-home-other-unit-phone")
