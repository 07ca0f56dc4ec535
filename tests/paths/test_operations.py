"""Learning paths: ordering, prerequisites, due/late at the day's edge, assignment and progress."""
from datetime import date

import pytest
from sqlalchemy import event

from ktc.errors import Conflict, ImportFailed, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.organisations.operations import create_participant
from ktc.paths import operations as ops
from ktc.paths.models import PathAssignment

START = date(2026, 9, 1)


@pytest.fixture
def path(make):
    skill = make.skill(code="KAT-01", name="Kateterisering")
    p = ops.create_path("Undersköterska, hemtjänst – första året")
    s1 = ops.add_step(p, "skill", skill=skill, due_days=90)
    s2 = ops.add_step(p, "module", title="Föreläsning 1: Psykisk ohälsa", url="https://example.org/film1",
                      due_days=30)
    s3 = ops.add_step(p, "circle", title="Studiecirkel, träff 1", due_days=60, prerequisite_ids=[s2.id])
    return p, skill, (s1, s2, s3)


def test_steps_keep_their_order_and_can_be_moved(path):
    p, _skill, (s1, s2, s3) = path
    assert [s.position for s in p.steps] == [1, 2, 3]
    assert s1.title == "Kateterisering"  # a skill step takes the skill's name when no title is given
    ops.move_step(s3, -1)
    assert [s.title for s in p.steps] == ["Kateterisering", "Studiecirkel, träff 1", "Föreläsning 1: Psykisk ohälsa"]
    ops.delete_step(s1)
    assert [(s.position, s.title) for s in p.steps] == [(1, "Studiecirkel, träff 1"),
                                                        (2, "Föreläsning 1: Psykisk ohälsa")]


def test_a_cycle_in_prerequisites_is_refused(path):
    p, _skill, (s1, s2, s3) = path
    ops.update_step(s1, "skill", skill=s1.skill, due_days=90, prerequisite_ids=[s3.id])
    with pytest.raises(ValidationError) as caught:
        ops.update_step(s2, "module", title=s2.title, url=s2.url, due_days=30, prerequisite_ids=[s1.id])
    assert caught.value.field == "prerequisite_ids" and "Föreläsning 1" in str(caught.value)
    with pytest.raises(ValidationError):
        ops.update_step(s2, "module", title=s2.title, url=s2.url, due_days=30, prerequisite_ids=[s2.id])


@pytest.mark.parametrize("due_days", [0, -5, None, 4000])
def test_a_due_time_must_be_at_least_one_day(path, due_days):
    p = path[0]
    with pytest.raises(ValidationError) as caught:
        ops.add_step(p, "module", title="Film", url="https://example.org", due_days=due_days)
    assert caught.value.field == "due_days"


def test_steps_need_what_their_kind_needs(path):
    p = path[0]
    cases = [({"kind": "skill"}, "skill_id"), ({"kind": "module", "title": "Film"}, "url"),
             ({"kind": "module", "title": "Film", "url": "javascript:alert(1)"}, "url"),
             ({"kind": "circle"}, "title"), ({"kind": "webinar", "title": "X"}, "kind")]
    for values, field in cases:
        with pytest.raises(ValidationError) as caught:
            ops.add_step(p, due_days=10, **values)
        assert caught.value.field == field


def test_due_is_due_on_the_due_date_and_late_the_day_after(make, path):
    p, _skill, (s1, s2, s3) = path
    person = make.participant()
    ops.assign(None, p, [person], START)
    a = db.session.query(PathAssignment).one()
    on_due = ops.progress_for([a], today=date(2026, 10, 1))[0]  # START + 30 days: the module's due date
    assert [s.status for s in on_due.steps] == ["due", "due", "due"]
    day_after = ops.progress_for([a], today=date(2026, 10, 2))[0]
    assert [s.status for s in day_after.steps] == ["due", "late", "due"]
    assert day_after.late_count == 1
    assert day_after.steps[1].due_date == date(2026, 10, 1)


def test_prerequisites_must_be_done_first(make, path):
    p, _skill, (s1, s2, s3) = path
    person = make.participant()
    ops.assign(None, p, [person], START)
    a = db.session.query(PathAssignment).one()
    progress = ops.progress_for([a], today=START)[0]
    assert progress.steps[2].waiting_for == [s2]
    with pytest.raises(Conflict, match="Föreläsning 1"):
        ops.complete_step(None, a, s3, today=START)
    ops.complete_step(None, a, s2, today=START)
    ops.complete_step(None, a, s3, today=START)
    progress = ops.progress_for([a], today=START)[0]
    assert [s.status for s in progress.steps] == ["due", "done", "done"]


def test_a_skill_step_is_done_while_the_skill_is_valid(make, path):
    p, skill, (s1, s2, s3) = path
    person = make.participant()
    ops.assign(None, p, [person], START)
    a = db.session.query(PathAssignment).one()
    make.skill_record(person, skill, outcome="practised", start=make.local(2026, 9, 10))
    assert ops.progress_for([a], today=START)[0].steps[0].status == "due"
    make.skill_record(person, skill, outcome="demonstrated", valid_until=date(2027, 9, 10),
                      start=make.local(2026, 9, 12))
    step = ops.progress_for([a], today=date(2026, 9, 20))[0].steps[0]
    assert (step.status, step.done_on) == ("done", date(2026, 9, 12))
    # Expired later: no longer done, and late since it is long past its due date.
    assert ops.progress_for([a], today=date(2027, 9, 11))[0].steps[0].status == "late"


def test_the_latest_demonstration_decides_a_skill_step(make, path):
    p, skill, _steps = path
    person, other = make.participant(), make.participant()
    ops.assign(None, p, [person, other], START)
    make.skill_record(person, skill, outcome="demonstrated", valid_until=date(2026, 12, 1), start=make.local(2026, 9, 12))
    make.skill_record(person, skill, outcome="demonstrated", valid_until=date(2027, 12, 1), start=make.local(2026, 12, 1))
    make.skill_record(person, skill, outcome="practised", start=make.local(2027, 1, 15))
    make.skill_record(other, skill, outcome="demonstrated", valid_until=date(2026, 12, 1), start=make.local(2026, 9, 12))
    progress = {r.assignment.participant_id: r.steps[0] for r in ops.progress_for(
        db.session.query(PathAssignment).all(), today=date(2027, 2, 1))}
    # Renewed: done on the day of the renewal; practising afterwards changes nothing.
    assert (progress[person.id].status, progress[person.id].done_on) == ("done", date(2026, 12, 1))
    # Never renewed: the old demonstration has run out.
    assert (progress[other.id].status, progress[other.id].done_on) == ("late", None)


def test_a_path_is_complete_when_every_step_is_done(make, path):
    p, skill, (s1, s2, s3) = path
    person = make.participant()
    ops.assign(None, p, [person], START)
    a = db.session.query(PathAssignment).one()
    make.skill_record(person, skill, valid_until=date(2028, 1, 1), start=make.local(2026, 9, 12))
    ops.complete_step(None, a, s2, on=date(2026, 9, 5), today=START)
    assert not ops.progress_for([a], today=START)[0].complete
    ops.complete_step(None, a, s3, on=date(2026, 10, 3), today=START)
    progress = ops.progress_for([a], today=date(2026, 10, 4))[0]
    assert progress.complete and progress.completed_on == date(2026, 10, 3)
    assert progress.next_step is None


def test_assigning_keeps_the_first_start_date_and_allows_several_paths(make, path):
    p = path[0]
    other = ops.create_path("Psyk E-bas")
    person = make.participant()
    first = ops.assign(None, p, [person], START)
    again = ops.assign(None, p, [person], date(2027, 1, 1))
    ops.assign(None, other, [person], date(2026, 11, 1))
    assert first.created == [person] and again.already == [person]
    rows = {a.path.name: a.start_date for a in db.session.query(PathAssignment)}
    assert rows == {p.name: START, "Psyk E-bas": date(2026, 11, 1)}


def test_a_manager_assigns_only_their_own_people(make, path):
    p = path[0]
    unit_a, unit_b = make.unit(), make.unit()
    manager = make.manager(unit_a)
    with pytest.raises(PermissionDenied):
        ops.assign(manager, p, [make.participant(unit_a), make.participant(unit_b)], START)
    assert db.session.query(PathAssignment).count() == 0


def test_new_staff_get_the_automatic_paths_of_their_profession_and_unit_kind(make):
    nurse_aide = make.profession("Undersköterska")
    other = make.profession("Sjuksköterska")
    home_care = ops.create_path("USK hemtjänst", profession=nurse_aide, unit_kind="hemtjänst", auto_assign=True)
    ops.create_path("USK alla enheter", profession=nurse_aide, auto_assign=True)
    ops.create_path("USK manuellt", profession=nurse_aide, auto_assign=False)
    ops.create_path("Gammal", profession=nurse_aide, auto_assign=True, active=False)
    ops.create_path("SSK", profession=other, auto_assign=True)
    admin = make.user("admin")
    in_home_care = create_participant(admin, "Nils", "nils@example.org", make.unit(name="Hemtjänst Norra"), nurse_aide)
    in_nursing_home = create_participant(admin, "Siv", "siv@example.org", make.unit(name="Ekbacken SÄBO"), nurse_aide)
    without = create_participant(admin, "Ola", "ola@example.org", make.unit(name="Hemtjänst Syd"))
    names = {}
    for a in db.session.query(PathAssignment):
        names.setdefault(a.participant_id, set()).add(a.path.name)
        assert a.source == "auto"
    assert names[in_home_care.id] == {"USK hemtjänst", "USK alla enheter"}
    assert names[in_nursing_home.id] == {"USK alla enheter"}
    assert without.id not in names
    assert home_care.unit_kind == "hemtjänst"


def test_assignment_import_refuses_the_whole_file_on_one_bad_row(make, path):
    p = path[0]
    unit = make.unit()
    make.participant(unit, email="anna@example.org")
    make.participant(unit, email="bo@example.org")
    content = ("e-post;lärväg;startdatum\n"
               f"anna@example.org;{p.name};2026-09-01\n"
               "bo@example.org;Okänd väg;\n"
               "ingen@example.org;" + p.name + ";1.9.2026\n")
    preview = ops.preview_assignment_import(None, content)
    assert [r.line for r in preview.rows if r.errors] == [3, 4]
    errors = {r.line: " ".join(str(e) for e in r.errors) for r in preview.rows}
    assert "Okänd väg" in errors[3]
    assert "ingen@example.org" in errors[4] and "2026-09-01" in errors[4]
    with pytest.raises(ImportFailed):
        ops.import_assignments(None, content)
    assert db.session.query(PathAssignment).count() == 0
    good = "e-post;lärväg;startdatum\n" f"anna@example.org;{p.name};2026-09-01\nbo@example.org;{p.name};\n"
    result = ops.import_assignments(None, good)
    assert result.created == 2
    assert {a.source for a in db.session.query(PathAssignment)} == {"csv"}


def _count_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", before)


@pytest.mark.parametrize("size", [3, 30])
def test_team_progress_counts_equal_the_rows_in_constant_queries(make, path, size):
    p, skill, (s1, s2, s3) = path
    unit = make.unit()
    people = [make.participant(unit) for _ in range(size)]
    ops.assign(None, p, people, START)
    assignments = {a.participant_id: a for a in db.session.query(PathAssignment)}
    for person in people[::3]:
        ops.complete_step(None, assignments[person.id], s2, today=START)
    db.session.commit()
    db.session.expire_all()
    statements, stop = _count_queries()
    try:
        rows = ops.team_progress([unit.id], today=date(2026, 10, 2))
    finally:
        stop()
    assert len(rows) == size
    done_module = len(people[::3])
    assert sum(r.done_count for r in rows) == done_module
    assert sum(r.late_count for r in rows) == size - done_module  # the module was due 2026-10-01
    assert all(r.late_count == 1 for r in rows[: size - done_module])  # who is behind comes first
    assert len(statements) <= 7


def test_an_assignment_import_takes_as_many_statements_for_30_rows_as_for_3(make, path):
    p = path[0]
    unit = make.unit()
    people = [make.participant(unit, email=f"person{i}@example.org") for i in range(33)]
    db.session.commit()

    def statements_for(group):
        content = "e-post;lärväg;startdatum\n" + "".join(f"{x.email};{p.name};2026-09-01\n" for x in group)
        statements, stop = _count_queries()
        try:
            result = ops.import_assignments(None, content)
        finally:
            stop()
        assert result.created == len(group)
        return len([s for s in statements if not s.startswith("INSERT")])  # the ORM inserts row by row

    assert statements_for(people[30:]) == statements_for(people[:30])
    assert db.session.query(PathAssignment).count() == 33
