"""The instructor's roster grid on a laptop, and a participant's week on a 390 px phone.

The roster: 12 people × 6 skills on a 1366×768 screen without sideways scrolling, one save, and an
error on one row keeps every unsaved edit of the others (leaving then warns). The participant: booking
cards that say where and until when cancelling is open, feedback waiting in the app, calendar links
from the first visit with a copy button, "My skills" as a compact list, a one-line feedback scale
and a compact header. Every page is checked with axe-core and kept as a screenshot.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.database import utcnow
from ktc.extensions import db
from ktc.records.models import SkillRecord

from tests import factories as make
from tests.e2e import scenario

pytestmark = pytest.mark.e2e

NAMES = ["Anna Ek", "Bo Lind", "Cecilia Holm", "David Berg", "Emma Strand", "Fredrik Ås", "Greta Nyström",
         "Hassan Ali", "Ida Sundberg", "Johanna Lövgren", "Karl-Erik Johansson", "Leila Mohammadi"]


def _fresh():
    db.session.commit()
    db.session.expire_all()


def _no_sideways_scroll(page, selector="html"):
    return page.evaluate(
        "sel => { const el = sel === 'html' ? document.documentElement : document.querySelector(sel);"
        " return el.scrollWidth <= el.clientWidth; }", selector)


def test_roster_grid_fits_a_laptop_and_keeps_unsaved_edits_after_an_error(journey):
    world = scenario.build()
    extra = [make.skill(code=f"MOM{i}", name=name, refresh_months=24) for i, name in enumerate(
        ["Hjärt-lungräddning", "Förflyttning", "Insulingivning", "Läkemedelshantering"], start=1)]
    skills = world.skills + extra
    station = make.station(world.centre, skills=skills, name="Stora övningssalen", default_capacity=12)
    session = make.session(station, start=utcnow() - timedelta(hours=3), instructors=[world.instructor],
                           capacity=12, title="Basala moment – blandad grupp")
    people = [make.participant(world.home_care if i % 2 else world.ward, name=name) for i, name in enumerate(NAMES)]
    bookings = {p.name: make.booking(session, p) for p in people}
    session_id = session.id
    anna, bo = bookings["Anna Ek"].id, bookings["Bo Lind"].id
    first, second = skills[0].id, skills[1].id
    db.session.commit()

    johan = journey.person(world.instructor.email)
    johan.set_viewport_size({"width": 1366, "height": 768})
    johan.goto(f"/records/sessions/{session_id}/roster")
    assert johan.locator("table.roster-grid tbody tr").count() == 12
    assert johan.locator("table.roster-grid thead th").count() == 2 + 6 + 1
    assert _no_sideways_scroll(johan) and _no_sideways_scroll(johan, "form.roster-form .table-wrap")
    assert johan.evaluate("document.querySelector('table.roster-grid').getBoundingClientRect().right") <= 1366
    journey.check(johan, "01-roster-grid-12-by-6", readme="roster-grid")

    # Anna's row is right; Bo gets an outcome but no attendance: one save, refused, naming Bo.
    johan.select_option(f"#b{anna}-attendance", "attended")
    johan.select_option(f"#b{anna}-outcome_{first}", "practised")
    johan.select_option(f"#b{anna}-outcome_{second}", "needs_practice")
    johan.click(f"#row-{anna} summary")
    johan.fill(f"#b{anna}-comment_{first}", "Tryggare i slutet")
    johan.select_option(f"#b{bo}-outcome_{first}", "demonstrated")
    johan.click("main form.roster-form button[type=submit]")
    johan.wait_for_load_state()
    summary = johan.locator(".error-summary").inner_text()
    assert "Bo Lind: Välj närvarande eller uteblev." in summary and "Anna Ek" not in summary
    # Every unsaved edit is still there, in Anna's row and in Bo's.
    assert johan.input_value(f"#b{anna}-attendance") == "attended"
    assert johan.input_value(f"#b{anna}-outcome_{first}") == "practised"
    assert johan.input_value(f"#b{anna}-outcome_{second}") == "needs_practice"
    assert johan.input_value(f"#b{anna}-comment_{first}") == "Tryggare i slutet"
    assert johan.input_value(f"#b{bo}-outcome_{first}") == "demonstrated"
    journey.check(johan, "02-roster-error-keeps-edits")
    _fresh()
    assert db.session.execute(select(SkillRecord).where(SkillRecord.session_id == session_id)).first() is None
    db.session.commit()

    # The edits are not saved yet, so leaving the page asks first; staying keeps them.
    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    johan.once("dialog", stay)
    johan.click(f"main a[href='/sessions/{session_id}']", no_wait_after=True)
    assert asked == ["beforeunload"]
    assert johan.url.endswith(f"/records/sessions/{session_id}/roster")
    assert johan.input_value(f"#b{anna}-comment_{first}") == "Tryggare i slutet"

    johan.select_option(f"#b{bo}-attendance", "attended")
    johan.click("main form.roster-form button[type=submit]")
    johan.wait_for_load_state()
    assert "2 personer ändrades" in johan.locator(".flashes").inner_text()
    journey.check(johan, "03-roster-saved")
    _fresh()
    statuses = {b.id: b.status for b in db.session.execute(
        select(Booking).where(Booking.session_id == session_id)).scalars()}
    outcomes = {(r.participant_id, r.skill_id): (r.outcome, r.comment) for r in db.session.execute(
        select(SkillRecord).where(SkillRecord.session_id == session_id)).scalars()}
    db.session.commit()
    assert statuses[anna] == statuses[bo] == "attended"
    assert sum(1 for s in statuses.values() if s == "confirmed") == 10
    assert outcomes[(people[0].id, first)] == ("practised", "Tryggare i slutet")
    assert outcomes[(people[1].id, first)] == ("demonstrated", "")
    # Saved: leaving now asks nothing (an unexpected dialog would be dismissed and the page would stay).
    johan.click(f"main a[href='/sessions/{session_id}']")
    johan.wait_for_url(f"**/sessions/{session_id}")


def test_a_participants_week_on_a_phone(journey):
    world = scenario.build()
    world.centre.address = "Storgatan 1, Sundsvall"
    alva = world.alva.participant
    coming = make.session(world.station, start=make.future(9), title="Kateter – repetition",
                          notes="Ta med arbetskläder.")
    soon = make.session(world.station, start=utcnow() + timedelta(hours=6), title="Sårvård – akut plats")
    make.booking(coming, alva)
    make.booking(soon, alva)
    past = make.completed_session(world.station, start=utcnow() - timedelta(days=3))
    waiting = make.feedback(past, make.booking(past, alva, status="attended"))
    make.skill_record(alva, world.skills[0], valid_until=(utcnow() + timedelta(days=20)).date())
    make.skill_record(alva, world.skills[1], valid_until=(utcnow() + timedelta(days=500)).date())
    coming_id, soon_id, waiting_id = coming.id, soon.id, waiting.id
    db.session.commit()

    page = journey.person(world.alva.email, phone=True)
    assert f"/feedback/mine/{waiting_id}" in page.inner_html("main")
    journey.check(page, "01-home-feedback-waiting-phone", readme="home-phone")
    # The header is compact: brand, menu and tools in a few short lines.
    assert page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height") <= 110
    assert _no_sideways_scroll(page)

    page.goto("/bookings/mine")
    card = page.locator(f"#booking-{coming_id}")
    assert "Station: Kateter och sårvård" in card.inner_text() and "Storgatan 1, Sundsvall" in card.inner_text()
    assert card.locator(f"a[href='/sessions/{coming_id}']").count() >= 1
    closed = page.locator(f"li.booking-card:has(a[href='/sessions/{soon_id}'])").inner_text()
    assert "Avbokning stängde" in closed and "(24 timmar före start)" in closed and "Avboka…" not in closed
    assert _no_sideways_scroll(page)
    journey.check(page, "02-booking-cards-phone", readme="my-bookings-phone")
    card.locator("button", has_text="Avboka…").click()
    page.wait_for_load_state()
    assert page.locator("input[name=confirmed][value=yes]").count() == 1  # asked first
    journey.check(page, "03-cancel-asks-first-phone")
    page.go_back()
    card.locator(f"a[href='/sessions/{coming_id}']").first.click()
    page.wait_for_load_state()
    assert "Ta med arbetskläder." in page.inner_text("main")

    # Calendar links are there on the first visit, with a copy button.
    page.goto("/calendar/")
    assert page.locator("form[action='/calendar/feeds']").count() == 0
    assert page.input_value("input.feed__url").startswith("https://ktc.example.org/calendar/feed/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=journey.base)
    page.click("button[data-copy]")
    page.wait_for_selector(".feed__copied:has-text('Länken är kopierad.')")
    assert page.evaluate("navigator.clipboard.readText()") == page.input_value("input.feed__url")
    journey.check(page, "04-calendar-links-phone", readme="calendar-links-phone")

    page.goto("/records/mine")
    items = page.locator(".skill-list__item")
    assert items.count() == 2
    assert "skill-list__item--valid" in items.nth(0).get_attribute("class")
    assert "skill-list__item--expiring" in items.nth(1).get_attribute("class")
    assert "Bokad" in items.nth(1).inner_text()  # the coming session covers both skills
    assert _no_sideways_scroll(page)
    journey.check(page, "05-my-skills-phone", readme="my-skills-phone")

    # Feedback from the list in the app: each 1–5 scale stays on one line.
    page.goto("/")
    page.click(f"a[href='/feedback/mine/{waiting_id}']")
    page.wait_for_load_state()
    tops = page.evaluate("""() => [...document.querySelectorAll('.scale__options')].map(
        row => new Set([...row.querySelectorAll('.scale__option')].map(o => o.getBoundingClientRect().top)).size)""")
    assert tops and all(lines == 1 for lines in tops), tops
    assert _no_sideways_scroll(page)
    journey.check(page, "06-feedback-scale-phone", readme="feedback-phone")
    for question in ("overall", "relevance", "confidence_before", "confidence_after", "learned_other_side"):
        page.check(f"#{question}-4")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto("/")
    assert f"/feedback/mine/{waiting_id}" not in page.inner_html("main")
