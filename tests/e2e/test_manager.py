"""A unit manager's day in a real browser: book, see what is booked in the matrix, follow and cancel
the team's bookings (with a confirmation), export them, and read it all on a phone and in English.

Every page on the way is checked with axe-core and kept as a screenshot.
"""
import csv
import io

import pytest
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.extensions import db

from tests import factories as make
from tests.e2e import scenario

pytestmark = pytest.mark.e2e


def _fresh():
    db.session.commit()
    db.session.expire_all()


def _statuses(session_id):
    _fresh()
    result = {b.participant.name: b.status for b in
              db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars()}
    db.session.commit()
    return result


def _no_sideways_scroll(page):
    """The page itself never scrolls sideways (wide tables scroll inside their own box)."""
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_manager_follows_the_teams_bookings(journey):
    world = scenario.build()
    usk = make.profession("Undersköterska", skills=world.skills)
    for person in world.municipal:
        person.profession = usk
    # Six seats, two held for each side: the municipality can book four now, though six are free.
    session = make.session(world.station, start=make.future(12, hour=9), capacity=6, min_per_side=2,
                           skills=world.skills, title="Kateter och sår")
    session_id = session.id
    db.session.commit()

    maria = journey.person(world.municipal_manager.email)
    maria.goto(f"/bookings/team?session={session_id}")
    assert "Kommunsidan kan boka 4 platser nu." in maria.inner_text("main")
    assert "Bokade: 0 från kommunen, 0 från regionen" in maria.inner_text("main")
    for person in world.municipal:
        maria.check(f"#p-{person.id}")
    journey.check(maria, "01-book-team-seats-for-my-side")
    maria.click("main form button[type=submit]")
    maria.wait_for_load_state()
    # One of five waits: the result is a warning, not a plain green success.
    assert maria.locator("main .flash--warning").is_visible()
    assert maria.locator("main .flash--success").count() == 0
    journey.check(maria, "02-booking-result-with-waitlist")
    statuses = _statuses(session_id)
    assert sorted(statuses.values()) == ["confirmed"] * 4 + ["waitlisted"]
    # The result is a page of its own (Post/Redirect/Get): reloading it shows the same result and
    # books nobody again.
    assert f"/bookings/team/result?session={session_id}" in maria.url
    shown = maria.inner_text("main")
    maria.reload()
    assert maria.inner_text("main") == shown
    assert _statuses(session_id) == statuses

    # The skill matrix knows what is booked, and explains itself.
    maria.goto("/records/matrix")
    main = maria.inner_text("main")
    assert main.count("Bokad ") >= 8 and "Reservlista " in main
    maria.click("details.legend summary")
    assert maria.locator("details.legend dt", has_text="KAT01").is_visible()
    assert _no_sideways_scroll(maria)
    journey.check(maria, "03-matrix-knows-what-is-booked", readme="matrix")

    # The team's bookings, from the menu; filtered to one person.
    maria.click("nav.main-nav >> text=Teamets bokningar")
    maria.wait_for_load_state()
    assert maria.locator("main tbody tr").count() == 5
    journey.check(maria, "04-team-bookings", readme="team-bookings")
    # The manager's menu (six entries) and the account links stay on one line at 1280 px.
    assert maria.eval_on_selector(".site-header", "e => e.getBoundingClientRect().height") < 80
    elin = world.municipal[1]
    # The person filter searches the server (the page does not list every person).
    maria.locator("#person-ts-control").focus()
    maria.keyboard.type("elin")
    maria.locator(f"#person-ts-dropdown [data-value='{elin.id}']").wait_for()
    maria.keyboard.press("Enter")
    maria.click("main form[method=get] button[type=submit]")
    maria.wait_for_load_state()
    assert maria.locator("main tbody tr").count() == 1

    # Cancel: the first step only asks, and nothing changes until it is confirmed.
    maria.click("main tbody button[type=submit]")
    maria.wait_for_load_state()
    assert "Avboka bokningen?" in maria.inner_text("main")
    journey.check(maria, "05-cancel-asks-first")
    assert _statuses(session_id)[elin.name] == "confirmed"
    maria.fill("#reason", "Sjuk")
    maria.click("main form button.button--danger")
    maria.wait_for_load_state()
    assert "Bokningen är avbokad." in maria.inner_text("main")
    statuses = _statuses(session_id)
    assert statuses[elin.name] == "cancelled"
    assert sorted(statuses.values()) == ["cancelled"] + ["confirmed"] * 4  # the one waiting got the seat
    maria.select_option("#view", "cancelled")
    maria.click("main form[method=get] button[type=submit]")
    maria.wait_for_load_state()
    assert "Sjuk" in maria.inner_text("main tbody")
    journey.check(maria, "06-cancelled-bookings")

    # CSV of every booking.
    maria.goto("/bookings/team/bookings?view=all")
    with maria.expect_download() as download:
        maria.click("main a[download]")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Namn", "Enhet"] and len(rows) == 1 + 5

    # From a person's page to their bookings.
    maria.goto(f"/records/participants/{elin.id}")
    maria.click(f"main a[href*='person={elin.id}']")
    maria.wait_for_load_state()
    assert maria.locator("main tbody tr").count() == 1
    journey.check(maria, "07-bookings-from-the-person")

    # On a phone: readable without sideways scrolling; seat counts in their short form.
    phone = journey.person(world.municipal_manager.email, phone=True)
    phone.goto("/bookings/team/bookings")
    assert _no_sideways_scroll(phone)
    journey.check(phone, "08-team-bookings-phone")
    phone.goto(f"/bookings/team?session={session_id}")
    assert phone.locator(".seats__short").first.is_visible()
    assert not phone.locator(".seats__long").first.is_visible()
    journey.check(phone, "09-book-team-phone")
    phone.goto("/records/matrix")
    assert _no_sideways_scroll(phone)
    journey.check(phone, "10-matrix-phone")

    # In English: 24-hour times and dates with the month's name.
    maria.goto("/bookings/team/bookings")
    maria.click("header button[name=lang]")
    maria.wait_for_load_state()
    text = maria.inner_text("main tbody")
    assert "09:00–11:00" in text and "AM" not in text and "PM" not in text
    journey.check(maria, "11-team-bookings-english")
