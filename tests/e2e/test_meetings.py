"""The learning network's loop in a browser: the coordinator plans a meeting with an agenda drafted from
the data, the invitation is in a member's feed, minutes get an action, a station is changed and marked,
and the network view follows it. Every page is checked with axe-core."""
from datetime import date, timedelta

import pytest

from ktc.extensions import db
from ktc.meetings import operations as ops
from ktc.meetings.models import MemberContact, NetworkMember
from ktc.paths import operations as paths
from tests import factories as make
from tests.e2e.conftest import PASSWORD
from tests.network import scenario

pytestmark = pytest.mark.e2e


def _path_with_people():
    """A learning path: six people in Gislaved (five completed its step), four in the region (too few)."""
    path = paths.create_path("Första året")
    step = paths.add_step(path, "module", title="Introduktion", url="https://example.org/intro", due_days=60)
    start = date.today() - timedelta(days=100)
    for name, side, count, completed in (("Gislaveds kommun", "municipal", 6, 5),
                                         ("Region Jönköpings län", "regional", 4, 4)):
        unit = make.unit(make.organisation(side, name=name))
        people = [make.participant(unit) for _ in range(count)]
        paths.assign(None, path, people, start)
        assignments = {a.participant_id: a for a in paths._assignments()}
        for days, person in enumerate(people[:completed], start=1):
            paths.complete_step(None, assignments[person.id], step, on=start + timedelta(days=10 * days))


def test_coordinator_meeting_invitation_agenda_minutes_and_a_station_change(journey):
    data = scenario.build()
    coordinator = make.user("network", name="Cecilia Samordnare", email="cecilia@natverket.example.se",
                            password=PASSWORD, network_coordinator=True)
    contact = make.user("network", name="Mona Kontakt", email="mona@varnamo.example.se", password=PASSWORD)
    admin = make.user("admin", name="Karin Ek", email="karin.ek@ktc.example.se", password=PASSWORD)
    member = NetworkMember(name="Värnamo kommun", status="member")
    member.contacts.append(MemberContact(user=contact))
    db.session.add(member)
    start = make.local(2024, 2, 1, 13)
    earlier = ops.plan_meeting(coordinator, title="Vinterträffen", start_at=start, end_at=start + timedelta(hours=2))
    _path_with_people()
    db.session.commit()

    cecilia = journey.person(coordinator.email)
    cecilia.goto("/network/meetings/")
    cecilia.get_by_role("link", name="Planera en träff").click()
    agenda = cecilia.locator("#agenda").input_value()
    assert "samarbete (5)" in agenda and "Sårvård Ö" not in agenda and "Hemligt" not in agenda
    journey.check(cecilia, "01-plan-with-a-drafted-agenda")
    day = make.future(21).date().isoformat()
    cecilia.fill("#title", "Vårträffen")
    cecilia.fill("#day", day)
    cecilia.fill("#start_time", "13:00")
    cecilia.fill("#end_time", "15:00")
    cecilia.fill("#place", "KTC Värnamo")
    cecilia.get_by_role("button", name="Planera och bjud in").click()
    cecilia.wait_for_load_state()
    assert "1 kontaktpersoner har bjudits in" in cecilia.inner_text("main")
    assert "Mona Kontakt" in cecilia.inner_text("main")
    journey.check(cecilia, "02-meeting-planned")

    mona = journey.person(contact.email)
    mona.goto("/network/meetings/")
    mona.get_by_role("button", name="Skapa en kalenderlänk för träffarna").click()
    mona.wait_for_load_state()
    feed_url = mona.locator("main code").inner_text()
    feed = mona.request.get(journey.base + "/" + feed_url.split("://", 1)[1].split("/", 1)[1])
    assert feed.ok and "SUMMARY:Vårträffen" in feed.text()
    journey.check(mona, "03-member-meetings-with-feed")

    cecilia.goto(f"/network/meetings/{earlier.id}/minutes")
    cecilia.fill("#minutes", "Beslut: kortare teori vid kateterstationen.")
    cecilia.get_by_role("button", name="Spara minnesanteckningarna").click()
    cecilia.wait_for_load_state()
    cecilia.fill("#action-text", "Korta teorin till tio minuter")
    cecilia.select_option("#action-owner_kind", "station")
    cecilia.select_option("#action-station", str(data["stations"][0].id))
    cecilia.get_by_role("button", name="Lägg till åtgärden").click()
    cecilia.wait_for_load_state()
    journey.check(cecilia, "04-minutes-with-an-action")
    cecilia.get_by_label("Ändring av stationen").first.fill("Teorin kortad till tio minuter")
    cecilia.get_by_role("button", name="Avsluta åtgärden").first.click()
    cecilia.wait_for_load_state()
    assert "Åtgärden är avslutad." in cecilia.inner_text("main")
    cecilia.goto(f"/network/meetings/{earlier.id}/minutes/print")
    assert "Korta teorin till tio minuter" in cecilia.inner_text("main")
    assert cecilia.locator("nav").count() == 0
    journey.check(cecilia, "04b-minutes-print")

    mona.goto("/network/?from=2024-01-01")
    assert "Ändrad efter nätverksträffen 1 februari 2024" in mona.inner_text("main")
    journey.check(mona, "04c-network-view-with-the-change")
    # The network view's learning paths: completion per organisation, a group of four shows no figures.
    paths_section = mona.get_by_role("region", name="Lärvägar per organisation").inner_text()
    assert "Gislaveds kommun" in paths_section and "83 %" in paths_section
    region_row = mona.get_by_role("row").filter(has_text="Region Jönköpings län").first.inner_text()
    assert "färre än 5 personer" in region_row and "100 %" not in region_row
    mona.get_by_role("link", name="Siffror före och efter ändringarna").click()
    mona.wait_for_load_state()
    text = mona.inner_text("main")
    assert "Teorin kortad till tio minuter" in text and "Före" in text and "Efter" in text and "färre än 5 svar" in text
    journey.check(mona, "05-changes-before-and-after")

    cecilia.goto("/network/meetings/members")
    assert "Värnamo kommun" in cecilia.inner_text("main")
    journey.check(cecilia, "06-members")

    karin = journey.person(admin.email)
    karin.goto(f"/stations/{data['stations'][0].id}/edit")
    assert "Teorin kortad till tio minuter" in karin.inner_text("main")
    journey.check(karin, "07-station-form-with-the-change")

    # A new action on the station, then an edit of the station while it is open: the change is noticed
    # without anyone typing it, and marked so wherever station changes are listed.
    cecilia.goto(f"/network/meetings/{earlier.id}/minutes")
    cecilia.fill("#action-text", "Byt till en nyare kateterdocka")
    cecilia.select_option("#action-owner_kind", "station")
    cecilia.select_option("#action-station", str(data["stations"][0].id))
    cecilia.get_by_role("button", name="Lägg till åtgärden").click()
    cecilia.wait_for_load_state()
    karin.goto(f"/stations/{data['stations'][0].id}/edit")
    karin.get_by_label("Anteckningar om utrustning").fill("Kateterdocka modell 2026")
    karin.get_by_role("button", name="Spara").click()
    karin.wait_for_load_state()
    mona.goto("/network/meetings/changes")
    assert "Upptäckt när stationen ändrades: utrustning" in mona.inner_text("main")
    # The column names what changed (a noun), not the verb of an edit button elsewhere.
    assert mona.get_by_role("columnheader").all_inner_texts()[:3] == ["Station", "Ändring", "Period"]
    journey.check(mona, "08-changes-with-a-noticed-edit")
    cecilia.goto(f"/network/meetings/{earlier.id}/minutes")
    assert "Upptäckt när stationen ändrades: utrustning" in cecilia.inner_text("main")
    journey.check(cecilia, "09-minutes-with-a-noticed-edit")
