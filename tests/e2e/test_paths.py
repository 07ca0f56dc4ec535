"""A learning path from start to certificate: the coordinator defines a path with a station skill, a film
module and a study circle meeting, forms a mixed circle; the manager puts staff on the path; the
facilitator plans and records a meeting; the participant follows her progress on a phone and prints
the certificate. Every page on the way is checked with axe-core and kept as a screenshot.
"""
import json
from datetime import date, timedelta

import pytest

from ktc.extensions import db
from ktc.i18n import local_today

from playwright.sync_api import expect

from tests import factories as make
from tests.e2e.test_pickers import tab_to_picker
from tests.e2e import scenario

pytestmark = pytest.mark.e2e


def tab_to(selector, page):
    tab_to_picker(page, selector.lstrip("#"))


def test_a_path_from_definition_to_certificate(journey):
    world = scenario.build()
    alva = world.municipal[0]
    peter = world.regional[0]
    catheter = world.skills[0]
    # Alva demonstrated catheter care last month: the path's station step is already done for her.
    make.skill_record(alva, catheter, valid_until=date.today() + timedelta(days=700),
                      start=make.future(-30), signed_by=world.instructor)
    db.session.commit()

    karin = journey.person(world.admin.email)
    karin.goto("/paths/new")
    karin.fill("#name", "Undersköterska, hemtjänst – första året")
    karin.fill("#unit_kind", "hemtjänst")
    journey.check(karin, "00-path-form")
    karin.click("main button[type=submit]")
    assert "Undersköterska, hemtjänst – första året" in karin.inner_text("h1")
    journey.check(karin, "01-path-created")

    karin.click("text=Lägg till ett steg")
    karin.select_option("#kind", "skill")
    tab_to("#skill_id-ts-control", karin)
    karin.keyboard.type("KAD")
    expect(karin.locator("#skill_id-ts-dropdown .option")).to_have_count(1)
    karin.keyboard.press("Enter")
    assert karin.eval_on_selector("#skill_id", "s => s.selectedOptions[0].textContent") == "KAT01 KAD-skötsel"
    karin.fill("#due_days", "60")
    journey.check(karin, "02-step-form")
    karin.click("main button[type=submit]")

    karin.click("text=Lägg till ett steg")
    karin.select_option("#kind", "module")
    karin.fill("#title", "Föreläsning 1: Psykisk ohälsa")
    karin.fill("#url", "https://larplattform.example/psyk-e-bas/1")
    karin.fill("#material", "Faktablad 1")
    karin.fill("#due_days", "30")
    karin.click("main button[type=submit]")

    karin.click("text=Lägg till ett steg")
    karin.select_option("#kind", "circle")
    karin.fill("#title", "Studiecirkelträff 1")
    karin.fill("#due_days", "0")
    karin.click("main button[type=submit]")
    assert "minst 1" in karin.inner_text("main")  # a due time of 0 is refused on the form
    journey.check(karin, "03-step-refused")
    karin.fill("#due_days", "45")
    karin.select_option("#prerequisite_ids", label="2. Föreläsning 1: Psykisk ohälsa")
    karin.click("main button[type=submit]")
    steps = karin.inner_text("table")
    assert steps.index("KAD-skötsel") < steps.index("Föreläsning 1") < steps.index("Studiecirkelträff 1")
    journey.check(karin, "04-path-with-three-steps")

    karin.goto("/paths/circles/new")
    karin.fill("#name", "Psyk E-bas Sundsvall")
    karin.select_option("#path_id", label="Undersköterska, hemtjänst – första året")
    karin.select_option("#facilitator_id", label=world.instructor.name)
    karin.fill("#add_emails", f"{alva.email}\n{peter.email}")
    journey.check(karin, "04b-circle-form")
    karin.click("main button[type=submit]")
    assert "1 från kommuner, 1 från regionen" in karin.inner_text("main")
    journey.check(karin, "05-mixed-circle")

    maria = journey.person(world.municipal_manager.email)
    maria.goto("/paths/assign")
    maria.check(f"#person-{world.municipal[1].id}")
    maria.fill("#start_date", (local_today() - timedelta(days=40)).isoformat())
    maria.select_option("#path_id", label="Undersköterska, hemtjänst – första året")
    journey.check(maria, "06-assign")
    maria.click("main form[method=post] button[type=submit]")
    team = maria.inner_text("main")
    assert "Elin Berg" in team and "Alva Andersson" in team  # Alva joined through the circle
    journey.check(maria, "07-team-progress")

    johan = journey.person(world.instructor.email)
    johan.goto("/paths/circles/")
    johan.click("text=Psyk E-bas Sundsvall")
    johan.click("text=Planera en träff")
    johan.fill("#day", (local_today() - timedelta(days=1)).isoformat())
    johan.fill("#start", "13:00")
    johan.fill("#end", "15:00")
    johan.fill("#location", "Hemtjänst Centrum, Storgatan 10 – personalrummet")
    johan.check("text=Föreläsning 1: Psykisk ohälsa")
    johan.check("text=Studiecirkelträff 1")
    journey.check(johan, "08-meeting-form")
    johan.click("main button[type=submit]")
    johan.click("main a:has-text('Deltagarlista')")
    johan.check(f"#att-{alva.id}")
    johan.check(f"#att-{peter.id}")
    for step_box in johan.locator(f"input[name=done][value^='{alva.id}:']").all():
        step_box.check()
    journey.check(johan, "09-circle-roster")
    johan.click("main button[type=submit]")
    assert "Närvarolistan är sparad." in johan.inner_text("main")

    phone = journey.person(world.alva.email, phone=True)
    phone.goto("/paths/mine")
    mine = phone.inner_text("main")
    assert "3 av 3 steg klara" in mine
    journey.check(phone, "10-my-path-on-a-phone")
    phone.click("text=Intyg")
    assert "har genomfört lärvägen" in phone.inner_text("main")
    journey.check(phone, "11-certificate")

    # KTC staff: the list of paths and circles, the overview, and a path moved between regions as a file.
    karin.goto("/paths/")
    assert "Undersköterska, hemtjänst – första året" in karin.inner_text("main")
    journey.check(karin, "12-paths")
    karin.goto("/paths/circles/")
    assert "Psyk E-bas Sundsvall" in karin.inner_text("main")
    journey.check(karin, "13-circles")
    karin.goto("/paths/overview")
    assert "Sundsvalls kommun" in karin.inner_text("main")
    journey.check(karin, "14-overview")
    karin.goto("/paths/")
    karin.click("main a:has-text('Undersköterska, hemtjänst – första året')")
    with karin.expect_download() as download:
        karin.click("main a[href$='export.json']")
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    exported["name"] = "Undersköterska, hemtjänst – Härnösand"
    karin.goto("/paths/import")
    journey.check(karin, "15-import-a-path")
    karin.set_input_files("#file", files=[{"name": "larvag.json", "mimeType": "application/json",
                                           "buffer": json.dumps(exported, ensure_ascii=False).encode()}])
    karin.click("main button[type=submit]")
    karin.wait_for_load_state()
    assert "Föreläsning 1: Psykisk ohälsa" in karin.inner_text("main")
    journey.check(karin, "16-import-a-path-preview")

    # The manager puts staff on a path from a CSV file.
    maria.goto("/paths/assign/import")
    journey.check(maria, "17-import-assignments")
    rows = f"e-post;lärväg\n{world.municipal[2].email};Undersköterska, hemtjänst – första året\n"
    maria.set_input_files("#file", files=[{"name": "lista.csv", "mimeType": "text/csv", "buffer": rows.encode()}])
    maria.click("main button[type=submit]")
    maria.wait_for_load_state()
    assert world.municipal[2].email in maria.inner_text("main")
    journey.check(maria, "18-import-assignments-preview")
