"""KTC staff's own pages in a real browser: the forms for users, units, staff, centres, stations and
professions; single sign-on and a SCIM provisioning token; cancelling and reinstating a session, each
asked first; and the plain page shown when the database cannot be reached.

Every page on the way is checked with axe-core and kept as a screenshot.
"""
import pytest
from sqlalchemy import select

from ktc.extensions import db
from ktc.sessions.models import Session
from ktc.sso.models import IdentityProvider

from tests import factories as make
from tests.e2e import scenario
from tests.main.test_database_down import Outage

pytestmark = pytest.mark.e2e


def _session_status(session_id):
    db.session.commit()
    db.session.expire_all()
    status = db.session.execute(select(Session.status).where(Session.id == session_id)).scalar_one()
    db.session.commit()
    return status


def test_ktc_staff_keep_the_registers(journey):
    world = scenario.build()
    usk = make.profession("Undersköterska", skills=world.skills)
    provider = IdentityProvider(name="Sundsvalls kommun – Entra ID", issuer="https://login.example/sundsvall",
                                client_id="ktc", secret_env="KTC_OIDC_SUNDSVALL", claim="email",
                                organisations=[world.home_care.organisation])
    db.session.add(provider)
    db.session.commit()
    elin = world.municipal[1]

    karin = journey.person(world.admin.email)
    karin.goto(f"/users/{world.municipal_manager.id}/edit")
    assert karin.input_value("#name") == "Maria Sjöberg"
    journey.check(karin, "01-user-form")
    karin.goto(f"/organisations/units/{world.home_care.id}/edit")
    assert karin.input_value("#name") == "Hemtjänst Centrum"
    journey.check(karin, "02-unit-form")
    karin.goto(f"/organisations/participants/{elin.id}/edit")
    assert karin.locator(f"main a[href*='person={elin.id}']").is_visible()
    journey.check(karin, "03-participant-form")
    karin.goto(f"/stations/centres/{world.centre.id}/edit")
    assert karin.input_value("#name") == "KTC Sundsvall"
    journey.check(karin, "04-centre-form")
    karin.goto(f"/stations/{world.station.id}/edit")
    assert karin.input_value("#name") == "Kateter och sårvård"
    journey.check(karin, "05-station-form")
    karin.goto(f"/skills/professions/{usk.id}/edit")
    assert karin.input_value("#name") == "Undersköterska"
    journey.check(karin, "06-profession-form")

    karin.goto("/sso/providers")
    assert "Sundsvalls kommun – Entra ID" in karin.inner_text("main")
    journey.check(karin, "07-sso-providers")
    karin.locator("main tr", has_text="Sundsvalls kommun").get_by_role("button", name="Ny token").click()
    karin.wait_for_load_state()
    assert "/scim/v2" in karin.inner_text("main .notice")
    journey.check(karin, "08-scim-token-shown-once")
    karin.goto(f"/sso/providers/{provider.id}/edit")
    assert karin.input_value("#issuer") == "https://login.example/sundsvall"
    journey.check(karin, "09-sso-provider-form")


def test_a_session_is_cancelled_and_reinstated_after_asking(journey):
    world = scenario.build()
    session = make.session(world.station, start=make.future(9, hour=9), skills=world.skills, title="Kateter och sår")
    make.booking(session, world.municipal[0])
    session_id = session.id
    db.session.commit()

    karin = journey.person(world.admin.email)
    karin.goto(f"/sessions/{session_id}")
    karin.fill("#reason", "Instruktören är sjuk")
    karin.get_by_role("button", name="Ställ in tillfället…").click()
    karin.wait_for_load_state()
    assert "Instruktören är sjuk" in karin.inner_text("main")
    journey.check(karin, "01-cancel-asks-first")
    assert _session_status(session_id) == "scheduled"
    karin.locator("main form button.button--danger").click()
    karin.wait_for_load_state()
    assert _session_status(session_id) == "cancelled"

    karin.get_by_role("button", name="Återinför tillfället…").click()
    karin.wait_for_load_state()
    journey.check(karin, "02-reinstate-asks-first")
    assert _session_status(session_id) == "cancelled"
    karin.locator("main form button.button--danger").click()
    karin.wait_for_load_state()
    assert _session_status(session_id) == "scheduled"


def test_the_page_when_the_database_cannot_be_reached(journey):
    world = scenario.build()
    maria = journey.person(world.municipal_manager.email)
    outage = Outage(db.engine)
    # Every statement fails, as when the server went away (refusing new connections would dispose of the
    # pool under the live server, whose open connections then leak into later tests on PostgreSQL).
    outage.fail_statements()
    try:
        maria.goto("/bookings/team/bookings")
        assert "Tillfälligt otillgänglig" in maria.inner_text("h1")
        journey.check(maria, "01-database-unavailable")
    finally:
        outage.end()
    # The browser logs the 503 of the page itself; that answer is the point here.
    journey.problems[:] = [p for p in journey.problems if "status of 503" not in p]


def test_a_series_form_with_mistakes_says_what_to_mend(journey):
    world = scenario.build()
    karin = journey.person(world.admin.email)
    karin.goto(f"/sessions/series/new?station_id={world.station.id}")
    karin.fill("#start_time", "11:00")
    karin.fill("#end_time", "09:00")
    karin.click("main form button[type=submit]")
    karin.wait_for_load_state()
    assert karin.locator("main .error-summary").is_visible()
    assert karin.locator("main [aria-invalid=true]").count() >= 1
    journey.check(karin, "01-series-form-refused")


def test_the_filtered_lists_export_what_they_show(journey):
    """The sessions list, the audit log, the staff list and the user list: each filtered, its export
    link is the page as filtered with format=csv, and it downloads a CSV file."""
    world = scenario.build()
    karin = journey.person(world.admin.email)
    for step, (page, query) in enumerate([("/sessions/", "q=kateter"), ("/audit/", "action=booking.created"),
                                          ("/organisations/participants", "q=an"), ("/users", "q=a")], 1):
        karin.goto(f"{page}?{query}&_method=DELETE")  # url_for's own options in a link are not passed on
        link = karin.locator("main a[download]", has_text="Exportera CSV")
        assert link.get_attribute("href") == f"{page}?{query}&format=csv"
        journey.check(karin, f"{step:02d}-{page.strip('/').replace('/', '-')}-filtered")
        with karin.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".csv")

