"""A coordinator's week in a real browser: the dashboard at home, the planner as a time grid for one
station and for eight, planning from an empty slot with the station's defaults (and the script that
follows a change of station), a session in the past only when confirmed, and a started session
explained on the team booking page. On a phone the grid stacks into lists.

Every page on the way is checked with axe-core and kept as a screenshot.
"""
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from ktc.extensions import db
from ktc.i18n import local_today  # the centre's day: the machine runs on UTC
from ktc.sessions.models import Session

from tests import factories as make
from tests.e2e import scenario

pytestmark = pytest.mark.e2e

STATIONS = ["Förflyttning", "HLR vuxen", "Insulin", "Läkemedel", "Basal hygien", "Fallprevention", "Sondmatning"]


def _fresh():
    db.session.commit()
    db.session.expire_all()


def _no_sideways_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def _iso_week(day):
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _world():
    world = scenario.build()
    hygiene = make.skill(code="HYG01", name="Basal hygien", category="Hygien")
    stations = [world.station] + [
        make.station(world.centre, skills=[hygiene], name=name, default_capacity=8, default_duration_minutes=60)
        for name in STATIONS
    ]
    world.station.default_duration_minutes = 90
    world.station.default_min_per_side = 2
    world.stations, world.hygiene = stations, hygiene
    # A busy week: every station has a morning and an afternoon, some with people and some without.
    monday = local_today() - timedelta(days=local_today().weekday())
    people = world.municipal + world.regional
    for offset in range(7):
        day = monday + timedelta(days=offset)
        for i, station in enumerate(stations):
            hour = 8 + (i + offset) % 3
            session = make.session(station, start=make.local(day.year, day.month, day.day, hour), hours=2,
                                   capacity=8, min_per_side=2 if i % 2 else 0,
                                   instructors=[world.instructor] if (i + offset) % 4 else [],
                                   title="" if i else "Kateter och sår")
            for person in people[: (i * 3 + offset) % 6]:
                make.booking(session, person)
            if i % 3 == 0:
                make.session(station, start=make.local(day.year, day.month, day.day, 13, 30), hours=1, capacity=6)
    db.session.commit()
    return world


def test_a_coordinator_plans_the_week(journey):
    world = _world()
    karin = journey.person(world.admin.email)

    # Home: the dashboard.
    karin.goto("/")
    main = karin.inner_text("main")
    assert "Dagens tillfällen" in main and "Tillfällen i riskzonen" in main and "Reservlistor" in main
    assert "Ingen instruktör" in main
    journey.check(karin, "01-dashboard", readme="dashboard")

    # The planner for all eight stations: a grid per day with the stations across, today marked.
    karin.goto(f"/sessions/week?centre={world.centre.id}")
    today = local_today().isoformat()
    assert karin.locator(f"#day-{today} .planner__today").is_visible()
    columns = karin.locator(f"#day-{today} ~ .planner .planner__col")
    assert columns.count() == 8
    assert _no_sideways_scroll(karin)
    # Readable at 1280 px: every station column and every block at least 8rem wide.
    widths = karin.eval_on_selector_all(f"section[aria-labelledby='day-{today}'] .block",
                                        "els => els.map(e => e.getBoundingClientRect().width)")
    assert widths and min(widths) >= 120, widths
    karin.locator(f"#day-{today}").scroll_into_view_if_needed()
    journey.check(karin, "02-planner-all-stations", readme="planner-grid")

    # One station: the week's days across, blocks at their time and length.
    karin.select_option("#w-station", str(world.station.id))
    karin.click("main form[method=get] button[type=submit]")
    karin.wait_for_load_state()
    assert karin.locator(".planner__col").count() == 7
    block = karin.locator(".planner__col--today .block").first
    assert block.is_visible() and "Kateter och sår" in block.inner_text()
    two_hours = block.bounding_box()["height"]
    short = karin.locator(".planner__col--today .block").nth(1).bounding_box()["height"]
    assert 1.8 < two_hours / short < 2.2  # two hours are twice as tall as one
    journey.check(karin, "03-planner-one-station")

    # Next week: an empty slot opens a new session with the station, the day and the time filled in.
    karin.click("main nav.actions >> text=Nästa vecka")
    karin.wait_for_load_state()
    next_tuesday = local_today() - timedelta(days=local_today().weekday()) + timedelta(days=8)
    slot = karin.locator(f"section[aria-labelledby='col-{next_tuesday.isoformat()}'] a.free[href*='start=15%3A00']")
    slot.focus()  # shown on focus (and hover) only
    assert slot.is_visible()
    slot.click()
    karin.wait_for_load_state()
    assert karin.input_value("#day") == next_tuesday.isoformat()
    assert karin.input_value("#start_time") == "15:00"
    assert karin.input_value("#end_time") == "16:30"  # the station's 90 minutes
    assert karin.input_value("#min_per_side") == "2"
    selected = karin.eval_on_selector("#skill_ids", "s => Array.from(s.selectedOptions).map(o => o.value)")
    assert sorted(selected) == sorted(str(s.id) for s in world.skills)
    journey.check(karin, "04-new-session-from-a-slot")
    # Another station: the script takes its length, its skills and its held seats.
    karin.select_option("#station_id", str(world.stations[2].id))
    assert karin.input_value("#end_time") == "16:00"
    selected = karin.eval_on_selector("#skill_ids", "s => Array.from(s.selectedOptions).map(o => o.value)")
    assert selected == [str(world.hygiene.id)]
    assert karin.input_value("#min_per_side") == "0"
    karin.select_option("#station_id", str(world.station.id))
    karin.fill("#title", "Extra kateter")
    karin.click("main form button[type=submit]")
    karin.wait_for_load_state()
    assert "Tillfället är planerat" in karin.inner_text("main") or "planerat" in karin.inner_text("main")
    _fresh()
    planned = db.session.execute(select(Session).where(Session.title == "Extra kateter")).scalar_one()
    assert {s.id for s in planned.skills} == {s.id for s in world.skills} and planned.min_per_side == 2
    db.session.commit()

    # A session in the past: warned, the form kept, planned only when confirmed.
    last_week = local_today() - timedelta(days=7)
    karin.goto(f"/sessions/new?station_id={world.stations[3].id}&day={last_week.isoformat()}&start=16:00")
    karin.fill("#title", "Efterregistrering")
    karin.click("main form button[type=submit]")
    karin.wait_for_load_state()
    assert karin.locator("#past-warning").is_visible()
    assert karin.input_value("#title") == "Efterregistrering"
    journey.check(karin, "05-past-session-warns")
    karin.check("#confirm_past")
    karin.click("main form button[type=submit]")
    karin.wait_for_load_state()
    _fresh()
    assert db.session.execute(select(Session).where(Session.title == "Efterregistrering")).scalar_one()
    db.session.commit()

    # Booking into a session that has started explains itself, with no form to fail.
    started = make.session(world.stations[4], start=datetime.now(timezone.utc).replace(microsecond=0)
                           - timedelta(minutes=20), hours=1, capacity=8)
    db.session.commit()
    maria = journey.person(world.municipal_manager.email)
    maria.goto(f"/bookings/team?session={started.id}")
    assert "så ingen kan längre bokas in på det" in maria.inner_text("main")
    assert maria.locator("main button[type=submit]").count() == 0
    journey.check(maria, "06-started-session-explained")

    # On a phone: the grid stacks into a list per day, and the page does not scroll sideways.
    phone = journey.person(world.admin.email, phone=True)
    phone.goto(f"/sessions/week?centre={world.centre.id}&station={world.station.id}")
    assert _no_sideways_scroll(phone)
    assert not phone.locator(".planner__axis").is_visible()
    assert phone.locator(".planner__col--today .block").first.is_visible()
    journey.check(phone, "07-planner-phone")
    phone.goto("/")
    assert _no_sideways_scroll(phone)
    journey.check(phone, "08-dashboard-phone")
