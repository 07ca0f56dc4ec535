"""Late learning path steps that are KTC skills feed the derived needs, like a missing required skill."""
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from ktc.extensions import db
from ktc.i18n import local_today
from ktc.paths import operations as paths
from ktc.planning import operations as ops

TODAY = date(2027, 3, 10)
START = date(2027, 1, 1)   # a step due after 30 days is late from 2027-02-01


@pytest.fixture
def world(make):
    now = make.local(2027, 3, 10, 8)
    kat, hlr, old = make.skill(code="KAT"), make.skill(code="HLR"), make.skill(code="OLD")
    nurse = make.profession("Sjuksköterska", skills=[hlr])
    north, south = make.unit(name="Hemtjänst Norr"), make.unit(name="Hemtjänst Söder")
    path = paths.create_path("Första året")
    paths.add_step(path, "skill", skill=kat, due_days=30)
    paths.add_step(path, "skill", skill=hlr, due_days=30)
    paths.add_step(path, "skill", skill=old, due_days=30)
    paths.add_step(path, "module", title="Film", url="https://example.org/film", due_days=30)
    later = paths.create_path("Andra året")
    paths.add_step(later, "skill", skill=kat, due_days=30)
    anna = make.participant(north, name="Anna Sen", profession=nurse)   # HLR required: the matrix counts her
    bo = make.participant(north, name="Bo Bokad")
    cilla = make.participant(south, name="Cilla Ny")
    dina = make.participant(north, name="Dina Nystartad")
    paths.assign(None, path, [anna, bo, cilla], START)
    paths.assign(None, later, [anna], START)                 # KAT late on two paths: still one person
    paths.assign(None, path, [dina], date(2027, 3, 1))       # nothing due yet
    station = make.station(skills=[kat])
    make.booking(make.session(station, start=make.local(2027, 3, 20), skills=[kat]), bo)
    old.active = False
    db.session.commit()
    return locals()


def _shown(derived):
    return [(d.unit.name, d.skill.code, d.month, sorted((p.name, s) for p, s, _ in d.people)) for d in derived]


def test_late_skill_steps_are_derived_needs_counted_once(world):
    units = [world["north"].id, world["south"].id]
    derived = ops.compute_derived(units, today=TODAY, now=world["now"])
    assert _shown(derived) == [
        ("Hemtjänst Norr", "HLR", date(2027, 3, 1), [("Anna Sen", "missing"), ("Bo Bokad", "late_step")]),
        ("Hemtjänst Norr", "KAT", date(2027, 3, 1), [("Anna Sen", "late_step")]),   # Bo has a seat
        ("Hemtjänst Söder", "HLR", date(2027, 3, 1), [("Cilla Ny", "late_step")]),
        ("Hemtjänst Söder", "KAT", date(2027, 3, 1), [("Cilla Ny", "late_step")]),
    ]
    # The day the steps are due, nobody is late yet: only Anna's required HLR remains.
    derived = ops.compute_derived(units, today=date(2027, 1, 31), now=world["now"])
    assert _shown(derived) == [("Hemtjänst Norr", "HLR", date(2027, 1, 1), [("Anna Sen", "missing")])]


def test_a_confirmed_late_step_need_becomes_a_need_for_the_unit(make, world):
    manager = make.manager(world["south"])
    kat = next(d for d in ops.pending_derived([world["south"].id], today=TODAY, now=world["now"])
               if d.skill.code == "KAT")
    need = ops.decide_derived(manager, world["south"], kat.skill.id, kat.month, kat.fingerprint, confirm=True,
                              today=TODAY, now=world["now"])
    assert (need.people, need.urgency, [p.name for p in need.named]) == (1, "missing", ["Cilla Ny"])


def test_the_derived_needs_page_says_the_step_is_late(client, login_as, world):
    make = world["make"]
    eva = make.participant(world["north"], name="Eva Förr")
    paths.assign(None, world["path"], [eva], local_today() - timedelta(days=31))   # the page's today
    login_as(make.manager(world["north"]))
    db.session.commit()
    page = client.get("/needs/derived").text
    assert "Eva Förr: <span class=\"badge badge--late_step\">Sen i en lärväg</span>" in page
    assert "Anna Sen: <span class=\"badge badge--missing\">Saknas</span>" in page


def _statements_for(make, size):
    skill = make.skill()
    unit = make.unit()
    path = paths.create_path(f"Lärväg {size}")
    paths.add_step(path, "skill", skill=skill, due_days=30)
    paths.assign(None, path, [make.participant(unit) for _ in range(size)], START)
    db.session.commit()
    db.session.expire_all()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        derived = ops.compute_derived([unit.id], today=TODAY, now=make.local(2027, 3, 10, 8))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [len(d.people) for d in derived] == [size]
    return len(statements)


def test_late_skill_steps_take_as_many_queries_for_30_people_as_for_3(make):
    assert _statements_for(make, 3) == _statements_for(make, 30)
