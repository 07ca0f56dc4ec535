"""The managers' weekly digest also lists late learning path steps, per unit, with the team page."""
from datetime import date

import pytest
from sqlalchemy import event, select

from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.paths import operations as paths
from ktc.paths.models import PathAssignment
from ktc.records.digest import queue_digest
from ktc.records.jobs import expiry_digest

START = date(2030, 1, 1)   # the module is due 2030-01-31; on 2030-03-04 it is 32 days late


def _outbox():
    db.session.expire_all()
    return {m.recipient: m for m in db.session.execute(select(OutboxMessage)).scalars()}


@pytest.fixture
def world(make):
    now = make.local(2030, 3, 4, 6, 30)
    path = paths.create_path("Första året i hemtjänsten")
    module = paths.add_step(path, "module", title="Film: Psykisk ohälsa", url="https://example.org/film",
                            due_days=30)
    paths.add_step(path, "circle", title="Studiecirkel, träff 1", due_days=120)   # not due yet
    north, east, quiet = make.unit(name="Hemtjänst Norr"), make.unit(name="Hemtjänst Öst"), \
        make.unit(name="Lugna enheten")
    anna, bo = make.participant(north, name="Anna Sen"), make.participant(north, name="Bo Klar")
    cilla = make.participant(east, name="Cilla Öst")
    erik = make.participant(quiet, name="Erik Lugn")
    paths.assign(None, path, [anna, bo, cilla], START)
    paths.assign(None, path, [erik], date(2030, 2, 20))   # due 2030-03-22: not late
    done = db.session.execute(select(PathAssignment).where(PathAssignment.participant_id == bo.id)).scalar_one()
    paths.complete_step(None, done, module, today=date(2030, 1, 20))
    make.manager(north, east, name="Maja Chef", email="maja@example.org")
    make.manager(east, name="Mona Manager", email="mona@example.org", locale="en")
    make.manager(quiet, email="quiet@example.org")
    db.session.commit()
    return locals()


def test_late_steps_are_listed_per_unit_with_a_link_to_the_team_page(world):
    assert expiry_digest(now=world["now"]) == 2
    messages = _outbox()
    assert set(messages) == {"maja@example.org", "mona@example.org"}   # nobody late in the quiet unit

    maja = messages["maja@example.org"]
    assert maja.subject == "Sena steg i lärvägar i dina enheter: 2"
    body = maja.body_text
    assert "Anna Sen: Första året i hemtjänsten, Film: Psykisk ohälsa, 32 dagar sent" in body
    assert "Cilla Öst: Första året i hemtjänsten, Film: Psykisk ohälsa, 32 dagar sent" in body
    assert "Bo Klar" not in body and "Studiecirkel" not in body and "Erik" not in body
    assert body.index("Hemtjänst Norr") < body.index("Anna Sen") < body.index("Hemtjänst Öst") \
        < body.index("Cilla Öst")
    for unit in (world["north"], world["east"]):
        link = f"https://ktc.example.org/paths/team?unit_id={unit.id}"
        assert link in body and f'href="{link}"' in maja.body_html
    assert "Kompetenser att förnya" not in body   # no expiring skills: only the late steps

    mona = messages["mona@example.org"]
    assert mona.subject == "Late learning path steps in your units: 1"
    assert "Cilla Öst: Första året i hemtjänsten, Film: Psykisk ohälsa, 32 days late" in mona.body_text
    assert "Anna Sen" not in mona.body_text


def test_nothing_is_sent_when_nobody_is_late(world):
    assert expiry_digest(now=world["make"].local(2030, 1, 31, 12)) == 0   # the module's due day
    assert _outbox() == {}


def _statements_for_digest(make, size):
    unit = make.unit()
    path = paths.create_path(f"Lärväg {size}")
    paths.add_step(path, "module", title="Film", url="https://example.org/film", due_days=30)
    paths.add_step(path, "circle", title="Träff", due_days=40)
    people = [make.participant(unit) for _ in range(size)]
    paths.assign(None, path, people, START)
    manager = make.manager(unit, email=f"chef{size}@example.org")
    db.session.commit()
    db.session.expire_all()
    manager = db.session.get(type(manager), manager.id)
    _ = manager.units
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        message = queue_digest(manager, now=make.local(2030, 3, 4, 6, 30))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert message is not None and message.body_text.count("Film, 32 dagar sent") == size
    assert message.body_text.count("Träff, 22 dagar sent") == size
    return len(statements)


def test_the_late_steps_take_as_many_queries_for_30_people_as_for_3(make):
    assert _statements_for_digest(make, 3) == _statements_for_digest(make, 30)


def test_expiring_skills_and_late_steps_come_in_one_digest(world):
    make, anna = world["make"], world["anna"]
    cpr = make.skill(code="HLR", name="HLR vuxen", refresh_months=24)
    anna.profession = make.profession("Undersköterska", skills=[cpr])
    make.skill_record(anna, cpr, valid_until=date(2030, 3, 1))
    db.session.commit()
    assert expiry_digest(now=world["now"]) == 2
    maja = _outbox()["maja@example.org"]
    assert maja.subject == "Kompetenser att förnya i dina enheter: 1"
    assert "Anna Sen (Hemtjänst Norr): HLR vuxen" in maja.body_text
    assert "Anna Sen: Första året i hemtjänsten, Film: Psykisk ohälsa, 32 dagar sent" in maja.body_text
    assert "<title>Kompetenser att förnya i dina enheter</title>" in maja.body_html
    assert "<title>Late learning path steps in your units</title>" in _outbox()["mona@example.org"].body_html
