"""Searchable pickers, the admin's team booking at county scale, printable lists and the grouped menu,
in a real browser: by keyboard, checked with axe-core, kept as screenshots."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.i18n import to_local

from tests import factories as make
from tests.e2e import scenario
from tests.e2e.conftest import tab_to

pytestmark = pytest.mark.e2e


def tab_to_picker(page, control_id, limit=80):
    """Tab (keyboard only) to a picker's search input; its whole control shows the focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == control_id:
            ring = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement.closest('.ts-control'));"
                " return [s.outlineStyle, s.outlineWidth]; }")
            assert ring[0] != "none" and ring[1] != "0px", ring
            return
    raise AssertionError(f"Tab never reached {control_id}")


def _fresh():
    db.session.commit()
    db.session.expire_all()


def test_skills_and_instructors_are_chosen_by_typing(journey):
    world = scenario.build()
    admin = journey.person(world.admin.email)
    admin.goto("/sessions/new")
    admin.select_option("#station_id", str(world.station.id))
    # The label still names the control (Tom Select moves it to its own input, a combobox).
    control = admin.locator("#skill_ids-ts-control")
    assert control.get_attribute("role") == "combobox"
    assert admin.locator("label[for='skill_ids-ts-control']").inner_text().startswith("Färdigheter")
    assert "skill_ids-hint" in (control.get_attribute("aria-describedby") or "")
    # The station's skills are chosen in the picker itself (the form knows the station).
    expect(admin.locator(".ts-wrapper:has(#skill_ids-ts-control) .ts-control .item")).to_have_count(2)
    # Keyboard only: Tab into the skills picker, Backspace removes chosen items, type, Enter chooses;
    # the native select follows.
    tab_to_picker(admin, "skill_ids-ts-control")
    admin.keyboard.press("Backspace")
    admin.keyboard.press("Backspace")
    expect(admin.locator(".ts-wrapper:has(#skill_ids-ts-control) .ts-control .item")).to_have_count(0)
    admin.keyboard.type("sår")
    expect(control).to_have_attribute("aria-expanded", "true")  # waits: the dropdown opens as typed
    expect(admin.locator("#skill_ids-ts-dropdown .option")).to_have_count(1)  # filtered as typed
    admin.keyboard.press("Enter")
    chosen = admin.eval_on_selector("#skill_ids", "s => [...s.selectedOptions].map(o => o.textContent)")
    assert chosen == ["SAR01 Sårvård"]
    tab_to_picker(admin, "instructor_ids-ts-control")
    admin.keyboard.type("joh")
    expect(admin.locator("#instructor_ids-ts-dropdown .option")).to_have_count(1)
    admin.keyboard.press("Enter")
    admin.keyboard.press("Escape")
    assert admin.eval_on_selector("#instructor_ids", "s => [...s.selectedOptions].map(o => o.value)") == [
        str(world.instructor.id)]
    journey.check(admin, "01-session-form-pickers", readme="session-form-pickers")


def test_an_admin_books_people_from_several_units_by_search_and_keyboard(journey):
    world = scenario.build()
    session = make.session(world.station, start=make.future(12), capacity=6)
    session_id = session.id
    peter, alva = world.regional[0], world.municipal[0]
    db.session.commit()

    admin = journey.person(world.admin.email)
    admin.goto(f"/bookings/team?session={session_id}")
    # No list of the whole county: a unit filter, and the search.
    assert admin.locator("input[name=participant_ids]").count() == 0
    tab_to_picker(admin, "staff-search-ts-control")
    for typed, person in (("strand", peter), ("alva a", alva)):
        admin.keyboard.type(typed)
        admin.locator(f"#staff-search-ts-dropdown [data-value='{person.id}']").wait_for()
        admin.keyboard.press("Enter")
        assert admin.is_checked(f"#p-{person.id}")
    assert "Alva Andersson" in admin.inner_text("#staff-added")
    assert admin.locator("input[name=participant_ids]").count() == 2
    journey.check(admin, "02-admin-team-search", readme="team-booking-search")
    # Enter in the search box chose people; it did not submit the form.
    assert "/bookings/team?session=" in admin.url
    # A unit's staff by the filter (a plain GET form): the ward's three people as boxes.
    admin.select_option("#unit", str(world.ward.id))
    with admin.expect_navigation():
        admin.click("form.team-filter button[type=submit]")
    assert admin.locator("input[name=participant_ids]").count() == len(world.regional)
    journey.check(admin, "03-admin-team-unit-filter")
    # Back to the search, pick two more and book: the order chosen is the order of the seats.
    admin.goto(f"/bookings/team?session={session_id}")
    tab_to_picker(admin, "staff-search-ts-control")
    for typed, person in (("strand", peter), ("alva", alva)):
        admin.keyboard.type(typed)
        admin.locator(f"#staff-search-ts-dropdown [data-value='{person.id}']").wait_for()
        admin.keyboard.press("Enter")
    with admin.expect_navigation():
        admin.click("form[data-tick-order] button[type=submit]")
    journey.check(admin, "04-admin-team-result")
    _fresh()
    booked = db.session.execute(
        select(Booking.participant_id).where(Booking.session_id == session_id).order_by(Booking.id)).scalars().all()
    db.session.commit()
    assert booked == [peter.id, alva.id]


def test_the_menu_is_grouped_fits_one_line_at_1280_and_works_by_keyboard(journey):
    world = scenario.build()
    admin = journey.person(world.admin.email)
    admin.goto("/sessions/")
    # One line: every top-level entry on the same row, and the header no taller than one row of it.
    tops = admin.eval_on_selector_all(".main-nav__list > li", "els => els.map(e => e.getBoundingClientRect().top)")
    assert len(tops) == 6 and max(tops) - min(tops) < 2, tops
    nav_height = admin.eval_on_selector(".main-nav", "e => e.getBoundingClientRect().height")
    header_height = admin.eval_on_selector(".site-header", "e => e.getBoundingClientRect().height")
    assert nav_height < 60 and header_height < 80, (nav_height, header_height)
    # The current page's group is marked; its links are hidden until the button opens them.
    planning = admin.locator("button.nav-group__button", has_text="Planering")
    assert planning.get_attribute("aria-expanded") == "false"
    assert admin.locator("a[href='/sessions/week']").is_hidden()
    tab_to(admin, "el.matches('button.nav-group__button') && el.textContent === 'Planering'")
    admin.keyboard.press("Enter")
    assert planning.get_attribute("aria-expanded") == "true"
    tab_to(admin, "el.getAttribute('href') === '/sessions/week'")
    journey.check(admin, "05-menu-open", readme="menu")
    admin.keyboard.press("Escape")
    assert planning.get_attribute("aria-expanded") == "false"
    assert admin.evaluate("document.activeElement.textContent") == "Planering"
    # Opening another group closes the first.
    admin.click("button.nav-group__button:has-text('Planering')")
    admin.click("button.nav-group__button:has-text('Administration')")
    assert planning.get_attribute("aria-expanded") == "false"
    admin.click("a[href='/users']")
    admin.wait_for_url(re.compile(r"/users$"))

    # Without JavaScript the groups' links are simply shown.
    context = journey.browser.new_context(base_url=journey.base, java_script_enabled=False,
                                          viewport={"width": 1280, "height": 900}, locale="sv-SE")
    journey.contexts.append(context)
    plain = context.new_page()
    plain.goto("/login")
    plain.fill("#email", world.admin.email)
    plain.fill("#password", "correct horse battery staple")
    plain.click("main button[type=submit]")
    plain.goto("/sessions/")
    assert plain.locator("a[href='/sessions/week']").is_visible()
    assert plain.locator("a[href='/audit/']").is_visible()

    # A phone: compact, the groups wrap into the width and an open group fits the screen.
    phone = journey.person(world.admin.email, phone=True)
    phone.goto("/sessions/")
    phone.click("button.nav-group__button:has-text('Personal')")
    box = phone.eval_on_selector(".nav-group__items:not([hidden])", "e => e.getBoundingClientRect().right")
    assert box <= 390
    journey.check(phone, "06-menu-phone")


def test_printable_lists_for_the_instructor(journey):
    world = scenario.build()
    session = make.session(world.station, start=make.future(5), instructors=[world.instructor])
    for person in world.municipal[:3] + world.regional[:2]:
        make.booking(session, person)
    session_id = session.id
    day = to_local(session.start_at).date().isoformat()
    db.session.commit()

    johan = journey.person(world.instructor.email)
    johan.goto(f"/sessions/{session_id}")
    johan.click("a:has-text('Skriv ut deltagarlistan')")
    johan.wait_for_url(re.compile(rf"/sessions/{session_id}/print$"))
    assert johan.locator("tbody tr").count() == 5
    assert johan.locator("nav").count() == 0
    journey.check(johan, "07-participant-list", readme="participant-list")
    johan.emulate_media(media="print")
    assert johan.locator(".actions").is_hidden()
    johan.emulate_media(media="screen")
    johan.goto(f"/sessions/day/{day}/print?centre={world.centre.id}")
    assert "Kateter och sårvård" in johan.inner_text("main")
    journey.check(johan, "08-day-lists")


def test_the_staff_record_and_person_filter_pickers_search_the_server(journey):
    world = scenario.build()
    elin, sara = world.municipal[1], world.municipal[2]
    session = make.session(world.station, start=make.future(9), capacity=6)
    for person in (elin, sara):
        make.booking(session, person)
    db.session.commit()

    # The user form: no list of the county, a search; a refused form keeps the chosen record.
    karin = journey.person(world.admin.email)
    karin.goto("/users/new")
    assert karin.locator("#participant_id option").count() == 1
    karin.fill("#email", "inte en adress")
    karin.fill("#name", "Elin Berg")
    karin.select_option("#role", "participant")
    tab_to_picker(karin, "participant_id-ts-control")
    karin.keyboard.type("elin")
    karin.locator(f"#participant_id-ts-dropdown [data-value='{elin.id}']").wait_for()
    karin.keyboard.press("Enter")
    with karin.expect_navigation():
        karin.click("main form button[type=submit]")
    assert karin.eval_on_selector("#participant_id", "s => s.value") == str(elin.id)
    assert "Elin Berg" in karin.inner_text(".ts-wrapper:has(#participant_id-ts-control) .item")
    journey.check(karin, "01-user-form-staff-record-search")

    # The team bookings page: the manager finds one of her people and sees only their bookings.
    maria = journey.person(world.municipal_manager.email)
    maria.goto("/bookings/team/bookings")
    assert maria.locator("#person option").count() == 1
    tab_to_picker(maria, "person-ts-control")
    maria.keyboard.type("sara")
    maria.locator(f"#person-ts-dropdown [data-value='{sara.id}']").wait_for()
    maria.keyboard.press("Enter")
    with maria.expect_navigation():
        maria.click("main form[method=get] button[type=submit]")
    assert f"person={sara.id}" in maria.url
    assert maria.locator("main tbody tr").count() == 1 and "Sara Nilsson" in maria.inner_text("main tbody")
    journey.check(maria, "02-team-bookings-person-search")
