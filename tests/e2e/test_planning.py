"""From a need to a plan in a real browser: a manager states a need, KTC staff set an instructor's
inputs, read the demand board, propose and accept a plan; the manager gets the offer, books the
people named, and the need shows covered. Every page is checked with axe-core."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.planning.models import Need
from ktc.planning.operations import add_months

from tests import factories as make
from tests.e2e import scenario

pytestmark = pytest.mark.e2e


def _fresh():
    db.session.commit()
    db.session.expire_all()


def test_a_need_becomes_a_planned_session_and_a_booking(journey, app):
    app.config["KTC_PLAN_TIME_LIMIT"] = 5
    world = scenario.build()
    db.session.commit()
    catheter = world.skills[0]
    today = date.today()
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
    karin.click("main form button[type=submit]")
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
