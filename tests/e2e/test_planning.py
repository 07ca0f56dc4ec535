"""From a need to a plan in a real browser: a manager states a need, KTC staff set an instructor's
inputs, read the demand board, propose and accept a plan; the manager gets the offer, books the
people named, and the need shows covered. Every page is checked with axe-core."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.i18n import local_today  # the centre's day: the machine runs on UTC
from ktc.mail.models import OutboxMessage
from ktc.planning.models import Need
from ktc.planning.operations import add_months

from tests import factories as make
from tests.e2e import scenario
from tests.e2e.conftest import tab_to

pytestmark = pytest.mark.e2e


def _fresh():
    db.session.commit()
    db.session.expire_all()


def test_a_need_becomes_a_planned_session_and_a_booking(journey, app):
    app.config["KTC_PLAN_TIME_LIMIT"] = 5
    world = scenario.build()
    db.session.commit()
    catheter = world.skills[0]
    today = local_today()
    month = add_months(date(today.year, today.month, 1), 1).strftime("%Y-%m")
    named = world.municipal[:3]
    # Lina's profession requires wound care, which she lacks: a need found in the skill records.
    world.municipal[4].profession = make.profession("Undersköterska", skills=[world.skills[1]])
    # A unit that asked for nothing: the planned session is not offered to it during the priority window.
    north = make.unit(world.home_care.organisation, name="Hemtjänst Norr")
    make.participant(north, name="Ulla Norr")
    make.manager(north, name="Nora Lund", email="nora.lund@sundsvall.example.se", password=scenario.PASSWORD)
    db.session.commit()

    maria = journey.person(world.municipal_manager.email)
    maria.goto("/needs/new")
    maria.select_option("#skill_id", str(catheter.id))
    maria.fill("#month", month)
    maria.select_option("#participant_ids", [str(p.id) for p in named])
    maria.fill("#note", "Nyanställda i höst")
    journey.check(maria, "01-state-a-need")
    maria.click("main form button[type=submit]")
    maria.wait_for_url(re.compile(r"/needs/$"))
    assert "KAD-skötsel" in maria.inner_text("main")
    journey.check(maria, "02-needs-list")
    maria.goto("/needs/derived")
    assert "SAR01" in maria.inner_text("main tbody") and "Lina Ek" in maria.inner_text("main tbody")
    journey.check(maria, "02b-derived-needs")

    rikard = journey.person(world.regional_manager.email)
    rikard.goto("/needs/new")
    rikard.select_option("#skill_id", str(catheter.id))
    rikard.fill("#month", month)
    rikard.fill("#people", "2")
    rikard.click("main form button[type=submit]")
    rikard.wait_for_url(re.compile(r"/needs/$"))

    karin = journey.person(world.admin.email)
    karin.goto("/needs/board")
    assert "5 / 0" in karin.inner_text("main")
    journey.check(karin, "03-demand-board")
    karin.goto(f"/needs/instructors/{world.instructor.id}")
    karin.select_option("#skill_ids", [str(catheter.id)])
    karin.fill("#availability", "\n".join(f"{d} 08:00-17:00" for d in range(1, 6)))
    journey.check(karin, "04-instructor-inputs")
    karin.click("main form button[type=submit]")
    karin.wait_for_url(re.compile(r"/needs/instructors$"))
    assert world.instructor.name in karin.inner_text("main")
    journey.check(karin, "04b-instructors")
    karin.goto("/needs/plan")
    journey.check(karin, "04c-plan-form")
    karin.fill("#weeks", "6")
    karin.click("main form button[type=submit]")
    karin.wait_for_load_state()
    text = karin.inner_text("main")
    assert "Kateter och sårvård" in text and "Blandad" in text
    journey.check(karin, "05-proposed-plan")
    karin.click("#accept-plan")
    karin.wait_for_url(re.compile(r"/needs/$"))

    _fresh()
    needs = db.session.execute(select(Need)).scalars().all()
    assert {n.status for n in needs} == {"covered"}
    session_id = needs[0].covered_session_id
    offer = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.recipient == world.municipal_manager.email, OutboxMessage.kind == "planning_offer")).scalar_one()
    link = re.search(r"(/bookings/team\?session=\d+&need=\d+)", offer.body_text).group(1)

    nora = journey.person("nora.lund@sundsvall.example.se")
    nora.goto(f"/bookings/team?session={session_id}")
    assert "Reserverat till" in nora.inner_text("main") and nora.locator("input[name=participant_ids]").count() == 0
    journey.check(nora, "05b-reserved-for-the-units-that-asked")

    maria.goto(link)
    # The offer's link comes with the people the need named already ticked: one click books them.
    assert all(maria.is_checked(f"#p-{person.id}") for person in named)
    assert not maria.is_checked(f"#p-{world.municipal[3].id}")
    journey.check(maria, "05c-offer-ticked")
    maria.click("main form button[type=submit]")
    maria.wait_for_load_state()
    _fresh()
    booked = db.session.execute(select(Booking.participant_id).where(
        Booking.session_id == session_id, Booking.status == "confirmed")).scalars().all()
    assert sorted(booked) == sorted(p.id for p in named)
    maria.goto("/needs/")
    assert "Täckt" in maria.inner_text("main")
    journey.check(maria, "06-need-covered")


def test_the_proposal_on_the_week_grid_is_moved_and_accepted(journey, app):
    """The coordinator sees the proposed session on the week grid beside a planned one, reaches it
    with the keyboard, moves it, reads the grid on a phone, and accepts: it is created where moved."""
    from ktc.planning import operations as ops
    from ktc.planning.models import instructor_skills
    from ktc.sessions.models import Session

    app.config["KTC_PLAN_TIME_LIMIT"] = 5
    world = scenario.build()
    catheter = world.skills[0]
    db.session.execute(instructor_skills.insert().values(user_id=world.instructor.id, skill_id=catheter.id))
    today = local_today()
    month = add_months(date(today.year, today.month, 1), 2)
    ops.create_need(world.municipal_manager, world.home_care, catheter, month, people=3)
    ops.create_need(world.regional_manager, world.ward, catheter, month, people=2)
    day = today + timedelta(days=10)
    planned = make.session(world.station, start=make.local(day.year, day.month, day.day, 7), title="Redan planerat")
    db.session.commit()

    karin = journey.person(world.admin.email)
    karin.goto("/needs/plan")
    karin.fill("#weeks", "4")
    karin.click("main form button[type=submit]")
    karin.wait_for_load_state()
    proposed = karin.locator("a.block--proposed")
    assert proposed.count() == 1 and "Föreslagen" in proposed.inner_text()
    journey.check(karin, "grid-01-proposal-on-the-grid")

    # Keyboard only: Tab to the proposed block, Enter leads to its row, where it is moved.
    tab_to(karin, "el.classList.contains('block--proposed')")
    karin.keyboard.press("Enter")
    karin.wait_for_url(re.compile(r"#proposed-1$"))
    karin.click("#proposed-1 summary")
    karin.fill("#day-1", day.isoformat())
    karin.fill("#time-1", "13:00")
    karin.click("#proposed-1 button[name=move]")
    karin.wait_for_load_state()
    assert "Flyttad" in karin.inner_text("#proposed-1")
    # The week of the move, with the session planned there beside the moved one.
    assert karin.locator(f'a.block[href="/sessions/{planned.id}"]').count() == 1
    assert "13:00" in karin.locator("a.block--proposed").inner_text()
    journey.check(karin, "grid-02-moved")
    # A move onto the planned session is refused with the reason, and nothing moves.
    karin.click("#proposed-1 summary")
    karin.fill("#time-1", "07:30")
    karin.click("#proposed-1 button[name=move]")
    karin.wait_for_load_state()
    assert "Stationen är redan upptagen" in karin.inner_text(".error-summary")
    journey.check(karin, "grid-03-move-refused")

    # On a phone the grid stacks into lists, the proposed session still labelled.
    karin.set_viewport_size({"width": 390, "height": 844})
    assert karin.locator("a.block--proposed").is_visible()
    journey.check(karin, "grid-04-phone")

    karin.click("#accept-plan")
    karin.wait_for_url(re.compile(r"/needs/$"))
    _fresh()
    created = db.session.execute(select(Session).where(Session.id != planned.id)).scalar_one()
    assert created.start_at == make.local(day.year, day.month, day.day, 13)
